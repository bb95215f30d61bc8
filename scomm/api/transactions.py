"""/transactions: submit raw ANSI/NIST, read status and responses, record outcomes.

A submission is stored (committed) before anything else; a worker runs intake
and the chain. The answer waits, without holding the event loop, for intake
(``?wait=true``: for the whole chain) up to a bound, then says where it stands.
"""
from __future__ import annotations

import asyncio
import time
from typing import Annotated, Any, Literal, Optional, Union

from fastapi import APIRouter, Body, HTTPException, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import select

from ..agencies.field_office import OUTCOMES
from ..application import cases, transactions
from ..bootstrap import Hub
from ..examiner import FingerComparison, NoComparison
from ..messages import FINAL_STATES, TxState
from ..security.access import UseCase, authorise
from ..security.principal import Principal
from ..storage.tables import TransactionRow
from .auth import SIGNED_IN, PrincipalDep
from .deps import HubDep
from .guards import StrictJSONRoute
from .params import NOTE, Filename, Ref
from .responses import DATABASE, RETRY_AFTER, WRITE, Detail, FieldProblems, not_found

router = APIRouter(prefix="/transactions", tags=["transactions"], route_class=StrictJSONRoute,
                   responses=DATABASE)


class ProblemOut(BaseModel):
    record: str
    field: str
    reason: str


class SubmissionOut(BaseModel):
    transaction: int
    tcn: str | None
    accepted: bool
    state: str = Field(description="received (stored, intake pending) | queued (accepted, the "
                                   "chain running) | done | rejected | error")
    duplicate: bool
    sha256: str
    errors: list[ProblemOut]


class BusyOut(BaseModel):
    detail: str
    stored: bool = Field(description="always false: the submission was not stored; send it again")
    retry_after: int


class OutcomeIn(BaseModel):
    outcome: Literal[OUTCOMES] = Field(description="the case's outcome")  # type: ignore[valid-type]
    note: str = Field("", max_length=2000, pattern=NOTE)


class OutcomeOut(BaseModel):
    case: int
    outcome: str
    by: str = Field(description="the signed-in principal who recorded it (audited)")


@router.post("", response_model=SubmissionOut, status_code=202,
             responses={200: {"model": SubmissionOut, "description": "duplicate: the first result"},
                        202: {"description": "stored; accepted, or still in intake (see state)"},
                        413: {"model": Detail, "description": "larger than the limit; not stored"},
                        **WRITE, **SIGNED_IN,
                        422: {"model": Union[SubmissionOut, FieldProblems, Detail],
                              "description": "rejected (stored, an ERRT sent): every problem "
                              "named in ``errors``; or a query parameter not acceptable (not "
                              "stored)"},
                        503: {"model": Union[BusyOut, Detail], "headers": RETRY_AFTER,
                              "description": "the hub is saturated, or the database busy: "
                              "not stored; send it again after Retry-After seconds"}},
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}})
async def submit(request: Request, hub: HubDep, response: Response, principal: PrincipalDep,
                 wait: Annotated[bool, Query(description="wait until the chain is done")] = False,
                 filename: Filename = None) -> Any:
    """Submit one ANSI/NIST-ITL transaction (raw bytes). Stored durably before the answer."""
    authorise(principal, UseCase.SUBMIT, "transactions")   # before reading the body
    busy = await _busy(request, hub)
    if busy is not None:
        return busy
    request.app.state.submitting = getattr(request.app.state, "submitting", 0) + 1
    try:
        raw = await request.body()    # bounded by the request guard
        receipt = await run_in_threadpool(transactions.receive, hub, principal, raw, filename)
    finally:
        request.app.state.submitting -= 1
    if not receipt.duplicate:
        await _wait(hub, receipt.transaction_id, whole_chain=wait)
    out = await run_in_threadpool(_submission, hub, receipt.transaction_id, receipt.duplicate)
    if receipt.duplicate:
        response.status_code = 200
    elif out.state == TxState.REJECTED:
        response.status_code = 422
    return out


async def _busy(request: Request, hub: Hub) -> JSONResponse | None:
    """503 (not stored) when the backlog or the submissions in flight pass their bounds."""
    s = hub.settings
    inflight = getattr(request.app.state, "submitting", 0)
    backlog = await run_in_threadpool(hub.bus.backlog)
    if backlog < s.max_backlog and inflight < s.max_submissions_in_flight:
        return None
    why = (f"{backlog} steps owed (bound {s.max_backlog})" if backlog >= s.max_backlog
           else f"{inflight} submissions being received")
    body = BusyOut(detail=f"the hub is saturated ({why}): not stored; send it again after "
                          f"{s.retry_after_seconds} s", stored=False, retry_after=s.retry_after_seconds)
    return JSONResponse(body.model_dump(), status_code=503,
                        headers={"Retry-After": str(s.retry_after_seconds)})


async def _wait(hub: Hub, transaction_id: int, *, whole_chain: bool) -> None:
    """Poll (off the event loop) until intake, or the whole chain, is over, within bounds."""
    s = hub.settings
    deadline = time.monotonic() + (s.chain_wait_seconds if whole_chain else s.intake_wait_seconds)
    delay = 0.02
    while time.monotonic() < deadline:
        state = await run_in_threadpool(_state, hub, transaction_id)
        if state in FINAL_STATES or (not whole_chain and state != TxState.RECEIVED):
            return
        await asyncio.sleep(delay)
        delay = min(delay * 1.5, 0.25)


