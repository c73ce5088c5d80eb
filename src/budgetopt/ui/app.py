"""The app's frame: page set-up, navigation, the sidebar, and errors shown as plain messages."""

from __future__ import annotations

import logging
from pathlib import Path

import streamlit as st

from budgetopt import __version__
from budgetopt.errors import InputError
from budgetopt.ui.state import MODELS_KEY, workspace
from budgetopt.ui.widgets import md_text, show_problems

PAGES_DIR = Path(__file__).resolve().parent / "pages"
PAGES = (  # file, title, icon
    ("data.py", "Data", ":material/table:"),
    ("rules.py", "Rules", ":material/rule:"),
    ("results.py", "Results", ":material/insights:"),
    ("tradeoffs.py", "Trade-offs", ":material/balance:"),
    ("scenarios.py", "Scenarios", ":material/folder_open:"),
)

log = logging.getLogger("budgetopt.ui")


def _sidebar() -> None:
    ws = workspace()
    with st.sidebar:
        st.markdown(f"**Data:** {md_text(ws.label)}")
        st.markdown(f"**Policy model:** {md_text(ws.policy.name)}")
        if ws.overrides:
            st.caption("Changed: " + md_text(", ".join(f"{k} = {v}"
                                                       for k, v in ws.overrides.items())))
        st.caption(f"budgetopt {__version__} · Pyomo + HiGHS")


def main(models_dir: Path) -> None:
    """Run the app (called by ``app.py`` on every rerun)."""
    st.set_page_config(page_title="budgetopt: the public pound", page_icon=":material/balance:",
                       layout="wide")
    st.session_state.setdefault(MODELS_KEY, str(models_dir))
    pages = [st.Page(PAGES_DIR / f, title=t, icon=i, default=(f == "results.py"))
             for f, t, i in PAGES]
    page = st.navigation(pages)
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
