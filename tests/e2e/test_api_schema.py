"""The HTTP API against its own OpenAPI schema (schemathesis), on SQLite and PostgreSQL.

For every documented operation, schemathesis generates requests from the schema,
valid and invalid (path and query parameters, headers, bodies), sends them to the
ASGI app (with a worker thread: submissions go through intake) and checks each
answer: no 5xx; the status is one the operation documents; the body matches the
schema documented for that status, with its content type and headers; what breaks
the schema is refused with a 4xx; an undeclared method gets 405 with ``Allow``.

Each backend gets a database of its own (the seeded world, copied), holding one
booking that went through the whole chain, so that refs "1", "2"... reach a real
transaction and case: outcomes, releases and policy entries written here touch no
other test's data.

Checks are left out where they cannot hold, and only there:

- ``positive_data_acceptance`` (what the schema allows is accepted) for the
  operations whose inputs the schema cannot fully describe: POST /transactions (the
  body is ANSI/NIST bytes, judged by intake: an invalid file is rejected with 422 and
  an ERRT, by design), POST /api/policies (rules across fields: a state's counties,
  the value a topic takes), GET /api/statistics/* (internal figures, public=false, are
  for the auditor only), POST /auth/token (which fields a grant needs), POST /auth/password
  (the current password must be the account's); and for a
  request whose path value schemathesis did not send as it generated it (a generated
  "%ff" or "%08" reaches the app decoded, as U+FFFD or a control character, which the
  schema does not allow).
``ignored_auth`` (a request without the declared bearer token is refused) is left to
tests/e2e/test_access.py, which calls every route anonymously and as every role: public
routes take the token too, and answer without one.
The tests after the schemathesis run send what its generator does not (lone
surrogates, text that is not UTF-8, values past a column's length) and check that
both backends give the same 4xx, naming the field.
"""
from __future__ import annotations

import copy
from datetime import date
from types import SimpleNamespace
from urllib.parse import unquote

import jsonschema_rs
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from sqlalchemy import func, select

from scomm.api.app import create_app
from scomm.bootstrap import bootstrap
from scomm.config import Settings
from scomm.storage.tables import PolicyEntryRow
from scomm.world.booking import BookingOrder, make_car
from scomm.world.stream import person_of

from ..accounts import bearer, for_path
from .conftest import ACTIVE_2008, person, world_of_its_own

MAX_EXAMPLES = 30


def _backends():
    yield pytest.param("sqlite", id="sqlite")
    yield pytest.param("postgres", id="postgres", marks=pytest.mark.postgres)


@pytest.fixture(scope="module", params=list(_backends()))
def api_url(request, seeded_sqlite, tmp_path_factory) -> str:
    """A database of this module's own, holding the seeded world."""
    return world_of_its_own(request.param, seeded_sqlite, tmp_path_factory.mktemp("api-schema"),
                            "scomm_api_schema")


@pytest.fixture(scope="module")
def api_hub(api_url):
    hub = bootstrap(Settings(database_url=api_url, intake_wait_seconds=0.5, chain_wait_seconds=1))
    p = person(hub, "noncitizen")
    order = BookingOrder(person_of(p), hub.deps.jurisdictions.sheriff_ori(ACTIVE_2008),
                         date(2011, 3, 4), ("3562",), impression=777)
    receipt = hub.receive(make_car(order), "schema.an2")
    hub.bus.drain([receipt.transaction_id])
    yield hub
    hub.db.engine.dispose()


@pytest.fixture(scope="module")
def api_app(api_hub):
    return create_app(api_hub, worker_thread=True)


def _openapi() -> dict:
    """The schema (it does not depend on the database: no hub is needed to make it)."""
    return create_app(SimpleNamespace(settings=Settings())).openapi()


SPEC = _openapi()
schema = schemathesis.openapi.from_dict(copy.deepcopy(SPEC))
schema.config.generation.update(with_security_parameters=False)   # each call carries its role's token


def _not_sent_as_generated(case) -> bool:
    """Whether a path value reached the app as something its schema does not allow.

    Schemathesis unquotes a path value before quoting it (``quote_all``: "%2E" is taken
    as already encoded), so a ref generated as "AB%ff" or "AB%08" reaches the app as "AB"
    and U+FFFD or a backspace: not the value generated, nor one the schema allows."""
    op = SPEC["paths"][case.operation.path][case.operation.method.lower()]
    for p in op.get("parameters", []):
        value = (case.path_parameters or {}).get(p["name"])
        if p["in"] == "path" and isinstance(value, str) \
                and not jsonschema_rs.validator_for(p["schema"]).is_valid(unquote(value)):
            return True
    return False


# See the module's docstring for why, and why only these.
NOT_ALL_VALID_DATA_IS_ACCEPTED = {"POST /transactions", "POST /api/policies",
                                  "GET /api/statistics/monthly", "GET /api/statistics/oversight",
                                  "POST /auth/token", "POST /auth/password"}


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case, api_hub, api_app):
    """Each operation called by a role the access table lets run it (on the booking's county)."""
    excluded = [schemathesis.checks.ignored_auth]   # test_access.py: every route, anonymous and each role
    if case.operation.label in NOT_ALL_VALID_DATA_IS_ACCEPTED or _not_sent_as_generated(case):
        excluded.append(schemathesis.checks.positive_data_acceptance)
    headers = for_path(api_hub, case.operation.method, case.operation.path, ACTIVE_2008)
    case.call_and_validate(app=api_app, headers=headers, excluded_checks=excluded)


# ---------------------------------------------------------------- what the generator does not send

@pytest.fixture(scope="module")
def client(api_app):
    with TestClient(api_app) as c:
        yield c


