"""The scenario store on SQLite and on a real PostgreSQL server started by these tests.

Every store test runs on both back ends (``store_url`` is parametrised); the PostgreSQL leg
skips with its reason only when no server can be started on this machine.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

import budgetopt.store.db as store_mod
from budgetopt.api import build
from budgetopt.cli import app
from budgetopt.data.read import read_tables
from budgetopt.data.validate import validate
from budgetopt.policy import load_policy
from budgetopt.results.tables import Results
from budgetopt.store.db import DatasetContent, Store, StoreError, reproduces
from tests import pgserver
from tests.example_figures import objective

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "inputs" / "example"
MODELS = ROOT / "models"


# -- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def pg_admin():
    why = pgserver.unavailable()
    if why:
        pytest.skip(f"PostgreSQL leg skipped: {why}")
    with pgserver.postgres_server() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'scenarios.db'}"
    return pgserver.new_database(request.getfixturevalue("pg_admin"))


@pytest.fixture(scope="module")
def example():
    """The example ICS read once: its raw content, inputs, and two answers."""
    raw = read_tables(EXAMPLE)
    inputs = validate(raw)
    policy = load_policy(MODELS / "default.yaml")
    base = build(inputs, policy).results()
    tight = build(inputs, policy, ["budget_m=240"]).results()
    return {"content": DatasetContent.from_raw(raw, inputs), "inputs": inputs,
            "policy": policy, "base": base, "tight": tight}


def _save(store: Store, ex, name="Plan A", overrides=None, **kw):
    res = ex["tight"] if overrides else ex["base"]
    return store.save(name, ex["content"], ex["policy"], overrides or [], res, **kw)


def _counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    with engine.connect() as conn:
        out = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar()
               for t in ("budgetopt_scenarios", "budgetopt_datasets", "budgetopt_status_changes")}
    engine.dispose()
    return out


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- saving, versions, reading -----------------------------------------------------------------


def test_results_record_round_trip_is_exact(example):
    res = example["base"]
    again = Results.from_record(json.loads(json.dumps(res.to_record())))
    for name in Results._FRAMES:
        pd.testing.assert_frame_equal(getattr(res, name), getattr(again, name))
    assert again.to_json() == res.to_json()


def test_save_under_an_existing_name_makes_a_new_version(store_url, example):
    with Store(store_url) as store:
        first = _save(store, example, note="first go", author="Ada")
        second = _save(store, example, overrides=["budget_m=240"], note="tighter", author="Bo")
        assert (first.version, second.version) == (1, 2)
        assert store.get("Plan A").version == 2
        assert store.get("Plan A@1").note == "first go"
        old = store.get("Plan A", version=1)
        assert old.objective == pytest.approx(example["base"].objective, rel=1e-12)
        assert store.get("Plan A").overrides == ["budget_m=240"]
        listing = store.list()
        assert list(listing["name"]) == ["Plan A"] and listing["versions"].iloc[0] == 2
        assert len(store.list(all_versions=True)) == 2
    # the data set is stored once, by content
    assert _counts(store_url)["budgetopt_datasets"] == 1


def test_a_saved_scenario_keeps_everything_to_read_it_again(store_url, example):
    with Store(store_url) as store:
        sc = _save(store, example, note="why", author="Ada")
        assert sc.author == "Ada" and sc.note == "why" and sc.status == "draft"
        assert sc.data_hash == example["inputs"].data_hash
        assert sc.budgetopt_version and sc.solver_version and sc.python_version
        assert sc.policy() == example["policy"]
        stored = sc.results()
        pd.testing.assert_frame_equal(stored.constraints, example["base"].constraints)
        assert stored.infeasibility is None and stored.provenance["data_hash"] == sc.data_hash
        tables = store.dataset(sc.data_hash).frames()
        assert set(tables) >= {"services", "evidence", "funding", "baseline"}  # curves derived
        assert sc.created_at.tzinfo is not None


def test_rerun_reproduces_the_stored_answer(store_url, example):
    with Store(store_url) as store:
        _save(store, example, overrides=["budget_m=240"])
        sc, fresh = store.rerun("Plan A")
    assert reproduces(sc.results(), fresh) == []
    assert fresh.objective == pytest.approx(example["tight"].objective, rel=1e-9)
    # and the check can fail: a different answer is reported
    assert reproduces(sc.results(), example["base"])


def test_status_history_is_appended_never_replaced(store_url, example):
    with Store(store_url) as store:
        _save(store, example, author="Ada")
        store.set_status("Plan A", "proposed", by="Ada", note="to the board")
        sc = store.set_status("Plan A@1", "approved", by="ICB board", note="12 Nov")
        assert [h["status"] for h in sc.history] == ["draft", "proposed", "approved"]
        assert sc.history[-1]["changed_by"] == "ICB board" and sc.status == "approved"
        assert store.list()["status"].iloc[0] == "approved"
        with pytest.raises(StoreError, match="not one of"):
            store.set_status("Plan A", "signed")


def test_the_database_refuses_to_change_a_saved_scenario(store_url, example):
    with Store(store_url) as store:
        _save(store, example)
    engine = create_engine(store_url)
    for sql in ("UPDATE budgetopt_scenarios SET note = 'rewritten'",
                "DELETE FROM budgetopt_scenarios", "DELETE FROM budgetopt_datasets"):
        with pytest.raises(DBAPIError, match="immutable"), engine.begin() as conn:
            conn.execute(text(sql))
    engine.dispose()
    with Store(store_url) as store:
        assert store.get("Plan A").note == ""


def test_unknown_scenario_names_the_nearest(store_url, example):
    with Store(store_url) as store:
        _save(store, example, name="Shift left")
        with pytest.raises(StoreError, match="did you mean 'Shift left'"):
            store.get("Shift lft")
        with pytest.raises(StoreError, match="version 7"):
            store.get("Shift left@7")
        with pytest.raises(StoreError, match="ends in @<number>"):
            _save(store, example, name="Plan@2")


def test_a_failed_save_leaves_nothing_behind(store_url, example, monkeypatch):
    with Store(store_url) as store:
        _save(store, example)
        before = _counts(store_url)
        # the last write of a save (its status row) fails: a table that does not exist
        broken = store_mod.Table("budgetopt_missing", store_mod.MetaData(),
                                 *[store_mod.Column(c.name, c.type) for c in store_mod.status_table.columns])
        monkeypatch.setattr(store_mod, "status_table", broken)
        other = DatasetContent(example["content"].label, example["content"].tables, "f" * 64)
        with pytest.raises(DBAPIError):
            store.save("Plan B", other, example["policy"], [], example["base"])
    assert _counts(store_url) == before


# -- opening: new, foreign, corrupt, newer, older --------------------------------------------


def test_the_store_file_and_its_folder_are_made_on_first_use(tmp_path, example):
    path = tmp_path / "deep" / "folder" / "scenarios.db"
    with Store(path) as store:
        _save(store, example)
    assert path.exists()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.mark.parametrize("content", [b"name,amount\nA,1\n", b"SQLite format 3\x00" + b"\x07" * 5000],
                         ids=["text-file", "corrupt-sqlite"])
def test_a_file_that_is_not_a_store_is_refused_and_left_alone(tmp_path, content):
    path = tmp_path / "scenarios.db"
    path.write_bytes(content)
    before = _digest(path)
    with pytest.raises(StoreError) as err:
        Store(path)
    assert "left unchanged" in str(err.value)
    assert _digest(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scenarios.db"]


def test_someone_elses_database_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "finance.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER, amount REAL)")
    before = _digest(path)
    with pytest.raises(StoreError, match="not a budgetopt scenario store.*invoices"):
        Store(path)
    assert _digest(path) == before


def test_someone_elses_postgres_database_is_refused(pg_admin):
    url = pgserver.new_database(pg_admin)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE invoices (id integer)"))
    with pytest.raises(StoreError, match="invoices"):
        Store(url)
    with engine.connect() as conn:
        names = {r[0] for r in conn.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))}
    engine.dispose()
    assert names == {"invoices"}


def test_a_store_from_a_newer_budgetopt_is_refused(store_url, example):
    with Store(store_url) as store:
        _save(store, example)
    engine = create_engine(store_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE budgetopt_meta SET value = '99' WHERE key = 'schema_version'"))
    engine.dispose()
    with pytest.raises(StoreError, match="schema version 99.*newer budgetopt"):
        Store(store_url)


V1_STORE = ROOT / "tests" / "store" / "store-v1.sqlite"
"""A store made by budgetopt's schema version 1 (before Alembic): 'Plan A' on the tiny data
set, approved after being proposed."""
V1_TABLES = ("budgetopt_meta", "budgetopt_datasets", "budgetopt_scenarios",
             "budgetopt_status_changes")


def _v1_store(url: str) -> None:
    """At `url`, the schema-1 store of :data:`V1_STORE` as the previous budgetopt made it: the
    tables and triggers of revision 0001, no Alembic version table, every row copied."""
    source = create_engine(f"sqlite:///{V1_STORE}")
    target = create_engine(url)
    with target.begin() as conn:
        store_mod._alembic(conn, "0001")
        conn.execute(text(f"DROP TABLE {store_mod.VERSION_TABLE}"))
        with source.connect() as old:
            for name in V1_TABLES:
                table = store_mod.metadata.tables[name]
                rows = [dict(r) for r in old.execute(table.select()).mappings()]
                conn.execute(table.insert(), rows)
        if conn.dialect.name == "postgresql":  # ids were copied: move the sequences on
            for name in ("budgetopt_scenarios", "budgetopt_status_changes"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                  f"(SELECT max(id) FROM {name}))"))
    source.dispose()
    target.dispose()


def _schema_version(url: str) -> tuple[str, str | None]:
    engine = create_engine(url)
    with engine.connect() as conn:
        meta = conn.execute(text("SELECT value FROM budgetopt_meta WHERE key = "
                                 "'schema_version'")).scalar()
        alembic = conn.execute(text(f"SELECT version_num FROM {store_mod.VERSION_TABLE}")
                               ).scalar()
    engine.dispose()
    return meta, alembic


def _approved_plan_a_is_intact(store: Store) -> None:
    sc = store.get("Plan A@1")
    assert (sc.version, sc.author, sc.note) == (1, "finance lead", "made by schema version 1")
    assert [h["status"] for h in sc.history] == ["draft", "proposed", "approved"]
    assert sc.results().optimal and store.dataset(sc.data_hash).inputs() is not None


def test_the_schema_1_store_file_is_what_version_1_made(tmp_path):
    """The fixture is a real schema-1 file: its tables and triggers are revision 0001's."""
    def ddl(path: Path) -> set[str]:
        with sqlite3.connect(path) as conn:
            return {" ".join(r[0].split()) for r in conn.execute(
                "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE "
                "'budgetopt_alembic%'")}

    made = tmp_path / "made.db"
    _v1_store(f"sqlite:///{made}")
    assert ddl(made) == ddl(V1_STORE)


