"""The audit trail cannot be quietly changed: an update, a deletion, an insertion or a
truncation is named by `scomm audit verify` (against a signed checkpoint), on SQLite and
PostgreSQL; concurrent writers never fork the chain. And the operator's CLI for accounts."""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from scomm.bootstrap import bootstrap
from scomm.cli import app
from scomm.security.principal import Principal, Role
from scomm.storage import audit
from scomm.storage.tables import AuditRow

from ..conftest import fresh_postgres_url

runner = CliRunner()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def trail(request, tmp_path, monkeypatch):
    """A fresh database with ten audit entries and a signed checkpoint of them."""
    url = (f"sqlite:///{tmp_path / 'audit.db'}" if request.param == "sqlite"
           else fresh_postgres_url("scomm_audit_trail"))
    monkeypatch.setenv("SCOMM_KEY_DIR", str(tmp_path / "keys"))
    assert cli(url, "init").exit_code == 0
    hub = bootstrap(database_url=url)
    who = Principal("alice", Role.AUDITOR, source="10.0.0.1")
    for i in range(9):
        with hub.db.session() as s:
            audit.append(s, who, "read-transaction", f"transaction/{i}", data={"n": i})
    r = cli(url, "audit", "checkpoint")           # the tenth entry: the checkpoint itself
    assert r.exit_code == 0, r.output
    yield hub, url
    hub.db.engine.dispose()


def cli(url: str, *args: str):
    return runner.invoke(app, [*args, "--database", url], catch_exceptions=False)


def sql(hub, statement: str) -> None:
    with hub.db.engine.begin() as c:
        c.execute(text(statement))


def test_an_untouched_trail_verifies(trail):
    hub, url = trail
    r = cli(url, "audit", "verify")
    assert r.exit_code == 0 and "checkpoint: entry 10" in r.output


@pytest.mark.parametrize("tamper, first_bad", [
    ("UPDATE audit SET actor = 'mallory' WHERE id = 4", 4),                    # update
    ("UPDATE audit SET outcome = 'success' WHERE id = 7", None),               # a no-op update: fine
    ("DELETE FROM audit WHERE id = 5", 6),                                     # deletion
    ("UPDATE audit SET id = id + 100 WHERE id >= 4; "                          # insertion after 3
     "INSERT INTO audit (id, at, actor, role, action, target, outcome, data, prev_hash, hash) "
     "SELECT 4, at, 'mallory', role, action, target, outcome, data, hash, "
     "CASE WHEN substr(hash, 1, 1) = '0' THEN '1' ELSE '0' END || substr(hash, 2) "  # never row 3's own
     "FROM audit WHERE id = 3", 4),
    ("DELETE FROM audit WHERE id >= 8", 10),                                   # truncation
])
def test_tampering_is_named(trail, tamper, first_bad):
    hub, url = trail
    for statement in tamper.split("; "):
        sql(hub, statement)
    r = cli(url, "audit", "verify")
    if first_bad is None:
        assert r.exit_code == 0, r.output
        return
    assert r.exit_code == 1 and f"audit entry {first_bad}:" in r.output, r.output


def test_a_rewritten_chain_is_caught_by_the_checkpoint(trail):
    """Whoever can write the database can recompute every hash: not sign a checkpoint."""
    from scomm.security.audit_chain import GENESIS, Entry, link
    hub, url = trail
    sql(hub, "DELETE FROM audit WHERE id = 2")
    prev = GENESIS
    with hub.db.session() as s:
        for r in s.scalars(select(AuditRow).order_by(AuditRow.id)):
            e = Entry(at=r.at, principal=r.actor, role=r.role, ori=r.ori, action=r.action,
                      target=r.target, outcome=r.outcome, source=r.source, data=r.data)
            r.prev_hash, r.hash = prev, link(prev, e)
            prev = r.hash
            s.flush()
    r = cli(url, "audit", "verify")
    assert r.exit_code == 1 and "audit entry 10:" in r.output, r.output
    bad = cli(url, "audit", "verify", "--checkpoint", "/nonexistent/checkpoint.json")
    assert bad.exit_code == 2


def test_a_forged_checkpoint_is_refused_and_recorded(trail, tmp_path):
    hub, url = trail
    good = json.loads((tmp_path / "keys" / "audit-checkpoint.json").read_text())
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps({**good, "entries": good["entries"] - 1}))
    r = cli(url, "audit", "verify", "--checkpoint", str(forged))
    assert r.exit_code == 1 and "signature does not verify" in r.output
    with hub.db.session() as s:
        last = s.scalars(select(AuditRow).order_by(AuditRow.id.desc())).first()
    assert (last.action, last.outcome) == ("audit-verify", "failure")


def test_concurrent_writers_never_fork_the_chain(trail):
    hub, url = trail

    def write(i: int) -> None:
        with hub.db.session() as s:
            audit.append(s, Principal(f"w{i}", Role.EXAMINER), "read-transaction", f"transaction/{i}")
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(write, range(64)))
    with hub.db.session() as s:
        assert audit.verify(s) is None
        assert audit.head(s)[1] == 10 + 64


def test_no_command_deletes_audit_entries():
    names = {c.name for g in app.registered_groups for c in g.typer_instance.registered_commands
             if g.name == "audit"}
    assert names == {"show", "checkpoint", "verify"}


def test_operator_cli_manages_accounts(tmp_path):
    url = f"sqlite:///{tmp_path / 'accounts.db'}"
    r = cli(url, "users", "add", "ann", "--role", "booking-agency", "--ori", "IL0160000", "--json")
    assert r.exit_code == 0, r.output
    made = json.loads(r.stdout)
    assert set(made) >= {"name", "password", "totp_secret"} and made["name"] == "ann"
    assert cli(url, "users", "add", "ann", "--role", "auditor").exit_code == 2      # exists
    assert cli(url, "users", "add", "bo", "--role", "booking-agency").exit_code == 2  # no ORI
    assert cli(url, "users", "add", "bo", "--role", "king").exit_code == 2
    c = json.loads(cli(url, "clients", "add", "livescan-2", "--role", "booking-agency", "--ori",
                       "IL0160000", "--json").stdout)
    assert set(c) >= {"client_id", "client_secret"}
    assert json.loads(cli(url, "users", "reset-password", "ann", "--json").stdout)["password"] != made["password"]
    assert json.loads(cli(url, "users", "reset-mfa", "ann", "--json").stdout)["totp_secret"] != made["totp_secret"]
    assert cli(url, "users", "disable", "ann").exit_code == 0
    listed = {r["name"]: r for r in json.loads(cli(url, "users", "list", "--json").stdout)}
    assert listed["ann"]["disabled"] and listed["livescan-2"]["client_id"] == c["client_id"]
    shown = json.loads(cli(url, "audit", "show", "--json").stdout)
    assert [r["action"] for r in shown] == ["account-add", "client-add", "account-reset-password",
                                            "account-reset-mfa", "account-disable"]
    assert all(r["role"] == "console" and r["source"] == "cli" for r in shown)
    for r in shown:   # no secret in the trail
        assert made["password"] not in json.dumps(r) and c["client_secret"] not in json.dumps(r)