def who(hub, path: str) -> dict[str, str]:
    """A role that may send ``path`` (the answer is then about the values sent)."""
    if "/audit" in path:
        return bearer(hub, "auditor")
    if "/cases/" in path or "outcome" in path or "sweep" in path:
        return bearer(hub, "field-office", field_office=hub.deps.jurisdictions.county(ACTIVE_2008).field_office)
    return bearer(hub, "examiner" if path.startswith("/transactions") else "policy-admin")


def entry(**kw) -> dict:
    return {"state": "TX", "topic": "jail_detainer_policy", "value": "felony",
            "effective_from": "2011-02-03", "source": "api schema test", **kw}


def stored_entries(hub) -> int:
    with hub.db.read() as s:
        return s.scalar(select(func.count()).select_from(PolicyEntryRow))


def fields_of(r) -> set[str]:
    return {e["field"] for e in r.json()["errors"]}


@pytest.mark.parametrize("path,body", [
    ("/transactions/1/outcome", b'{"outcome": "returned", "by": "x\\udc80"}'),
    ("/api/policies", b'{"state": "TX", "topic": "event", "effective_from": "2011-01-01", '
                      b'"source": "s", "summary": "\\ud800 alone"}'),
    ("/api/cases/1/release", b'{"at": "\\udfff"}'),
    ("/api/policies", b'{"state": "TX", "source": "\xff\xfe not UTF-8"}'),
    ("/api/policies", b"[" * 100_000 + b"]" * 100_000),
])
def test_json_that_is_not_unicode_text_is_422(client, api_hub, path, body):
    before = stored_entries(api_hub)
    r = client.post(path, content=body, headers={**who(api_hub, path), "content-type": "application/json"})
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["type"] == "json_invalid"
    assert stored_entries(api_hub) == before


@pytest.mark.parametrize("bad,field", [
    ({"id": "TX-nul\u0000id"}, "id"),
    ({"id": "TX-tab\tid"}, "id"),
    ({"id": "x" * 73}, "id"),
    ({"id": 7}, "id"),
    ({"counties": [f"48{n:03d}" for n in range(1, 41, 2)], "id": "TX-twenty"}, "counties"),
    ({"counties": [f"48{n:03d}" for n in range(1, 15, 2)]}, "id"),
    ({"counties": True}, "counties"),
    ({"counties": [48201.0]}, "counties"),
    ({"summary": 5}, "summary"),
    ({"note": "bell\u0007"}, "note"),
    ({"uncertain": "yes"}, "uncertain"),
    ({"effective_from": "20110203"}, "effective_from"),
    ({"effective_from": 20110203}, "effective_from"),
    ({"value": ["felony"]}, "value"),
    ({"topic": "event", "value": None}, "value"),
])
def test_a_policy_entry_past_what_is_stored_is_422_naming_the_field(client, api_hub, bad, field):
    """The same answer on SQLite (which would store it) and PostgreSQL (which would not)."""
    before = stored_entries(api_hub)
    r = client.post("/api/policies", json=[entry(**bad)], headers=who(api_hub, "/api/policies"))
    assert r.status_code == 422, r.text
    assert f"[0].{field}" in fields_of(r), r.json()
    assert stored_entries(api_hub) == before


def test_an_entry_of_many_counties_with_an_id_is_stored_alike(client, api_hub):
    counties = [f"48{n:03d}" for n in range(1, 25, 2)]   # 12: its key is 106 characters
    admin = who(api_hub, "/api/policies")
    r = client.post("/api/policies", json=entry(counties=counties, id="TX-twelve-counties"), headers=admin)
    assert r.status_code == 201, r.text
    assert r.json()[0]["counties"] == counties
    assert client.delete("/api/policies/entries/TX-twelve-counties", headers=admin).status_code == 200


@pytest.mark.parametrize("method,path,kw,status,says", [
    ("post", "/api/holds/sweep?at=9999-12-31T23:00:00-05:00", {}, 422, "1971-2199"),
    ("post", "/api/holds/sweep?at=0.5", {}, 422, "YYYY-MM-DD"),
    ("post", "/api/cases/1/release", {"json": {"at": 0}}, 422, "YYYY-MM-DD"),
    ("get", "/api/policies/IL?on=0", {}, 422, "YYYY-MM-DD"),
    ("get", "/api/policies/ZZ", {}, 404, "no state"),
    ("get", "/api/policies/IL?county=48201", {}, 404, "not in IL"),
    ("get", "/api/policies/IL?county=17999", {}, 404, "unknown county"),
    ("get", "/api/policies?topic=weather", {}, 422, "topic"),
    ("get", "/api/dashboard?month=0000-01", {}, 422, "month"),
    ("get", "/api/statistics/monthly?month=2011-13", {}, 422, "month"),
    ("get", "/api/audit?action=" + "a" * 41, {}, 422, "action"),
    ("delete", "/api/policies/entries/" + "x" * 73, {}, 422, "entry_id"),
    ("get", "/transactions/1/responses/XYZ", {}, 422, "kind"),
])
def test_out_of_bounds_is_4xx_with_the_reason(client, api_hub, method, path, kw, status, says):
    r = getattr(client, method)(path, headers=who(api_hub, path), **kw)
    assert r.status_code == status, r.text
    assert says in r.text


@pytest.mark.parametrize("path,allow", [("/api/policies", "GET, POST"),
                                        ("/api/policies/IL", "GET"),
                                        ("/api/policies/entries/IL-1", "DELETE"),
                                        ("/api/holds/sweep", "POST"),
                                        ("/transactions/1", "GET")])
def test_an_undeclared_method_is_405_naming_every_method_of_the_path(client, path, allow):
    r = client.request("PATCH", path)
    assert r.status_code == 405 and r.headers["allow"] == allow
