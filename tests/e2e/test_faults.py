"""What a hostile outsider or a careless operator tried (issue 9), on SQLite and PostgreSQL:
out-of-range identifiers, values the database refuses, huge and absurd submissions,
floods. Each is answered 4xx with its reason, loses nothing and stores nothing it should not.
"""
from __future__ import annotations

import hashlib
import time
from datetime import date

import nistitl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from scomm import interchange as nist
from scomm.api.app import create_app
from scomm.biometrics.synth import subject_tenprint
from scomm.bootstrap import bootstrap
from scomm.config import Settings
from scomm.interchange.images import encode_wsq
from scomm.messages import TxState
from scomm.storage.tables import AuditRow, PolicyEntryRow, ResponseRow, TransactionRow

from ..accounts import bearer

ORI = "TX201SO00"
BEYOND_64_BITS = str(2**63)


@pytest.fixture(scope="module")
def client(hub):
    with TestClient(create_app(hub, worker_thread=True), headers=bearer(hub, "state-bureau", state="TX")) as c:
        yield c


def role_for(hub, path: str) -> dict[str, str]:
    """A signed-in role that may run ``path`` (so that the answer is about the identifier)."""
    if "/cases/" in path or path.endswith("/outcome"):
        return bearer(hub, "field-office", field_office="HOU")
    return bearer(hub, "examiner")


@pytest.fixture(scope="module")
def fingers():
    return subject_tenprint(515151, 1)


def car(fingers, tcn: str) -> bytes:
    day = date(2010, 6, 1)
    return nist.encode_car(tcn=tcn, ori=ORI, dai="SCOMMSIB0", date=day, name="DOE,JANE",
                           dob=date(1980, 2, 3), sex="F", race="W", pob="MX", arrest_date=day,
                           charges=[nist.Charge("2303", "SHOPLIFTING")], fingers=fingers)


def count(hub, table) -> int:
    with hub.db.read() as s:
        return s.scalar(select(func.count()).select_from(table))


@pytest.mark.parametrize("method,path,body", [
    ("get", "/transactions/{ref}", None),
    ("get", "/t/{ref}", None),
    ("get", "/api/cases/{ref}", None),
    ("get", "/transactions/{ref}/responses/SRE", None),
    ("post", "/transactions/{ref}/outcome", {"outcome": "removed"}),
    ("post", "/api/cases/{ref}/release", {"at": "2012-03-02T17:00:00"}),
])
@pytest.mark.parametrize("ref", [BEYOND_64_BITS, str(2**31), "9" * 40, "x" * 41, "%00", "%C2%B2"])
def test_identifiers_out_of_range_are_4xx_never_500(hub, client, method, path, body, ref):
    r = getattr(client, method)(path.format(ref=ref), headers=role_for(hub, path),
                                **({"json": body} if body else {}))
    assert 400 <= r.status_code < 500, (r.status_code, r.text)
    assert r.json()["detail"]


def test_a_release_time_the_hold_clock_cannot_count_is_422(hub, client):
    r = client.post("/api/cases/1/release", json={"at": "9999-12-31T23:00:00"},
                    headers=role_for(hub, "/api/cases/"))
    assert r.status_code == 422 and "1971-2199" in r.text


@pytest.mark.parametrize("tcn,problem", [("T" * 45, "at most 40"), ("NUL\x00IN0TCN", "U+0000")])
def test_identifiers_the_database_would_refuse_get_an_errt_naming_the_field(hub, fingers, tcn,
                                                                            problem):
    receipt = hub.submit(car(fingers, tcn), "db-refuses.an2")
    with hub.db.read() as s:
        t = s.get(TransactionRow, receipt.transaction_id)
        assert t.state == TxState.REJECTED and t.tcn is None
        assert any(e["field"] == "1.009 TCN" for e in t.errors), t.errors
        errt = s.scalars(select(ResponseRow).where(ResponseRow.transaction_id == t.id)).one()
        assert errt.kind == "ERRT"
    assert any(problem in e["reason"] for e in t.errors), t.errors


def test_a_policy_from_a_role_that_may_not_is_refused_stores_nothing_and_is_audited(hub, client):
    entry = {"id": "IL-TEST-actor", "state": "IL", "topic": "opt_out", "value": "requested",
             "effective_from": "2011-05-04", "source": "test"}
    before = count(hub, PolicyEntryRow), count(hub, AuditRow)
    r = client.post("/api/policies", json=entry)       # a state bureau
    assert r.status_code == 403 and "add-policy" in r.text
    assert (count(hub, PolicyEntryRow), count(hub, AuditRow)) == (before[0], before[1] + 1)
    with hub.db.read() as s:
        last = s.scalars(select(AuditRow).order_by(AuditRow.id.desc())).first()
    assert (last.action, last.outcome, last.role) == ("add-policy", "denied", "state-bureau")