def test_a_store_made_by_the_previous_schema_is_upgraded_by_alembic(store_url, example):
    if store_url.startswith("sqlite"):  # the very file schema 1 wrote
        path = Path(store_url.removeprefix("sqlite:///"))
        path.write_bytes(V1_STORE.read_bytes())
    else:
        _v1_store(store_url)
    with pytest.raises(DBAPIError):  # the old tables exist, the old store has no Alembic table
        _schema_version(store_url)
    with Store(store_url) as store:
        _approved_plan_a_is_intact(store)
        assert store.save("Plan A", example["content"], example["policy"], [],
                          example["base"]).version == 2
    assert _schema_version(store_url) == (str(store_mod.SCHEMA_VERSION),
                                          f"{store_mod.SCHEMA_VERSION:04d}")
    with Store(store_url) as store:  # a second open finds it upgraded already
        _approved_plan_a_is_intact(store)
    _nothing_can_be_removed(store_url)


def test_a_new_store_is_at_the_newest_revision(store_url):
    Store(store_url).close()
    assert _schema_version(store_url) == (str(store_mod.SCHEMA_VERSION),
                                          f"{store_mod.SCHEMA_VERSION:04d}")


def _nothing_can_be_removed(url: str) -> None:
    engine = create_engine(url)
    verbs = ["DELETE FROM {t}", "UPDATE {t} SET created_at = created_at"]
    if engine.dialect.name == "postgresql":
        verbs += ["TRUNCATE {t} CASCADE", "TRUNCATE {t}"]
    for t in ("budgetopt_status_changes", "budgetopt_scenarios", "budgetopt_datasets"):
        for verb in verbs:
            verb = verb.replace("created_at", "changed_at") if "status" in t else verb
            with pytest.raises(DBAPIError, match="immutable|cannot truncate a table referenced"
                               ), engine.begin() as conn:
                conn.execute(text(verb.format(t=t)))
    engine.dispose()


