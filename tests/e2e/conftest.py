"""A seeded world per database backend, shared by the end-to-end tests of a session.

Tests add bookings with unique TCNs and look only at their own transactions,
so one seeded database per backend serves them all.
"""
from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Integer, select, text

from scomm.bootstrap import bootstrap
from scomm.storage.db import make_engine
from scomm.storage.tables import Base, PersonRow
from scomm.world.seed import seed_world

from ..conftest import fresh_postgres_url, postgres_url

WORLD_SEED = 7
WORLD_SIZE = 6  # the first four cover every profile: citizen, noncitizen, visitor, naturalised
ACTIVE_2008 = "48201"      # Harris County, Texas: activated 2008-10-27
LATE_COUNTY = "01005"      # Barbour County, Alabama: activated 2013-01-22
BOOKED_ON = date(2010, 6, 1)


def _reset_postgres(url: str) -> None:
    hub = bootstrap(database_url=url, init=False)
    with hub.db.engine.begin() as c:
        c.execute(text("DROP SCHEMA public CASCADE"))
        c.execute(text("CREATE SCHEMA public"))
    hub.db.engine.dispose()


@pytest.fixture(scope="session")
def seeded_sqlite(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("world") / "world.db"
    hub = bootstrap(database_url=f"sqlite:///{path}")
    with hub.db.session() as s:
        seed_world(s, hub.deps.jurisdictions, WORLD_SIZE, WORLD_SEED)
    hub.db.engine.dispose()
    return path


def _backends():
    yield pytest.param("sqlite", id="sqlite")
    yield pytest.param("postgres", id="postgres", marks=pytest.mark.postgres)


@pytest.fixture(scope="session", params=list(_backends()))
def world_url(request, seeded_sqlite, tmp_path_factory) -> str:
    """A database URL holding the seeded world (a copy for SQLite)."""
    if request.param == "sqlite":
        copy = tmp_path_factory.mktemp("e2e") / "scomm.db"
        shutil.copy(seeded_sqlite, copy)
        return f"sqlite:///{copy}"
    url = postgres_url()
    if not url:
        pytest.skip("SCOMM_TEST_POSTGRES_URL not set: PostgreSQL tests skipped")
    _reset_postgres(url)
    hub = bootstrap(database_url=url)
    with hub.db.session() as s:
        seed_world(s, hub.deps.jurisdictions, WORLD_SIZE, WORLD_SEED)
    hub.db.engine.dispose()
    return url


def copy_world(sqlite_path: Path, url: str) -> None:
    """The seeded SQLite world into a fresh database at ``url`` (faster than seeding)."""
    src = make_engine(f"sqlite:///{sqlite_path}")
    dst = bootstrap(database_url=url).db.engine
    with src.connect() as a, dst.begin() as b:
        for table in Base.metadata.sorted_tables:
            rows = [dict(r) for r in a.execute(table.select()).mappings()]
            if rows:
                b.execute(table.insert(), rows)
            if "id" in table.c and isinstance(table.c.id.type, Integer):
                b.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                               f"COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM {table.name}"))
    src.dispose()
    dst.dispose()


def world_of_its_own(backend: str, seeded_sqlite: Path, folder: Path, name: str) -> str:
    """A database holding the seeded world for one test or module alone."""
    if backend == "sqlite":
        shutil.copy(seeded_sqlite, folder / f"{name}.db")
        return f"sqlite:///{folder / f'{name}.db'}"
    url = fresh_postgres_url(name)
    copy_world(seeded_sqlite, url)
    return url


@pytest.fixture(scope="session")
def hub(world_url):
    return bootstrap(database_url=world_url)


def person(hub, profile: str) -> PersonRow:
    with hub.db.session() as s:
        return s.scalars(select(PersonRow).where(PersonRow.profile == profile,
                                                 PersonRow.id.like(f"P{WORLD_SEED:04d}-%"))
                         .order_by(PersonRow.id)).first()
