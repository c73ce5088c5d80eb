"""The scenario store: every saved answer, what it was solved from, and who said what about it.

Boards sign off allocations; finance leads come back months later to see what was decided and
why. A saved scenario keeps everything needed to read it and to solve it again:

* the data set's **content** (every table as read, compressed; stored once per content hash),
* the policy model and the overrides on top of it,
* the whole answer (allocation, funding, outcomes, every rule with its shadow price, reduced
  costs, infeasibility advice, warnings, provenance),
* package, solver and Python versions, when it was saved, by whom, and a note,
* an append-only history of its approval status (draft → proposed → approved).

Saved scenarios are **immutable**: saving under an existing name makes the next version, and
the database itself refuses an UPDATE or DELETE of a saved scenario (triggers), so nothing is
overwritten or silently lost.

Where it lives
--------------
A SQLite file by default (:func:`default_url`: ``$BUDGETOPT_DB_URL``, else
``$XDG_DATA_HOME/budgetopt/scenarios.db``), created on first use, in WAL mode with a busy
timeout and ``BEGIN IMMEDIATE`` write transactions, so several processes can save at once. Any
SQLAlchemy URL works; PostgreSQL (``postgresql+psycopg://...``) is tested.

A store this user cannot write (a read-only file or folder, a read-only PostgreSQL connection
or role) is opened read-only (:attr:`Store.read_only` says why): everything that reads it
works, and every write (a save, a status, a batch) is refused with that reason before any work
is done, never half done.

Schema versions
---------------
``budgetopt_meta`` holds the store's identity and its schema version. A store made by an older
budgetopt is upgraded on open by Alembic (the revisions in :data:`MIGRATIONS_DIR`, version *v*
is revision ``000v``, all in one transaction; the revision is kept in
``budgetopt_alembic_version``); a store from a newer budgetopt, a database that is not a budgetopt
store, or a corrupt file is refused with a clear message and left untouched.
"""

from __future__ import annotations

import getpass
import json
import math
import os
import random
import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

import pandas as pd
from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Engine,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    func,
    inspect,
    select,
)
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, OperationalError

from budgetopt.data.inputs import Inputs
from budgetopt.data.read import RawData, read_frames
from budgetopt.errors import InputError, Problem
from budgetopt.policy import Policy, policy_from_dict
from budgetopt.results.tables import Results
from budgetopt.safe import regular_input
from budgetopt.store import STATUSES

SCHEMA_VERSION = 2
"""The schema this budgetopt writes: the number of its newest Alembic revision (in
:data:`MIGRATIONS_DIR`). Raise it with a new revision file."""

STORE_ID = "budgetopt scenario store"

ENV_URL = "BUDGETOPT_DB_URL"
ENV_AUTHOR = "BUDGETOPT_AUTHOR"
SQLITE_MAGIC = b"SQLite format 3\x00"
RETRIES = 8
_READ_ONLY = "budgetopt_read_only"
_PG_LOCK = 0x62756467  # "budg": serialises creating and upgrading a PostgreSQL store

metadata = MetaData()