def test_truncate_cannot_remove_the_approvals(store_url, example):
    with Store(store_url) as store:
        _save(store, example)
        store.set_status("Plan A", "approved")
    _nothing_can_be_removed(store_url)
    with Store(store_url) as store:
        assert [h["status"] for h in store.get("Plan A").history] == ["draft", "approved"]


def test_a_bad_url_is_a_clear_error():
    with pytest.raises(StoreError, match="not a database URL"):
        Store("nosuchdb://somewhere/x")


# -- several processes at once ----------------------------------------------------------------

WORKER = textwrap.dedent("""
    import json, sys
    from budgetopt.results.tables import Results
    from budgetopt.store.db import DatasetContent, Store
    from budgetopt.policy import policy_from_dict
    url, who, n, payload = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    job = json.load(open(payload))
    content = DatasetContent(job["label"], job["tables"], job["hash"])
    policy = policy_from_dict(job["policy"])
    results = Results.from_record(job["results"])
    store = Store(url)
    for i in range(n):
        store.save("Shared plan", content, policy, [], results, author=who, note=f"{who}-{i}")
    store.close()
""")


def test_several_processes_saving_at_once_lose_nothing(store_url, example, tmp_path):
    payload = tmp_path / "job.json"
    c = example["content"]
    payload.write_text(json.dumps({"label": c.label, "tables": c.tables, "hash": c.data_hash,
                                   "policy": example["policy"].model_dump(mode="json"),
                                   "results": example["base"].to_record()}))
    Store(store_url).close()  # created first, so the workers race on saving only
    workers, each = 4, 6
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, store_url, f"w{k}", str(each),
                               str(payload)], stderr=subprocess.PIPE, text=True)
             for k in range(workers)]
    errors = [p.communicate(timeout=300)[1] for p in procs]
    assert all(p.returncode == 0 for p in procs), errors
    with Store(store_url) as store:
        saved = store.list(all_versions=True)
    assert sorted(saved["version"]) == list(range(1, workers * each + 1))
    assert sorted(saved["note"]) == sorted(f"w{k}-{i}" for k in range(workers)
                                           for i in range(each))
    assert _counts(store_url)["budgetopt_datasets"] == 1


