"""Transactions: submit, list, read one, its responses, the examiner's match.

A scoped principal sees only the transactions of its scope (``security.access``), found
among them (a TCN is unique per agency, not across the hub); one outside it is answered
exactly as one that does not exist. What a transaction shows depends on the role: match
details and candidates to an examiner; the immigration side (IDENT, LESC, the case) not
to a booking agency whose state bureau does not pass IDRs on, nor the case's internals to
any submitter. Every read is audited after the data was read and before it is returned:
no audit entry, no answer.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, and_, func, literal, or_, select
from sqlalchemy.orm import Session

from ..agencies.sib import Receipt
from ..domain.jurisdictions import POSTAL_TO_FIPS
from ..examiner import FingerComparison, comparison
from ..messages import ResponseKind
from ..security.access import OutOfScope, Scope, UseCase, allowed, authorise, authorise_on, receives, submits_for
from ..security.principal import Principal, Role
from ..storage import audit
from ..storage.db import Database
from ..storage.policies import policy_set
from ..storage.tables import CaseRow, ResponseRow, TransactionRow
from ..views import find_transaction, transaction_status, transaction_summary

T = TypeVar("T")
# What only an examiner sees of an event: the candidates and the finger comparisons.
MATCH_KEYS = frozenset({"match", "match_detail", "candidates", "other_candidates"})
SUBMITTERS = (Role.BOOKING_AGENCY, Role.STATE_BUREAU)


class NotFound(LookupError):
    """No such transaction (or response, or comparison): the message says which."""


def state_of(ori: str | None) -> str | None:
    """An ORI begins with its state's postal code."""
    return ori[:2] if ori and ori[:2] in POSTAL_TO_FIPS else None


def scope_of(s: Session, t: TransactionRow) -> Scope:
    office = s.scalar(select(CaseRow.field_office).where(CaseRow.transaction_id == t.id))
    ori = t.ori if t.ori and submits_for(t.submitted_scope, t.ori) else None
    return Scope(ori=ori, state=state_of(ori), field_office=office, submitted=t.submitted_scope)


def target(t: TransactionRow) -> str:
    return f"transaction/{t.id}"


def _could_submit_for_its_ori() -> ColumnElement[bool]:
    """SQL for ``submits_for(submitted_scope, ori)``."""
    t = TransactionRow
    return or_(t.submitted_scope.is_(None), t.submitted_scope == literal("ori:") + t.ori,
               t.submitted_scope == literal("state:") + func.substr(t.ori, 1, 2))


def scoped(q: Select, by: Principal) -> Select:
    """``q`` over transactions, narrowed to those ``by`` may see (as ``scope_of`` and ``sees``)."""
    t = TransactionRow
    if by.role == Role.BOOKING_AGENCY:
        return q.where(or_(t.submitted_scope == f"ori:{by.ori}",
                           and_(t.ori == (by.ori or ""), _could_submit_for_its_ori())))
    if by.role == Role.STATE_BUREAU:
        return q.where(or_(t.submitted_scope == f"state:{by.state}",
                           and_(t.ori.startswith(by.state or "?", autoescape=True), _could_submit_for_its_ori())))
    if by.role == Role.FIELD_OFFICE:
        return q.join(CaseRow, CaseRow.transaction_id == t.id).where(CaseRow.field_office == (by.field_office or ""))
    return q


def find(s: Session, by: Principal, ref: str) -> TransactionRow | None:
    """By TCN among what ``by`` may see (the accepted one first), or by numeric id."""
    return find_transaction(s, ref, within=scoped(select(TransactionRow), by))


def read_one(db: Database, by: Principal, use: UseCase, ref: str,
             read: Callable[[Session, TransactionRow], T], detail: dict | None = None) -> T:
    """Find ``ref``, check role and scope, ``read`` it, audit the read, return what was read."""
    authorise(by, use, f"transaction/{ref[:40]}")
    missing = f"no transaction {ref!r}"
    with db.read() as s:
        t = find(s, by, ref)
        if t is None:
            raise NotFound(missing)
        authorise_on(by, use, scope_of(s, t), target(t), missing)
        out = read(s, t)
    with db.session() as s:
        audit.append(s, by, str(use), target(t), data=detail or {})
    return out