meta_table = Table(
    "budgetopt_meta", metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

datasets_table = Table(
    "budgetopt_datasets", metadata,
    Column("data_hash", String(64), primary_key=True),
    Column("label", Text, nullable=False),
    Column("content", LargeBinary, nullable=False),  # zlib-compressed JSON of every table
    Column("size_bytes", Integer, nullable=False),  # uncompressed JSON
    Column("created_at", DateTime(timezone=True), nullable=False),
)

scenarios_table = Table(
    "budgetopt_scenarios", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("author", String(200), nullable=False),
    Column("note", Text, nullable=False),
    Column("data_hash", String(64), ForeignKey("budgetopt_datasets.data_hash"), nullable=False),
    Column("policy", Text, nullable=False),  # JSON: the policy model before overrides
    Column("overrides", Text, nullable=False),  # JSON: list of "key=value" or a mapping
    Column("solve_status", String(40), nullable=False),
    Column("objective", Float, nullable=True),
    Column("results", LargeBinary, nullable=False),  # zlib JSON: Results.to_record()
    Column("budgetopt_version", String(40), nullable=False),
    Column("solver_version", String(40), nullable=False),
    Column("python_version", String(40), nullable=False),
    Column("run_key", String(64), nullable=False, index=True),  # see run_key()
    UniqueConstraint("name", "version", name="budgetopt_scenario_name_version"),
)

status_table = Table(
    "budgetopt_status_changes", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("scenario_id", Integer, ForeignKey("budgetopt_scenarios.id"), nullable=False),
    Column("status", String(20), nullable=False),
    Column("changed_by", String(200), nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Column("note", Text, nullable=False),
)

VERSION_TABLE = "budgetopt_alembic_version"
"""Where Alembic records the revision a store is at."""

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
"""Alembic's script folder: one revision per schema version (``versions/0001_initial.py``,
...); the revision id is the version number, four digits."""


def _alembic(conn: Connection, target: str, *, stamp: str | None = None) -> None:
    """Bring the store on `conn` to Alembic revision `target` in the caller's transaction;
    first `stamp` a store made before Alembic (it records the revision it is at)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = conn
    config.attributes["version_table"] = VERSION_TABLE
    if stamp is not None:
        command.stamp(config, stamp)
    command.upgrade(config, target)


@dataclass
class StoreError(InputError):
    """The store cannot be used (not ours, corrupt, newer) or a scenario is not in it."""

    title: str = "Scenario store"


# -- where the store is ----------------------------------------------------------------------


def default_url() -> str:
    """``$BUDGETOPT_DB_URL``, else a SQLite file in the user's data folder."""
    if os.environ.get(ENV_URL):
        return _as_url(os.environ[ENV_URL])
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return f"sqlite:///{base / 'budgetopt' / 'scenarios.db'}"


def resolve_url(db: str | Path | None) -> str:
    """A ``--db`` value as a URL: None → :func:`default_url`; a plain path → a SQLite file."""
    if db is None or str(db) == "":
        return default_url()
    return _as_url(str(db))


def _as_url(text: str) -> str:
    if "://" in text:
        return text
    return f"sqlite:///{Path(text).expanduser().resolve()}"


def default_author() -> str:
    """``$BUDGETOPT_AUTHOR``, else the login name."""
    try:
        return os.environ.get(ENV_AUTHOR) or getpass.getuser()
    except (KeyError, OSError):  # no login name (some containers)
        return "unknown"


def parse_ref(ref: str) -> tuple[str, int | None]:
    """``"Plan A@2"`` → ``("Plan A", 2)``; ``"Plan A"`` → ``("Plan A", None)`` (latest)."""
    name, sep, version = ref.rpartition("@")
    if sep and version.isdigit() and name:
        return name, int(version)
    return ref, None


def run_key(data_hash: str, policy: Policy, overrides: Any) -> str:
    """What an answer depends on, hashed: the data's content, the policy, the overrides.

    Two saves with the same key were solved from the same inputs (a batch skips a job whose
    key is already stored: resume after a crash).
    """
    import hashlib

    text = json.dumps([data_hash, policy.model_dump(mode="json"), overrides or []],
                      sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# -- what is stored ----------------------------------------------------------------------------


def _pack(value: Any) -> bytes:
    return zlib.compress(json.dumps(value, separators=(",", ":")).encode("utf-8"), 6)


def _unpack(blob: bytes) -> Any:
    return json.loads(zlib.decompress(blob).decode("utf-8"))


def _cell(value: Any) -> Any:
    """A table cell as JSON: text stays text, blanks are None, numbers plain."""
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


@dataclass(frozen=True)
class DatasetContent:
    """A data set's tables as read (cells as text), enough to validate and solve it again."""

    label: str
    tables: dict[str, dict[str, list]]  # table -> {"columns": [...], "rows": [[...], ...]}
    data_hash: str

    @classmethod
    def from_raw(cls, raw: RawData, inputs: Inputs) -> DatasetContent:
        """What :func:`budgetopt.data.read.read_tables` read, with the hash validation gave it."""
        return cls.from_frames({n: t.frame for n, t in raw.tables.items()}, raw.label,
                               inputs.data_hash)

    @classmethod
    def from_frames(cls, frames: Mapping[str, pd.DataFrame], label: str,
                    data_hash: str) -> DatasetContent:
        tables: dict[str, dict[str, list]] = {
            name: {"columns": [str(c) for c in frame.columns],
                   "rows": [[_cell(v) for v in row]
                            for row in frame.itertuples(index=False, name=None)]}
            for name, frame in frames.items()}
        return cls(label, tables, data_hash)

    def frames(self) -> dict[str, pd.DataFrame]:
        return {name: pd.DataFrame(t["rows"], columns=t["columns"], dtype=object)
                for name, t in self.tables.items()}

    def inputs(self, nonconcave: str = "reject") -> Inputs:
        """Validate the stored tables again (the hash must come out the same)."""
        from budgetopt.data.validate import validate

        inputs = validate(read_frames(self.frames(), self.label), nonconcave=nonconcave)
        if inputs.data_hash != self.data_hash:
            raise StoreError.single(
                self.label, f"the stored data set validates to hash {inputs.data_hash[:12]}, "
                f"not the {self.data_hash[:12]} it was saved with: this budgetopt reads the "
                "tables differently from the one that saved them")
        return inputs


@dataclass(frozen=True)
class StoredScenario:
    """One saved version of a scenario."""

    id: int
    name: str
    version: int
    created_at: datetime
    author: str
    note: str
    data_hash: str
    dataset_label: str
    policy_dump: dict[str, Any]
    overrides: Any
    solve_status: str
    objective: float | None
    record: dict[str, Any] = field(repr=False)
    budgetopt_version: str = ""
    solver_version: str = ""
    python_version: str = ""
    history: tuple[dict[str, Any], ...] = ()

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"

    @property
    def status(self) -> str:
        """The latest approval status."""
        return self.history[-1]["status"] if self.history else "draft"

    def policy(self) -> Policy:
        return policy_from_dict(self.policy_dump, where=f"scenario {self.ref} › policy")

    def results(self) -> Results:
        return Results.from_record(self.record)


@dataclass(frozen=True)
class Answer:
    """One answer to save: a scenario name, what it was solved from, and its results record
    already packed (:func:`pack_record`; a batch's worker packs it, the saver only writes)."""

    name: str
    dataset: DatasetContent
    policy: Policy
    overrides: Any
    record_blob: bytes
    solve_status: str
    objective: float | None
    provenance: Mapping[str, Any]
    author: str | None = None
    note: str = ""
    status: str = "draft"
    run_key: str | None = None  # computed from the inputs when not given

    def row(self, now: datetime) -> tuple[dict[str, Any], dict[str, Any]]:
        """The scenario row and its first status change; refuses a bad name or status."""
        name = self.name.strip()
        if not name:
            raise StoreError.single("scenario name", "give the scenario a name")
        if "@" in name and parse_ref(name)[1] is not None:
            raise StoreError.single("scenario name", f"'{name}' ends in @<number>, which is how "
                                    "a version is named: choose another name")
        if self.status not in STATUSES:
            raise StoreError.single("status", f"'{self.status}' is not one of "
                                    f"{', '.join(STATUSES)}")
        author = (self.author or default_author()).strip() or "unknown"
        prov = self.provenance
        row = {
            "name": name, "created_at": now, "author": author, "note": self.note,
            "data_hash": self.dataset.data_hash,
            "policy": json.dumps(self.policy.model_dump(mode="json")),
            "overrides": json.dumps(self.overrides if self.overrides is not None else []),
            "solve_status": self.solve_status, "objective": self.objective,
            "results": self.record_blob,
            "budgetopt_version": str(prov.get("version", "")),
            "solver_version": str(prov.get("solver_version", "")),
            "python_version": str(prov.get("python_version", "")),
            "run_key": self.run_key or run_key(self.dataset.data_hash, self.policy,
                                               self.overrides),
        }
        history = {"status": self.status, "changed_by": author, "changed_at": now,
                   "note": "saved"}
        return row, history


def pack_record(record: Mapping[str, Any]) -> bytes:
    """A results record (:meth:`Results.to_record`) as the store keeps it."""
    return _pack(record)


# -- the store -------------------------------------------------------------------------------


def _sqlite_path(url: str) -> Path | None:
    from sqlalchemy.engine import make_url

    u = make_url(url)
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        return None
    return Path(u.database)


def sqlite_path(db: str | Path | None) -> Path | None:
    """The file of the SQLite store a ``--db`` value names (None for a server's URL)."""
    return _sqlite_path(resolve_url(db))


def _refuse(where: str, why: str) -> StoreError:
    return StoreError([Problem(where, f"{why}; it was left unchanged")])


class Store:
    """A scenario store at a SQLAlchemy URL (see the module's docstring).

    >>> store = Store("sqlite:///scenarios.db")          # doctest: +SKIP
    >>> saved = store.save("Plan A", content, policy, [], results, note="first go")
    >>> store.get("Plan A").results().objective
    """

    def __init__(self, url: str | Path | None = None) -> None:
        self.url = resolve_url(url)
        self.where = self._describe()
        self.read_only: str | None = None
        """Why this store cannot be written (None: it can): every read still works, every
        write is refused with this reason before anything is done."""
        path = _sqlite_path(self.url)
        if path is not None:
            self._check_sqlite_file(path)
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as err:
                raise _refuse(str(path.parent), f"there is no store at {path} and its folder "
                              f"cannot be made ({err.strerror})") from None
            self.read_only = _sqlite_unwritable(path)
            if self.read_only and not path.exists():
                raise _refuse(str(path), f"there is no store here and none can be made: "
                              f"{self.read_only} (give a store you can write with --db or "
                              "BUDGETOPT_DB_URL)")
            self.engine = (self._sqlite_read_only_engine(path) if self.read_only
                           else self._sqlite_engine(self.url))
        else:
            try:
                self.engine = create_engine(self.url, pool_pre_ping=True)
            except (ArgumentError, ImportError) as err:
                raise StoreError.single("--db / BUDGETOPT_DB_URL", f"'{self.where}' is not a "
                                        f"database URL budgetopt can open ({err})") from None
        self._open()

    def _describe(self) -> str:
        from sqlalchemy.engine import make_url

        try:
            return make_url(self.url).render_as_string(hide_password=True)
        except Exception:  # noqa: BLE001 - a bad URL is reported by create_engine below
            return "the scenario store"

    # -- opening ---------------------------------------------------------------------------
    def _check_sqlite_file(self, path: Path) -> None:
        """Refuse, without writing a byte, a file that is not a SQLite database."""
        if not path.exists():
            return
        if path.is_dir():
            raise _refuse(str(path), "this is a folder, not a scenario store file")
        regular_input(path, "the scenario store", error=StoreError)
        if path.stat().st_size == 0:
            return
        with path.open("rb") as fh:
            head = fh.read(len(SQLITE_MAGIC))
        if head != SQLITE_MAGIC:
            raise _refuse(str(path), "this file is not a SQLite database, so not a budgetopt "
                          "scenario store (give another path with --db or BUDGETOPT_DB_URL)")

    @staticmethod
    def _sqlite_engine(url: str, engine: Engine | None = None) -> Engine:
        engine = engine or create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _connect(dbapi_conn, _record):
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (below)
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA busy_timeout = 30000")
            cur.execute("PRAGMA foreign_keys = ON")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn):
            # A write takes the lock at the start: two savers never both read the same next
            # version and then fail to upgrade their locks. Reads take no lock at all.
            reading = conn.get_execution_options().get(_READ_ONLY, False)
            conn.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")

        return engine

    def _sqlite_read_only_engine(self, path: Path) -> Engine:
        """An engine that only reads the SQLite store at `path`, which this process cannot
        write (:func:`_sqlite_unwritable`).

        SQLite reads a WAL store read-only (``mode=ro``) only where it can make or open its
        ``-shm`` file; a store at rest (no ``-wal`` file: every save is in the main file) in a
        folder this user cannot write has none, and is read as ``immutable``, its file alone.
        A ``-wal`` file that cannot be read holds saves not yet in the main file: refused
        rather than read without them.
        """
        import sqlite3
        from urllib.parse import quote

        from sqlalchemy.pool import NullPool

        uri = "file:" + quote(str(path.resolve()))
        mode = "mode=ro"
        try:
            probe = sqlite3.connect(f"{uri}?mode=ro", uri=True)
            try:
                probe.execute("SELECT count(*) FROM sqlite_master").fetchone()
            finally:
                probe.close()
        except sqlite3.DatabaseError as err:
            if path.with_name(path.name + "-wal").exists():
                raise _refuse(self.where, f"the store cannot be read: {self.read_only}, and "
                              f"its -wal file holds saves SQLite cannot read without writing "
                              f"({err}); ask whoever can write it to open it once "
                              "(`budgetopt scenario list`)") from None
            mode = "immutable=1"

        def connect() -> sqlite3.Connection:
            return sqlite3.connect(f"{uri}?{mode}", uri=True, timeout=30,
                                   check_same_thread=False)

        return self._sqlite_engine(self.url, create_engine("sqlite://", creator=connect,
                                                           poolclass=NullPool))

    def cannot_write(self, doing: str = "save") -> StoreError:
        """The refusal of a write (`doing`: what was asked) to a store that cannot be
        written."""
        return StoreError([Problem(self.where, f"cannot {doing}: the scenario store cannot be "
                                   f"written ({self.read_only}), so nothing was saved or "
                                   "changed; `scenario list`, `show`, `diff` and `export` "
                                   "still read it; to save, give a store you can write (--db "
                                   "or BUDGETOPT_DB_URL)")])

    def require_writable(self, doing: str = "save") -> None:
        """Refuse (:meth:`cannot_write`), before any work, when this store cannot be
        written: a command that solves and then saves asks first."""
        if self.read_only:
            raise self.cannot_write(doing)

    def _inspect(self) -> tuple[set[str], dict[str, str]]:
        """The tables in the database and, if ours, the meta rows; read only."""
        try:
            with self._reading() as conn:
                if conn.dialect.name == "sqlite":
                    bad = conn.exec_driver_sql("PRAGMA quick_check").scalar()
                    if bad != "ok":
                        raise _refuse(self.where, f"the database is corrupt ({bad})")
                names = set(inspect(conn).get_table_names())
                meta = {}
                if meta_table.name in names:
                    meta = dict(conn.execute(select(meta_table.c.key, meta_table.c.value)).all())
        except StoreError:
            raise
        except DBAPIError as err:
            raise _refuse(self.where, f"the database cannot be read ({err.orig})") from None
        return names, meta

    def _open(self) -> None:
        names, meta = self._inspect()
        if not names and self.read_only:
            raise _refuse(self.where, "this database is empty, and it cannot be made a "
                          f"scenario store: {self.read_only}")
        if not names:
            self._create()
            names, meta = self._inspect()
        if meta_table.name not in names:
            some = ", ".join(sorted(names)[:5])
            raise _refuse(self.where, f"this database is not a budgetopt scenario store (it "
                          f"holds other tables: {some})")
        if meta.get("store") != STORE_ID:
            raise _refuse(self.where, "this database has a budgetopt_meta table that is not a "
                          "budgetopt scenario store's")
        version = int(meta.get("schema_version", "0"))
        if version > SCHEMA_VERSION:
            raise _refuse(self.where, f"the store has schema version {version}, made by a newer "
                          f"budgetopt than this one (which knows {SCHEMA_VERSION}): upgrade "
                          "budgetopt")
        if version < SCHEMA_VERSION:
            if self.read_only:
                raise _refuse(self.where, f"the store has schema version {version} and this "
                              f"budgetopt reads {SCHEMA_VERSION}: it must be upgraded, which "
                              f"needs writing, and it cannot be written ({self.read_only})")
            self._upgrade(version)
        if self.engine.dialect.name == "postgresql" and not self.read_only:
            self.read_only = self._postgres_unwritable()
        if self.engine.dialect.name == "sqlite" and not self.read_only:
            # WAL: readers never wait for a saver
            raw = self.engine.raw_connection()
            try:
                raw.cursor().execute("PRAGMA journal_mode = WAL")
            finally:
                raw.close()

    def _postgres_unwritable(self) -> str | None:
        """Why this PostgreSQL connection cannot write the store (a read-only transaction, as
        on a standby or with ``default_transaction_read_only``, or a role without INSERT on
        its tables), or None; read only."""
        with self._reading() as conn:
            if conn.exec_driver_sql("SHOW transaction_read_only").scalar() == "on":
                return "the PostgreSQL connection is read-only"
            allowed = conn.exec_driver_sql(
                "SELECT bool_and(has_table_privilege(t, 'INSERT')) FROM unnest(ARRAY["
                "'budgetopt_scenarios', 'budgetopt_datasets', 'budgetopt_status_changes']) t"
            ).scalar()
        return None if allowed else "this PostgreSQL role may not write the store's tables"

    def _create(self) -> None:
        """A new store: schema and identity in one transaction (or none of it)."""
        now = datetime.now(UTC).isoformat(timespec="seconds")

        def create(conn: Connection) -> None:
            if conn.dialect.name == "postgresql":  # one creator at a time
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_LOCK})")
            if meta_table.name in inspect(conn).get_table_names():
                return  # another process made it first
            _alembic(conn, "head")
            conn.execute(meta_table.insert(), [
                {"key": "store", "value": STORE_ID},
                {"key": "schema_version", "value": str(SCHEMA_VERSION)},
                {"key": "created_at", "value": now},
            ])

        self._transaction(create)

    def _upgrade(self, version: int) -> None:
        """Run the Alembic revisions after `version`, all in one transaction."""
        def upgrade(conn: Connection) -> None:
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_LOCK})")
            current = int(conn.execute(select(meta_table.c.value).where(
                meta_table.c.key == "schema_version")).scalar_one())
            if current >= SCHEMA_VERSION:
                return  # another process upgraded it
            stamped = VERSION_TABLE in inspect(conn).get_table_names()
            _alembic(conn, f"{SCHEMA_VERSION:04d}", stamp=None if stamped else f"{current:04d}")
            conn.execute(meta_table.update().where(meta_table.c.key == "schema_version")
                         .values(value=str(SCHEMA_VERSION)))

        if version < 1:
            raise _refuse(self.where, f"no upgrade is known from schema version {version}")
        self._transaction(upgrade)

    # -- transactions --------------------------------------------------------------------------
    def _transaction(self, work: Callable[[Connection], Any]) -> Any:
        """Run `work` in one transaction; retry when the database is busy or a version
        number was taken by another saver meanwhile. All of it is written, or none.

        A store that cannot be written refuses at once (:meth:`cannot_write`), and so does
        one the database finds read-only only now (a file made read-only since it was
        opened, a read-only PostgreSQL role or standby)."""
        if self.read_only:
            raise self.cannot_write()
        for attempt in range(RETRIES):
            try:
                with self.engine.begin() as conn:
                    return work(conn)
            except DBAPIError as err:
                why = _read_only_error(err)
                if why:
                    self.read_only = why
                    raise self.cannot_write() from None
                if (not isinstance(err, (OperationalError, IntegrityError))
                        or attempt == RETRIES - 1 or not _retryable(err)):
                    raise
                time.sleep(min(2.0, 0.05 * 2 ** attempt) * (0.5 + random.random()))
        raise AssertionError("unreachable")

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            conn.execution_options(**{_READ_ONLY: True})
            yield conn
            conn.rollback()

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- saving ----------------------------------------------------------------------------
    def save(self, name: str, dataset: DatasetContent, policy: Policy, overrides: Any,
             results: Results, *, author: str | None = None, note: str = "",
             status: str = "draft") -> StoredScenario:
        """Save a new version of scenario `name` (version 1 if the name is new).

        The data set is stored once per content hash. Everything is written in one
        transaction: a failure leaves no part of the scenario behind.
        """
        record = results.to_record()
        ref = self.save_many([Answer(name, dataset, policy, overrides, _pack(record),
                                     results.status, results.objective, results.provenance,
                                     author=author, note=note, status=status)])[0]
        return self.get(ref)

    def save_many(self, answers: list[Answer]) -> list[str]:
        """Save several answers in one transaction (all or none); their refs, in order.

        A batch saves its answers this way, a few dozen at a time: one transaction per
        group rather than one per job, each data set packed and stored once.
        """
        now = datetime.now(UTC)
        rows = [a.row(now) for a in answers]
        packed: dict[str, bytes] = {}

        def write(conn: Connection) -> list[str]:
            refs = []
            for a, (row, history) in zip(answers, rows, strict=True):
                h = a.dataset.data_hash
                if h not in packed:
                    have = conn.execute(select(datasets_table.c.data_hash).where(
                        datasets_table.c.data_hash == h)).first()
                    if have is None:
                        packed[h] = _pack(a.dataset.tables)
                        conn.execute(datasets_table.insert().values(
                            data_hash=h, label=a.dataset.label, content=packed[h],
                            size_bytes=len(json.dumps(a.dataset.tables)), created_at=now))
                    else:
                        packed[h] = b""
                latest = conn.execute(select(func.max(scenarios_table.c.version)).where(
                    scenarios_table.c.name == row["name"])).scalar()
                version = (latest or 0) + 1
                inserted = conn.execute(scenarios_table.insert().values(version=version, **row))
                # SQLAlchemy's stubs say the key may be None; an executed insert has one
                new_id = inserted.inserted_primary_key[0]  # type: ignore[index]
                conn.execute(status_table.insert().values(scenario_id=new_id, **history))
                refs.append(f"{row['name']}@{version}")
            return refs

        return self._transaction(write)

    def saved_runs(self, names: list[str]) -> dict[str, list[dict[str, Any]]]:
        """For each of `names` that is saved: its versions, newest first, each with ``ref``,
        ``run_key``, ``budgetopt_version``, ``solver_version``, ``solve_status`` and
        ``objective`` (what a batch needs to decide whether a job is done already)."""
        s = scenarios_table
        found: dict[str, list[dict[str, Any]]] = {}
        with self._reading() as conn:
            for i in range(0, len(names), 500):
                chunk = names[i:i + 500]
                for r in conn.execute(select(
                        s.c.name, s.c.version, s.c.run_key, s.c.budgetopt_version,
                        s.c.solver_version, s.c.solve_status, s.c.objective)
                        .where(s.c.name.in_(chunk)).order_by(s.c.version.desc())).mappings():
                    found.setdefault(r["name"], []).append(
                        {**r, "ref": f"{r['name']}@{r['version']}"})
        return found

    @contextmanager
    def batch_lock(self, batch: str) -> Iterator[None]:
        """Hold the lock of batch `batch` on this store for the block, or refuse at once
        (:class:`StoreError`) when another process holds it: two runs of one batch never
        solve and save the same jobs twice. The lock goes with the process that holds it,
        however it ends (a file lock beside a SQLite store, an advisory lock on PostgreSQL)."""
        import hashlib

        digest = hashlib.sha256(batch.encode("utf-8")).hexdigest()
        busy = StoreError.single(self.where, f"batch '{batch}' is running already against "
                                 "this store (another process holds its lock); wait for it "
                                 "to finish, then run it again to resume")
        path = _sqlite_path(self.url)
        if path is not None:
            import fcntl

            lock = path.with_name(f".{path.name}.batch-{digest[:16]}.lock")
            with lock.open("a") as fh:
                try:
                    fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    raise busy from None
                try:
                    yield
                finally:
                    fcntl.flock(fh, fcntl.LOCK_UN)
            return
        if self.engine.dialect.name != "postgresql":
            yield
            return
        key = int(digest[:15], 16)  # fits a bigint
        with self.engine.connect() as conn:
            got = conn.exec_driver_sql(f"SELECT pg_try_advisory_lock({key})").scalar()
            conn.commit()
            if not got:
                raise busy
            try:
                yield
            finally:
                conn.exec_driver_sql(f"SELECT pg_advisory_unlock({key})")
                conn.commit()

    def set_status(self, ref: str, status: str, *, by: str | None = None,
                   note: str = "") -> StoredScenario:
        """Record a new approval status for a saved version (appended, never replaced)."""
        if status not in STATUSES:
            raise StoreError.single("status", f"'{status}' is not one of {', '.join(STATUSES)}")
        self.require_writable("record a new status")
        sc = self.get(ref)
        self._transaction(lambda conn: conn.execute(status_table.insert().values(
            scenario_id=sc.id, status=status, changed_by=(by or default_author()),
            changed_at=datetime.now(UTC), note=note)))
        return self.get_by_id(sc.id)

    # -- reading ---------------------------------------------------------------------------
    def get(self, ref: str, version: int | None = None) -> StoredScenario:
        """A saved version by ``name``, ``name@version`` or (name, version); latest if none."""
        name, at = parse_ref(ref)
        version = version if version is not None else at
        s = scenarios_table
        query = select(s.c.id).where(s.c.name == name)
        query = (query.where(s.c.version == version) if version is not None
                 else query.order_by(s.c.version.desc()).limit(1))
        with self._reading() as conn:
            found = conn.execute(query).scalar()
            if found is None:
                names = [r[0] for r in conn.execute(select(s.c.name).distinct())]
        if found is None:
            import difflib

            close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
            what = f"'{name}'" + (f" version {version}" if version is not None else "")
            hint = (f"; did you mean '{close[0]}'?" if close
                    else "; `budgetopt scenario list` shows what is saved")
            raise StoreError.single(self.where, f"no saved scenario {what}{hint}")
        return self.get_by_id(found)

    def get_by_id(self, scenario_id: int) -> StoredScenario:
        s, d, h = scenarios_table, datasets_table, status_table
        with self._reading() as conn:
            row = conn.execute(select(s, d.c.label).join(d, d.c.data_hash == s.c.data_hash)
                               .where(s.c.id == scenario_id)).mappings().one()
            history = tuple(dict(r) for r in conn.execute(
                select(h.c.status, h.c.changed_by, h.c.changed_at, h.c.note)
                .where(h.c.scenario_id == scenario_id).order_by(h.c.id)).mappings())
        return StoredScenario(
            id=row["id"], name=row["name"], version=row["version"],
            created_at=_utc(row["created_at"]), author=row["author"], note=row["note"],
            data_hash=row["data_hash"], dataset_label=row["label"],
            policy_dump=json.loads(row["policy"]), overrides=json.loads(row["overrides"]),
            solve_status=row["solve_status"], objective=row["objective"],
            record=_unpack(row["results"]), budgetopt_version=row["budgetopt_version"],
            solver_version=row["solver_version"], python_version=row["python_version"],
            history=tuple({**x, "changed_at": _utc(x["changed_at"])} for x in history))

    def dataset(self, data_hash: str) -> DatasetContent:
        d = datasets_table
        with self._reading() as conn:
            row = conn.execute(select(d.c.label, d.c.content).where(
                d.c.data_hash == data_hash)).first()
        if row is None:
            raise StoreError.single(self.where, f"no stored data set with hash {data_hash[:12]}")
        return DatasetContent(row.label, _unpack(row.content), data_hash)

    def list(self, *, all_versions: bool = False) -> pd.DataFrame:
        """Saved scenarios, newest first: the latest version of each name unless
        `all_versions`. Columns: name, version, versions, status, solve_status, objective,
        author, created_at, note, data_hash."""
        s, h = scenarios_table, status_table
        latest_status = (select(h.c.scenario_id, func.max(h.c.id).label("last"))
                         .group_by(h.c.scenario_id).subquery())
        versions = (select(s.c.name, func.max(s.c.version).label("versions"))
                    .group_by(s.c.name).subquery())
        query = (select(s.c.name, s.c.version, versions.c.versions, h.c.status,
                        s.c.solve_status, s.c.objective, s.c.author, s.c.created_at, s.c.note,
                        s.c.data_hash)
                 .join(versions, versions.c.name == s.c.name)
                 .join(latest_status, latest_status.c.scenario_id == s.c.id)
                 .join(h, h.c.id == latest_status.c.last))
        if not all_versions:
            query = query.where(s.c.version == versions.c.versions)
        query = query.order_by(s.c.created_at.desc(), s.c.id.desc())
        with self._reading() as conn:
            frame = pd.DataFrame(conn.execute(query).mappings().all(),
                                 columns=["name", "version", "versions", "status",
                                          "solve_status", "objective", "author", "created_at",
                                          "note", "data_hash"])
        frame["created_at"] = [_utc(v) for v in frame["created_at"]]
        return frame

    def find_run(self, key: str) -> StoredScenario | None:
        """The latest saved scenario solved from exactly these inputs (see :func:`run_key`)."""
        s = scenarios_table
        with self._reading() as conn:
            found = conn.execute(select(s.c.id).where(s.c.run_key == key)
                                 .order_by(s.c.id.desc()).limit(1)).scalar()
        return None if found is None else self.get_by_id(found)

    def count(self) -> int:
        with self._reading() as conn:
            return int(conn.execute(select(func.count()).select_from(scenarios_table))
                       .scalar_one())

    # -- solving again ---------------------------------------------------------------------
    def rerun(self, ref: str) -> tuple[StoredScenario, Results]:
        """Solve a saved scenario again from its stored data, policy and overrides."""
        from budgetopt.api import build

        sc = self.get(ref)
        policy = sc.policy()
        inputs = self.dataset(sc.data_hash).inputs(nonconcave=policy.nonconcave)
        return sc, build(inputs, policy, sc.overrides or None).results()


