"""Bad input: every problem named, raw bytes kept, nothing crashes."""
from __future__ import annotations

import hashlib
from datetime import date, timedelta

import numpy as np
import pytest
from sqlalchemy import select

from scomm import interchange as nist
from scomm.biometrics.synth import subject_tenprint
from scomm.storage.tables import ResponseRow, TransactionRow

from ..conftest import shared_path

ORI = "TX201SO00"


def car(tcn: str, *, ori: str = ORI, arrest: date = date(2010, 6, 1), fingers=None) -> bytes:
    prints = fingers if fingers is not None else subject_tenprint(424242, 1)
    return nist.encode_car(tcn=tcn, ori=ori, dai="SCOMMSIB0", date=arrest, name="DOE,JANE",
                           dob=date(1980, 2, 3), sex="F", race="W", pob="MX", arrest_date=arrest,
                           charges=[nist.Charge("2303", "SHOPLIFTING")], fingers=prints)


@pytest.fixture(scope="module")
def good() -> bytes:
    return car("BADIN00001")


def reject(hub, raw: bytes) -> list[dict]:
    receipt = hub.submit(raw, "bad.an2")
    with hub.db.session() as s:
        t = s.get(TransactionRow, receipt.transaction_id)
        assert t.raw == raw and t.sha256 == hashlib.sha256(raw).hexdigest(), "raw bytes kept"
        assert not t.accepted and t.state == "rejected"
        errt = s.scalars(select(ResponseRow).where(ResponseRow.transaction_id == t.id)).one()
        assert errt.kind == "ERRT"
        assert nist.decode(errt.body).tot == "ERRT"
        return list(t.errors)


def fields(errors: list[dict]) -> str:
    return " | ".join(f"{e['record']} {e['field']}: {e['reason']}" for e in errors)


def test_garbage_bytes(hub):
    errors = reject(hub, b"this is not a fingerprint file" * 3)
    assert errors and all(e["reason"] for e in errors)


def test_empty_file(hub):
    assert reject(hub, b"")


@pytest.mark.parametrize("cut", [10, 200, 5000, -100])
def test_truncated_file(hub, good, cut):
    assert reject(hub, good[:cut])


def test_wrong_tot(hub, good):
    raw = car("BADIN00002").replace(b"CAR", b"TPI", 1)
    assert "TOT" in fields(reject(hub, raw))


def test_missing_mandatory_field(hub):
    raw = car("BADIN00003")
    assert b"2.022:" in raw
    raw = raw.replace(b"2.022:", b"2.922:", 1)  # DOB tag renamed: the field is missing
    assert "2.022" in fields(reject(hub, raw))


def test_unknown_ori(hub):
    assert "ORI" in fields(reject(hub, car("BADIN00004", ori="ZZ999ZZ99")))


def test_arrest_date_in_the_future(hub):
    future = date.today() + timedelta(days=30)
    msg = fields(reject(hub, car("BADIN00005", arrest=future)))
    assert "future" in msg


def test_blank_image(hub):
    prints = subject_tenprint(424242, 1)
    prints[3] = np.full_like(prints[3], 255)
    msg = fields(reject(hub, car("BADIN00006", fingers=prints)))
    assert "blank" in msg and "3" in msg


def test_fewer_fingers_than_the_rule_allows(hub):
    prints = {f: img for f, img in subject_tenprint(424242, 1).items() if f <= 5}
    assert "finger" in fields(reject(hub, car("BADIN00007", fingers=prints))).lower()


def test_every_problem_is_named_at_once(hub):
    future = date.today() + timedelta(days=30)
    prints = {f: img for f, img in subject_tenprint(424242, 1).items() if f <= 4}
    errors = reject(hub, car("BADIN00008", ori="ZZ999ZZ99", arrest=future, fingers=prints))
    assert len(errors) >= 3, fields(errors)


@pytest.mark.parametrize("name", ["nbis-valid1.1.an2", "nbis-valid1.16.an2", "nbis-valid1.2.an2",
                                  "nbis-valid1.14.an2", "openebts-NISTFile.ebts",
                                  "openebts-finger8.wsq"])
def test_real_files_written_by_others_are_answered(hub, name):
    """None is from a registered ORI, so each is rejected, with named problems, not a crash."""
    raw = shared_path("ansi-nist", name).read_bytes()
    errors = reject(hub, raw)
    assert errors and all(e["record"] and e["reason"] for e in errors), errors


def test_unusable_fingers_are_named_by_the_quality_rule(hub):
    """Images that are not blank but hold no usable print: three are noise, leaving 7 of 8 required."""
    prints = subject_tenprint(424242, 1)
    rng = np.random.default_rng(3)
    for f in (2, 5, 9):
        prints[f] = rng.integers(90, 166, prints[f].shape, dtype=np.uint8)   # sensor noise, no ridges
    errors = reject(hub, car("BADIN00009", fingers=prints))
    named = {e["field"] for e in errors}
    assert {"finger 2 (right index)", "finger 5 (right little)", "finger 9 (left ring)"} <= named, errors
    assert any("only 7 usable" in e["reason"] for e in errors)
