"""Accessibility statement: how the app meets WCAG 2.2 AA, what is known not to, and how to
report a problem."""

import streamlit as st

st.title("Accessibility")
st.markdown("""
This statement is about the budgetopt app: the Data, Rules, Results, Trade-offs and Scenarios
pages. We want as many people as possible to be able to use it. You should be able to:

- move through every page and control with a keyboard alone, with the focus always visible
  (a dark outline on a yellow halo);
- zoom to 200% and read every page at 1366 pixels wide without scrolling sideways for text;
- use a screen reader: every page has its own title and heading, every switch and field its
  own name, and every chart a title, axis names and the table of its figures beside it;
- read every figure with its unit (£m, %, WTE, the metric's own unit) and a sentence saying
  what it means.

**How accessible the app is.** It aims to meet the Web Content Accessibility Guidelines (WCAG)
2.2 at level AA. Every page is checked in the browser tests with axe-core (WCAG 2.0, 2.1 and
2.2 A and AA rules) and must show no serious or critical problem; text has a contrast of at
least 4.5:1, and chart text is near black on white. Nothing is fetched from outside the
machine the app runs on.

**Known limits.**

- Charts are pictures for a screen reader beyond their titles and axes: the same figures are
  in the tables under each chart (Results: by service, by place, outcomes; Trade-offs: the
  numbers under each chart).
- Some chart colours (the Okabe-Ito palette, chosen to be told apart with colour-blindness)
  have less than 3:1 contrast against white for thin lines; the tables give the same figures.
- Editable tables (the Data page and the Rules page's lists) are grids: a screen reader reads
  them cell by cell, and the YAML editor on the Rules page is a plain-text alternative for
  every rule.

**Reporting a problem.** Tell the team that runs this app for your ICS what you were trying to
do, on which page, and with what (browser, screen reader, magnifier). Problems found are fixed
in the open issue list of the project.

This statement was prepared in December 2026 from the automated checks in the test suite and
manual checks with a keyboard at 1366 and 1920 pixels wide.
""")
