"""Policies as audited data, through the CLI and the API, changing the next booking's case;
the jail's side (release, the 48-hour hold, custody, lapse)."""
from __future__ import annotations

import json
from datetime import date
from itertools import count

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from scomm.api.app import create_app
from scomm.bootstrap import bootstrap
from scomm.cli import app
from scomm.cli_common import operator
from scomm.domain.policyset import PolicySet
from scomm.storage.tables import CaseRow, EventRow
from scomm.world.booking import BookingOrder, make_car
from scomm.world.stream import person_of

from ..accounts import bearer, new_account, token_for
from .conftest import person, world_of_its_own

runner = CliRunner()
_impressions = count(300)
DALLAS, COLLIN, COOK, DUPAGE = "48113", "48085", "17031", "17043"  # no other test books here
BOOKED = date(2010, 6, 1)                          # a Tuesday, SC-2008 and SC detainer practice


def cli(url: str, *args: str):
    return runner.invoke(app, [*args, "--database", url], catch_exceptions=False)


def book(hub, county: str, on: date = BOOKED, profile: str = "noncitizen") -> str:
    """Submit one booking of the world's removable noncitizen (EWI, level 3); its TCN."""
    order = BookingOrder(person_of(person(hub, profile)), hub.deps.jurisdictions.sheriff_ori(county),
                         on, ("1313",), impression=next(_impressions))
    receipt = hub.submit(make_car(order))
    hub.bus.drain([receipt.transaction_id])
    with hub.db.session() as s:
        from scomm.storage.tables import TransactionRow
        return s.get(TransactionRow, receipt.transaction_id).tcn


def case_of(hub, tcn: str) -> CaseRow:
    from scomm.agencies.field_office import case_for
    from scomm.views import find_transaction
    with hub.db.session() as s:
        return case_for(s, find_transaction(s, tcn).id)


def events(hub, tcn: str, kind: str) -> list[dict]:
    from scomm.views import find_transaction
    with hub.db.session() as s:
        t = find_transaction(s, tcn)
        return [e.data for e in s.scalars(select(EventRow).where(
            EventRow.transaction_id == t.id, EventRow.kind == kind).order_by(EventRow.id))]


def jail_none(county: str, entry_id: str, state: str = "TX") -> dict:
    return {"id": entry_id, "state": state, "counties": [county],
            "topic": "jail_detainer_policy", "effective_from": "2009-01-01", "value": "none",
            "summary": "Test: the county jail honours no detainer.", "effect": "No hold.",
            "source": "e2e test"}


def test_cli_override_changes_next_booking_and_is_audited(hub, world_url, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"state": "ZZ", "topic": "x"},
                               {**jail_none(DALLAS, "x"), "value": "sometimes"}]))
    r = cli(world_url, "policy", "add", str(bad))
    assert r.exit_code == 1
    for name in ("[0].state", "[0].topic", "[0].source", "[1].value"):
        assert name in r.output

    def honoured() -> bool | None:
        shown = json.loads(cli(world_url, "policy", "show", "TX", "--county", DALLAS, "--on",
                               BOOKED.isoformat(), "--json").stdout)
        return shown["agreement"]["jail_honours_detainer"]["value"], shown

    assert honoured()[0] is True
    entry = tmp_path / "dallas.json"
    entry.write_text(json.dumps(jail_none(DALLAS, "TX-48113-e2e-none")))
    try:
        r = cli(world_url, "policy", "add", str(entry))
        assert r.exit_code == 0, r.output
        tcn = book(hub, DALLAS)
        c = case_of(hub, tcn)
        assert c.detainer["issued"] and c.detainer_honoured is False
        opened = events(hub, tcn, "case-opened")[0]
        assert opened["rule_fired"].startswith("SC-2008 rule L3-misdemeanor (priority 3) on ")
        assert opened["convictions"] and opened["convictions"][0] in opened["rule_fired"]
        assert opened["decided_by"]["jail_honours_detainer"] == [
            {"id": "TX-48113-e2e-none", "origin": "user entry", "effective_from": "2009-01-01"}]
        value, shown = honoured()
        assert value is False and "TX-48113-e2e-none" in [e["id"] for e in shown["history"]]
        listed = json.loads(cli(world_url, "policy", "list", "--state", "TX", "--json").stdout)
        assert [e["origin"] for e in listed if e["id"] == "TX-48113-e2e-none"] == ["user"]
        # The jail declines the detainer: on release the person walks out.
        r = cli(world_url, "case", "release", tcn, "--at", "2010-06-04T17:00")
        assert r.exit_code == 0, r.output
        walked = case_of(hub, tcn)
        assert walked.status == "released-by-jail" and walked.outcome is None
        assert walked.hold["declined"] and walked.hold["lapses_at"] is None
        assert "does not honour" in walked.hold["reasons"][0]
    finally:
        r = cli(world_url, "policy", "retire", "TX-48113-e2e-none")
    assert r.exit_code == 0, r.output
    assert cli(world_url, "policy", "retire", "TX-48113-e2e-none").exit_code == 2
    assert honoured()[0] is True, "retired: the record applies again"

    trail = json.loads(cli(world_url, "audit", "show", "--json", "--action", "policy-").stdout)
    mine = [a for a in trail if a["target"] == "policy/TX-48113-e2e-none"]
    assert [(a["role"], a["action"]) for a in mine][-2:] == [("console", "policy-add"),
                                                              ("console", "policy-retire")]
    assert mine[-1]["actor"] == mine[-2]["actor"] == operator().name     # the login name
    assert mine[-2]["data"]["after"]["value"] == "none" and mine[-2]["at"]
    assert mine[-1]["data"]["before"]["value"] == "none" and mine[-1]["data"]["after"] is None


