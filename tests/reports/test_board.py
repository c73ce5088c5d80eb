"""The board paper: a tagged PDF of 4-10 pages whose headline figures are the solve's.

The PDF tests print real papers with the system's Chromium (through Playwright) and read them
back with pypdf; every page is also rendered to PNG (pdftoppm) in test-artifacts/board-paper/
to be looked at. The content tests (money flows, HWB pools, sections that appear when their
analyses exist) need no browser.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from budgetopt.analyses.board import Analyses
from budgetopt.api import build
from budgetopt.cli import app
from budgetopt.data.dataset import load_dataset, write_dataset
from budgetopt.data.example import example_tables
from budgetopt.errors import BudgetoptError
from budgetopt.policy import load_policy
from budgetopt.reports import charts
from budgetopt.reports.board import board_paper, find_chromium, render_html
from budgetopt.reports.board.paper import Figure, Table, gbp_m, number, percent
from budgetopt.reports.board.render import unbroken

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "inputs" / "example"
DEFAULT = ROOT / "models" / "default.yaml"
PAGES_DIR = ROOT / "test-artifacts" / "board-paper"
TITLE = "The pooled budget, 2026/27 to 2028/29"

pypdf = pytest.importorskip("pypdf")


def _chromium() -> str | None:
    try:
        return find_chromium()
    except BudgetoptError:
        return None


needs_chromium = pytest.mark.skipif(_chromium() is None, reason="Chromium is not installed: "
                                    "`make system` installs it")


def pdf_text(path: Path) -> str:
    """The PDF's text in reading order as a reader would copy it: ligatures as letters,
    whitespace collapsed, words broken at a hyphen by the line end joined."""
    reader = pypdf.PdfReader(path)
    text = " ".join(page.extract_text() or "" for page in reader.pages)
    text = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text))
    return re.sub(r"(?<=\w)- (?=[a-z])", "-", text)


def structure(path: Path) -> list[tuple[str, str | None]]:
    """The tagged PDF's structure elements in reading order: (role, alt text)."""
    root = pypdf.PdfReader(path).trailer["/Root"]
    out: list[tuple[str, str | None]] = []

    def walk(node) -> None:
        node = node.get_object()
        if isinstance(node, list):
            for child in node:
                walk(child)
            return
        if not hasattr(node, "get"):
            return
        if "/S" in node:
            out.append((str(node["/S"]), node.get("/Alt")))
        if "/K" in node:
            walk(node["/K"])

    walk(root["/StructTreeRoot"])
    return out


def solve_cli(*args: str) -> tuple[int, str]:
    done = CliRunner().invoke(app, ["solve", *map(str, args)])
    return done.exit_code, done.output


@pytest.fixture(scope="module")
def paper(tmp_path_factory):
    """The example's board paper under default.yaml, with its analyses, and the JSON."""
    out = tmp_path_factory.mktemp("board")
    pdf, result = out / "board.pdf", out / "result.json"
    code, output = solve_cli(EXAMPLE, "--model", DEFAULT, "--pdf", pdf, "--json", result,
                             "--quiet")
    assert code == 0, output
    return out, pdf, json.loads(result.read_text(encoding="utf-8"))


@pytest.mark.slow
@needs_chromium
def test_the_paper_has_4_to_10_pages_a_title_a_language_tags_and_an_outline(paper):
    out, pdf, _ = paper
    reader = pypdf.PdfReader(pdf)
    assert 4 <= len(reader.pages) <= 10  # every shipped model's: the test below
    assert reader.metadata.title == "Board paper: the pooled budget, 2026/27 to 2028/29"
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "en-GB"
    assert bool(root["/MarkInfo"]["/Marked"])
    assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"])
    def titles(items) -> list[str]:
        return [t for i in items for t in (titles(i) if isinstance(i, list) else [i.title])]

    outline = titles(reader.outline)
    assert outline[0] == TITLE
    assert "1. Where the money goes" in outline and "5. The risks" in outline
    assert sorted(p.name for p in out.iterdir()) == ["board.pdf", "result.json"]


