"""/api: policies as dated data (frameworks, agreements, user entries, audit) and the
jail's side of a case (release and the 48-hour hold, ICE custody, lapsed holds)."""
from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal, Union

from fastapi import APIRouter, Body, HTTPException, Path, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from ..agencies.field_office import OutcomeError, case_for, record_custody, record_release, sweep_lapsed_holds
from ..clock import now
from ..domain.agreements import NATIONAL, TOPICS, history
from ..domain.jurisdictions import POSTAL_TO_FIPS
from ..domain.policyset import ENTRIES_SCHEMA, MAX_ID, PolicyFileError, PolicySet, parse_entries
from ..storage.audit import audit_rows
from ..storage.policies import PolicyNotFound, add_entry, policy_set, retire_entry
from ..storage.tables import AuditRow
from ..views import find_transaction
from .deps import HubDep, SessionDep, WriteSessionDep
from .guards import StrictJSONRoute
from .params import TEXT, ActorHeader, ClockTime, Day, Ref
from .responses import DATABASE, WRITE, Detail, FieldProblems, Responses, conflict, not_found

router = APIRouter(prefix="/api", tags=["policies"], route_class=StrictJSONRoute,
                   responses=DATABASE)

StateCode = Annotated[str, Path(pattern=r"^[A-Za-z]{2}$",
                                description="a state's postal code (e.g. IL), or US")]
EntryId = Annotated[str, Path(min_length=1, max_length=MAX_ID, pattern=TEXT.replace("*", "+"),
                              description="the id of an active user entry")]
NO_CASE = not_found("no such transaction, or it has no field-office case")


class EntryProblem(BaseModel):
    field: str = Field(description="where, e.g. [0].counties")
    message: str


class EntryProblems(BaseModel):
    detail: str
    errors: list[EntryProblem]


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
                  state: Annotated[str | None, Query(pattern=r"^[A-Za-z]{2}$",
                                                     description="postal code, or US")] = None,
                  topic: Annotated[Literal[TOPICS] | None, Query()] = None  # type: ignore[valid-type]
                  ) -> list[dict[str, Any]]:
    """Every jurisdiction entry in force (packaged record, user entries, policy file)."""
    es = sorted(_effective(s, hub).entries, key=lambda e: (e.state, e.effective_from, e.topic))
    return [e.to_dict() for e in es if (not state or e.state == state.upper())
            and (not topic or e.topic == topic)]


@router.get("/policies/{state}",
            responses=not_found("no such state, or the county is not one of its counties"))
def show_policy(state: StateCode, s: SessionDep, hub: HubDep,
                county: Annotated[str | None, Query(pattern=r"^[0-9]{5}$",
                                                    description="county FIPS code")] = None,
                on: Annotated[Day | None, Query(description="YYYY-MM-DD (default today)")] = None
                ) -> dict[str, Any]:
    """A state's (or county's) agreements on a date with reasons and sources, and history."""
    state = state.upper()
    if state != NATIONAL and state not in POSTAL_TO_FIPS:
        raise HTTPException(404, f"no state {state!r} (a postal code, or US)")
    if county is not None:
        if county[:2] != POSTAL_TO_FIPS.get(state):
            raise HTTPException(404, f"county {county} is not in {state}")
        try:
            hub.deps.jurisdictions.county(county)
        except KeyError as exc:
            raise HTTPException(404, str(exc.args[0])) from None
    ps = _effective(s, hub)
    day = on or date.today()
    try:
        a = ps.agreement(state, county, day)
    except KeyError as exc:
        raise HTTPException(404, str(exc)) from None
    return {"policy": ps.label, "framework": ps.framework_choice(day).reason,
            "agreement": a.to_dict(),
            "history": [e.to_dict() for e in history(state, county, entries=ps.entries)]}