def _state(hub: Hub, transaction_id: int) -> str:
    with hub.db.read() as s:
        return s.scalar(select(TransactionRow.state).where(TransactionRow.id == transaction_id)) or ""


def _submission(hub: Hub, transaction_id: int, duplicate: bool) -> SubmissionOut:
    with hub.db.read() as s:
        t = s.get(TransactionRow, transaction_id)
        if t is None:   # it was committed before this read: never
            raise LookupError(f"transaction {transaction_id} not found")
        return SubmissionOut(transaction=t.id, tcn=t.tcn, accepted=t.accepted, state=t.state,
                             duplicate=duplicate, sha256=t.sha256,
                             errors=[ProblemOut(**e) for e in t.errors or []])


@router.get("", responses=SIGNED_IN)
def list_transactions(hub: HubDep, principal: PrincipalDep,
                      limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[dict[str, Any]]:
    """The stored transactions the caller may see, accepted or rejected, newest first."""
    return transactions.list_transactions(hub.db, principal, limit)


NOT_FOUND = not_found("no such transaction (or none the caller may see)")


@router.get("/{ref}", responses={**SIGNED_IN, **NOT_FOUND})
def get_transaction(ref: Ref, hub: HubDep, principal: PrincipalDep) -> dict[str, Any]:
    """Everything that happened to one transaction (by TCN or id)."""
    return transactions.read_transaction(hub.db, principal, ref, hub.deps.policy)


@router.get("/{ref}/responses/{kind}", response_class=Response,
            responses={200: {"content": {"application/octet-stream": {}}}, **SIGNED_IN,
                       **not_found("no such transaction, or no such response to it (a booking "
                                   "agency gets an IDR only where its state bureau passes IDRs on)")})
def get_response(ref: Ref, hub: HubDep, principal: PrincipalDep,
                 kind: Annotated[str, Path(pattern=r"^([Ss][Rr][Ee]|[Ee][Rr][Rr][Tt]|[Ii][Dd][Rr]"
                                                   r"|[Ii][Aa][Rr])$",
                                           description="SRE, ERRT, IDR or IAR (any case)")]
                 ) -> Response:
    """A response (SRE, ERRT, IDR, IAR) as the ANSI/NIST bytes that were sent."""
    body = transactions.read_response(hub.db, principal, ref, kind, hub.deps.policy)
    return Response(body, media_type="application/octet-stream")


NO_COMPARISON = not_found("no such transaction, no identification in that repository, or that "
                          "finger was not compared")
Repository = Annotated[Literal["cjis", "ident"], Path(description="cjis (criminal) or ident (immigration)")]
FingerParam = Annotated[Optional[int], Query(ge=1, le=10, description="finger position 1-10 (default: the "
                                                                     "best-scoring finger)")]


def _comparison(hub: Hub, principal: Principal, ref: str, repository: str,
                finger: int | None) -> FingerComparison:
    try:
        return transactions.read_match(hub.db, principal, ref, repository, finger)
    except NoComparison as exc:
        raise HTTPException(404, str(exc)) from None


@router.get("/{ref}/matches/{repository}", responses={**SIGNED_IN, **NO_COMPARISON})
def get_match(ref: Ref, repository: Repository, hub: HubDep, principal: PrincipalDep,
              finger: FingerParam = None) -> dict[str, Any]:
    """The finger comparison behind an identification: every finger's score, the pairs of
    minutiae, the alignment (what the picture draws). Role examiner."""
    return _comparison(hub, principal, ref, repository, finger).explain()


@router.get("/{ref}/matches/{repository}/picture.{fmt}", response_class=Response,
            responses={200: {"content": {"image/svg+xml": {}, "image/png": {}}}, **SIGNED_IN,
                       **NO_COMPARISON})
def get_match_picture(ref: Ref, repository: Repository, hub: HubDep, principal: PrincipalDep,
                      fmt: Annotated[Literal["svg", "png"], Path(description="svg or png")],
                      finger: FingerParam = None) -> Response:
    """The probe's finger and the record's side by side, paired minutiae joined, with the
    alignment and the fused scores (SVG or PNG). Role examiner."""
    c = _comparison(hub, principal, ref, repository, finger)
    return Response(c.draw(fmt), media_type="image/svg+xml" if fmt == "svg" else "image/png")


@router.post("/{ref}/outcome", response_model=OutcomeOut,
             responses={**SIGNED_IN, **not_found("no such transaction, or it has no field-office case"),
                        **WRITE})
def post_outcome(ref: Ref, body: Annotated[OutcomeIn, Body()], hub: HubDep,
                 principal: PrincipalDep) -> OutcomeOut:
    """Record the outcome of the field-office case (audited). Role field-office, in its area."""
    try:
        out = cases.record_outcome(hub.db, principal, ref, body.outcome, body.note)
    except cases.OutcomeError as exc:
        raise HTTPException(422, str(exc)) from None
    return OutcomeOut(case=out["case"], outcome=body.outcome, by=principal.name)