@pytest.mark.slow
@needs_chromium
def test_the_headline_figures_are_the_solves(paper):
    _, pdf, result = paper
    text = pdf_text(pdf)
    assert f"It buys {result['objective']:,.0f} weighted outcomes" in text
    assert f"today's allocation: {result['baseline_objective']:,.0f}" in text
    spend = pd.DataFrame(result["allocation"]).groupby("year", sort=False)[
        ["spend_m", "baseline_m"]].sum()
    for year, row in spend.iterrows():  # to the £0.1m the paper prints
        shown = re.search(rf"Spend in {year} £([\d,.]+)m of £[\d,.]+m available \(today "
                          r"£([\d,.]+)m\)", text)
        assert float(shown[1].replace(",", "")) == pytest.approx(row.spend_m, abs=0.051)
        assert float(shown[2].replace(",", "")) == pytest.approx(row.baseline_m, abs=0.051)
    moved = pd.DataFrame(result["allocation"]).groupby("service_id")["change_m"].sum()
    names = dict(zip(example_tables()["services"]["service_id"],
                     example_tables()["services"]["name"]))
    assert f"led by {names[moved.idxmax()]} (+£{moved.max():,.1f}m)" in text
    for label in ("What moves.", "What it buys.", "What it costs."):
        assert label in text
    assert result["provenance"]["data_hash"] in text.replace(" ", "")


@pytest.mark.slow
@needs_chromium
def test_every_figure_is_numbered_captioned_and_has_alt_text(paper):
    _, pdf, _ = paper
    text = pdf_text(pdf)
    numbers = [int(n) for n in re.findall(r"Figure (\d+)\. ", text)]
    assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) >= 8
    for caption in ("Today's spend (top) and the plan's (below)", "Spend by sector over",
                    "The best outcome the rules allow at each first-year budget",
                    "How this plan's outcome varies over 1,000 samples",
                    "The central-estimate plan and the robust plan"):
        assert caption in text
    figures = [alt for role, alt in structure(pdf) if role == "/Figure" and alt]
    assert len(figures) == len(numbers)
    assert all(len(alt) > 40 for alt in figures)


@pytest.mark.slow
@needs_chromium
def test_the_reading_order_follows_the_paper(paper):
    _, pdf, _ = paper
    text = pdf_text(pdf)
    headings = ["The decision asked for", "The recommendation", "1. Where the money goes",
                "2. The allocation against today", "3. What each rule costs",
                "4. The trade-offs", "5. The risks", "Appendix: assumptions and provenance"]
    at = [text.index(h) for h in headings]
    assert at == sorted(at)
    roles = [role for role, _ in structure(pdf)]
    assert roles[0] == "/Document" and roles.index("/H1") < roles.index("/H2")


