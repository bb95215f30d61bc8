"""The Alembic migrations build exactly the schema the tables declare (SQLite, and
PostgreSQL when configured), and an upgraded trail of entries written before the audit
chain verifies."""
from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from scomm.storage.db import make_engine, migrate
from scomm.storage.tables import Base

from ..conftest import fresh_postgres_url, sqlite_file_bytes


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


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_the_upgrade_seals_what_was_there_and_leaves_no_copy_in_the_clear(backend, tmp_path):
    from datetime import date

    from alembic import command
    from sqlalchemy import event, select, text

    from scomm.storage.db import Database, alembic_config
    from scomm.storage.tables import EventRow, PersonRow, ResponseRow, TransactionRow

    url = f"sqlite:///{tmp_path / 'old.db'}" if backend == "sqlite" else fresh_postgres_url("scomm_upgrade_seal")
    key = tmp_path / "master.key"
    engine = make_engine(url, key)
    if backend == "sqlite":   # as SQLite builds without SECURE_DELETE leave freed pages
        event.listen(engine, "connect", lambda conn, _: conn.execute("PRAGMA secure_delete=OFF"))
    with engine.begin() as c:
        cfg = alembic_config(url)
        cfg.attributes["connection"] = c
        command.upgrade(cfg, "0005")
        c.execute(text("INSERT INTO persons (id, seed, profile, name, dob, sex, race, pob) "
                       "VALUES (:id, 1, 'citizen', :name, '1970-01-02', 'M', 'W', 'TX')"),
                  [{"id": f"P{i}", "name": "DOE,JOHN" if i == 1 else f"ROE,NUMBER{i}"} for i in range(1, 2000)])
        c.execute(text("INSERT INTO transactions (id, received_at, sha256, raw, accepted, errors, state, booking) "
                       "VALUES (1, '2020-01-01 00:00:00+00:00', 'x', :raw, TRUE, '[]', 'done', :b)"),
                  {"raw": b"1.001:PLAINTEXT-SUBMISSION" * 4000, "b": '{"name": "DOE,JOHN"}'})  # pages of it
        c.execute(text("INSERT INTO responses (transaction_id, kind, created_at, body, summary) "
                       "VALUES (1, 'IDR', '2020-01-01 00:00:00+00:00', :body, '{\"match\": true}')"),
                  {"body": b"PLAINTEXT-IDR"})
        c.execute(text("INSERT INTO events (transaction_id, at, actor, kind, data) "
                       "VALUES (1, '2020-01-01 00:00:00+00:00', 'sib', 'rejected', '{\"dob\": \"1970-01-02\"}')"))
    migrate(engine)
    engine.dispose()
    if backend == "sqlite":
        stored = sqlite_file_bytes(tmp_path / "old.db")
        for clear in (b"DOE,JOHN", b"ROE,NUMBER1999", b"1970-01-02", b"PLAINTEXT-SUBMISSION", b"PLAINTEXT-IDR"):
            assert clear not in stored, clear
    db = Database(url, key)
    with db.read() as s:
        p = s.get(PersonRow, "P1")
        tx = s.get(TransactionRow, 1)
        idr = s.scalars(select(ResponseRow)).one()
        event = s.scalars(select(EventRow)).one()
    assert (p.name, p.dob, p.pob) == ("DOE,JOHN", date(1970, 1, 2), "TX")
    assert tx.raw == b"1.001:PLAINTEXT-SUBMISSION" * 4000 and tx.booking == {"name": "DOE,JOHN"} and tx.errors == []
    assert (idr.body, idr.summary, idr.finding) == (b"PLAINTEXT-IDR", {"match": True}, "match")
    assert event.data == {"dob": "1970-01-02"}
    db.engine.dispose()