def test_cli_hold_clock_and_custody(hub, world_url):
    tcn = book(hub, DALLAS)
    assert case_of(hub, tcn).detainer_honoured is True
    # Friday 17:00: Saturday and Sunday do not count, the hold lapses Tuesday 17:00.
    r = cli(world_url, "case", "release", tcn, "--at", "2010-06-04T17:00", "--json")
    assert r.exit_code == 0, r.output
    hold = json.loads(r.stdout)["hold"]
    assert hold["lapses_at"] == "2010-06-08T17:00:00"
    assert [d for d, _ in hold["excluded_days"]] == ["2010-06-05", "2010-06-06"]
    assert cli(world_url, "case", "release", tcn, "--at", "2010-06-04T17:00").exit_code == 2
    early = json.loads(cli(world_url, "holds", "sweep", "--at", "2010-06-08T16:59", "--json").stdout)
    assert case_of(hub, tcn).id not in early["lapsed"]
    r = cli(world_url, "case", "custody", tcn, "--at", "2010-06-08T10:00")
    assert r.exit_code == 0, r.output
    late = json.loads(cli(world_url, "holds", "sweep", "--at", "2010-06-08T17:00", "--json").stdout)
    c = case_of(hub, tcn)
    assert c.id not in late["lapsed"] and c.status == "in-ice-custody" and c.outcome is None
    assert events(hub, tcn, "ice-custody")[0]["note"] == "within the hold"
    assert cli(world_url, "case", "custody", tcn, "--at", "2010-06-08T11:00").exit_code == 2
    assert cli(world_url, "case", "release", "nope", "--at", "2010-06-04T17:00").exit_code == 2


@pytest.fixture(scope="module")
def client(hub):
    with TestClient(create_app(hub, worker_thread=True)) as c:
        yield c


