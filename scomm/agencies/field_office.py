"""ICE field office: open a case with the priority level in force, decide on a detainer.

An outcome (removed, returned, released, terminated, US citizen) is recorded
later by a person; every such change is audited.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..bus import StepContext, now
from ..domain.detainer import decide_detainer
from ..domain.immigration import ImmigrationStatus
from ..domain.priority import framework_in_force
from ..storage.tables import AuditRow, CaseRow, EventRow
from .lesc import prior_convictions

OUTCOMES = ("removed", "returned", "released", "proceedings-terminated", "us-citizen",
            "detainer-lapsed")


def open_case(ctx: StepContext) -> None:
    tx, deps = ctx.tx, ctx.deps
    office = deps.jurisdictions.field_office_for(tx.county_fips)
    framework = framework_in_force(tx.booking_date)
    classification = framework.classify(prior_convictions(ctx, ctx.payload["ucn"]))
    status = ImmigrationStatus(**ctx.payload["status"])
    detainer = decide_detainer(status, classification.level)
    case = CaseRow(transaction_id=tx.id, field_office=office.code if office else None,
                   opened_at=now(), level=classification.level,
                   classification=classification.to_dict(), removable=status.removable,
                   status="detainer-issued" if detainer.issued else "no-action",
                   detainer=detainer.to_dict())
    ctx.session.add(case)
    ctx.emit("field_office", "case-opened", {"field_office": case.field_office,
                                             "level": classification.level,
                                             "rule": classification.rule,
                                             "reasons": classification.reasons,
                                             "detainer": detainer.to_dict()}, timed=True)
    ctx.finish()


class OutcomeError(ValueError):
    pass


def record_outcome(s: Session, case: CaseRow, outcome: str, actor: str, note: str = "") -> None:
    if outcome not in OUTCOMES:
        raise OutcomeError(f"unknown outcome {outcome!r}; expected one of {', '.join(OUTCOMES)}")
    previous = case.outcome
    case.outcome, case.outcome_at, case.status = outcome, now(), "closed"
    s.add(AuditRow(at=now(), actor=actor, action="record-outcome", target=f"case/{case.id}",
                   data={"from": previous, "to": outcome, "note": note}))
    s.add(EventRow(transaction_id=case.transaction_id, at=now(), actor="field_office",
                   kind="outcome-recorded", data={"outcome": outcome, "by": actor, "note": note}))


def case_for(s: Session, transaction_id: int) -> CaseRow | None:
    return s.scalars(select(CaseRow).where(CaseRow.transaction_id == transaction_id)).first()
