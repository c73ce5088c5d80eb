"""The app's frame: page set-up, navigation, the sidebar, and errors shown as plain messages."""

from __future__ import annotations

import logging
from pathlib import Path

import streamlit as st

from budgetopt import __version__
from budgetopt.errors import InputError
from budgetopt.ui.state import MODELS_KEY, workspace
from budgetopt.ui.widgets import md_text, overrides_words, show_problems

PAGES_DIR = Path(__file__).resolve().parent / "pages"
PAGES = (  # file, title
    ("data.py", "Data"),
    ("rules.py", "Rules"),
    ("results.py", "Results"),
    ("tradeoffs.py", "Trade-offs"),
    ("scenarios.py", "Scenarios"),
    ("accessibility.py", "Accessibility"),
)
FAVICON = Path(__file__).resolve().parent / "static" / "favicon.png"
"""The browser tab's icon, served by the app itself (nothing is fetched from outside)."""

# Keyboard focus a person can see (WCAG 2.2 AA 2.4.7, 2.4.11): a thick dark outline on a
# yellow halo, unlike the pale highlight of the current page in the navigation. Static CSS
# of the app's own: no input text ever reaches it.
FOCUS_CSS = """
<style>
:focus-visible, [data-baseweb] :focus-visible, a:focus-visible, button:focus-visible,
[role="tab"]:focus-visible, [role="switch"]:focus-visible, input:focus-visible {
  outline: 3px solid #0b0c0c !important;
  outline-offset: 2px !important;
  box-shadow: 0 0 0 5px #ffdd00 !important;
}
[data-testid="stSidebarNav"] a[aria-current="page"] { font-weight: 700; }
/* captions and help text at 7:1 on white, not the theme's 3.9:1 grey */
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p,
[data-testid="stWidgetLabel"] small { color: #595959 !important; opacity: 1 !important; }
</style>
"""

log = logging.getLogger("budgetopt.ui")


def _sidebar() -> None:
    ws = workspace()
    with st.sidebar:
        st.markdown(f"**Data:** {md_text(ws.label)}")
        st.markdown(f"**Policy model:** {md_text(ws.policy.name)}")
        if ws.overrides and ws.inputs is not None:
            st.caption("Changed: " + md_text(overrides_words(ws.overrides, ws.inputs.years[0])))
        st.caption(f"budgetopt {__version__} · Pyomo + HiGHS")


def main(models_dir: Path) -> None:
    """Run the app (called by ``app.py`` on every rerun)."""
    st.session_state.setdefault(MODELS_KEY, str(models_dir))
    # no page icons: a page's icon becomes the browser tab's icon, fetched from a font server
    pages = [st.Page(PAGES_DIR / f, title=t, default=(f == "results.py")) for f, t in PAGES]
    page = st.navigation(pages)
    # each page its own browser title (WCAG 2.4.2)
    st.set_page_config(page_title=f"{page.title} · budgetopt: the public pound",
                       page_icon=str(FAVICON), layout="wide")
    st.html(FOCUS_CSS)
    try:
        _sidebar()
        page.run()
    except InputError as err:  # a bad policy or override typed in a page
        show_problems(err.title, err.problems)
    except Exception:  # never a traceback on screen: say what happened, log the detail
        log.exception("page %s failed", page.title)
        st.error("Something went wrong on this page and it could not be shown. Your data and "
                 "settings are kept: go back to the Data or Rules page and check the last change. "
                 "(The details are in the server log.)")
