"""The board paper as a PDF: one HTML template, printed by Chromium through Playwright.

The charts are the app's plotly figures, turned into static SVG images by plotly.js (the copy
that ships inside the plotly package, so nothing is fetched from the network) in the same
headless Chromium that then prints the page. Chromium writes a tagged PDF (a structure tree
in reading order, alt text on every figure), with the document's title, its language
(``en-GB``) and an outline of its headings.

Chromium is the system's (Debian's ``chromium``, the one the browser tests use), never a
downloaded one: ``$BUDGETOPT_CHROMIUM`` names another executable.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from markupsafe import Markup, escape

from budgetopt.errors import BudgetoptError
from budgetopt.reports.board.paper import NO_ANALYSES, Figure, Paper, Table, board_paper

if TYPE_CHECKING:
    from budgetopt.analyses.board import Analyses
    from budgetopt.data.inputs import Inputs
    from budgetopt.policy import Policy
    from budgetopt.results.tables import Results

CHROMIUM_ENV = "BUDGETOPT_CHROMIUM"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_ARGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage")
"""Flags for a headless Chromium in a container: no sandbox (no user namespaces), no GPU, no
network of its own, /tmp rather than a small /dev/shm."""
RENDER_TIMEOUT_MS = 120_000


def find_chromium() -> str:
    """The Chromium executable: ``$BUDGETOPT_CHROMIUM``, else the first on ``PATH``."""
    named = os.environ.get(CHROMIUM_ENV)
    if named:
        if Path(named).is_file() and os.access(named, os.X_OK):
            return named
        raise BudgetoptError(f"${CHROMIUM_ENV} names {named}, which is not an executable "
                             "file: point it at a Chromium or Chrome executable")
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise BudgetoptError(
        "The board paper is printed by Chromium, and no Chromium was found (looked for "
        f"{', '.join(CHROMIUM_NAMES)} on PATH): `make system` installs it (Debian package "
        f"chromium), or set ${CHROMIUM_ENV} to a Chromium or Chrome executable. "
        "(--workbook-pdf prints the workbook with LibreOffice instead.)")


def _playwright():
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        raise BudgetoptError("The board paper needs the Python package playwright (it drives "
                             "Chromium): pip install playwright") from None
    return sync_playwright, Error


def _plotly_js() -> Path:
    import plotly

    path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    if not path.exists():  # pragma: no cover - a broken plotly install
        raise BudgetoptError(f"plotly.js is missing from the plotly package ({path})")
    return path


UNBROKEN = re.compile(r"[+−]£?[\d,]+(?:\.\d+)?[m%]?|£[\d,]+(?:\.\d+)?m|--[a-z][a-z-]*")
"""A signed figure, a sum in £m or a command-line option: never broken across lines."""


def unbroken(text: object) -> Markup:
    """`text` escaped, with its figures and options held together on one line (a span that
    does not wrap). Only the escaped text is searched, so no input can add markup."""
    safe = str(escape(str(text)))
    return Markup(UNBROKEN.sub(lambda m: f'<span class="nb">{m[0]}</span>', safe))


def _environment():
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(loader=PackageLoader("budgetopt.reports.board", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.globals.update(zip=zip, kind=lambda b: ("figure" if isinstance(b, Figure) else
                                                "table" if isinstance(b, Table) else "points"))
    env.filters["nb"] = unbroken
    return env


def render_html(paper: Paper) -> str:
    """The paper's HTML (every figure's ``image`` filled in first). All text is escaped."""
    return _environment().get_template("paper.html.j2").render(paper=paper)


def _footer(paper: Paper) -> str:
    return ('<div style="font-family: \'DejaVu Sans\', sans-serif; font-size: 8.5pt; '
            'width: 100%; margin: 0 16mm; display: flex; justify-content: space-between;">'
            f'<span>{html.escape(paper.document_title)}</span><span>Page <span class="pageNumber">'
            '</span> of <span class="totalPages"></span></span></div>')


def _print(paper: Paper, pdf: Path) -> None:
    """Render the figures to SVG, lay out the page and print it, in one headless Chromium."""
    sync_playwright, error = _playwright()
    executable = find_chromium()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=executable, args=list(CHROMIUM_ARGS),
                                        headless=True)
            try:
                page = browser.new_page()
                page.set_default_timeout(RENDER_TIMEOUT_MS)
                page.set_content("<!doctype html><html><head><meta charset='utf-8'></head>"
                                 "<body></body></html>")
                page.add_script_tag(path=str(_plotly_js()))
                for fig in paper.figures:
                    spec = json.loads(fig.figure.to_json())
                    fig.image = page.evaluate(
                        "async ([spec, w, h]) => Plotly.toImage(spec, "
                        "{format: 'svg', width: w, height: h})",
                        [spec, fig.width, fig.height])
                page.set_content(render_html(paper), wait_until="load")
                page.emulate_media(media="print")
                page.pdf(path=str(pdf), format="A4", print_background=True,
                         prefer_css_page_size=True, display_header_footer=True,
                         header_template="<span></span>", footer_template=_footer(paper),
                         tagged=True, outline=True)
            finally:
                browser.close()
    except error as err:
        raise BudgetoptError(f"Chromium ({executable}) could not print the board paper: "
                             f"{str(err).strip().splitlines()[0]}") from None


def print_paper(paper: Paper, pdf: str | Path) -> Path:
    """Print `paper` to `pdf`. Playwright's synchronous API refuses to run inside an asyncio
    event loop (a notebook, some servers), so it runs in a thread of its own."""
    pdf = Path(pdf)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="budgetopt-pdf") as pool:
        pool.submit(_print, paper, pdf).result()
    return pdf


def write_board_paper(results: Results, inputs: Inputs, policy: Policy, pdf: str | Path,
                      analyses: Analyses | None = None, *, scenario: str = "",
                      left_out_because: str = NO_ANALYSES) -> Path:
    """Write the board paper for `results` (solved from `inputs` under `policy`) to `pdf`.

    `analyses` (None: none) supplies the trade-off and risk sections; what is missing is
    listed in the paper as left out, with `left_out_because`. Writes `pdf` directly: callers
    that must leave nothing partial behind write to a temporary name and rename
    (:func:`budgetopt.reports.outputs.write_outputs` does).
    """
    paper = board_paper(results, inputs, policy, analyses, scenario=scenario,
                        left_out_because=left_out_because)
    return print_paper(paper, pdf)


__all__ = ["CHROMIUM_ARGS", "CHROMIUM_ENV", "find_chromium", "print_paper", "render_html",
           "write_board_paper"]
