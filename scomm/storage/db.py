"""Database engine, units of work and migrations (SQLite by default, PostgreSQL when configured).

Two kinds of unit of work:

- :meth:`Database.session` writes. On SQLite it begins ``IMMEDIATE``: it takes the
  database's write lock at its start, so what it read cannot go stale before it
  writes (a deferred transaction that read, then another process committed, would
  fail at its first write with "database is locked", whatever the busy timeout).
  Keep these short: heavy work (decoding, extraction, search) belongs in a read.
- :meth:`Database.read` only reads; on SQLite (WAL) it never waits for a writer.

PostgreSQL runs at READ COMMITTED; code that reads a row to change it locks the row
(``with_for_update``).

Every engine carries the sealer of its database (storage/data_keys.py): sealed columns
are encrypted as they are written and decrypted as they are read.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from ..config import Settings
from .data_keys import Sealer
from .sealed import attach

_BEGIN = "scomm_sqlite_begin"
_MIGRATION_LOCK = 7_311_011   # pg_advisory_xact_lock key: one migrating process at a time
_SEALED = "0006"              # the revision that sealed the columns at rest


def make_engine(url: str, master_key_file: Path | None = None) -> Engine:
    """The engine of ``url``, with the sealer of its data keys (master key: ``master_key_file``,
    by default the settings')."""
    return _sealed_engine(url, master_key_file)[0]


def _sealed_engine(url: str, master_key_file: Path | None) -> tuple[Engine, Sealer]:
    engine = _engine(url)
    sealer = Sealer(master_key_file or Settings().master_key_path, engine)
    attach(engine, sealer)
    return engine, sealer


def _owner_only(url: str) -> None:
    """Create a SQLite file readable by its owner alone (SQLite gives its -wal and -shm
    files the same mode)."""
    path = url.split("///", 1)[1] if "///" in url else ""
    if path and not path.startswith(":") and not os.path.exists(path):
        with suppress(FileExistsError):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        _owner_only(url)
        engine = create_engine(url, connect_args={"timeout": 60, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:  # durability first: WAL + full sync
            dbapi_conn.isolation_level = None   # we issue BEGIN ourselves (below)
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=60000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            conn.exec_driver_sql(f"BEGIN {conn.get_execution_options().get(_BEGIN, 'DEFERRED')}")
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_pre_ping=True)


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(engine: Engine) -> None:
    """Create or upgrade the schema to the newest Alembic revision (safe to run from many
    processes at once)."""
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    writer = engine.execution_options(**{_BEGIN: "IMMEDIATE"})
    with writer.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})
        before = MigrationContext.configure(conn).get_current_revision()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    if before is not None and before < _SEALED:
        _scrub(engine)


def _scrub(engine: Engine) -> None:
    """Rewrite the storage after the upgrade that sealed what was there: the pages that held
    it in the clear are freed, not overwritten, until the database is vacuumed."""
    if engine.dialect.name == "sqlite":
        raw = engine.raw_connection()
        try:
            raw.cursor().execute("VACUUM")
            raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM FULL"))


class Database:
    def __init__(self, url: str, master_key_file: Path | None = None):
        self.url = url
        self.engine, self.sealer = _sealed_engine(url, master_key_file)
        self.dialect = self.engine.dialect.name
        writer = self.engine.execution_options(**{_BEGIN: "IMMEDIATE"})
        self._writes = sessionmaker(writer, expire_on_commit=False)
        self._reads = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work that writes: commits on success, rolls back on any error."""
        s = self._writes()
        try:
            yield s
            s.commit()
        except BaseException:
            s.rollback()
            raise
        finally:
            s.close()

    def lock(self, s: Session, name: str) -> None:
        """Serialise the rest of ``s`` with every other unit of work taking ``name``.
        (SQLite's write units already run one at a time.)"""
        if self.dialect == "postgresql":
            s.execute(text("SELECT pg_advisory_xact_lock(hashtext(:n))"), {"n": name})

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A unit of work that only reads (its transaction is closed at the end, the objects
        it loaded stay readable)."""
        s = self._reads()
        try:
            yield s
        finally:
            s.close()
