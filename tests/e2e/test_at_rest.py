"""SC-28, encryption at rest: the database file holds no name, date of birth, WSQ image,
template or submission in the clear; a sealed value opens only in its own column and under
this hub's master key; a rotation re-wraps every data key while hubs keep running."""
from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from scomm.bootstrap import bootstrap
from scomm.cli import app
from scomm.interchange.decode import decode
from scomm.security.keys import KeyFileError, ensure_master_key, read_master_keys
from scomm.security.sealing import SealError
from scomm.storage.db import Database, migrate
from scomm.storage.sealed import _Sealed
from scomm.storage.tables import AuditRow, Base, CriminalSubjectRow, PersonRow, TransactionRow

from ..conftest import fresh_postgres_url, sqlite_file_bytes
from .conftest import person, world_of_its_own
from .test_cli_chain import book, submit

SEALED = [(t.name, c.name) for t in Base.metadata.sorted_tables for c in t.columns if isinstance(c.type, _Sealed)]


@pytest.fixture(scope="module")
def booked(seeded_sqlite, tmp_path_factory):
    """The seeded world with one matched booking through the whole chain, on SQLite."""
    folder = tmp_path_factory.mktemp("at_rest")
    url = world_of_its_own("sqlite", seeded_sqlite, folder, "at_rest")
    hub = bootstrap(database_url=url)
    p = person(hub, "noncitizen")
    submission = book(url, folder, subject=p.id)
    code, [res] = submit(url, submission)
    assert code == 0 and res["accepted"], res
    with hub.db.read() as s:
        people = [(x.name, x.dob) for x in s.scalars(select(PersonRow))]
    hub.db.engine.dispose()
    return Path(url.removeprefix("sqlite:///")), people, Path(submission).read_bytes()


def test_the_file_holds_no_name_date_of_birth_image_template_or_submission(booked):
    path, people, submission = booked
    stored = sqlite_file_bytes(path)
    assert len(people) >= 6
    for name, dob in people:
        for form in {name, name.upper()}:
            assert form.encode() not in stored, "a name in the clear"
        for form in (dob.isoformat(), dob.strftime("%Y%m%d")):
            assert form.encode() not in stored, "a date of birth in the clear"
    wsq = [f.data for f in decode(submission).images if f.compression == "WSQ"]
    assert len(wsq) >= 8
    for data in wsq:
        assert data[:64] not in stored and data[-64:] not in stored, "a WSQ image in the clear"
    assert b"FMR\x00" + b" 20\x00" not in stored, "an ISO 19794-2 template in the clear"
    assert submission[:40] not in stored, "a submission in the clear"


def test_every_sealed_column_holds_only_sealed_values(booked):
    path = booked[0]
    con = sqlite3.connect(path)
    try:
        for table, column in SEALED:
            values = [v for (v,) in con.execute(f'SELECT "{column}" FROM {table} WHERE "{column}" IS NOT NULL')]
            assert all(isinstance(v, bytes) and v[0] == 1 and len(v) >= 33 for v in values), (table, column)
    finally:
        con.close()
    assert ("persons", "name") in SEALED and ("cjis_fingers", "image") in SEALED and ("transactions", "raw") in SEALED


def test_a_sealed_value_does_not_open_in_another_column(booked):
    """Whoever can write the database cannot show a person's rap sheet as their name."""
    db = Database(f"sqlite:///{booked[0]}")
    with db.read() as s:
        blob = s.execute(text("SELECT rapsheet FROM cjis_subjects LIMIT 1")).scalar_one()
    with pytest.raises(SealError, match="cjis_subjects.name"):
        db.sealer.open(blob, "cjis_subjects.name")
    assert db.sealer.open(blob, "cjis_subjects.rapsheet").startswith(b"{")
    db.engine.dispose()


def test_another_master_key_opens_nothing(booked, tmp_path):
    ensure_master_key(tmp_path / "stranger.key")
    db = Database(f"sqlite:///{booked[0]}", master_key_file=tmp_path / "stranger.key")
    with pytest.raises(KeyFileError, match="which .*stranger.key does not hold"), db.read() as s:
        s.scalars(select(CriminalSubjectRow)).first()
    db.engine.dispose()


