"""/api: policies as dated data (frameworks, agreements, user entries, audit) and the
jail's side of a case (release and the 48-hour hold, ICE custody, lapsed holds)."""
from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Path, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, field_validator

from ..agencies.field_office import (OutcomeError, case_for, record_custody, record_release,
                                     sweep_lapsed_holds)
from ..clock import now
from ..domain.hold import check_clock_time
from ..domain.agreements import TOPICS, history
from ..domain.policyset import PolicyFileError, PolicySet, parse_entries
from ..storage.audit import audit_rows
from ..storage.policies import PolicyNotFound, add_entry, policy_set, retire_entry
from ..views import find_transaction
from .deps import HubDep, SessionDep, WriteSessionDep
from .params import ActorHeader, Ref

router = APIRouter(prefix="/api", tags=["policies"])


def _problems(exc: PolicyFileError) -> JSONResponse:
    return JSONResponse(status_code=422, content={
        "detail": f"{len(exc.problems)} problem(s)",
        "errors": [{"field": f, "message": m} for f, m in exc.problems]})


def _effective(s, hub) -> PolicySet:
    return policy_set(s, hub.deps.policy)


@router.get("/frameworks")
def get_frameworks(hub: HubDep) -> dict[str, Any]:
    """Priority frameworks and detainer policies with their dates (of the hub's policy set)."""
    ps = hub.deps.policy
    return {"policy": ps.label, "frameworks": ps.framework_table(),
            "detainer_policies": ps.detainer_policies.periods(),
            "pep_forms_from": ps.pep_forms_from.isoformat()}


@router.get("/policies")
def list_policies(s: SessionDep, hub: HubDep,
                  state: Annotated[str | None, Query(max_length=2)] = None,
                  topic: Annotated[str | None, Query(description=", ".join(TOPICS))] = None
                  ) -> list[dict[str, Any]]:
    """Every jurisdiction entry in force (packaged record, user entries, policy file)."""
    es = sorted(_effective(s, hub).entries, key=lambda e: (e.state, e.effective_from, e.topic))
    return [e.to_dict() for e in es if (not state or e.state == state.upper())
            and (not topic or e.topic == topic)]


@router.get("/policies/{state}")
def show_policy(state: str, s: SessionDep, hub: HubDep,
                county: Annotated[str | None, Query(pattern=r"^\d{5}$")] = None,
                on: date | None = None) -> dict[str, Any]:
    """A state's (or county's) agreements on a date with reasons and sources, and history."""
    ps = _effective(s, hub)
    day = on or date.today()
    try:
        a = ps.agreement(state, county, day)
    except KeyError as exc:
        raise HTTPException(404, str(exc))
    return {"policy": ps.label, "framework": ps.framework_choice(day).reason,
            "agreement": a.to_dict(),
            "history": [e.to_dict() for e in history(state, county, entries=ps.entries)]}


@router.post("/policies", status_code=201,
             responses={422: {"description": "every problem, by field"}})
def post_policies(body: Annotated[Any, Body(description="one PolicyEntry object or a list")],
                  actor: ActorHeader, s: WriteSessionDep) -> Any:
    """Add or override user entries (audited). All entries validate or none is stored."""
    try:
        parse_entries(body)
    except PolicyFileError as exc:
        return _problems(exc)
    rows = [body] if isinstance(body, dict) else body
    return [add_entry(s, r, actor).to_dict() for r in rows]


@router.delete("/policies/{entry_id}")
def delete_policy(entry_id: Annotated[str, Path(max_length=120)], actor: ActorHeader,
                  s: WriteSessionDep) -> dict[str, Any]:
    """Retire a user entry (audited); the record underneath applies again."""
    try:
        e = retire_entry(s, entry_id, actor)
    except PolicyNotFound as exc:
        raise HTTPException(404, str(exc))
    return {"retired": e.id, "by": actor}


@router.get("/audit")
def get_audit(s: SessionDep, action: str | None = None,
              limit: Annotated[int, Query(ge=1, le=5000)] = 500) -> list[dict[str, Any]]:
    """Who changed what, when: policy entries, outcomes, holds (oldest first)."""
    return audit_rows(s, action_prefix=action, limit=limit)


# ---------------------------------------------------------------- the jail's side

class AtIn(BaseModel):
    at: datetime = Field(description="ISO date-time (simulated or real), in the years the hold "
                                     "clock counts (1971-2199)")

    @field_validator("at")
    @classmethod
    def _countable(cls, v: datetime) -> datetime:
        check_clock_time(v)
        return v


def _case(s, ref: str, *, for_update: bool = False):
    t = find_transaction(s, ref)
    case = case_for(s, t.id, for_update=for_update) if t else None
    if case is None:
        raise HTTPException(404, f"no field-office case for {ref!r}")
    return case


def _case_out(case) -> dict[str, Any]:
    return {"case": case.id, "status": case.status, "outcome": case.outcome,
            "detainer_honoured": case.detainer_honoured, "hold": case.hold,
            "custody_at": case.custody_at.isoformat() if case.custody_at else None}


@router.post("/cases/sweep-holds", tags=["cases"])
def post_sweep(actor: ActorHeader, s: WriteSessionDep, at: datetime | None = None) -> dict[str, Any]:
    """Close every hold that lapsed by ``at`` (default now) with no ICE custody."""
    when = at or now()
    return {"at": when.isoformat(), "lapsed": sweep_lapsed_holds(s, when, actor)}


def _record_on_case(s, ref: str, record, at: datetime, actor: str) -> dict[str, Any]:
    """Apply a field-office recorder to the case; a conflicting record is a 409."""
    case = _case(s, ref, for_update=True)
    try:
        record(s, case, at, actor)
    except OutcomeError as exc:
        raise HTTPException(409, str(exc))
    except ValueError as exc:   # a time the hold clock cannot count from
        raise HTTPException(422, str(exc))
    return _case_out(case)


@router.post("/cases/{ref}/release", tags=["cases"])
def post_release(ref: Ref, body: AtIn, actor: ActorHeader, s: WriteSessionDep) -> dict[str, Any]:
    """The jail was due to release the person at ``at``: the hold starts, or release."""
    return _record_on_case(s, ref, record_release, body.at, actor)


@router.post("/cases/{ref}/custody", tags=["cases"])
def post_custody(ref: Ref, body: AtIn, actor: ActorHeader, s: WriteSessionDep) -> dict[str, Any]:
    """ICE took custody at ``at``."""
    return _record_on_case(s, ref, record_custody, body.at, actor)


@router.get("/cases/{ref}", tags=["cases"])
def get_case(ref: Ref, s: SessionDep) -> dict[str, Any]:
    """The case with its policy: framework, agreement, detainer, hold, custody."""
    case = _case(s, ref)
    return {**_case_out(case), "framework": case.framework, "level": case.level,
            "classification": case.classification, "detainer": case.detainer,
            "agreement": case.agreement,
            "outcome_at": case.outcome_at.isoformat() if case.outcome_at else None}
