"""Shared fixtures: paths to ../shared, database URLs for SQLite and (if set) PostgreSQL, a
SQLite file's bytes on disk."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import make_url, text

from scomm.storage.db import make_engine

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"


def shared_path(*parts: str) -> Path:
    """A file under ../shared/data, or skip the test saying what is missing."""
    p = SHARED.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"../shared/data/{'/'.join(parts)} is absent (tests on shared data need it)")
    return p


def sqlite_file_bytes(path: Path) -> bytes:
    """A SQLite database as it lies on disk: the main file and whatever its WAL still holds."""
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def postgres_url() -> str | None:
    return os.environ.get("SCOMM_TEST_POSTGRES_URL")


def fresh_postgres_url(name: str) -> str:
    """A new, empty database ``name`` on the test server (the test skips without one)."""
    server = postgres_url()
    if not server:
        pytest.skip("SCOMM_TEST_POSTGRES_URL not set: PostgreSQL tests skipped")
    admin = make_engine(server).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        c.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return make_url(server).set(database=name).render_as_string(hide_password=False)
