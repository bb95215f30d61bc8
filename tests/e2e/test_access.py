"""Who may see and do what, through the HTTP API: every route against every role, scoping,
sign-in (TOTP, lockout, idle sessions, revocation, machine clients), the audit of every
read and refusal, security headers."""
from __future__ import annotations

from datetime import date, timedelta
from itertools import count

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from scomm.api.access import ROUTES, routes_of
from scomm.api.app import create_app
from scomm.application import accounts, sign_in
from scomm.bootstrap import bootstrap
from scomm.clock import now
from scomm.security.access import TABLE, Forbidden
from scomm.security.credentials import totp_now
from scomm.security.principal import ACCOUNT_ROLES, Principal, Role
from scomm.storage.tables import AuditRow
from scomm.world.booking import BookingOrder, make_car
from scomm.world.stream import person_of

from ..accounts import OPERATOR, bearer, county_roles, new_account, token_for
from .conftest import ACTIVE_2008, LATE_COUNTY, person, world_of_its_own

_impressions = count(700)
ENTRY = {"id": "TX-e2e-access", "state": "TX", "counties": ["48201"], "topic": "jail_detainer_policy",
         "effective_from": "2009-01-01", "value": "none", "summary": "Access test.", "effect": "No hold.",
         "source": "e2e test"}


@pytest.fixture(scope="module")
def hub(seeded_sqlite, tmp_path_factory):
    return bootstrap(database_url=world_of_its_own("sqlite", seeded_sqlite, tmp_path_factory.mktemp("acc"),
                                                   "access"))


@pytest.fixture(scope="module")
def client(hub):
    with TestClient(create_app(hub, worker_thread=True)) as c:
        yield c


def _book(hub, client, county: str, headers: dict) -> dict:
    order = BookingOrder(person_of(person(hub, "noncitizen")), hub.deps.jurisdictions.sheriff_ori(county),
                         date(2011, 3, 4), ("3562",), impression=next(_impressions))
    r = client.post("/transactions?wait=true", content=make_car(order), headers=headers)
    assert r.status_code == 202, r.text
    return r.json()


@pytest.fixture(scope="module")
def harris(hub, client):
    """A done transaction from Harris County, TX: identified in CJIS and IDENT, with a case."""
    who = county_roles(hub, ACTIVE_2008)
    tx = _book(hub, client, ACTIVE_2008, who["agency"])
    st = client.get(f"/transactions/{tx['tcn']}", headers=who["examiner"]).json()
    assert st["state"] == "done" and st["cjis"]["identified"] and st["case"], st
    return {"tcn": tx["tcn"], "who": who}


def _role_headers(hub, role: Role) -> dict:
    j = hub.deps.jurisdictions
    binding = {Role.BOOKING_AGENCY: {"ori": j.sheriff_ori(ACTIVE_2008)},
               Role.STATE_BUREAU: {"state": "TX"},
               Role.FIELD_OFFICE: {"field_office": j.county(ACTIVE_2008).field_office}}.get(role, {})
    return bearer(hub, role, **binding)


def _call(client, hub, method: str, path: str, tcn: str, headers: dict):
    url = path.format(ref=tcn, kind="SRE", repository="cjis", fmt="svg", state="TX", entry_id="none-such")
    body: dict = {}
    if (method, path) == ("POST", "/transactions"):
        order = BookingOrder(person_of(person(hub, "citizen")), hub.deps.jurisdictions.sheriff_ori(ACTIVE_2008),
                             date(2011, 3, 5), ("2303",), impression=next(_impressions))
        body = {"content": make_car(order)}
    elif path.endswith("/outcome"):
        body = {"json": {"outcome": "returned"}}
    elif path.startswith("/api/cases/") and method == "POST":
        body = {"json": {"at": "2011-03-07T17:00:00"}}
    elif path == "/api/policies" and method == "POST":
        body = {"json": ENTRY}
    elif path == "/auth/password":   # a wrong current password: nothing changes
        body = {"data": {"current_password": "not this one", "new_password": "a long new pass phrase"}}
    return client.request(method, url, headers=headers, follow_redirects=False, **body)


