"""The HTTP API and pages, through FastAPI's test client (a real ASGI app on the real database)."""
from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient

from scomm.api.app import create_app
from scomm.world.booking import BookingOrder, make_car
from scomm.world.stream import person_of

from .conftest import ACTIVE_2008, person


@pytest.fixture(scope="module")
def client(hub):
    with TestClient(create_app(hub, worker_thread=True)) as c:
        yield c


def test_submit_follow_and_record_outcome(hub, client):
    p = person(hub, "noncitizen")
    order = BookingOrder(person_of(p), hub.deps.jurisdictions.sheriff_ori(ACTIVE_2008),
                         date(2011, 3, 4), ("3562",), impression=501)
    raw = make_car(order)
    r = client.post("/transactions?wait=true&filename=api.an2", content=raw,
                    headers={"content-type": "application/octet-stream"})
    assert r.status_code == 202, r.text
    tcn = r.json()["tcn"]
    st = client.get(f"/transactions/{tcn}").json()
    assert st["state"] == "done" and st["ident"]["match"] and st["level"]
    idr = client.get(f"/transactions/{tcn}/responses/IDR")
    assert idr.status_code == 200 and idr.content.startswith(b"1.001:")
    again = client.post("/transactions", content=raw)
    assert again.status_code == 200 and again.json()["duplicate"]
    out = client.post(f"/transactions/{tcn}/outcome", json={"outcome": "returned", "by": "api.test"})
    assert out.status_code == 200, out.text
    assert client.get(f"/transactions/{tcn}").json()["case"]["outcome"] == "returned"
    bad = client.post(f"/transactions/{tcn}/outcome", json={"outcome": "nope", "by": "x"})
    assert bad.status_code == 422


def test_rejection_names_every_problem(client):
    r = client.post("/transactions", content=b"\x00\x01 not ansi/nist")
    assert r.status_code == 422
    body = r.json()
    assert not body["accepted"] and body["errors"][0]["reason"]


def test_list_pages_and_openapi(client):
    assert client.get("/transactions").status_code == 200
    assert "Transactions" in client.get("/").text
    first = client.get("/transactions").json()[0]
    page = client.get(f"/t/{first['id']}")
    assert page.status_code == 200 and 'id="path"' in page.text
    spec = client.get("/openapi.json").json()
    assert "/transactions" in spec["paths"] and "/transactions/{ref}/outcome" in spec["paths"]
    assert client.get("/transactions/nonexistent").status_code == 404