def reproduces(stored: Results, fresh: Results, tol: float = 1e-6) -> list[str]:
    """What differs between a stored answer and a fresh solve (empty: reproduced)."""
    diffs = []
    if stored.status != fresh.status:
        diffs.append(f"status {stored.status} → {fresh.status}")
    a, b = stored.objective, fresh.objective
    if (a is None) != (b is None) or (a is not None and b is not None
                                      and abs(a - b) > tol * max(1.0, abs(a))):
        diffs.append(f"objective {a} → {b}")
    key = ["service_id", "place_id", "year"]
    sa = stored.allocation.set_index(key)["spend_m"]
    sb = fresh.allocation.set_index(key)["spend_m"]
    joined = pd.concat([sa, sb], axis=1, keys=["a", "b"]).fillna(0.0)
    moved = joined[(joined["a"] - joined["b"]).abs() > 1e-4]
    if len(moved):
        diffs.append(f"{len(moved)} allocation lines differ by more than £100")
    return diffs


def _sqlite_unwritable(path: Path) -> str | None:
    """Why this process cannot write the SQLite store at `path` (an existing folder), or None.

    SQLite writes the file and, beside it, its ``-wal`` and ``-shm`` files (and makes the file
    when it is new), so both the file and its folder must be writable; ``os.access`` answers
    for this user, a read-only file system and an immutable file alike."""
    if path.exists() and not os.access(path, os.W_OK):
        return f"the file {path} is read-only for this user"
    if not os.access(path.parent, os.W_OK):
        return (f"its folder {path.parent} is read-only for this user (SQLite writes its "
                "-wal and -shm files beside the store)")
    return None


