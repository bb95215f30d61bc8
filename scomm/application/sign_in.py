"""Sign-in and bearer tokens (OAuth2 password grant with a TOTP code, and client
credentials), the principal behind a token, and sign-out.

Every attempt is audited, failed ones too; a failed attempt is recorded even though it
is refused, so these functions return a refusal instead of raising (the caller commits).
People's tokens end after 30 minutes unused (AC-11) and 8 hours after sign-in; a
machine's after 15 minutes. Five failures in 15 minutes lock an account for 10 (AC-7).
"""
from __future__ import annotations

import hmac
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..clock import as_utc, now
from ..security import credentials, lockout
from ..security.access import Forbidden, UseCase, authorise
from ..security.principal import Principal, Role, system
from ..storage import audit
from ..storage.db import Database
from ..storage.tables import AccountRow, ClientRow, TokenRow
from .accounts import revoke_all

IDLE = timedelta(minutes=30)
SESSION = timedelta(hours=8)
MACHINE = timedelta(minutes=15)
# A person's idle deadline is pushed forward at most once a minute (a write per request
# otherwise).
_SLIDE_EVERY = timedelta(minutes=1)
REFUSED = "invalid credentials"
SERVICE = system("hub-service")
_DUMMY = credentials.hash_password(credentials.new_password())


@dataclass(frozen=True)
class Issued:
    access_token: str
    expires_in: int
    principal: Principal
    token_type: str = "bearer"


@dataclass(frozen=True)
class Refused:
    reason: str          # what the caller is told: never which factor failed, nor a lock
    problems: tuple[str, ...] = ()   # a new password's (change_password)


def _principal(row: AccountRow | ClientRow, source: str | None) -> Principal:
    return Principal(row.name, Role(row.role), ori=row.ori, state=getattr(row, "state", None),
                     field_office=getattr(row, "field_office", None), source=source)


def _issue(s: Session, principal: Principal, at: datetime, *, account: AccountRow | None = None,
           client: ClientRow | None = None) -> Issued:
    token = credentials.new_secret()
    life = MACHINE if client else SESSION
    s.add(TokenRow(digest=credentials.digest(token), account_id=account.id if account else None,
                   client_id=client.id if client else None, issued_at=at, expires_at=at + life,
                   idle_until=None if client else at + IDLE))
    return Issued(token, int((MACHINE if client else IDLE).total_seconds()), principal)


def password_grant(s: Session, username: str, password: str, totp: str, source: str | None,
                   at: datetime) -> Issued | Refused:
    """Password and TOTP code, both required; a code is good once."""
    a = s.scalars(select(AccountRow).where(AccountRow.name == username).with_for_update()).first()
    if a is None:   # the name typed is not recorded: it may be a password typed in the wrong box
        credentials.password_ok(_DUMMY, password)   # as long as a real check
        audit.append(s, Principal("unknown", Role.ANONYMOUS, source=source), "sign-in", "account/?",
                     outcome="failure", data={"why": "no such account"})
        return Refused(REFUSED)
    who = _principal(a, source)
    failures = [as_utc(datetime.fromisoformat(f)) for f in a.failures or []]
    until = lockout.locked_until(failures, at)
    if a.disabled_at is not None or until is not None:   # answered as any failure: no hint the name exists
        credentials.password_ok(_DUMMY, password)
        why = "disabled" if a.disabled_at is not None else f"locked until {until:%H:%M:%S} UTC"
        audit.append(s, who, "sign-in", f"account/{a.name}", outcome="denied", data={"why": why})
        return Refused(REFUSED)
    step = credentials.totp_step(a.totp_secret, totp, at, a.totp_last_step)
    if not credentials.password_ok(a.password_hash, password) or step is None:
        failures = lockout.remembered([*failures, at], at)
        a.failures = [f.isoformat() for f in failures]
        audit.append(s, who, "sign-in", f"account/{a.name}", outcome="failure",
                     data={"why": "bad password or code", "failures": len(failures)})
        return Refused(REFUSED)
    a.failures, a.totp_last_step = [], step
    audit.append(s, who, "sign-in", f"account/{a.name}")
    return _issue(s, who, at, account=a)


def client_grant(s: Session, client_id: str, secret: str, source: str | None, at: datetime) -> Issued | Refused:
    c = s.scalars(select(ClientRow).where(ClientRow.client_id == client_id)).first()
    if c is None:
        audit.append(s, Principal("unknown", Role.ANONYMOUS, source=source), "sign-in", "client/?",
                     outcome="failure", data={"why": "no such client"})
        return Refused(REFUSED)
    who = _principal(c, source)
    ok = c.disabled_at is None and hmac.compare_digest(credentials.digest(secret), c.secret_digest)
    audit.append(s, who, "sign-in", f"client/{c.client_id}", outcome="success" if ok else "failure")
    return _issue(s, who, at, client=c) if ok else Refused(REFUSED)


