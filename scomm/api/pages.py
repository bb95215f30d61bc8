"""Pages: the transaction list and one transaction's path through the chain."""
from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy import select

from ..messages import EventKind
from ..storage.tables import TransactionRow
from ..views import find_transaction, transaction_status, transaction_summary
from .deps import SessionDep

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).parent.parent / "web" / "templates"))
STAGES = [("sib", "SIB intake"), ("cjis", "CJIS"), ("ident", "IDENT"), ("lesc", "LESC"),
          ("field_office", "ICE field office")]


@router.get("/", response_class=HTMLResponse)
def index(request: Request, s: SessionDep):
    rows = [transaction_summary(t) for t in
            s.scalars(select(TransactionRow).order_by(TransactionRow.id.desc()).limit(500))]
    return templates.TemplateResponse(request, "list.html", {"rows": rows})


@router.get("/t/{ref}", response_class=HTMLResponse)
def detail(ref: str, request: Request, s: SessionDep):
    t = find_transaction(s, ref)
    if t is None:
        raise HTTPException(404, f"no transaction {ref!r}")
    st = transaction_status(s, t)
    reached = {e["actor"] for e in st["events"]}
    return templates.TemplateResponse(request, "detail.html", {"t": st, "stages": STAGES, "reached": reached,
                                                               "matches": _matches(st["events"])})


def _matches(events: list[dict]) -> dict[str, dict]:
    """The identifications to picture, by repository: the candidate's explanation."""
    where = {EventKind.IDENTIFIED: ("cjis", "match"), EventKind.MATCH: ("ident", "match_detail")}
    return {where[e["kind"]][0]: e["data"][where[e["kind"]][1]]
            for e in events if e["kind"] in where and where[e["kind"]][1] in e["data"]}