def test_api_policies_override_and_audit(hub, client):
    carol, dave = new_account(hub, "policy-admin", "carol"), new_account(hub, "policy-admin", "dave")
    admin = {n: {"Authorization": f"Bearer {token_for(hub, u)}"} for n, u in (("carol", carol), ("dave", dave))}
    office = bearer(hub, "field-office", field_office=hub.deps.jurisdictions.county(COLLIN).field_office)
    auditor = bearer(hub, "auditor")
    client.headers.update(auditor)       # reads: any signed-in role
    fw = client.get("/api/frameworks").json()
    assert [f["id"] for f in fw["frameworks"]][:2] == ["SC-2008", "MORTON-2010"]
    assert client.get("/api/policies", params={"state": "IL", "topic": "opt_out"}).json()
    il = client.get("/api/policies/IL", params={"county": COOK, "on": "2012-01-01"}).json()
    assert il["agreement"]["jail_honours_detainer"]["value"] is False
    assert il["agreement"]["opt_out_requested"]["value"] is True
    assert il["agreement"]["opt_out_effective"]["value"] is False

    entry = jail_none(COLLIN, "TX-48085-e2e-none")
    assert client.post("/api/policies", json=entry).status_code == 403       # an auditor
    bad = client.post("/api/policies", json=[{**entry, "counties": ["17031"], "value": "maybe"}],
                      headers=admin["carol"])
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"[0].counties", "[0].value"}
    before = book(hub, COLLIN)
    r = client.post("/api/policies", json=entry, headers=admin["carol"])
    assert r.status_code == 201, r.text
    try:
        after = book(hub, COLLIN)
        got = client.get(f"/api/cases/{after}", headers=office).json()
        assert got["detainer_honoured"] is False and got["framework"] == "SC-2008"
        assert client.get(f"/api/cases/{before}", headers=office).json()["detainer_honoured"] is True
        again = client.post("/api/policies", json={**entry, "value": "conviction"},
                            headers=admin["dave"])
        assert again.status_code == 201
        shown = client.get(f"/api/policies/TX?county={COLLIN}&on=2010-06-01").json()
        assert "TX-48085-e2e-none" in [e["id"] for e in shown["history"]]
        rel = client.post(f"/api/cases/{before}/release", json={"at": "2010-06-04T17:00:00"},
                          headers=office)
        assert rel.status_code == 200 and rel.json()["hold"]["lapses_at"] == "2010-06-08T17:00:00"
        assert client.post(f"/api/cases/{before}/release", json={"at": "2010-06-04T17:00:00"},
                           headers=office).status_code == 409
        sw = client.post("/api/holds/sweep", params={"at": "2010-06-30T00:00:00"},
                         headers=office)
        assert sw.status_code == 200 and case_of(hub, before).id in sw.json()["lapsed"]
        lapsed = client.get(f"/api/cases/{before}", headers=office).json()
        assert lapsed["outcome"] == "detainer-lapsed"
        assert lapsed["outcome_at"].startswith("2010-06-08T17:00")
        cus = client.post(f"/api/cases/{before}/custody", json={"at": "2010-07-01T09:00:00"},
                          headers=office)
        assert cus.status_code == 200 and cus.json()["status"] == "in-ice-custody"
    finally:
        gone = client.delete("/api/policies/entries/TX-48085-e2e-none", headers=admin["carol"])
    assert gone.status_code == 200
    assert client.delete("/api/policies/entries/TX-48085-e2e-none",
                         headers=admin["carol"]).status_code == 404
    assert client.delete("/api/policies/entries/US-2008-10-27-jail",
                         headers=admin["carol"]).status_code == 404
    trail = [a for a in client.get("/api/audit", params={"action": "policy-"}).json()
             if a["target"] == "policy/TX-48085-e2e-none"]
    assert [(a["actor"], a["action"]) for a in trail] == [
        ("carol", "policy-add"), ("dave", "policy-override"), ("carol", "policy-retire")]
    assert trail[1]["data"]["before"]["value"] == "none"
    assert trail[1]["data"]["after"]["value"] == "conviction"
    client.headers.pop("Authorization")
    spec = client.get("/openapi.json").json()["paths"]
    assert {"/api/policies", "/api/policies/entries/{entry_id}", "/api/audit",
            "/api/cases/{ref}/release"} <= set(spec)


def test_counterfactual_opt_out_stops_forwarding(world_url, seeded_sqlite, tmp_path):
    """A hub built with a policy file (as a simulation is): an activated Illinois county
    is not forwarded to IDENT after the state's opt-out of 2011-05-04; before it, it is.

    On a database of its own: a worker runs any owed step under its own hub's policy, so
    a counterfactual hub never shares an outbox with workers of the record (here, the
    module's API worker)."""
    backend = "sqlite" if world_url.startswith("sqlite") else "postgres"
    url = world_of_its_own(backend, seeded_sqlite, tmp_path, "scomm_counterfactual")
    cf = bootstrap(database_url=url, policy=PolicySet.counterfactual("opt-outs-honoured-2011"))
    stopped = book(cf, DUPAGE, on=date(2012, 3, 1))
    assert case_of(cf, stopped) is None
    why = events(cf, stopped, "not-forwarded")[0]
    assert why["policy_entries"] == ["IL-2011-05-04-opt-out"]
    assert "opt-outs-honoured-2011" in why["reason"] and "activated" in why["activation"]
    before = book(cf, DUPAGE, on=date(2011, 5, 3))
    assert events(cf, before, "forwarded-to-ident") and case_of(cf, before) is not None
    withheld = events(cf, before, "idr-not-passed-to-local-agency")
    assert withheld and withheld[0]["policy_entries"] == ["IL-2009-07-23-sib"]
    cf.db.engine.dispose()
