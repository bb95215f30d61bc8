"""Statistics over HTTP: the monthly table and the oversight figures as JSON, and as pages.

Public output (small counts suppressed) is the default, for anyone; ``public=false`` gives
the internal figures, to a signed-in auditor; each such disclosure is audited.
"""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from ..application.statistics import disclose
from ..statistics import render
from ..statistics.monthly import MonthlyTable, monthly_table, parse_month
from ..statistics.oversight import oversight_figures
from .auth import PrincipalDep
from .deps import FactsDep, HubDep
from .facts_cache import FactsCache
from .guards import StrictJSONRoute
from .params import MONTH
from .responses import DATABASE, Detail, Responses

INTERNAL: Responses = {
    401: {"model": Detail, "description": "public=false without a signed-in principal"},
    403: {"model": Detail, "description": "public=false for a role other than auditor"},
}
router = APIRouter(tags=["statistics"], route_class=StrictJSONRoute, responses={**DATABASE, **INTERNAL})
pages_router = APIRouter(include_in_schema=False)

MonthQ = Annotated[str, Query(pattern=MONTH, description="YYYY-MM", examples=["2011-03"])]
PublicQ = Annotated[bool, Query(description="suppress small counts (1-9)")]


class MonthlyRowModel(BaseModel):
    kind: str
    state: str
    state_name: str
    county: str | None
    fips: str | None
    activation_date: str | None
    cells: dict[str, int | None]
    suppressed: dict[str, str]


class MonthlyTableModel(BaseModel):
    month: str
    public: bool
    source: str
    generated_at: str
    synthetic: bool
    note: str
    threshold: int
    suppression_rule: str | None
    columns: list[str]
    rows: list[MonthlyRowModel]
    state_subtotals: list[MonthlyRowModel]
    national: MonthlyRowModel


class SuppressedCell(BaseModel):
    row: int
    column: str
    how: str


class FigureModel(BaseModel):
    id: str
    title: str
    definition: str
    numerator: str
    denominator: str
    unit: str
    value: float | int | None
    value_suppressed: bool
    columns: list[str]
    rows: list[dict]
    suppressed: list[SuppressedCell]
    note: str
    sql: str


class OversightModel(BaseModel):
    public: bool
    source: str
    synthetic: bool
    suppression_rule: str | None
    figures: list[FigureModel]


def _source(hub) -> str:
    return hub.db.engine.url.render_as_string(hide_password=True)




def _table(hub, cache: FactsCache, month: str, public: bool) -> MonthlyTable:
    try:
        parse_month(month)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    with hub.db.read() as s:
        return cache.derived(s, ("monthly", month, public), lambda facts: monthly_table(
            [f for f in facts if f.month <= month], month, hub.deps.jurisdictions,
            public=public, source=_source(hub)))


def _figures(hub, cache: FactsCache, public: bool) -> list:
    with hub.db.read() as s:
        return cache.derived(s, ("oversight", public), lambda facts: oversight_figures(
            facts, hub.deps.jurisdictions, public=public, dialect=hub.db.engine.dialect.name))


@router.get("/api/statistics/monthly", response_model=MonthlyTableModel)
def monthly(hub: HubDep, cache: FactsDep, month: MonthQ, principal: PrincipalDep,
            public: PublicQ = True) -> dict:
    """The monthly IDENT/IAFIS interoperability table: by state and county, month and
    cumulative, submissions, IDENT matches, ICE custody and removals by level."""
    disclose(hub.db, principal, public, "monthly", {"month": month, "format": "json"})
    return _table(hub, cache, month, public).to_dict()


@router.get("/api/statistics/oversight", response_model=OversightModel)
def oversight(hub: HubDep, cache: FactsDep, principal: PrincipalDep, public: PublicQ = True) -> dict:
    """Oversight figures, each with its definition and the SQL behind it."""
    disclose(hub.db, principal, public, "oversight", {"format": "json"})
    figs = _figures(hub, cache, public)
    return {"public": public, "source": _source(hub), "synthetic": True,
            "suppression_rule": render.RULE if public else None,
            "figures": [f.to_dict() for f in figs]}


@pages_router.get("/reports/monthly", response_class=HTMLResponse)
def monthly_page(hub: HubDep, cache: FactsDep, month: MonthQ, principal: PrincipalDep,
                 public: PublicQ = True) -> HTMLResponse:
    disclose(hub.db, principal, public, "monthly", {"month": month, "format": "html"})
    return HTMLResponse(render.monthly_html(_table(hub, cache, month, public)))


@pages_router.get("/reports/oversight", response_class=HTMLResponse)
def oversight_page(hub: HubDep, cache: FactsDep, principal: PrincipalDep,
                   public: PublicQ = True) -> HTMLResponse:
    disclose(hub.db, principal, public, "oversight", {"format": "html"})
    figs = _figures(hub, cache, public)
    return HTMLResponse(render.oversight_html(
        figs, public=public, source=_source(hub),
        generated_at=datetime.now(UTC).isoformat(timespec="seconds")))