def test_every_route_has_an_entry_and_every_entry_a_route(client):
    served = set(routes_of(client.app))
    assert served == set(ROUTES), (served ^ set(ROUTES))


@pytest.mark.parametrize("role", [*ACCOUNT_ROLES, Role.ANONYMOUS], ids=str)
def test_every_route_against_every_role(hub, client, harris, role):
    headers = {} if role == Role.ANONYMOUS else _role_headers(hub, role)
    for (method, path), use in ROUTES.items():
        if use is None:
            continue
        r = _call(client, hub, method, path, harris["tcn"], headers)
        where = f"{role} {method} {path}: {r.status_code} {r.text[:200]}"
        assert r.status_code < 500, where
        if role in TABLE[use]:
            assert r.status_code not in (401, 403), where
        elif role == Role.ANONYMOUS:
            assert r.status_code in (401, 303), where         # pages: to the sign-in form
            if r.status_code == 303:
                assert r.headers["location"].startswith("/sign-in"), where
        else:
            assert r.status_code == 403, where


def test_internal_statistics_only_to_the_auditor(hub, client):
    internal = {"month": "2011-03", "public": "false"}
    assert client.get("/api/statistics/monthly", params=internal).status_code == 401
    assert client.get("/api/statistics/monthly", params=internal,
                      headers=_role_headers(hub, Role.EXAMINER)).status_code == 403
    r = client.get("/api/statistics/monthly", params=internal, headers=_role_headers(hub, Role.AUDITOR))
    assert r.status_code == 200 and r.json()["public"] is False
    assert client.get("/api/statistics/monthly", params={"month": "2011-03"}).status_code == 200


def test_scoped_roles_see_their_own_and_nothing_else(hub, client, harris):
    tcn, j = harris["tcn"], hub.deps.jurisdictions
    other_ori = j.sheriff_ori(LATE_COUNTY)                                  # Alabama
    other_office = next(f.code for f in j.field_offices() if f.code != j.county(ACTIVE_2008).field_office)
    outsiders = [bearer(hub, "booking-agency", ori=other_ori), bearer(hub, "state-bureau", state="AL"),
                 bearer(hub, "field-office", field_office=other_office)]
    tx = client.get(f"/transactions/{tcn}", headers=harris["who"]["examiner"]).json()["id"]
    for h in outsiders:   # by TCN: not among theirs; by id: found, refused, audited, answered alike
        assert client.get(f"/transactions/{tcn}", headers=h).status_code == 404
        by_id = client.get(f"/transactions/{tx}", headers=h)
        assert by_id.status_code == 404 and by_id.json()["detail"] == f"no transaction '{tx}'"
        assert all(t["tcn"] != tcn for t in client.get("/transactions", headers=h).json())
    for h in (harris["who"]["agency"], harris["who"]["bureau"], harris["who"]["office"]):
        assert client.get(f"/transactions/{tcn}", headers=h).status_code == 200
        assert any(t["tcn"] == tcn for t in client.get("/transactions", headers=h).json())
    assert client.get(f"/api/cases/{tcn}", headers=outsiders[2]).status_code == 404
    with hub.db.session() as s:
        denied = s.scalars(select(AuditRow).where(AuditRow.outcome == "denied",
                                                  AuditRow.action == "read-transaction")).all()
    assert {d.role for d in denied} >= {"booking-agency", "state-bureau", "field-office"}


def test_a_booking_agency_gets_the_idr_only_where_its_bureau_passes_it_on(hub, client, harris):
    """Texas's bureau passed IDRs on to local agencies in 2011 only if the record says so:
    the agency's answer follows the policy record, the bureau always gets it."""
    tcn, who = harris["tcn"], harris["who"]
    assert client.get(f"/transactions/{tcn}/responses/IDR", headers=who["bureau"]).status_code == 200
    from scomm.application.transactions import _forwards_idr
    from scomm.views import find_transaction
    with hub.db.read() as s:
        forwards = _forwards_idr(s, find_transaction(s, tcn), hub.deps.policy)
    got = client.get(f"/transactions/{tcn}/responses/IDR", headers=who["agency"]).status_code
    assert got == (200 if forwards is True else 404), forwards


