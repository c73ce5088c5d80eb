"""The app end to end: a real Streamlit server and a real headless Chromium (Playwright).

The test starts ``streamlit run app.py`` on a free loopback port and stops it afterwards. The
browser is Debian's Chromium (installed by scripts/setup-system.sh), never a downloaded one.
Screenshots of every page are saved in test-artifacts/screenshots/: look at them, they are
what a finance lead sees.
"""

from __future__ import annotations

import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]

playwright_api = pytest.importorskip("playwright.sync_api")
if not Path(CHROMIUM).exists():
    pytest.fail(f"Chromium not found at {CHROMIUM}: run `make system` (scripts/setup-system.sh)",
                pytrace=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = _free_port()
    store = tmp_path_factory.mktemp("e2e-store") / "scenarios.db"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "BUDGETOPT_DB_URL": f"sqlite:///{store}"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--server.headless", "true", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180  # generous: a loaded machine starts slowly
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
                pytest.fail(f"the app did not start:\n{out[-3000:]}")
            time.sleep(0.5)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    ctx = browser.new_context(viewport={"width": 1366, "height": 900}, accept_downloads=True)
    pg = ctx.new_page()
    pg.set_default_timeout(180_000)  # every wait is on a condition; this is its deadline
    pg.goto(server)
    yield pg
    ctx.close()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(500)  # let charts draw
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def go(page, title: str) -> None:
    page.get_by_role("link", name=title, exact=True).first.click()
    page.get_by_role("heading", name=title, exact=True).first.wait_for()


def wait_idle(page) -> None:
    """Until Streamlit has finished the current run: its status widget shows (if the run is
    not over already), then goes; no fixed sleep, so a loaded machine only waits longer."""
    status = "[data-testid=\"stStatusWidget\"]"
    try:
        page.wait_for_selector(status, state="attached", timeout=5_000)
    except playwright_api.TimeoutError:
        pass  # the run was over before we looked
    page.wait_for_function(f"() => !document.querySelector('{status}')", timeout=180_000)


def set_budget(page, value: float) -> None:
    box = page.get_by_role("spinbutton", name="Pooled budget in 2026/27 (£m)")
    box.fill(str(value))
    box.press("Enter")
    wait_idle(page)


def test_a_finance_lead_solves_changes_saves_compares_and_downloads(page, tmp_path):
    # The app opens on the solved example.
    page.get_by_text("791,272").first.wait_for()
    page.get_by_test_id("stMetricValue").filter(has_text="Optimal").first.wait_for()
    shot(page, "1-results")

    # Rules: cut the budget to £200m; the results follow.
    go(page, "Rules")
    shot(page, "2-rules")
    set_budget(page, 200)
    go(page, "Results")
    page.get_by_text("£200.0m").first.wait_for()

    # Scenarios: save it, restore the budget, save again, compare.
    go(page, "Scenarios")
    page.get_by_role("textbox", name="Name", exact=True).fill("Cut to 200")
    page.get_by_role("button", name="Save the current answer").click()
    page.get_by_text("Saved 'Cut to 200'").wait_for()
    go(page, "Rules")
    set_budget(page, 245)
    go(page, "Scenarios")
    page.get_by_role("textbox", name="Name", exact=True).fill("As planned")
    page.get_by_role("button", name="Save the current answer").click()
    page.get_by_text("Saved 'As planned'").wait_for()
    page.get_by_text("more weighted outcomes than Cut to 200").wait_for()
    shot(page, "5-scenarios")

    # Download the workbook and check it opens.
    with page.expect_download() as dl:
        page.get_by_role("button", name="Download the workbook (Excel)").click()
    path = tmp_path / "scenario.xlsx"
    dl.value.save_as(path)
    wb = load_workbook(path)
    assert len(wb.sheetnames) >= 3

    # Trade-offs: a five-point budget curve.
    go(page, "Trade-offs")
    page.get_by_role("button", name="Draw the budget curve").click()
    page.get_by_text("What each budget buys (optimal").first.wait_for()
    shot(page, "4-tradeoffs")


def test_a_bad_upload_shows_where_the_problem_is_and_the_session_survives(page, tmp_path):
    page.get_by_text("791,272").first.wait_for()
    go(page, "Data")
    shot(page, "3-data")
    wb = Workbook()
    ws = wb.active
    ws.title = "services"
    ws.append(["service_id", "name", "sector", "baseline_m"])
    ws.append(["A", "Service A", "hospital", -3])
    buf = io.BytesIO()
    wb.save(buf)
    bad = tmp_path / "mine.xlsx"
    bad.write_bytes(buf.getvalue())
    page.locator("input[type=file]").set_input_files(str(bad))
    page.get_by_text("was not used").wait_for()
    assert page.get_by_text("mine.xlsx › services").first.is_visible()
    shot(page, "3-data-bad-upload")
    go(page, "Results")
    page.get_by_text("791,272").first.wait_for()


def test_the_board_paper_downloads_from_the_results_page(page, tmp_path):
    """The Sankey tab draws, and the paper is printed by Chromium from the app's own server
    process (Playwright in a Streamlit script thread) and downloads as a PDF."""
    page.get_by_text("791,272").first.wait_for()
    page.get_by_role("tab", name="Where the money goes").click()
    page.get_by_text("Where the money goes over the plan").first.wait_for()
    shot(page, "6-where-the-money-goes")
    page.get_by_text("Include the trade-offs and risks").click()  # untick: a quick paper
    page.get_by_role("button", name="Make the board paper (PDF)").click()
    button = page.get_by_role("button", name="Download the board paper (PDF)")
    button.wait_for(timeout=180_000)
    with page.expect_download() as dl:
        button.click()
    path = tmp_path / "board.pdf"
    dl.value.save_as(path)
    assert path.read_bytes()[:5] == b"%PDF-"
    assert dl.value.suggested_filename.endswith("-board-paper.pdf")
