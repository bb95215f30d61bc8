"""A field-office case: read it, and record the jail's side and the outcome.

A field-office principal acts only on cases in its area of responsibility; the others
are answered as if they did not exist. Every record is audited where it is made
(``agencies.field_office``); reads are audited here.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ..agencies import field_office as fo
from ..clock import now
from ..security.access import UseCase, authorise, authorise_on
from ..security.principal import Principal, Role
from ..storage import audit
from ..storage.db import Database
from ..storage.tables import CaseRow
from .transactions import NotFound, find, scope_of

OutcomeError = fo.OutcomeError


def _ts(v: datetime | None) -> str | None:
    return v.isoformat() if v else None


def summary(case: CaseRow) -> dict[str, Any]:
    return {"case": case.id, "status": case.status, "outcome": case.outcome,
            "detainer_honoured": case.detainer_honoured, "hold": case.hold,
            "custody_at": _ts(case.custody_at)}


def _case(s: Session, by: Principal, use: UseCase, ref: str, *, for_update: bool = False) -> CaseRow:
    authorise(by, use, f"case/{ref[:40]}")
    missing = f"no field-office case for {ref!r}"
    t = find(s, by, ref)
    case = fo.case_for(s, t.id, for_update=for_update) if t else None
    if t is None or case is None:
        raise NotFound(missing)
    authorise_on(by, use, scope_of(s, t), f"case/{case.id}", missing)
    return case


def read_case(db: Database, by: Principal, ref: str) -> dict[str, Any]:
    """The case with its policy: framework, agreement, detainer, hold, custody."""
    with db.read() as s:
        case = _case(s, by, UseCase.READ_CASE, ref)
        out = {**summary(case), "framework": case.framework, "level": case.level,
               "classification": case.classification, "detainer": case.detainer,
               "agreement": case.agreement, "outcome_at": _ts(case.outcome_at)}
    with db.session() as s:
        audit.append(s, by, str(UseCase.READ_CASE), f"case/{out['case']}")
    return out


def _record(db: Database, by: Principal, use: UseCase, ref: str,
            record: Callable[[Session, CaseRow], Any]) -> dict[str, Any]:
    with db.session() as s:
        case = _case(s, by, use, ref, for_update=True)
        record(s, case)
        return summary(case)


def record_outcome(db: Database, by: Principal, ref: str, outcome: str, note: str = "") -> dict[str, Any]:
    return _record(db, by, UseCase.RECORD_OUTCOME, ref,
                   lambda s, case: fo.record_outcome(s, case, outcome, by, note))


def record_release(db: Database, by: Principal, ref: str, at: datetime) -> dict[str, Any]:
    """The jail was due to release the person at ``at``: the hold starts, or release."""
    return _record(db, by, UseCase.RECORD_RELEASE, ref, lambda s, case: fo.record_release(s, case, at, by))


def record_custody(db: Database, by: Principal, ref: str, at: datetime) -> dict[str, Any]:
    return _record(db, by, UseCase.RECORD_CUSTODY, ref, lambda s, case: fo.record_custody(s, case, at, by))


def sweep_holds(db: Database, by: Principal, at: datetime | None = None) -> dict[str, Any]:
    """Close every hold that lapsed by ``at`` (default now): a field office's own cases only."""
    authorise(by, UseCase.SWEEP_HOLDS, "holds")
    when = at or now()
    office = (by.field_office or "") if by.role == Role.FIELD_OFFICE else None
    with db.session() as s:
        return {"at": when.isoformat(), "lapsed": fo.sweep_lapsed_holds(s, when, by, office)}
