"""The HTTP API and pages, through FastAPI's test client (a real ASGI app on the real database)."""
from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient

from scomm.api.app import create_app
from scomm.world.booking import BookingOrder, make_car
from scomm.world.stream import person_of

from ..accounts import county_roles
from .conftest import ACTIVE_2008, person


@pytest.fixture(scope="module")
def client(hub):
    with TestClient(create_app(hub, worker_thread=True)) as c:
        yield c


@pytest.fixture(scope="module")
def who(hub):
    return county_roles(hub, ACTIVE_2008)


def test_submit_follow_and_record_outcome(hub, client, who):
    p = person(hub, "noncitizen")
    order = BookingOrder(person_of(p), hub.deps.jurisdictions.sheriff_ori(ACTIVE_2008),
                         date(2011, 3, 4), ("3562",), impression=501)
    raw = make_car(order)
    r = client.post("/transactions?wait=true&filename=api.an2", content=raw,
                    headers={"content-type": "application/octet-stream", **who["agency"]})
    assert r.status_code == 202, r.text
    tcn = r.json()["tcn"]
    st = client.get(f"/transactions/{tcn}", headers=who["office"]).json()
    assert st["state"] == "done" and st["ident"]["match"] and st["level"]
    assert client.get(f"/transactions/{tcn}", headers=who["agency"]).json()["level"] is None   # not the jail's
    idr = client.get(f"/transactions/{tcn}/responses/IDR", headers=who["bureau"])
    assert idr.status_code == 200 and idr.content.startswith(b"1.001:")
    again = client.post("/transactions", content=raw, headers=who["agency"])
    assert again.status_code == 200 and again.json()["duplicate"]
    out = client.post(f"/transactions/{tcn}/outcome", json={"outcome": "returned"}, headers=who["office"])
    assert out.status_code == 200, out.text
    assert out.json()["by"] == "t-field-office-" + who_office(hub)
    assert client.get(f"/transactions/{tcn}", headers=who["office"]).json()["case"]["outcome"] == "returned"
    bad = client.post(f"/transactions/{tcn}/outcome", json={"outcome": "nope"}, headers=who["office"])
    assert bad.status_code == 422
    assert client.post(f"/transactions/{tcn}/outcome", json={"outcome": "removed"},
                       headers=who["agency"]).status_code == 403


def who_office(hub) -> str:
    return hub.deps.jurisdictions.county(ACTIVE_2008).field_office


def test_rejection_names_every_problem(client, who):
    r = client.post("/transactions", content=b"\x00\x01 not ansi/nist", headers=who["agency"])
    assert r.status_code == 422
    body = r.json()
    assert not body["accepted"] and body["errors"][0]["reason"]


def test_list_pages_and_openapi(client, who):
    ex = who["examiner"]
    assert client.get("/transactions", headers=ex).status_code == 200
    assert "Transactions" in client.get("/", headers=ex).text
    first = client.get("/transactions", headers=ex).json()[0]
    page = client.get(f"/t/{first['id']}", headers=ex)
    assert page.status_code == 200 and 'id="path"' in page.text
    spec = client.get("/openapi.json").json()
    assert "/transactions" in spec["paths"] and "/transactions/{ref}/outcome" in spec["paths"]
    assert client.get("/transactions/nonexistent", headers=ex).status_code == 404


def test_an_identification_is_drawn_for_the_examiner(hub, client, who):
    """The comparison behind a CJIS identification: JSON, SVG and PNG agree with the engine's
    recorded pairs, both prints are shown, and the pairs line up under the recorded alignment."""
    import math
    import xml.etree.ElementTree as ET

    import cv2
    import numpy as np

    from scomm.biometrics import FingerprintTemplate

    p = person(hub, "noncitizen")
    order = BookingOrder(person_of(p), hub.deps.jurisdictions.sheriff_ori(ACTIVE_2008),
                         date(2011, 5, 6), ("2303",), impression=502)
    tcn = client.post("/transactions?wait=true", content=make_car(order), headers=who["agency"]).json()["tcn"]
    client.headers.update(who["examiner"])
    st = client.get(f"/transactions/{tcn}").json()
    assert st["cjis"]["identified"]
    m = client.get(f"/transactions/{tcn}/matches/cjis").json()
    assert m["subject"] == st["cjis"]["ucn"] and m["probe_image"] and m["record_image"]
    assert m["score"] == max(m["finger_scores"].values()) and len(m["pairs"]) >= 6
    # the recorded alignment carries the probe's paired minutiae onto the record's
    from scomm.storage.tables import CriminalFingerRow, CriminalSubjectRow, ProbeFingerRow
    with hub.db.session() as s:
        probe = FingerprintTemplate.from_iso(s.get(ProbeFingerRow, (st["id"], m["finger"])).template)
        sid = s.query(CriminalSubjectRow.id).filter_by(ucn=m["subject"]).scalar()
        record = FingerprintTemplate.from_iso(s.get(CriminalFingerRow, (sid, m["finger"])).template)
    rot = math.radians(m["parts"]["rotation_deg"])
    tx, ty = m["parts"]["translation_x"], m["parts"]["translation_y"]
    gaps = []
    for a, b in m["pairs"]:
        pa, rb = probe.minutiae[a], record.minutiae[b]
        x = math.cos(rot) * pa.x - math.sin(rot) * pa.y + tx
        y = math.sin(rot) * pa.x + math.cos(rot) * pa.y + ty
        gaps.append(math.hypot(x - rb.x, y - rb.y))
    assert float(np.median(gaps)) < 15, gaps

    svg = client.get(f"/transactions/{tcn}/matches/cjis/picture.svg")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    root = ET.fromstring(svg.content)
    ns = "{http://www.w3.org/2000/svg}"
    assert len(root.findall(f"{ns}image")) == 2
    joins = [e for e in root.findall(f"{ns}line") if e.get("stroke-width") == "0.8"]
    assert len(joins) == len(m["pairs"])
    assert any(m["subject"] in (e.text or "") for e in root.findall(f"{ns}text"))
    png = client.get(f"/transactions/{tcn}/matches/cjis/picture.png?finger={m['finger']}")
    img = cv2.imdecode(np.frombuffer(png.content, np.uint8), cv2.IMREAD_COLOR)
    assert png.headers["content-type"] == "image/png" and img.shape[1] == int(root.get("width"))
    assert client.get(f"/transactions/{tcn}/matches/ident").json()["subject"] == st["ident"]["fin"]
    page = client.get(f"/t/{tcn}").text
    assert 'class="comparison"' in page and f"/transactions/{st['id']}/matches/cjis/picture.svg" in page
    missing = client.get(f"/transactions/{tcn}/matches/cjis?finger=11")
    assert missing.status_code == 422
    assert client.get("/transactions/nonexistent/matches/cjis").status_code == 404
    client.headers.pop("Authorization")
