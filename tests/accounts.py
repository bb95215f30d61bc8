"""Signed-in principals for the tests: a real account per role and binding (argon2id,
TOTP), signed in through the application layer once per database, as bearer headers."""
from __future__ import annotations

from scomm.application import accounts, sign_in
from scomm.clock import now
from scomm.security.credentials import totp_now
from scomm.security.principal import Role, console

OPERATOR = console("test-operator")
_TOKENS: dict[tuple, dict[str, str]] = {}


def new_account(hub, role: str, name: str | None = None, **binding: str) -> accounts.NewUser:
    name = name or "t-" + "-".join([role, *binding.values()])
    with hub.db.session() as s:
        return accounts.add_user(s, OPERATOR, name, accounts.Binding(Role(role), **binding),
                                 hub.deps.jurisdictions)


def token_for(hub, user: accounts.NewUser) -> str:
    at = now()
    with hub.db.session() as s:
        out = sign_in.password_grant(s, user.name, user.password, totp_now(user.totp_secret, at), "test", at)
    assert isinstance(out, sign_in.Issued), out
    return out.access_token


def bearer(hub, role: str, **binding: str) -> dict[str, str]:
    """Authorization headers of a signed-in account with ``role`` (made once per database)."""
    key = (hub.db.url, role, tuple(sorted(binding.items())))
    if key not in _TOKENS:
        _TOKENS[key] = {"Authorization": f"Bearer {token_for(hub, new_account(hub, role, **binding))}"}
    return _TOKENS[key]


def county_roles(hub, fips: str) -> dict[str, dict[str, str]]:
    """Headers for the roles that act on one county's bookings: its sheriff (booking agency),
    its state bureau, its ICE field office, and an examiner."""
    j = hub.deps.jurisdictions
    ori = j.sheriff_ori(fips)
    return {"agency": bearer(hub, "booking-agency", ori=ori),
            "bureau": bearer(hub, "state-bureau", state=ori[:2]),
            "office": bearer(hub, "field-office", field_office=j.county(fips).field_office),
            "examiner": bearer(hub, "examiner")}


def for_path(hub, method: str, path: str, county: str) -> dict[str, str]:
    """Headers of a role that may run ``method path`` on ``county``'s transactions (the
    route's use case in the access table; public routes: none)."""
    from scomm.api.access import ROUTES
    from scomm.security.access import TABLE
    use = ROUTES.get((method.upper(), path))
    if use is None:
        return {}
    j = hub.deps.jurisdictions
    ori = j.sheriff_ori(county)
    for role, binding in ((Role.EXAMINER, {}), (Role.FIELD_OFFICE, {"field_office": j.county(county).field_office}),
                          (Role.POLICY_ADMIN, {}), (Role.AUDITOR, {}), (Role.STATE_BUREAU, {"state": ori[:2]}),
                          (Role.BOOKING_AGENCY, {"ori": ori})):
        if role in TABLE[use]:
            return bearer(hub, role, **binding)
    raise LookupError(f"no account role may run {method} {path}")
