"""Accounts of people and machine clients: add, list, disable, reset (role ``admin``, or
the local console). A new account's password and TOTP secret, and a client's secret, are
returned once and stored only hashed (the TOTP secret must stay readable to check codes)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..clock import now
from ..domain.jurisdictions import POSTAL_TO_FIPS, Jurisdictions
from ..security import credentials
from ..security.access import UseCase, authorise
from ..security.principal import ACCOUNT_ROLES, SCOPE_OF, Principal, Role
from ..storage import audit
from ..storage.tables import AccountRow, ClientRow, TokenRow

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,71}$")   # "account/" + name fits the audit's target
ORI = re.compile(r"^[A-Z]{2}[A-Z0-9]{7}$")


class AccountError(ValueError):
    """An account cannot be made or changed as asked (the message says why)."""


@dataclass(frozen=True)
class Binding:
    role: Role
    ori: str | None = None
    state: str | None = None
    field_office: str | None = None


@dataclass(frozen=True)
class NewUser:
    name: str
    role: str
    password: str
    totp_secret: str
    totp_uri: str


@dataclass(frozen=True)
class NewClient:
    name: str
    client_id: str
    client_secret: str


def check_binding(b: Binding, jurisdictions: Jurisdictions, *, people: bool = True) -> None:
    """A scoped role names its one ORI, state or field office; no other role names any."""
    if b.role not in ACCOUNT_ROLES:
        raise AccountError(f"role {b.role!r}: expected one of {', '.join(ACCOUNT_ROLES)}")
    if not people and b.role != Role.BOOKING_AGENCY:
        raise AccountError("a machine client submits bookings: its role is booking-agency")
    given = {k: v for k, v in (("ori", b.ori), ("state", b.state), ("field_office", b.field_office)) if v}
    needed = SCOPE_OF.get(b.role)
    if set(given) - {needed}:
        raise AccountError(f"role {b.role} is not bound to {', '.join(sorted(set(given) - {needed}))}")
    if needed and needed not in given:
        raise AccountError(f"role {b.role} must be bound to one {needed.replace('_', ' ')}")
    if b.ori is not None and not (ORI.match(b.ori) and b.ori[:2] in POSTAL_TO_FIPS):
        raise AccountError("ORI: 9 letters or digits, beginning with a state's postal code")
    if b.state is not None and b.state not in POSTAL_TO_FIPS:
        raise AccountError("state: a postal code such as IL")
    if b.field_office is not None and b.field_office not in {f.code for f in jurisdictions.field_offices()}:
        raise AccountError("field office: not an ICE area-of-responsibility code")


def _name(name: str) -> str:
    if not NAME.match(name):
        raise AccountError("name: 1-72 letters, digits, '.', '_', '@' or '-', starting with a letter or digit")
    return name


def add_user(s: Session, by: Principal, name: str, binding: Binding, jurisdictions: Jurisdictions) -> NewUser:
    authorise(by, UseCase.MANAGE_ACCOUNTS)
    check_binding(binding, jurisdictions)
    if s.scalar(select(AccountRow.id).where(AccountRow.name == _name(name))) is not None:
        raise AccountError(f"an account {name!r} exists already")
    password, secret = credentials.new_password(), credentials.new_totp_secret()
    s.add(AccountRow(name=name, role=binding.role, ori=binding.ori, state=binding.state,
                     field_office=binding.field_office, password_hash=credentials.hash_password(password),
                     totp_secret=secret, failures=[], created_at=now(), created_by=by.name))
    audit.append(s, by, "account-add", f"account/{name}",
                 data={"role": binding.role, "ori": binding.ori, "state": binding.state,
                       "field_office": binding.field_office})
    return NewUser(name, binding.role, password, secret, credentials.totp_uri(secret, name))


def add_client(s: Session, by: Principal, name: str, binding: Binding, jurisdictions: Jurisdictions) -> NewClient:
    authorise(by, UseCase.MANAGE_ACCOUNTS)
    check_binding(binding, jurisdictions, people=False)
    client_id, secret = "c-" + credentials.new_secret()[:16], credentials.new_secret()
    s.add(ClientRow(client_id=client_id, name=_name(name), role=binding.role, ori=binding.ori,
                    secret_digest=credentials.digest(secret), created_at=now(), created_by=by.name))
    audit.append(s, by, "client-add", f"client/{client_id}", data={"name": name, "ori": binding.ori})
    return NewClient(name, client_id, secret)


def list_accounts(s: Session, by: Principal) -> list[dict]:
    authorise(by, UseCase.MANAGE_ACCOUNTS)
    people = [{"kind": "person", "name": a.name, "role": a.role, "ori": a.ori, "state": a.state,
               "field_office": a.field_office, "disabled": a.disabled_at is not None}
              for a in s.scalars(select(AccountRow).order_by(AccountRow.name))]
    machines = [{"kind": "client", "name": c.name, "client_id": c.client_id, "role": c.role,
                 "ori": c.ori, "disabled": c.disabled_at is not None}
                for c in s.scalars(select(ClientRow).order_by(ClientRow.name))]
    return people + machines


def _account(s: Session, name: str) -> AccountRow:
    a = s.scalars(select(AccountRow).where(AccountRow.name == name).with_for_update()).first()
    if a is None:
        raise AccountError(f"no account {name!r}")
    return a


def revoke_all(s: Session, at: datetime, account: AccountRow | None = None,
                client: ClientRow | None = None) -> None:
    col, row = (TokenRow.account_id, account) if account else (TokenRow.client_id, client)
    assert row is not None
    s.execute(update(TokenRow).where(col == row.id, TokenRow.revoked_at.is_(None)).values(revoked_at=at))


def disable(s: Session, by: Principal, name: str) -> None:
    """Disable a person's account (or a client, by its client id) and end its sessions."""
    authorise(by, UseCase.MANAGE_ACCOUNTS)
    at = now()
    client = s.scalars(select(ClientRow).where(ClientRow.client_id == name)).first()
    if client is not None:
        client.disabled_at = client.disabled_at or at
        revoke_all(s, at, client=client)
        audit.append(s, by, "client-disable", f"client/{name}")
        return
    a = _account(s, name)
    a.disabled_at = a.disabled_at or at
    revoke_all(s, at, account=a)
    audit.append(s, by, "account-disable", f"account/{name}")


def reset_password(s: Session, by: Principal, name: str) -> str:
    """A new password (returned once); the account's sessions end and its lock is lifted."""
    authorise(by, UseCase.MANAGE_ACCOUNTS)
    a = _account(s, name)
    password = credentials.new_password()
    a.password_hash, a.failures = credentials.hash_password(password), []
    revoke_all(s, now(), account=a)
    audit.append(s, by, "account-reset-password", f"account/{name}")
    return password


def reset_mfa(s: Session, by: Principal, name: str) -> tuple[str, str]:
    """A new TOTP secret and its otpauth URI (returned once); the account's sessions end."""
    authorise(by, UseCase.MANAGE_ACCOUNTS)
    a = _account(s, name)
    a.totp_secret, a.totp_last_step = credentials.new_totp_secret(), None
    revoke_all(s, now(), account=a)
    audit.append(s, by, "account-reset-mfa", f"account/{name}")
    return a.totp_secret, credentials.totp_uri(a.totp_secret, name)