def receive(hub, by: Principal, raw: bytes, filename: str | None) -> Receipt:   # hub: bootstrap.Hub
    """Store a submission durably and queue its intake (audited with its transaction)."""
    authorise(by, UseCase.SUBMIT, "transactions")
    return hub.receive(raw, filename, by=by)


def list_transactions(db: Database, by: Principal, limit: int = 200) -> list[dict]:
    """The newest transactions the principal may see."""
    authorise(by, UseCase.LIST_TRANSACTIONS, "transactions")
    with db.read() as s:
        rows = [transaction_summary(t) for t in s.scalars(
            scoped(select(TransactionRow), by).order_by(TransactionRow.id.desc()).limit(limit))]
    with db.session() as s:
        audit.append(s, by, str(UseCase.LIST_TRANSACTIONS), "transactions",
                     data={"ids": [r["id"] for r in rows][:1000]})
    return rows


def visible(by: Principal, st: dict[str, Any], forwards_idr: Callable[[], bool | None]) -> dict[str, Any]:
    """What ``by``'s role sees of a transaction's status (``views.transaction_status``)."""
    if allowed(by, UseCase.READ_MATCH):
        return st
    st = {**st, "events": [{**e, "data": {k: v for k, v in e["data"].items() if k not in MATCH_KEYS}}
                           for e in st["events"]]}
    if by.role not in SUBMITTERS:
        return st
    idr = receives(by, ResponseKind.IDR, forwards_idr)
    st["events"] = [e for e in st["events"] if e["actor"] in ("sib", "cjis", "bus") or (idr and e["actor"] == "ident")]
    st["responses"] = [r for r in st["responses"] if r["kind"] in ("SRE", "ERRT") or (idr and r["kind"] == "IDR")]
    hidden = ["lesc", "level", "level_reasons", "classification", "field_office", "framework", "case"]
    return {**st, **dict.fromkeys(hidden), **({} if idr else {"ident": None})}


def read_transaction(db: Database, by: Principal, ref: str, policy=None) -> dict:
    """Everything that happened to one transaction that ``by``'s role may see (``policy``: the
    hub's policy set, for whether the state bureau passes IDRs on)."""
    return read_one(db, by, UseCase.READ_TRANSACTION, ref,
                    lambda s, t: visible(by, transaction_status(s, t), lambda: _forwards_idr(s, t, policy)))


def read_response(db: Database, by: Principal, ref: str, kind: str, policy=None) -> bytes:
    """A response's ANSI/NIST bytes. A booking agency gets an IDR only where its state bureau
    passes IDRs on; one withheld is answered (and audited) as a refusal that looks like absence."""
    kind = ResponseKind(kind.upper())
    absent = f"transaction {ref!r} has no {kind} response"

    def body(s: Session, t: TransactionRow) -> bytes:
        r = s.scalars(select(ResponseRow).where(ResponseRow.transaction_id == t.id,
                                                ResponseRow.kind == kind)).first()
        if r is None:
            raise NotFound(absent)
        if not receives(by, kind, lambda: _forwards_idr(s, t, policy)):
            raise OutOfScope(absent, by, UseCase.READ_RESPONSE, target(t))
        return r.body
    return read_one(db, by, UseCase.READ_RESPONSE, ref, body, {"kind": str(kind)})


def _forwards_idr(s: Session, t: TransactionRow, policy) -> bool | None:
    state = state_of(t.ori)
    if state is None or t.booking_date is None:
        return None
    try:
        value = policy_set(s, policy).agreement(state, t.county_fips, t.booking_date).sib_forwards_idr.value
    except KeyError:   # a county or state the record does not know
        return None
    return value if isinstance(value, bool) else None


def read_match(db: Database, by: Principal, ref: str, repository: str, finger: int | None) -> FingerComparison:
    """The finger comparison behind an identification (the examiner's view)."""
    return read_one(db, by, UseCase.READ_MATCH, ref,
                    lambda s, t: comparison(s, t, repository, finger),
                    {"repository": repository, "finger": finger})