# -- the command line ------------------------------------------------------------------------

runner = CliRunner()


def cli(*args: str):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def test_cli_save_list_show_diff_rerun_status_export(tmp_path):
    db = tmp_path / "s.db"
    ok = cli("scenario", "save", EXAMPLE, "--name", "Base", "--model", MODELS / "default.yaml",
             "--note", "as submitted", "--author", "Ada", "--db", db)
    assert ok.exit_code == 0, ok.output
    assert f"Saved 'Base' version 1 (optimal, {objective():,.1f})" in ok.output
    ok = cli("scenario", "save", ROOT / "inputs" / "example.xlsx", "--name", "Base", "--model",
             MODELS / "default.yaml", "--set", "budget_m=240", "--db", db)
    assert ok.exit_code == 0 and "version 2" in ok.output

    out = cli("scenario", "list", "--all", "--db", db).output
    assert "Base" in out and "2 of 2" in out and "1 of 2" in out
    out = cli("scenario", "show", "Base@1", "--db", db).output
    assert "as submitted" in out and "by Ada" in out and f"Objective: {objective():,.1f}" in out
    out = cli("scenario", "diff", "Base@1", "Base", "--db", db).output
    assert re.search(r"Base@2 buys [\d,]+ fewer weighted outcomes than Base@1", out)
    assert "budget_m=240" in out

    done = cli("scenario", "rerun", "Base@2", "--db", db)
    assert done.exit_code == 0 and "reproduced" in done.output
    done = cli("scenario", "status", "Base", "approved", "--by", "ICB board", "--db", db)
    assert done.exit_code == 0 and "Base@2 is now approved (by ICB board" in done.output

    out_json, out_data = tmp_path / "base.json", tmp_path / "data"
    done = cli("scenario", "export", "Base@1", "--json", out_json, "--data", out_data,
               "--policy", tmp_path / "p.yaml", "--db", db)
    assert done.exit_code == 0, done.output
    assert json.loads(out_json.read_text())["objective"] == pytest.approx(objective(), abs=0.1)
    assert validate(read_tables(out_data)).data_hash == validate(read_tables(EXAMPLE)).data_hash
    assert load_policy(tmp_path / "p.yaml").name == load_policy(MODELS / "default.yaml").name


