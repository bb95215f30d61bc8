"""The Alembic migrations build exactly the schema the tables declare (SQLite, and
PostgreSQL when configured), and an upgraded trail of entries written before the audit
chain verifies."""
from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from scomm.storage.db import make_engine, migrate
from scomm.storage.tables import Base

from ..conftest import fresh_postgres_url


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_migrations_match_the_tables(backend, tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}" if backend == "sqlite" else fresh_postgres_url("scomm_migrations")
    engine = make_engine(url)
    migrate(engine)
    with engine.connect() as c:
        diff = compare_metadata(MigrationContext.configure(c, opts={"compare_type": True}), Base.metadata)
    engine.dispose()
    assert diff == []


def test_entries_written_before_the_chain_are_chained_by_the_upgrade(tmp_path):
    from datetime import UTC, datetime

    from alembic import command
    from sqlalchemy import text

    from scomm.storage import audit
    from scomm.storage.db import Database, alembic_config

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    with engine.begin() as c:
        cfg = alembic_config(url)
        cfg.attributes["connection"] = c
        command.upgrade(cfg, "0004")
        for i in range(3):
            c.execute(text("INSERT INTO audit (at, actor, action, target, data) VALUES (:at, :a, 'policy-add', "
                           ":t, :d)"), {"at": datetime(2020, 1, 1, 12, 0, i, 123456, tzinfo=UTC), "a": f"old{i}",
                                        "t": f"policy/{i}", "d": '{"before": null}'})
    migrate(engine)
    engine.dispose()
    db = Database(url)
    with db.session() as s:
        assert audit.verify(s) is None and audit.head(s)[1] == 3
    db.engine.dispose()