def render_pages(pdf: Path, folder: Path) -> None:
    """Every page of `pdf` as `folder`/page-N.png (60 dpi) to be looked at; none nearly blank
    (the last may hold only the end of the appendix)."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("page-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf), str(folder / "page")],
                   check=True, timeout=120)
    pages = sorted(folder.glob("page-*.png"))
    assert len(pages) == len(pypdf.PdfReader(pdf).pages)
    for page in pages:
        ink = np.asarray(Image.open(page).convert("L")) < 200
        least = 0.003 if page == pages[-1] else 0.01
        assert ink.mean() > least, f"{folder.name}/{page.name} is nearly blank"


needs_pdftoppm = pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm "
                                    "(poppler-utils) is not installed: `make system` installs it")


@pytest.mark.slow
@needs_chromium
@needs_pdftoppm
def test_every_page_is_rendered_for_a_person_to_look_at(paper):
    render_pages(paper[1], PAGES_DIR)


MODELS = sorted(p.stem for p in (ROOT / "models").glob("*.yaml"))


@pytest.mark.slow
@needs_chromium
@needs_pdftoppm
@pytest.mark.parametrize("model", MODELS)
def test_every_shipped_models_paper_has_4_to_10_pages_with_and_without_analyses(
        model, request, tmp_path):
    """On the example, with the analyses `solve --pdf` runs and with none: 4-10 pages each,
    every page rendered to test-artifacts/board-paper/MODEL-with|without/ to be looked at.
    default.yaml's paper with analyses is the module's (made by the command line)."""
    from budgetopt.analyses.board import run_analyses
    from budgetopt.reports.board import write_board_paper

    inputs = load_dataset(EXAMPLE)
    policy = load_policy(ROOT / "models" / f"{model}.yaml")
    results = build(inputs, policy).results()
    assert results.optimal
    if model == "default":
        made = request.getfixturevalue("paper")[1]
    else:
        made = write_board_paper(results, inputs, policy, tmp_path / "with.pdf",
                                 run_analyses(inputs, policy, robust=True))
    bare = write_board_paper(results, inputs, policy, tmp_path / "without.pdf")
    for name, pdf in (("with", made), ("without", bare)):
        pages = len(pypdf.PdfReader(pdf).pages)
        assert 4 <= pages <= 10, f"{model}, {name} analyses: {pages} pages"
        render_pages(pdf, PAGES_DIR / f"{model}-{name}")
    assert "Left out of this paper (7 parts; see the appendix)" in pdf_text(bare)


@pytest.mark.slow
@needs_chromium
def test_without_analyses_the_paper_says_which_sections_are_left_out(tmp_path):
    pdf = tmp_path / "board.pdf"
    code, output = solve_cli(EXAMPLE, "--model", DEFAULT, "--pdf", pdf, "--no-analyses",
                             "--quiet")
    assert code == 0, output
    text = pdf_text(pdf)
    assert 4 <= len(pypdf.PdfReader(pdf).pages) <= 10
    assert "Left out of this paper (7 parts; see the appendix)" in text
    for section in ("The price of each rule", "What each budget buys: the budget curve",
                    "Health gain against equity: the Pareto frontier",
                    "The spread of the outcome: Monte Carlo",
                    "The robust plan against the central one",
                    "Which evidence gap is worth closing: the value of information"):
        assert f"Left out: {section} (this paper was made with --no-analyses)." in text
    assert "Figure 1. Today's spend (top) and the plan's" in text  # the solve's own sections stay


@pytest.mark.slow
@needs_chromium
def test_input_text_is_printed_as_typed_never_as_markup(tmp_path):
    tables = example_tables()
    hostile = {"FRAILTY": "<b>Frailty</b> **unit** =HYPERLINK(\"http://x\")",
               "EHCH": "<script>alert(1)</script> & [link](http://x)"}
    services = tables["services"]
    services["name"] = [hostile.get(s, n) for s, n in zip(services["service_id"],
                                                           services["name"])]
    funding = tables["funding"]
    funding.loc[funding["source_id"] == "DFG_SHIRE", "name"] = "<i>DFG</i> @SUM(A1)"
    write_dataset(tables, tmp_path / "data")
    pdf = tmp_path / "board.pdf"
    code, output = solve_cli(tmp_path / "data", "--model", DEFAULT, "--pdf", pdf,
                             "--no-analyses", "--quiet")
    assert code == 0, output
    text = pdf_text(pdf)
    for name in hostile.values():
        assert name in text
    inputs = load_dataset(tmp_path / "data")
    policy = load_policy(DEFAULT)
    html = render_html(board_paper(build(inputs, policy).results(), inputs, policy))
    assert "<script>alert" not in html and "<b>Frailty" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; [link](http://x)" in html


@pytest.mark.slow
@needs_chromium
def test_an_infeasible_plan_gets_a_paper_that_says_so(tmp_path):
    pdf = tmp_path / "board.pdf"
    code, output = solve_cli(EXAMPLE, "--pdf", pdf, "--set", "budget_m=80", "--quiet")
    assert code == 1, output
    text = pdf_text(pdf)
    assert "no allocation of the pooled budget for 2026/27 to 2028/29 meets every rule" in text
    assert "Why there is no plan to approve" in text
    assert "Minimum spend on Residential and nursing placements in 2026/27" in text


def test_a_missing_chromium_is_named_and_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.setenv("BUDGETOPT_CHROMIUM", str(tmp_path / "no-such-chromium"))
    pdf, result = tmp_path / "out" / "board.pdf", tmp_path / "out" / "result.json"
    pdf.parent.mkdir()
    code, output = solve_cli(EXAMPLE, "--pdf", pdf, "--json", result, "--no-analyses",
                             "--quiet")
    assert code == 3
    assert "$BUDGETOPT_CHROMIUM names" in output and "Traceback" not in output
    assert list(pdf.parent.iterdir()) == []  # all or nothing: not even the JSON
    monkeypatch.delenv("BUDGETOPT_CHROMIUM")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BudgetoptError, match="no Chromium was found.*make system"):
        find_chromium()


@pytest.mark.slow
@needs_chromium
def test_scenario_export_writes_a_stored_scenarios_board_paper(tmp_path):
    runner = CliRunner()
    saved = runner.invoke(app, ["scenario", "save", str(EXAMPLE), "--name", "Board <draft>",
                                "--model", str(DEFAULT)])
    assert saved.exit_code == 0, saved.output
    pdf = tmp_path / "board.pdf"
    done = runner.invoke(app, ["scenario", "export", "Board <draft>", "--pdf", str(pdf),
                               "--no-analyses"])
    assert done.exit_code == 0, done.output
    text = pdf_text(pdf)
    assert "Scenario: Board <draft>@1" in text and "Policy model: Default" in text


# -- content, without a browser ---------------------------------------------------------------


@pytest.fixture(scope="module")
def solved():
    policy = load_policy(DEFAULT)
    inputs = load_dataset(EXAMPLE)
    return inputs, policy, build(inputs, policy).results()


def test_money_flows_add_up_today_and_in_the_plan(solved):
    inputs, policy, res = solved
    money = charts.money_available(inputs, policy)
    links = charts.money_flow_links(res.allocation, res.funding_flows, money, inputs.places)
    plan, today = links["plan"], links["today"]
    into = plan[plan["target"].str.startswith("service:")].groupby("target")["value_m"].sum()
    spend = res.allocation.groupby("service_id")["spend_m"].sum()
    spend = spend[spend > 0.005]
    assert into.rename(lambda k: k.split(":", 1)[1]).sort_index().to_numpy() == pytest.approx(
        spend.sort_index().to_numpy())
    out_of = plan[plan["source"].str.startswith("source:")].groupby("source")["value_m"].sum()
    stream = charts._stream_of(money)  # with HWBs, one node per funding stream
    available = money.assign(source_id=money["source_id"].map(stream)).groupby(
        "source_id")["amount_m"].sum()
    for key, value in out_of.items():  # spent and not spent: all the stream's money
        assert value == pytest.approx(available[key.split(":", 1)[1]])
    base = today[today["target"].str.startswith("service:")]["value_m"].sum()
    assert base == pytest.approx(res.allocation["baseline_m"].sum())
    pools = today[today["source"].str.startswith("pool:")]["value_m"].sum()
    assert pools == pytest.approx(base)


def test_hwb_pools_appear_as_a_level_of_their_own(solved):
    """The example's three Health and Wellbeing Boards: each pool its own node, the ICS-wide
    transformation fund another."""
    inputs, policy, res = solved
    money = charts.money_available(inputs, policy)
    links = charts.money_flow_links(res.allocation, res.funding_flows, money, inputs.places)
    plan, today = links["plan"], links["today"]
    stream = charts._stream_of(money)
    assert "pool:SHIRE" in set(plan.loc[plan["source"] == f"source:{stream['DFG_SHIRE']}",
                                        "target"])
    assert set(plan.loc[plan["source"] == f"source:{stream['TRANSFORM']}", "target"]) == {
        "pool:"}
    boards = {"pool:SHIRE", "pool:EASTBROOK", "pool:HARBOUR"}
    assert boards == set(today["source"]) & boards
    in_shire = res.allocation[res.allocation["place_id"].isin(["NORTHGATE", "RIVERSIDE",
                                                               "WOLDS"])]
    assert today.loc[today["source"] == "pool:SHIRE", "value_m"].sum() == pytest.approx(
        in_shire["baseline_m"].sum())
    fig = charts.money_flow(res.allocation, res.funding_flows, money, inputs.places)
    texts = [a.text for a in fig.layout.annotations]
    assert "<b>The plan: source → HWB pool → sector → service</b>" in texts
    assert any(t.startswith("HWB SHIRE") for t in texts) and any(
        t.startswith("ICS-wide money") for t in texts)
    paper = board_paper(res, inputs, policy)
    blocks = [b for s in paper.sections for b in s.blocks]
    assert "hwb" in [b.key for b in blocks if isinstance(b, Figure)]
    table = next(b for b in blocks if isinstance(b, Table)
                 and b.header[0] == "Health and Wellbeing Board")
    assert sorted(r[0] for r in table.rows) == ["EASTBROOK", "HARBOUR", "SHIRE"]


def test_flexibility_and_evidence_sections_appear_when_their_analyses_exist(solved):
    """Frames in the contract's CSV shapes (MODEL.md: flexibility.csv, evpi.csv), made up for
    the test: the paper shows them as figures with sentences and stops listing them as left
    out."""
    inputs, policy, res = solved
    first = res.allocation[res.allocation["year"] == "2026/27"].groupby("service_id")[
        "spend_m"].sum()
    flex = pd.DataFrame({"service_id": first.index, "year": "2026/27", "spend_m": first.values,
                         "min_m": first.values * 0.9, "max_m": first.values * 1.2})
    flex.loc[flex["service_id"] == "RESPLACE", "max_m"] = 60.0
    evpi = pd.DataFrame({"service_id": ["ALL", "VWARD", "FALLS"], "evppi": [120.0, 80.0, 5.0]})
    paper = board_paper(res, inputs, policy, Analyses(flexibility=flex, evpi=evpi))
    keys = [b.key for b in paper.figures]
    assert "flexibility" in keys and "evpi" in keys
    words = " ".join(t for s in paper.sections for b in s.blocks if isinstance(b, list)
                     for t in b)
    low = float(first["RESPLACE"]) * 0.9
    assert f"Residential and nursing placements (£{low:.1f}m to £60.0m)" in words
    assert "Perfect information on every effect would be worth 120.0 weighted outcomes" in words
    assert "Virtual wards (hospital at home) (80.0)" in words
    left_out = " ".join(what for what, _ in paper.omitted)
    assert "Flexibility" not in left_out and "evidence gap" not in left_out
    assert "The price of each rule" in left_out  # not given: still named


def test_chart_labels_show_input_text_literally():
    alloc = pd.DataFrame({"name": ["<b>A</b> & B"], "change_m": [2.0]})
    fig = charts.change_by_service(alloc)
    assert list(fig.data[0].y) == ["&lt;b&gt;A&lt;/b&gt; &amp; B"]


def test_numbers_in_words():
    assert gbp_m(-1.26) == "−£1.3m" and gbp_m(12.04, sign=True) == "+£12.0m"
    assert gbp_m(0.04, sign=True) == "£0.0m"
    assert number(1234.6) == "1,235" and number(-0.2) == "0" and number(5, sign=True) == "+5"
    assert percent(0.0423, sign=True) == "+4.2%" and percent(-0.0004) == "0.0%"
    held = str(unbroken("cut <b>x</b> by −£1.5m, +4.2% (see --no-analyses)"))
    assert held == ('cut &lt;b&gt;x&lt;/b&gt; by <span class="nb">−£1.5m</span>, '
                    '<span class="nb">+4.2%</span> (see <span class="nb">--no-analyses</span>)')