def test_every_read_of_personal_data_is_audited_with_au3_content(hub, client, harris):
    h = harris["who"]["examiner"]
    client.get(f"/transactions/{harris['tcn']}", headers=h)
    with hub.db.session() as s:
        last = s.scalars(select(AuditRow).where(AuditRow.action == "read-transaction")
                         .order_by(AuditRow.id.desc())).first()
    assert (last.actor, last.role, last.outcome, last.source) == ("t-examiner", "examiner", "success", "testclient")
    assert last.target.startswith("transaction/") and last.hash and last.at.microsecond % 10_000 == 0


def test_sign_in_with_totp_then_lockout_after_five_failures(hub, client):
    user = new_account(hub, "examiner", name="lock-me")
    form = {"grant_type": "password", "username": user.name, "password": user.password}
    assert client.post("/auth/token", data=form).json()["error"] == "invalid_request"   # no code
    for _ in range(5):
        r = client.post("/auth/token", data={**form, "password": "wrong", "totp": "123456"})
        assert r.status_code == 400 and r.json()["error"] == "invalid_grant"
    r = client.post("/auth/token", data={**form, "totp": totp_now(user.totp_secret, now())})
    assert r.status_code == 400 and r.json()["error_description"] == "invalid credentials"   # locked: no hint
    at = now() + timedelta(minutes=11)
    with hub.db.session() as s:
        ok = sign_in.password_grant(s, user.name, user.password, totp_now(user.totp_secret, at), "t", at)
    assert isinstance(ok, sign_in.Issued)
    with hub.db.session() as s:
        trail = s.scalars(select(AuditRow.outcome).where(AuditRow.action == "sign-in",
                                                         AuditRow.target == "account/lock-me")).all()
    assert trail.count("failure") == 5 and trail.count("denied") == 1 and trail[-1] == "success"


