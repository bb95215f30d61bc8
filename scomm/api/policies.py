"""/api: policies as dated data (frameworks, agreements, user entries, audit) and the
jail's side of a case (release and the 48-hour hold, ICE custody, lapsed holds)."""
from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal, Union

from fastapi import APIRouter, Body, HTTPException, Path, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from ..agencies.field_office import OutcomeError
from ..application import audit_trail, cases, policies
from ..domain.agreements import TOPICS
from ..domain.policyset import ENTRIES_SCHEMA, MAX_ID, PolicyFileError
from ..security.principal import Principal
from ..storage.policies import PolicyNotFound
from ..storage.tables import AuditRow
from .auth import SIGNED_IN, PrincipalDep
from .deps import HubDep
from .guards import StrictJSONRoute
from .params import TEXT, ClockTime, Day, Ref
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


@router.get("/frameworks", responses=SIGNED_IN)
def get_frameworks(hub: HubDep, principal: PrincipalDep) -> dict[str, Any]:
    """Priority frameworks and detainer policies with their dates (of the hub's policy set)."""
    return policies.frameworks(principal, hub.deps.policy)


@router.get("/policies", responses=SIGNED_IN)
def list_policies(hub: HubDep, principal: PrincipalDep,
                  state: Annotated[str | None, Query(pattern=r"^[A-Za-z]{2}$",
                                                     description="postal code, or US")] = None,
                  topic: Annotated[Literal[TOPICS] | None, Query()] = None  # type: ignore[valid-type]
                  ) -> list[dict[str, Any]]:
    """Every jurisdiction entry in force (packaged record, user entries, policy file)."""
    return [e.to_dict() for e in policies.entries(hub.db, principal, hub.deps.policy, state, topic)]


@router.get("/policies/{state}",
            responses={**SIGNED_IN, **not_found("no such state, or the county is not one of its counties")})
def show_policy(state: StateCode, hub: HubDep, principal: PrincipalDep,
                county: Annotated[str | None, Query(pattern=r"^[0-9]{5}$",
                                                    description="county FIPS code")] = None,
                on: Annotated[Day | None, Query(description="YYYY-MM-DD (default today)")] = None
                ) -> dict[str, Any]:
    """A state's (or county's) agreements on a date with reasons and sources, and history."""
    return policies.standing(hub.db, principal, hub.deps.policy, hub.deps.jurisdictions, state, county,
                             on or date.today()).to_dict()


@router.post("/policies", status_code=201,
             responses={**WRITE, **SIGNED_IN, 422: {"model": Union[EntryProblems, FieldProblems, Detail],
                              "description": "every problem of every entry, by field (nothing "
                              "stored)"}},
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/json": {"schema": ENTRIES_SCHEMA}}}})
def post_policies(body: Annotated[Any, Body(description="one PolicyEntry object or a list")],
                  hub: HubDep, principal: PrincipalDep) -> Any:
    """Add or override user entries (audited). All entries validate or none is stored.
    Role policy-admin."""
    try:
        return [e.to_dict() for e in policies.add(hub.db, principal, body)]
    except PolicyFileError as exc:
        return _problems(exc)


@router.delete("/policies/entries/{entry_id}",
               responses={**WRITE, **SIGNED_IN, **not_found("no active user entry with that id (a "
                                                             "packaged entry is overridden, not retired)")})
def delete_policy(entry_id: EntryId, hub: HubDep, principal: PrincipalDep) -> dict[str, Any]:
    """Retire a user entry (audited); the record underneath applies again. Role policy-admin."""
    try:
        e = policies.retire(hub.db, principal, entry_id)
    except PolicyNotFound as exc:
        raise HTTPException(404, str(exc)) from None
    return {"retired": e.id, "by": principal.name}


ACTION_LENGTH: int = AuditRow.__table__.c.action.type.length  # type: ignore[attr-defined]


@router.get("/audit", responses=SIGNED_IN)
def get_audit(hub: HubDep, principal: PrincipalDep,
              action: Annotated[str | None, Query(max_length=ACTION_LENGTH, pattern=TEXT,
                                                  description="an action prefix, e.g. policy-"
                                                  )] = None,
              limit: Annotated[int, Query(ge=1, le=5000)] = 500) -> list[dict[str, Any]]:
    """Who did or saw what, when, from where, with what outcome (oldest first; this read is
    itself audited). Role auditor."""
    with hub.db.session() as s:
        return audit_trail.read(s, principal, action_prefix=action, limit=limit)


# ---------------------------------------------------------------- the jail's side

class AtIn(BaseModel):
    at: ClockTime = Field(description="ISO date-time (simulated or real), in the years the "
                                      "hold clock counts (1971-2199)",
                          examples=["2011-03-07T17:00:00"])


@router.post("/holds/sweep", tags=["cases"], responses={**WRITE, **SIGNED_IN})
def post_sweep(hub: HubDep, principal: PrincipalDep,
               at: Annotated[ClockTime | None, Query(description="ISO date-time in the years "
                                                     "the hold clock counts (1971-2199)")] = None
               ) -> dict[str, Any]:
    """Close every hold that lapsed by ``at`` (default now) with no ICE custody (a field
    office: its own cases)."""
    return cases.sweep_holds(hub.db, principal, at)


def _record_on_case(record, hub, principal: Principal, ref: str, at) -> dict[str, Any]:
    """Apply a field-office recorder to the case; a conflicting record is a 409."""
    try:
        return record(hub.db, principal, ref, at)
    except OutcomeError as exc:
        raise HTTPException(409, str(exc)) from None
    except ValueError as exc:   # a time the hold clock cannot count from
        raise HTTPException(422, str(exc)) from None


RECORDED: Responses = {**NO_CASE, **SIGNED_IN,
                       **conflict("the case cannot take it (closed, or already recorded), or "
                                  "the write conflicts with stored data")}


@router.post("/cases/{ref}/release", tags=["cases"], responses=RECORDED)
def post_release(ref: Ref, body: AtIn, hub: HubDep, principal: PrincipalDep) -> dict[str, Any]:
    """The jail was due to release the person at ``at``: the hold starts, or release."""
    return _record_on_case(cases.record_release, hub, principal, ref, body.at)


@router.post("/cases/{ref}/custody", tags=["cases"], responses=RECORDED)
def post_custody(ref: Ref, body: AtIn, hub: HubDep, principal: PrincipalDep) -> dict[str, Any]:
    """ICE took custody at ``at``."""
    return _record_on_case(cases.record_custody, hub, principal, ref, body.at)


@router.get("/cases/{ref}", tags=["cases"], responses={**NO_CASE, **SIGNED_IN})
def get_case(ref: Ref, hub: HubDep, principal: PrincipalDep) -> dict[str, Any]:
    """The case with its policy: framework, agreement, detainer, hold, custody. Role
    field-office, in its area."""
    return cases.read_case(hub.db, principal, ref)