@router.post("/policies", status_code=201,
             responses={**WRITE, 422: {"model": Union[EntryProblems, FieldProblems, Detail],
                              "description": "every problem of every entry, by field (nothing "
                              "stored); or X-Actor missing or not acceptable"}},
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/json": {"schema": ENTRIES_SCHEMA}}}})
def post_policies(body: Annotated[Any, Body(description="one PolicyEntry object or a list")],
                  actor: ActorHeader, s: WriteSessionDep) -> Any:
    """Add or override user entries (audited). All entries validate or none is stored."""
    try:
        parse_entries(body)
    except PolicyFileError as exc:
        return _problems(exc)
    rows = [body] if isinstance(body, dict) else body
    return [add_entry(s, r, actor).to_dict() for r in rows]


@router.delete("/policies/entries/{entry_id}",
               responses={**WRITE, **not_found("no active user entry with that id (a packaged "
                                                "entry is overridden, not retired)")})
def delete_policy(entry_id: EntryId, actor: ActorHeader, s: WriteSessionDep) -> dict[str, Any]:
    """Retire a user entry (audited); the record underneath applies again."""
    try:
        e = retire_entry(s, entry_id, actor)
    except PolicyNotFound as exc:
        raise HTTPException(404, str(exc)) from None
    return {"retired": e.id, "by": actor}


ACTION_LENGTH: int = AuditRow.__table__.c.action.type.length  # type: ignore[attr-defined]


@router.get("/audit")
def get_audit(s: SessionDep,
              action: Annotated[str | None, Query(max_length=ACTION_LENGTH, pattern=TEXT,
                                                  description="an action prefix, e.g. policy-"
                                                  )] = None,
              limit: Annotated[int, Query(ge=1, le=5000)] = 500) -> list[dict[str, Any]]:
    """Who changed what, when: policy entries, outcomes, holds (oldest first)."""
    return audit_rows(s, action_prefix=action, limit=limit)


# ---------------------------------------------------------------- the jail's side

class AtIn(BaseModel):
    at: ClockTime = Field(description="ISO date-time (simulated or real), in the years the "
                                      "hold clock counts (1971-2199)",
                          examples=["2011-03-07T17:00:00"])


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


@router.post("/holds/sweep", tags=["cases"], responses=WRITE)
def post_sweep(actor: ActorHeader, s: WriteSessionDep,
               at: Annotated[ClockTime | None, Query(description="ISO date-time in the years "
                                                     "the hold clock counts (1971-2199)")] = None
               ) -> dict[str, Any]:
    """Close every hold that lapsed by ``at`` (default now) with no ICE custody."""
    when = at or now()
    return {"at": when.isoformat(), "lapsed": sweep_lapsed_holds(s, when, actor)}


def _record_on_case(s, ref: str, record, at, actor: str) -> dict[str, Any]:
    """Apply a field-office recorder to the case; a conflicting record is a 409."""
    case = _case(s, ref, for_update=True)
    try:
        record(s, case, at, actor)
    except OutcomeError as exc:
        raise HTTPException(409, str(exc)) from None
    except ValueError as exc:   # a time the hold clock cannot count from
        raise HTTPException(422, str(exc)) from None
    return _case_out(case)


RECORDED: Responses = {**NO_CASE, **conflict("the case cannot take it (closed, or already recorded), or "
                                   "the write conflicts with stored data")}


@router.post("/cases/{ref}/release", tags=["cases"], responses=RECORDED)
def post_release(ref: Ref, body: AtIn, actor: ActorHeader, s: WriteSessionDep) -> dict[str, Any]:
    """The jail was due to release the person at ``at``: the hold starts, or release."""
    return _record_on_case(s, ref, record_release, body.at, actor)


@router.post("/cases/{ref}/custody", tags=["cases"], responses=RECORDED)
def post_custody(ref: Ref, body: AtIn, actor: ActorHeader, s: WriteSessionDep) -> dict[str, Any]:
    """ICE took custody at ``at``."""
    return _record_on_case(s, ref, record_custody, body.at, actor)


@router.get("/cases/{ref}", tags=["cases"], responses=NO_CASE)
def get_case(ref: Ref, s: SessionDep) -> dict[str, Any]:
    """The case with its policy: framework, agreement, detainer, hold, custody."""
    case = _case(s, ref)
    return {**_case_out(case), "framework": case.framework, "level": case.level,
            "classification": case.classification, "detainer": case.detainer,
            "agreement": case.agreement,
            "outcome_at": case.outcome_at.isoformat() if case.outcome_at else None}