def _read_only_error(err: DBAPIError) -> str | None:
    """The reason in words when `err` is the database refusing any write at all (a read-only
    SQLite file or folder, a read-only PostgreSQL transaction or role), else None."""
    text = str(err.orig).lower()
    if "readonly database" in text or "read-only database" in text:
        return f"the database is read-only ({err.orig})"
    if "read-only transaction" in text:
        return "the PostgreSQL connection is read-only"
    if "permission denied for table budgetopt_" in text:
        return "this PostgreSQL role may not write the store's tables"
    return None


def _retryable(err: DBAPIError) -> bool:
    if isinstance(err, IntegrityError):  # another saver took the version number: try again
        return "budgetopt_scenario_name_version" in str(err.orig) or "UNIQUE" in str(err.orig) \
            or "duplicate key" in str(err.orig)
    text = str(err.orig).lower()
    return "locked" in text or "busy" in text or "could not serialize" in text \
        or "deadlock" in text


def _utc(value: Any) -> Any:
    """SQLite returns naive datetimes: they were stored in UTC."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


__all__ = ["MIGRATIONS_DIR", "SCHEMA_VERSION", "STATUSES", "Answer", "DatasetContent", "Store", "StoreError",
           "StoredScenario", "default_author", "default_url", "pack_record", "parse_ref", "reproduces",
           "resolve_url", "run_key"]
