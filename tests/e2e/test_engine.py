"""The identification engine (abis/): the in-process engine answers identify, verify,
insert, ping and jobs; its HTTP app is protected by the access table; a served engine
(`scomm engine serve`, a real process) runs the hub's CJIS and IDENT steps, and an
engine that cannot be reached makes the step fail and retry, never a no-match."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import date
from itertools import count

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from scomm.abis import SearchIncomplete, UnknownReference
from scomm.abis.client import RemoteEngine
from scomm.api.access import ENGINE_ROUTES, routes_of
from scomm.api.engine import create_engine_app
from scomm.application import sign_in
from scomm.bench import chaos
from scomm.biometrics import FingerprintTemplate
from scomm.bootstrap import bootstrap
from scomm.clock import now
from scomm.config import Settings
from scomm.messages import EventKind, Step, TxState
from scomm.processes import wait_healthy
from scomm.security.access import TABLE
from scomm.security.principal import ACCOUNT_ROLES, Role
from scomm.storage.tables import (
    AuditRow,
    CriminalFingerRow,
    CriminalSubjectRow,
    EventRow,
    OutboxRow,
    ResponseRow,
    TransactionRow,
)
from scomm.world.booking import BookingOrder, make_car
from scomm.world.stream import person_of

from ..accounts import bearer
from .conftest import ACTIVE_2008, person, world_of_its_own

_impressions = count(900)


@pytest.fixture(scope="module")
def url(seeded_sqlite, tmp_path_factory):
    return world_of_its_own("sqlite", seeded_sqlite, tmp_path_factory.mktemp("engine"), "engine")


@pytest.fixture(scope="module")
def hub(url):
    return bootstrap(database_url=url)


def _subject(hub, n: int) -> tuple[str, dict[int, FingerprintTemplate]]:
    """The UCN of the n-th enrolled criminal subject and its prints."""
    with hub.db.read() as s:
        sid, ucn = s.execute(select(CriminalSubjectRow.id, CriminalSubjectRow.ucn)
                             .order_by(CriminalSubjectRow.id).offset(n).limit(1)).one()
        rows = s.execute(select(CriminalFingerRow.finger, CriminalFingerRow.template)
                         .where(CriminalFingerRow.subject_id == sid)).all()
    return ucn, {f: FingerprintTemplate.from_iso(b) for f, b in rows}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_hub(request, seeded_sqlite, tmp_path):
    hub = bootstrap(database_url=world_of_its_own(request.param, seeded_sqlite, tmp_path, "engine_any"))
    yield hub
    hub.db.engine.dispose()


def test_the_engine_identifies_verifies_and_indexes(any_hub):
    hub = any_hub
    engine = hub.deps.engine
    ucn, probe = _subject(hub, 0)
    other, _ = _subject(hub, 1)
    found = engine.identify("cjis", probe)
    assert found.hit is not None and found.hit.subject_id == ucn and found.hit.details
    assert found.gallery_size >= 2 and found.through >= 2
    assert [c.subject_id for c in engine.identify("cjis", probe, among=[other]).candidates] == [other]
    assert engine.identify("cjis", probe, among=[other]).hit is None
    assert engine.identify("cjis", probe, after=found.through).candidates == []
    assert engine.identify("cjis", probe, top=1).candidates[0].subject_id == ucn

    same, different = engine.verify("cjis", probe, ucn), engine.verify("cjis", probe, other)
    assert same.candidate.decision and not different.candidate.decision
    assert same.candidate.threshold == hub.galleries.cjis.gallery.rule.threshold(1)
    assert "N=1" in same.candidate.rule or "not ln" in same.candidate.rule
    with pytest.raises(UnknownReference):
        engine.verify("cjis", probe, "UNOSUCH")
    with pytest.raises(UnknownReference):
        engine.insert("ident", ucn)       # a UCN is not a FIN
    assert engine.insert("cjis", ucn) == found.through
    with pytest.raises(KeyError):
        engine.identify("iafis", probe)

    states = {g.name: g for g in engine.ping()}
    assert set(states) == {"cjis", "ident"} and states["cjis"].subjects == found.gallery_size
    assert states["cjis"].fingers >= 8 * states["cjis"].subjects
    assert engine.pending() == []


@pytest.fixture(scope="module")
def client(hub):
    with TestClient(create_engine_app(hub)) as c:
        yield c


def _service(hub) -> dict[str, str]:
    with hub.db.session() as s:
        return {"Authorization": f"Bearer {sign_in.service_token(s, now()).access_token}"}


def _call(client, method: str, path: str, body: dict, headers: dict):
    url = path.format(gallery="cjis")
    return client.request(method, url, json=body if method == "POST" else None, headers=headers)


def _bodies(hub) -> dict[str, dict]:
    ucn, probe = _subject(hub, 0)
    fingers = {str(f): b for f, b in RemoteEngine._probe(probe)["fingers"].items()}
    return {"identify": {"fingers": fingers}, "verify": {"fingers": fingers, "reference_id": ucn},
            "insert": {"reference_id": ucn}, "ping": {}, "jobs": {}}


def test_every_engine_route_has_an_entry_and_every_role_gets_what_the_table_says(hub, client):
    assert set(routes_of(client.app)) == set(ENGINE_ROUTES)
    bodies = _bodies(hub)
    for role in [*ACCOUNT_ROLES, Role.ANONYMOUS, Role.SYSTEM]:
        headers = ({} if role == Role.ANONYMOUS else _service(hub) if role == Role.SYSTEM
                   else bearer(hub, role, **({"ori": "TX1010000"} if role == Role.BOOKING_AGENCY else
                                            {"state": "TX"} if role == Role.STATE_BUREAU else
                                            {"field_office": "HOU"} if role == Role.FIELD_OFFICE else {})))
        for (method, path), use in ENGINE_ROUTES.items():
            if use is None:
                continue
            r = _call(client, method, path, bodies[path.rsplit("/", 1)[1]], headers)
            where = f"{role} {method} {path}: {r.status_code} {r.text[:200]}"
            if role in TABLE[use]:
                assert r.status_code == 200, where
            else:
                assert r.status_code == (401 if role == Role.ANONYMOUS else 403), where


def test_an_examiners_search_is_answered_explained_and_audited(hub, client):
    body = _bodies(hub)["identify"]
    examiner = bearer(hub, "examiner")
    r = client.post("/abis/v1/cjis/identify", json={**body, "top": 3}, headers=examiner)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["hit"] and len(out["candidates"]) == 3
    first, second = out["candidates"][:2]
    assert first["decision"] and first["explanation"]["fingers"] and second["explanation"] is None
    assert "fused score >=" in first["rule"] and out["through"] >= 1
    with hub.db.read() as s:
        rows = s.scalars(select(AuditRow).where(AuditRow.action == "identify")).all()
    assert rows and rows[-1].actor.startswith("t-examiner") and rows[-1].target == "gallery/cjis"

    bad = {**body["fingers"], "3": "bm90IGEgdGVtcGxhdGU="}
    r = client.post("/abis/v1/cjis/identify", json={"fingers": bad}, headers=examiner)
    assert r.status_code == 422 and "finger 3: not an ISO/IEC 19794-2 template" in r.text
    r = client.post("/abis/v1/cjis/verify", json={"fingers": body["fingers"], "reference_id": "UNOSUCH"},
                    headers=examiner)
    assert r.status_code == 404
    assert client.post("/abis/v1/iafis/identify", json=body, headers=examiner).status_code == 422
    schema = client.get("/openapi.json").json()
    assert schema["paths"]["/abis/v1/{gallery}/identify"]["post"]["security"] == [{"bearer": []}]


# ------------------------------------------------------------------ a served engine

def _engine_process(url: str, port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([sys.executable, "-m", "scomm.cli", "engine", "serve", "--port", str(port)],
                            env={**os.environ, "SCOMM_DATABASE_URL": url},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_healthy(proc, port, 120, "the engine")
    return proc


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)


def _booking(hub) -> bytes:
    order = BookingOrder(person_of(person(hub, "noncitizen")), hub.deps.jurisdictions.sheriff_ori(ACTIVE_2008),
                         date(2011, 6, 7), ("3562",), impression=next(_impressions))
    return make_car(order)


@pytest.mark.slow
def test_a_served_engine_runs_the_chain_and_one_unreachable_is_retried_never_a_no_match(
        seeded_sqlite, tmp_path):
    url = world_of_its_own("sqlite", seeded_sqlite, tmp_path, "served")
    port = chaos._free_port()
    hub = bootstrap(Settings(database_url=url, engine_url=f"http://127.0.0.1:{port}"))
    local = bootstrap(database_url=url).deps.engine
    assert isinstance(hub.deps.engine, RemoteEngine)
    engine = _engine_process(url, port)
    try:
        ucn, probe = _subject(hub, 0)
        remote, here = hub.deps.engine.identify("cjis", probe), local.identify("cjis", probe)
        assert [(c.subject_id, round(c.score, 9), c.decision) for c in remote.candidates] == \
               [(c.subject_id, round(c.score, 9), c.decision) for c in here.candidates]
        assert remote.hit.explain() == here.hit.explain()
        assert hub.deps.engine.verify("cjis", probe, ucn).candidate.decision

        first = hub.submit(_booking(hub)).transaction_id
        hub.bus.drain([first])
        with hub.db.read() as s:
            sre = s.scalars(select(ResponseRow).where(ResponseRow.transaction_id == first,
                                                      ResponseRow.kind == "SRE")).one()
        assert sre.summary["identified"], "a record the served engine holds is identified"
        assert {g.name: g.subjects for g in hub.deps.engine.ping()} == {g.name: g.subjects for g in local.ping()}
    finally:
        _stop(engine)

    with pytest.raises(SearchIncomplete):
        hub.deps.engine.identify("cjis", probe)
    second = hub.submit(_booking(hub)).transaction_id
    with hub.db.read() as s:
        step = s.scalars(select(OutboxRow).where(OutboxRow.transaction_id == second,
                                                 OutboxRow.step == Step.CJIS)).one()
    assert not hub.bus.run_one(step.id)
    with hub.db.session() as s:
        row = s.get(OutboxRow, step.id)
        assert row.done_at is None and row.attempts == 1 and "did not answer" in row.last_error
        row.not_before = None
        kinds = set(s.scalars(select(EventRow.kind).where(EventRow.transaction_id == second)))
        assert EventKind.STEP_FAILED in kinds and not kinds & {EventKind.ENROLLED, EventKind.IDENTIFIED}
        assert not s.scalars(select(ResponseRow).where(ResponseRow.transaction_id == second,
                                                       ResponseRow.kind == "SRE")).all()
    engine = _engine_process(url, port)
    try:
        hub.bus.drain([second])
    finally:
        _stop(engine)
    with hub.db.read() as s:
        done = s.scalar(select(OutboxRow.done_at).where(OutboxRow.id == step.id))
        identified = s.scalars(select(ResponseRow).where(ResponseRow.transaction_id == second,
                                                         ResponseRow.kind == "SRE")).one().summary["identified"]
        state = s.get(TransactionRow, second).state
    assert done is not None and identified and state == TxState.DONE, "the chain went on from the retried step"
