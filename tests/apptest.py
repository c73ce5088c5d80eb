"""AppTest helpers the app's tests share."""

from __future__ import annotations

from collections.abc import Iterator

from streamlit.testing.v1 import AppTest

RESULTS_TAB = "results-tab"
"""The key of the Results page's tabs: only the open tab's content is made."""


def open_tab(at: AppTest, label: str) -> AppTest:
    """Open the Results page's tab `label` (as a click on it does: the page runs again)."""
    assert label in [t.label for t in at.tabs], [t.label for t in at.tabs]
    at.session_state[RESULTS_TAB] = label
    return at.run()


def each_tab(at: AppTest) -> Iterator[str]:
    """Open each of the Results page's tabs in turn (`at` is on the Results page), yielding
    its label once its content is drawn."""
    for label in [t.label for t in at.tabs]:
        open_tab(at, label)
        yield label
