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
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

_BEGIN = "scomm_sqlite_begin"
_MIGRATION_LOCK = 7_311_011   # pg_advisory_xact_lock key: one migrating process at a time


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
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
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


class Database:
    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
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