def test_cli_store_errors_exit_2_without_traceback(tmp_path):
    bad = tmp_path / "notes.txt"
    bad.write_text("not a database")
    done = cli("scenario", "list", "--db", bad)
    assert done.exit_code == 2
    assert "not a SQLite database" in done.output and "Traceback" not in done.output
    done = cli("scenario", "show", "Nope", "--db", tmp_path / "s.db")
    assert done.exit_code == 2 and "no saved scenario 'Nope'" in done.output
    assert cli("scenario", "list", "--db", tmp_path / "s.db").exit_code == 0


# -- a store that cannot be written ------------------------------------------------------------

READER = textwrap.dedent("""
    import json, sys
    from typer.testing import CliRunner
    from budgetopt.cli import app
    runs = [CliRunner().invoke(app, args) for args in json.loads(sys.argv[1])]
    print(json.dumps([[r.exit_code, r.output] for r in runs]))
""")


def _as_reader() -> list[str]:
    """How to run a process that cannot write a file or folder its mode makes read-only: as
    it is for a user; root writes anything, so for root without the capabilities that
    override file modes (util-linux ``setpriv``), a stand-in for a read-only file system."""
    import shutil

    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: a read-only file cannot be made here")
    return [setpriv, "--bounding-set", "-dac_override,-dac_read_search,-fowner"]


