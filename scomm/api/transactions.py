"""/transactions: submit raw ANSI/NIST, read status and responses, record outcomes."""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from ..agencies.field_office import OUTCOMES, OutcomeError, case_for, record_outcome
from ..storage.tables import ResponseRow, TransactionRow
from ..views import find_transaction, transaction_status, transaction_summary
from .deps import HubDep, SessionDep

router = APIRouter(prefix="/transactions", tags=["transactions"])
FINAL = {"done", "rejected", "error"}


class ProblemOut(BaseModel):
    record: str
    field: str
    reason: str


class SubmissionOut(BaseModel):
    transaction: int
    tcn: str | None
    accepted: bool
    state: str
    duplicate: bool
    sha256: str
    errors: list[ProblemOut]


class OutcomeIn(BaseModel):
    outcome: str = Field(description=f"one of {', '.join(OUTCOMES)}")
    by: str = Field(min_length=1, description="who records it (audited)")
    note: str = ""


@router.post("", response_model=SubmissionOut, status_code=202,
             responses={200: {"description": "duplicate: the first result"},
                        422: {"description": "rejected, every problem named"}},
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}})
async def submit(request: Request, hub: HubDep, response: Response,
                 wait: Annotated[bool, Query(description="wait until the chain is done")] = False,
                 filename: Annotated[str | None, Query(max_length=255)] = None) -> SubmissionOut:
    """Submit one ANSI/NIST-ITL transaction (raw bytes). Stored durably before the answer."""
    raw = await request.body()
    receipt = hub.submit(raw, filename)
    if wait and not receipt.duplicate:
        hub.bus.drain([receipt.transaction_id])
    with hub.db.session() as s:
        t = s.get(TransactionRow, receipt.transaction_id)
        out = SubmissionOut(transaction=t.id, tcn=t.tcn, accepted=t.accepted, state=t.state,
                            duplicate=receipt.duplicate, sha256=t.sha256,
                            errors=[ProblemOut(**e) for e in t.errors or []])
    if receipt.duplicate:
        response.status_code = 200
    elif not out.accepted:
        response.status_code = 422
    return out


@router.get("")
def list_transactions(s: SessionDep,
                      limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[dict[str, Any]]:
    """Every stored transaction, accepted or rejected, newest first."""
    rows = s.scalars(select(TransactionRow).order_by(TransactionRow.id.desc()).limit(limit))
    return [transaction_summary(t) for t in rows]


def _get(s, ref: str) -> TransactionRow:
    t = find_transaction(s, ref)
    if t is None:
        raise HTTPException(404, f"no transaction {ref!r}")
    return t


@router.get("/{ref}")
def get_transaction(ref: str, s: SessionDep) -> dict[str, Any]:
    """Everything that happened to one transaction (by TCN or id)."""
    return transaction_status(s, _get(s, ref))


@router.get("/{ref}/responses/{kind}", response_class=Response,
            responses={200: {"content": {"application/octet-stream": {}}}})
def get_response(ref: str, kind: str, s: SessionDep) -> Response:
    """A response (SRE, ERRT, IDR, IAR) as the ANSI/NIST bytes that were sent."""
    t = _get(s, ref)
    r = s.scalars(select(ResponseRow).where(ResponseRow.transaction_id == t.id,
                                            ResponseRow.kind == kind.upper())).first()
    if r is None:
        raise HTTPException(404, f"transaction {ref!r} has no {kind.upper()} response")
    return Response(r.body, media_type="application/octet-stream")


@router.post("/{ref}/outcome")
def post_outcome(ref: str, body: Annotated[OutcomeIn, Body()], s: SessionDep) -> dict[str, Any]:
    """Record the outcome of the field-office case (audited)."""
    t = _get(s, ref)
    case = case_for(s, t.id)
    if case is None:
        raise HTTPException(409, f"transaction {ref!r} has no field-office case")
    try:
        record_outcome(s, case, body.outcome, body.by, body.note)
    except OutcomeError as exc:
        raise HTTPException(422, str(exc))
    return {"case": case.id, "outcome": case.outcome, "by": body.by}
