"""The Streamlit app: pages where a finance lead builds, solves and compares allocations.

``app.py`` at the repository root calls :func:`budgetopt.ui.app.main`; each page is a script in
``pages/`` that draws from the session's :class:`budgetopt.ui.state.Workspace`. All the logic is in
the package (the solve, the analyses, the exports); the pages only lay it out.
"""