def _tree(folder: Path) -> dict[str, str]:
    return {p.name: _digest(p) for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("locked", ["file", "folder"])
def test_a_store_that_cannot_be_written_is_still_read(tmp_path, locked):
    """A store this user may only read (a read-only file, or a folder where SQLite cannot make
    its -wal and -shm files): ``scenario list``, ``show``, ``diff`` and ``export`` work;
    ``save``, ``status``, ``rerun --save-as`` and ``batch`` exit 2 saying why, before any
    solve; the store's bytes are unchanged (issue 21, item 14). As root, which writes any
    file, the commands run without the capabilities that override file modes."""
    home = tmp_path / "shared"
    db = home / "s.db"
    assert cli("scenario", "save", EXAMPLE, "--name", "Base", "--model",
               MODELS / "default.yaml", "--db", db).exit_code == 0
    assert cli("scenario", "status", "Base", "approved", "--db", db).exit_code == 0
    manifest = tmp_path / "m.yaml"
    manifest.write_text(f"name: b\njobs:\n  - {{name: one, data: '{EXAMPLE}'}}\n",
                        encoding="utf-8")
    (home / "s.db").chmod(0o444) if locked == "file" else home.chmod(0o555)
    prefix = _as_reader()
    target = db if locked == "file" else home / "probe"
    probe = subprocess.run([*prefix, sys.executable, "-c", f"open({str(target)!r}, 'ab')"],
                           capture_output=True, check=False)
    assert probe.returncode != 0, "the store is still writable: the test would prove nothing"
    before = _tree(home)
    out = tmp_path / "out.json"
    commands = [["scenario", "list"], ["scenario", "show", "Base"],
                ["scenario", "diff", "Base", "Base@1"], ["scenario", "export", "Base", "--json",
                                                        str(out)],
                ["scenario", "save", str(EXAMPLE), "--name", "Other"],
                ["scenario", "status", "Base", "proposed"],
                ["scenario", "rerun", "Base", "--save-as", "Again"],
                ["batch", str(manifest), "--local"]]
    args = [[*c, "--db", str(db)] for c in commands]
    try:
        done = subprocess.run([*prefix, sys.executable, "-c", READER, json.dumps(args)],
                              capture_output=True, text=True, timeout=600, check=False,
                              env={**os.environ, "COLUMNS": "200"})
    finally:
        home.chmod(0o755)
        db.chmod(0o644)
    assert done.returncode == 0, done.stderr
    runs = dict(zip((" ".join(c[:2]) for c in commands), json.loads(done.stdout)))
    for reading in ("scenario list", "scenario show", "scenario diff", "scenario export"):
        code, text = runs[reading]
        assert code == 0, (reading, text)
    assert "Base" in runs["scenario list"][1] and "approved" in runs["scenario list"][1]
    assert f"Objective: {objective():,.1f}" in runs["scenario show"][1]
    assert json.loads(out.read_text())["objective"] == pytest.approx(objective(), abs=0.1)
    why = "is read-only for this user" if locked == "file" else "folder"
    for writing, doing in (("scenario save", "cannot save:"),
                           ("scenario status", "cannot record a new status"),
                           ("scenario rerun", "cannot save the re-run as 'Again'"),
                           ("batch " + str(manifest), "cannot run batch 'b'")):
        code, text = runs[writing]
        text = " ".join(text.split())
        assert code == 2, (writing, text)
        assert doing in text and "cannot be written" in text and why in text, text
        assert "`scenario list`, `show`, `diff` and `export` still read it" in text, text
        assert "Traceback" not in text and "Solving" not in text
    after = _tree(home)
    if locked == "file":  # SQLite's reader makes its -shm (and an empty -wal) beside a WAL store
        assert after.pop("s.db-wal", _digest(Path(os.devnull))) == _digest(Path(os.devnull))
        after.pop("s.db-shm", None)
    assert after == before  # the store's bytes are unchanged
    with Store(db) as store:  # writable again: nothing was added
        assert list(store.list(all_versions=True)["name"]) == ["Base"]
        assert [h["status"] for h in store.get("Base").history] == ["draft", "approved"]


def test_no_store_is_made_where_it_cannot_be_written(tmp_path):
    """``scenario list`` on a store that does not exist, in a folder this user cannot write:
    exit 2, saying so, and nothing made."""
    home = tmp_path / "shared"
    home.mkdir()
    home.chmod(0o555)
    try:
        done = subprocess.run([*_as_reader(), sys.executable, "-m", "budgetopt", "scenario",
                               "list", "--db", str(home / "s.db")], capture_output=True,
                              text=True, timeout=300, check=False)
    finally:
        home.chmod(0o755)
    text = " ".join((done.stdout + done.stderr).split())
    assert done.returncode == 2, text
    assert "there is no store here and none can be made" in text and "read-only" in text, text
    assert list(home.iterdir()) == []


@pytest.mark.postgres
def test_a_read_only_postgres_connection_reads_but_never_writes(pg_admin):
    """A PostgreSQL store opened through a read-only connection (as on a standby, or with
    default_transaction_read_only): list, show and export work; a save or a status change is
    bad input naming why, and nothing is written."""
    from urllib.parse import quote

    url = pgserver.new_database(pg_admin)
    assert cli("scenario", "save", EXAMPLE, "--name", "Base", "--db", url).exit_code == 0
    before = _counts(url)
    ro = url + "?options=" + quote("-c default_transaction_read_only=on")
    with Store(ro) as store:
        assert store.read_only == "the PostgreSQL connection is read-only"
        assert list(store.list()["name"]) == ["Base"]
        assert store.get("Base").results().optimal
        with pytest.raises(StoreError, match="cannot record a new status.*read-only"):
            store.set_status("Base", "approved")
    done = runner.invoke(app, ["scenario", "save", str(EXAMPLE), "--name", "B", "--db", ro])
    assert done.exit_code == 2 and "cannot be written" in done.output, done.output
    done = runner.invoke(app, ["scenario", "list", "--db", ro])
    assert done.exit_code == 0 and "Base" in done.output, done.output
    assert _counts(url) == before
