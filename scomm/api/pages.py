"""Pages: the transaction list and one transaction's path through the chain (signed in:
the session cookie; the same use cases, scoping and audit as the API)."""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from ..application import transactions
from ..messages import EventKind
from ..security.access import UseCase, allowed
from .auth import CSRF_COOKIE, PrincipalDep
from .deps import HubDep
from .templating import templates

router = APIRouter(include_in_schema=False)
STAGES = [("sib", "SIB intake"), ("cjis", "CJIS"), ("ident", "IDENT"), ("lesc", "LESC"),
          ("field_office", "ICE field office")]


def _page(request: Request, principal, name: str, context: dict) -> HTMLResponse:
    return templates.TemplateResponse(request, name, {
        **context, "principal": principal, "csrf": request.cookies.get(CSRF_COOKIE, "")})


@router.get("/", response_class=HTMLResponse)
async def index(request: Request, hub: HubDep, principal: PrincipalDep):
    rows = await run_in_threadpool(transactions.list_transactions, hub.db, principal, 500)
    return _page(request, principal, "list.html", {"rows": rows})


@router.get("/t/{ref}", response_class=HTMLResponse)
async def detail(ref: str, request: Request, hub: HubDep, principal: PrincipalDep):
    st = await run_in_threadpool(transactions.read_transaction, hub.db, principal, ref, hub.deps.policy)
    reached = {e["actor"] for e in st["events"]}
    matches = _matches(st["events"]) if allowed(principal, UseCase.READ_MATCH) else {}
    return _page(request, principal, "detail.html",
                 {"t": st, "stages": STAGES, "reached": reached, "matches": matches})


def _matches(events: list[dict]) -> dict[str, dict]:
    """The identifications to picture, by repository: the candidate's explanation."""
    where = {EventKind.IDENTIFIED: ("cjis", "match"), EventKind.MATCH: ("ident", "match_detail")}
    return {where[e["kind"]][0]: e["data"][where[e["kind"]][1]]
            for e in events if e["kind"] in where and where[e["kind"]][1] in e["data"]}