def big_car(fingers, records: int) -> bytes:
    """A CAR with ``records`` finger image records (an EBTS CAR carries at most 14)."""
    msg = nistitl.Message()
    msg.parse(car(fingers, "BIG0000001"))
    data = encode_wsq(fingers[1])
    h, w = fingers[1].shape
    for idc in range(len(fingers) + 1, records + 1):
        rec = nistitl.AsciiRecord(14)
        rec.IDC = f"{idc:02d}"
        for num, value in ((3, "1"), (4, ORI), (5, "20100601"), (6, str(w)), (7, str(h)),
                           (8, "1"), (9, "500"), (10, "500"), (11, "WSQ20"), (12, "8"),
                           (13, str(1 + idc % 10))):
            del rec[num]
            rec += nistitl.Field(14, num, value)
        rec.DATA = data
        msg += rec
    return msg.NIST


def test_a_car_with_999_finger_records_is_rejected_without_decoding_them(client, fingers):
    raw = big_car(fingers, 999)
    started = time.perf_counter()
    r = client.post("/transactions", content=raw)
    assert r.status_code == 422, r.text
    assert any("at most 14" in e["reason"] for e in r.json()["errors"])
    assert time.perf_counter() - started < 30


def test_a_body_over_the_limit_is_refused_before_it_is_stored(hub, client):
    before = count(hub, TransactionRow)
    huge = b"1.001:" + b"0" * (hub.settings.max_submission_bytes + 1)
    r = client.post("/transactions", content=huge)
    assert r.status_code == 413 and "not stored" in r.json()["detail"]

    def chunks():   # no Content-Length: counted as it streams in
        for _ in range(hub.settings.max_submission_bytes // (1 << 20) + 2):
            yield b"\0" * (1 << 20)
    r = client.post("/transactions", content=chunks())
    assert r.status_code == 413
    assert client.post("/api/policies", content=b"[" + b" " * (2 << 20) + b"]",
                       headers={"content-type": "application/json"}
                       ).status_code == 413
    assert count(hub, TransactionRow) == before


def test_past_the_backlog_bound_submissions_get_503_with_retry_after_and_are_not_stored(
        world_url, fingers):
    settings = Settings(database_url=world_url, max_backlog=1, intake_wait_seconds=0.2,
                        retry_after_seconds=7)
    hub = bootstrap(settings)
    with TestClient(create_app(hub), headers=bearer(hub, "state-bureau", state="TX")) as c:   # no worker
        first = c.post("/transactions", content=car(fingers, "FLOOD00001"))
        assert first.status_code == 202 and first.json()["state"] == TxState.RECEIVED
        before = count(hub, TransactionRow)
        second = c.post("/transactions", content=car(fingers, "FLOOD00002"))
        assert second.status_code == 503 and second.headers["Retry-After"] == "7"
        assert second.json()["stored"] is False
        assert count(hub, TransactionRow) == before
    hub.bus.drain([first.json()["transaction"]])   # the stored one is not lost
    with hub.db.read() as s:
        assert s.get(TransactionRow, first.json()["transaction"]).state == TxState.DONE
    sha = hashlib.sha256(car(fingers, "FLOOD00002")).hexdigest()
    with hub.db.read() as s:
        assert s.scalar(select(func.count()).where(TransactionRow.sha256 == sha)) == 0


def test_the_cli_names_the_reason_and_never_prints_a_traceback(hub, tmp_path):
    import subprocess
    import sys
    env = {"SCOMM_DATABASE_URL": hub.settings.database_url, "PATH": "/usr/bin:/bin"}
    for args in (["status", BEYOND_64_BITS], ["case", "release", BEYOND_64_BITS, "--at", "9999-12-31T00:00"],
                 ["submit", str(tmp_path / "missing.an2")]):
        done = subprocess.run([sys.executable, "-m", "scomm.cli", *args], env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode != 0, args
        assert "Traceback" not in done.stderr + done.stdout, (args, done.stderr)
        assert (done.stderr + done.stdout).strip(), args


def test_a_file_name_that_cannot_be_stored_is_kept_readable(hub, fingers):
    receipt = hub.submit(car(fingers, "FILENAME01"), "bad\udcffname\x01.an2")
    with hub.db.read() as s:
        assert s.get(TransactionRow, receipt.transaction_id).filename == "bad?name?.an2"
