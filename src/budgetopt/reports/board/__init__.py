"""The board paper: the decision, its trade-offs and its risks in a few printed pages.

* :func:`board_paper` — what the paper says (sentences, tables, numbered figures) from a
  solve, its inputs, the policy and the analyses (:mod:`budgetopt.reports.board.paper`).
* :func:`write_board_paper` — the paper as a tagged PDF, printed by the system's Chromium
  through Playwright from one Jinja2 template (:mod:`budgetopt.reports.board.render`).

``budgetopt solve DATA --pdf board.pdf`` and ``budgetopt scenario export REF --pdf ...``
write it; the app's Results page offers it as a download. docs/board-paper.md says what each
section shows and how long the analyses take.
"""

from budgetopt.reports.board.paper import NO_ANALYSES, Paper, board_paper
from budgetopt.reports.board.render import find_chromium, render_html, write_board_paper

__all__ = ["NO_ANALYSES", "Paper", "board_paper", "find_chromium", "render_html",
           "write_board_paper"]