# --- rotation, on both backends ---------------------------------------------------------

@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def small(request, tmp_path, monkeypatch):
    """A fresh database with one person, its master key file in a folder of its own."""
    url = (f"sqlite:///{tmp_path / 'keys.db'}" if request.param == "sqlite"
           else fresh_postgres_url("scomm_at_rest"))
    key_file = tmp_path / "keys" / "master.key"
    monkeypatch.setenv("SCOMM_MASTER_KEY_FILE", str(key_file))
    db = Database(url, key_file)
    migrate(db.engine)
    with db.session() as s:
        s.add(PersonRow(id="P1", seed=1, profile="citizen", name="ROE,RICHARD", dob=date(1971, 3, 4),
                        sex="M", race="W", pob="TX"))
    yield url, key_file, db
    db.engine.dispose()


def _names(db: Database) -> list[str]:
    with db.read() as s:
        return sorted(p.name for p in s.scalars(select(PersonRow)))


def test_rotation_rewraps_every_data_key_while_hubs_run(small):
    url, key_file, running = small
    before = read_master_keys(key_file)
    r = CliRunner().invoke(app, ["keys", "rotate", "--database", url], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    after = read_master_keys(key_file)
    assert len(after) == 1 and after[0].id != before[0].id and f"{before[0].id} -> {after[0].id}" in r.output
    retired = key_file.with_name(f"master.key.{before[0].id}.retired")
    assert read_master_keys(retired) == before and (retired.stat().st_mode & 0o777) == 0o600

    # the running hub goes on writing under its data key; a new one seals under the new key
    with running.session() as s:
        s.add(PersonRow(id="P2", seed=2, profile="citizen", name="ROE,JANE", dob=date(1972, 5, 6),
                        sex="F", race="W", pob="TX"))
    fresh = Database(url, key_file)
    with fresh.session() as s:
        s.add(PersonRow(id="P3", seed=3, profile="citizen", name="ROE,MARY", dob=date(1973, 7, 8),
                        sex="F", race="W", pob="TX"))
    # each reads all: the running hub meets the new data key and unwraps it, unrestarted
    assert _names(running) == _names(fresh) == ["ROE,JANE", "ROE,MARY", "ROE,RICHARD"]
    with fresh.read() as s:
        keys = s.execute(text("SELECT master_id FROM data_keys")).scalars().all()
        entry = s.scalars(select(AuditRow).where(AuditRow.action == "keys-rotate")).one()
    assert len(keys) == 2 and set(keys) == {after[0].id}
    assert entry.target == f"master-key/{after[0].id}" and entry.data["rewrapped"] == 1
    fresh.engine.dispose()


def test_the_old_master_key_alone_opens_nothing_after_a_rotation(small, tmp_path):
    url, key_file, _ = small
    before = key_file.read_bytes()
    assert CliRunner().invoke(app, ["keys", "rotate", "--database", url]).exit_code == 0
    stale = tmp_path / "stale.key"
    stale.write_bytes(before)
    stale.chmod(0o600)
    db = Database(url, stale)
    with pytest.raises(KeyFileError, match="does not hold"):
        _names(db)
    db.engine.dispose()


def test_a_new_database_file_is_its_owners_alone(small):
    url = small[0]
    if not url.startswith("sqlite"):
        pytest.skip("a file mode is SQLite's")
    assert (Path(url.removeprefix("sqlite:///")).stat().st_mode & 0o777) == 0o600


def test_the_transaction_row_reads_back_whole(booked):
    db = Database(f"sqlite:///{booked[0]}")
    with db.read() as s:
        tx = s.scalars(select(TransactionRow).where(TransactionRow.accepted)).first()
    assert tx.raw == booked[2] and tx.booking["name"] and isinstance(tx.errors, list)
    db.engine.dispose()