def test_a_token_ends_after_30_idle_minutes_on_revocation_and_on_disable(hub, client):
    user = new_account(hub, "auditor", name="idle-one")
    token = token_for(hub, user)
    t0 = now()
    with hub.db.session() as s:
        assert sign_in.principal_for(s, token, None, t0 + timedelta(minutes=20)) is not None   # slides
    with hub.db.session() as s:
        assert sign_in.principal_for(s, token, None, t0 + timedelta(minutes=45)) is not None
    with hub.db.session() as s:
        assert sign_in.principal_for(s, token, None, t0 + timedelta(minutes=45 + 31)) is None
    token = token_for(hub, new_account(hub, "auditor", name="revoked-one"))
    h = {"Authorization": f"Bearer {token}"}
    assert client.get("/auth/me", headers=h).json()["role"] == "auditor"
    assert client.post("/auth/revoke", data={"token": token}).status_code == 200
    assert client.get("/auth/me", headers=h).status_code == 401
    token = token_for(hub, new_account(hub, "auditor", name="disabled-one"))
    with hub.db.session() as s:
        accounts.disable(s, OPERATOR, "disabled-one")
    assert client.get("/api/audit", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_a_machine_client_signs_in_with_client_credentials(hub, client):
    ori = hub.deps.jurisdictions.sheriff_ori(ACTIVE_2008)
    with hub.db.session() as s:
        c = accounts.add_client(s, OPERATOR, "livescan-1", accounts.Binding(Role.BOOKING_AGENCY, ori=ori),
                                hub.deps.jurisdictions)
    form = {"grant_type": "client_credentials", "client_id": c.client_id}
    assert client.post("/auth/token", data={**form, "client_secret": "nope"}).status_code == 400
    r = client.post("/auth/token", data={**form, "client_secret": c.client_secret})
    assert r.status_code == 200 and r.json()["token_type"] == "bearer" and r.json()["expires_in"] == 900
    me = client.get("/auth/me", headers={"Authorization": f"Bearer {r.json()['access_token']}"}).json()
    assert (me["role"], me["ori"]) == ("booking-agency", ori)


def test_a_person_changes_their_own_password_and_every_session_ends(hub, client):
    user = new_account(hub, "examiner", name="changer")
    h = {"Authorization": f"Bearer {token_for(hub, user)}"}
    at = now() + timedelta(seconds=30)   # a second session (a TOTP code is good once: the next step's)
    with hub.db.session() as s:
        second = sign_in.password_grant(s, user.name, user.password, totp_now(user.totp_secret, at), "t", at)
    other = {"Authorization": f"Bearer {second.access_token}"}
    change = {"current_password": user.password}
    r = client.post("/auth/password", headers=h, data={"current_password": "wrong", "new_password": "x" * 20})
    assert r.status_code == 400
    for new, problem in (("short", "at least 15 characters"), ("changer-is-my-password", "account's name"),
                         ("a" * 20, "5 different characters"), (user.password, "differ from the current")):
        r = client.post("/auth/password", headers=h, data={**change, "new_password": new})
        assert r.status_code == 422 and problem in r.json()["detail"][0]["msg"], r.text
    new_password = "correct horse battery staple"
    r = client.post("/auth/password", headers=h, data={**change, "new_password": new_password})
    assert r.status_code == 200 and r.json() == {"changed": True, "signed_out": True}
    assert [client.get("/auth/me", headers=x).status_code for x in (h, other)] == [401, 401]
    at += timedelta(seconds=30)
    with hub.db.session() as s:
        assert isinstance(sign_in.password_grant(s, user.name, user.password, totp_now(user.totp_secret, at),
                                                 "t", at), sign_in.Refused)
    at += timedelta(seconds=30)
    with hub.db.session() as s:
        assert isinstance(sign_in.password_grant(s, user.name, new_password, totp_now(user.totp_secret, at),
                                                 "t", at), sign_in.Issued)
        trail = s.scalars(select(AuditRow.outcome).where(AuditRow.action == "account-change-password",
                                                         AuditRow.target == "account/changer")).all()
    assert trail == ["failure"] * 5 + ["success"]


def test_a_machine_client_has_no_password_to_change(hub, client):
    ori = hub.deps.jurisdictions.sheriff_ori(ACTIVE_2008)
    with hub.db.session() as s:
        c = accounts.add_client(s, OPERATOR, "livescan-pw", accounts.Binding(Role.BOOKING_AGENCY, ori=ori),
                                hub.deps.jurisdictions)
    token = client.post("/auth/token", data={"grant_type": "client_credentials", "client_id": c.client_id,
                                             "client_secret": c.client_secret}).json()["access_token"]
    r = client.post("/auth/password", headers={"Authorization": f"Bearer {token}"},
                    data={"current_password": c.client_secret, "new_password": "correct horse battery staple"})
    assert r.status_code == 403 and "machine client" in r.json()["detail"]


def test_the_sign_in_page_shows_the_use_notice(hub, client):
    page = client.get("/sign-in").text
    assert 'id="use-notice"' in page and "audited" in page


def test_accounts_are_bound_as_their_role_requires(hub):
    j = hub.deps.jurisdictions
    bad = [accounts.Binding(Role.BOOKING_AGENCY), accounts.Binding(Role.BOOKING_AGENCY, ori="XX0000000"),
           accounts.Binding(Role.STATE_BUREAU, state="ZZ"), accounts.Binding(Role.FIELD_OFFICE, field_office="NOPE"),
           accounts.Binding(Role.EXAMINER, ori=j.sheriff_ori(ACTIVE_2008))]
    for b in bad:
        with pytest.raises(accounts.AccountError), hub.db.session() as s:
            accounts.add_user(s, OPERATOR, "bound-wrong", b, j)
    with hub.db.session() as s:    # only the admin (and the console) manages accounts
        accounts.add_user(s, Principal("x", Role.ADMIN), "fine", accounts.Binding(Role.AUDITOR), j)
    with pytest.raises(Forbidden), hub.db.session() as s:
        accounts.add_user(s, Principal("x", Role.AUDITOR), "not-fine", accounts.Binding(Role.AUDITOR), j)


def test_security_headers_on_every_answer(client):
    for path in ("/health", "/dashboard", "/sign-in"):
        h = client.get(path).headers
        assert h["x-content-type-options"] == "nosniff" and h["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in h["content-security-policy"] and h["cache-control"] == "no-store"


def test_a_submitter_may_submit_only_for_its_own_ori_or_state(hub, client):
    j = hub.deps.jurisdictions
    order = BookingOrder(person_of(person(hub, "visitor")), j.sheriff_ori(ACTIVE_2008), date(2011, 4, 1),
                         ("2303",), impression=next(_impressions))
    raw = make_car(order)
    for stranger in (bearer(hub, "booking-agency", ori=j.sheriff_ori(LATE_COUNTY)),
                     bearer(hub, "state-bureau", state="AL")):
        r = client.post("/transactions", content=raw, headers=stranger)
        assert r.status_code == 422, r.text
        assert any(e["field"] == "1.008 ORI" and "may submit only for" in e["reason"] for e in r.json()["errors"])
    own = client.post("/transactions", content=raw, headers=_role_headers(hub, Role.BOOKING_AGENCY))
    assert own.status_code == 202 and not own.json()["duplicate"], own.text   # not blocked by theirs
    again = client.post("/transactions", content=raw, headers=_role_headers(hub, Role.BOOKING_AGENCY))
    assert again.status_code == 200 and again.json()["duplicate"]
    bureau = client.post("/transactions", content=raw, headers=_role_headers(hub, Role.STATE_BUREAU))
    assert bureau.status_code == 422 and "already submitted by another submitter" in bureau.text


def test_what_each_role_sees_of_a_transaction(hub, client, harris):
    """Candidates and comparisons to the examiner; the immigration side not to a booking agency
    whose bureau does not pass IDRs on; a case's internals to no submitter."""
    from scomm.application.transactions import MATCH_KEYS, _forwards_idr
    from scomm.views import find_transaction
    tcn, who = harris["tcn"], harris["who"]
    seen = {k: client.get(f"/transactions/{tcn}", headers=h).json() for k, h in who.items()}
    keys = lambda st: {k for e in st["events"] for k in e["data"]}   # noqa: E731
    assert keys(seen["examiner"]) & MATCH_KEYS and not keys(seen["office"]) & MATCH_KEYS
    assert seen["office"]["case"] and seen["office"]["level"]
    for submitter in ("agency", "bureau"):
        st = seen[submitter]
        assert not keys(st) & MATCH_KEYS and st["case"] is None and st["lesc"] is None and st["level"] is None
        assert {r["kind"] for r in st["responses"]} <= {"SRE", "ERRT", "IDR"}
    assert seen["bureau"]["ident"]["searched"]
    with hub.db.read() as s:
        forwards = _forwards_idr(s, find_transaction(s, tcn), hub.deps.policy)
    assert (seen["agency"]["ident"] is not None) == (forwards is True)


def test_a_tcn_is_looked_up_among_what_the_principal_may_see(hub, client):
    """Two agencies used the same TCN: each reads its own; an outsider's answer is the same as
    for a TCN never used."""
    j = hub.deps.jurisdictions
    tcn = "SAMETCN0000001"
    ours = {}
    for county in (ACTIVE_2008, "48113"):
        order = BookingOrder(person_of(person(hub, "citizen")), j.sheriff_ori(county), date(2011, 5, 2),
                             ("2303",), impression=next(_impressions), tcn=tcn)
        h = bearer(hub, "booking-agency", ori=j.sheriff_ori(county))
        r = client.post("/transactions", content=make_car(order), headers=h)
        assert r.status_code == 202, r.text
        ours[county] = (h, r.json()["transaction"])
    for h, tx in ours.values():
        assert client.get(f"/transactions/{tcn}", headers=h).json()["id"] == tx
    outsider = bearer(hub, "booking-agency", ori=j.sheriff_ori(LATE_COUNTY))
    used, never = (client.get(f"/transactions/{ref}", headers=outsider) for ref in (tcn, "NEVERUSED00001"))
    assert used.status_code == never.status_code == 404
    assert used.json()["detail"].replace(tcn, "X") == never.json()["detail"].replace("NEVERUSED00001", "X")