def service_token(s: Session, at: datetime) -> Issued:
    """A token for one of the hub's own processes to call another (a worker calling the
    identification engine): issued only by a process that holds the database, so it is
    trusted as the hub itself (role system); it ends like a machine's."""
    token = credentials.new_secret()
    s.add(TokenRow(digest=credentials.digest(token), issued_at=at, expires_at=at + MACHINE))
    return Issued(token, int(MACHINE.total_seconds()), SERVICE)


class ServiceTokens:
    """This process's own token (``service_token``) for calling another of the hub's
    processes (the identification engine), renewed a minute before it ends."""

    def __init__(self, db: Database):
        self.db = db
        self._token: str | None = None
        self._until = now()
        self._lock = threading.Lock()

    def get(self, fresh: bool = False) -> str:
        with self._lock:
            if fresh or self._token is None or now() >= self._until:
                with self.db.session() as s:
                    issued = service_token(s, now())
                self._token = issued.access_token
                self._until = now() + timedelta(seconds=issued.expires_in) - timedelta(minutes=1)
            return self._token


def lookup(s: Session, token: str, source: str | None, at: datetime) -> tuple[Principal | None, int | None]:
    """The principal a bearer token stands for while it lives, and the token's id if its idle
    deadline is due to move (``slide``); reads only."""
    t = s.scalars(select(TokenRow).where(TokenRow.digest == credentials.digest(token))).first()
    if t is None or t.revoked_at is not None or at >= as_utc(t.expires_at):
        return None, None
    if t.idle_until is not None and at >= as_utc(t.idle_until):
        return None, None
    if t.account_id is None and t.client_id is None:    # a hub process's own (service_token)
        return SERVICE.at(source), None
    row: AccountRow | ClientRow | None = (s.get(AccountRow, t.account_id) if t.account_id
                                          else s.get(ClientRow, t.client_id))
    if row is None or row.disabled_at is not None:
        return None, None
    due = t.idle_until is not None and as_utc(t.idle_until) - at < IDLE - _SLIDE_EVERY
    return _principal(row, source), t.id if due else None


def slide(s: Session, token_id: int, at: datetime) -> None:
    """Move a person's idle deadline on (at most once a minute: a write, unlike ``lookup``)."""
    t = s.get(TokenRow, token_id)
    if t is not None and t.revoked_at is None and t.idle_until is not None:
        t.idle_until = max(as_utc(t.idle_until), min(at + IDLE, as_utc(t.expires_at)))


def principal_for(s: Session, token: str, source: str | None, at: datetime) -> Principal | None:
    """``lookup`` and ``slide`` in one unit of work."""
    principal, due = lookup(s, token, source, at)
    if due is not None:
        slide(s, due, at)
    return principal


def sign_out(s: Session, token: str, source: str | None, at: datetime) -> bool:
    """Revoke a token (RFC 7009: revoking an unknown token is not an error)."""
    t = s.scalars(select(TokenRow).where(TokenRow.digest == credentials.digest(token))).first()
    if t is None or t.revoked_at is not None:
        return False
    who = principal_for(s, token, source, at)
    t.revoked_at = at
    if who is not None:
        audit.append(s, who, "sign-out", f"token/{t.id}")
    return True


def change_password(s: Session, by: Principal, token: str, current: str, new: str, at: datetime) -> Refused | None:
    """A person changes their own password (IA-5): the current one first (a failure counts
    towards the lockout, as at sign-in), then the rules; every session of the account then
    ends, this one too. None when changed."""
    authorise(by, UseCase.CHANGE_OWN_PASSWORD)
    t = s.scalars(select(TokenRow).where(TokenRow.digest == credentials.digest(token))).first()
    if t is None or t.account_id is None:
        raise Forbidden("a machine client has no password: the operator replaces its secret", by,
                        UseCase.CHANGE_OWN_PASSWORD, "account/password")
    a = s.scalars(select(AccountRow).where(AccountRow.id == t.account_id).with_for_update()).one()
    target = f"account/{a.name}"
    failures = [as_utc(datetime.fromisoformat(f)) for f in a.failures or []]
    if lockout.locked_until(failures, at) is not None or not credentials.password_ok(a.password_hash, current):
        a.failures = [f.isoformat() for f in lockout.remembered([*failures, at], at)]
        audit.append(s, by, "account-change-password", target, outcome="failure", data={"why": "current password"})
        return Refused(REFUSED)
    problems = credentials.password_problems(new, a.name)
    if not problems and credentials.password_ok(a.password_hash, new):
        problems = ["must differ from the current password"]
    if problems:
        audit.append(s, by, "account-change-password", target, outcome="failure", data={"why": problems})
        return Refused("the new password was refused", tuple(problems))
    a.password_hash, a.failures = credentials.hash_password(new), []
    revoke_all(s, at, account=a)
    audit.append(s, by, "account-change-password", target)
    return None
