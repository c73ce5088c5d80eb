"""What the app shows of a data set: its name at once, edits the data overrides flagged, and
input text (names, values, the uploaded file's name) never rendered as markdown."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from streamlit.testing.v1 import AppTest

from budgetopt.data.example import example_tables
from budgetopt.ui.state import KEY, Workspace
from budgetopt.ui.widgets import md_text
from tests.apptest import each_tab

ROOT = Path(__file__).resolve().parents[2]
PAGES = "src/budgetopt/ui/pages/"
HOSTILE = "**Bold** [a link](https://evil.test/x) ![img](https://evil.test/i.png) _it_ <b>x</b>"
FILE_NAME = "[plan](https://evil.test)**2026**.xlsx"

# The hostile text's markdown, as it would be if it rendered: emphasis, a link, an image.
_RENDERS = re.compile(r"\*\*(Bold|2026|Policy)\*\*|\]\(https|(?<!\\)!\[img")


def _workbook(tables) -> bytes:
    from budgetopt.data.dataset import write_dataset

    with tempfile.TemporaryDirectory() as tmp:
        return write_dataset(tables, Path(tmp) / "d.xlsx").read_bytes()


def _hostile_tables():
    tables = {k: v.copy() for k, v in example_tables().items() if k != "notes"}
    tables["services"].loc[0, "name"] = HOSTILE
    return tables


def _shown_text(at: AppTest) -> list[str]:
    out = []
    for kind in ("markdown", "caption", "error", "warning", "info", "success", "subheader",
                 "title"):
        out += [e.value for e in getattr(at, kind)]
    for table in at.table:  # st.table renders its cells (and headers) as markdown too
        frame = table.value
        out += [str(c) for c in frame.columns] + [str(i) for i in frame.index]
        out += [str(v) for v in frame.to_numpy().ravel()]
    return [str(v) for v in out]


def test_md_text_escapes_every_markdown_sign():
    assert not _RENDERS.search(md_text(HOSTILE))
    assert _RENDERS.search(HOSTILE)  # the check itself can fail


def test_md_text_keeps_bare_addresses_from_becoming_links():
    """GitHub-flavoured markdown links a bare address found in the text after the escapes are
    read, so `md_text` breaks the patterns it looks for with an invisible word joiner."""
    autolink = re.compile(r"https?://|www\.|\w@\w", re.IGNORECASE)
    for text in ("see http://127.0.0.1:9/x", "HTTPS://evil.test", "WWW.evil.test",
                 "ask ada@evil.test"):
        assert autolink.search(text)
        shown = md_text(text)
        assert not autolink.search(shown.replace("\\", "")), shown
        assert shown.replace("\u2060", "").replace("\\", "") == text  # reads as typed
    assert "\u2060" not in md_text("Default@1 at 10:30")  # no address: nothing added


def test_input_text_is_never_rendered_as_markdown_on_any_page():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    ws: Workspace = at.session_state[KEY]
    ws.use_upload(FILE_NAME, _workbook(_hostile_tables()))
    assert not ws.problems and ws.label == FILE_NAME
    ws.policy = ws.policy.model_copy(update={"name": "**Policy** [x](https://evil.test)"})
    for page in ("data.py", "rules.py", "results.py", "tradeoffs.py", "scenarios.py"):
        at.switch_page(PAGES + page).run()
        assert not at.exception, page
        shown = _shown_text(at)
        if page == "results.py":  # every tab's text: only the open tab's is drawn
            for tab in each_tab(at):
                assert not at.exception, tab
                shown += _shown_text(at)
        assert any("evil" in t for t in shown) or page in ("tradeoffs.py", "scenarios.py",
                                                            "rules.py"), page
        bad = [t for t in shown if _RENDERS.search(t)]
        assert not bad, (page, bad)
    # the sidebar names the data set (escaped)
    assert any(md_text(FILE_NAME) in t for t in (m.value for m in at.sidebar.markdown))


def test_a_successful_upload_names_the_data_set_with_a_success_message():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    ws: Workspace = at.session_state[KEY]
    tables = {k: v.copy() for k, v in example_tables().items() if k != "notes"}
    ws.use_upload("north-ics.xlsx", _workbook(tables))
    at.switch_page(PAGES + "data.py").run()
    assert not at.exception and not at.error
    (ok,) = at.success
    assert "Now using 'north-ics.xlsx'" in ok.value.replace("\\", "")
    assert "24 services, 5 places" in ok.value
    assert next(m.value for m in at.metric if m.label == "Data set") == md_text("north-ics.xlsx")
    at.run()
    assert not at.success  # said once


def test_an_edit_the_data_overrides_is_flagged_where_it_is_made():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page(PAGES + "data.py").run()
    warnings = [w.value for w in at.warning]
    assert any("baseline table" in w and "baseline_m" in w for w in warnings)
    at.switch_page(PAGES + "rules.py").run()
    next(n for n in at.number_input if n.label.startswith("Pooled budget")).set_value(220.0).run()
    at.switch_page(PAGES + "data.py").run()
    assert any("sets the budget to £220.0m" in w.value for w in at.warning)
