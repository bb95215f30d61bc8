"""Statistics over HTTP: the monthly table and the oversight figures as JSON, and as pages.

Public output (small counts suppressed) is the default; ``public=false`` gives
the internal figures, for a caller who says who they are (header X-Actor); each such
disclosure is audited. (The API, like the rest of this hub, has no authentication: the
name is declared, not proven.)
"""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Query
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from ..statistics import render
from ..statistics.monthly import MonthlyTable, monthly_table, parse_month
from ..statistics.oversight import oversight_figures
from ..storage.audit import record_disclosure
from .deps import FactsDep, HubDep
from .facts_cache import FactsCache
from .guards import StrictJSONRoute
from .params import ACTOR_LENGTH, MONTH, TEXT
from .responses import DATABASE

router = APIRouter(tags=["statistics"], route_class=StrictJSONRoute, responses=DATABASE)
pages_router = APIRouter(include_in_schema=False)

MonthQ = Annotated[str, Query(pattern=MONTH, description="YYYY-MM", examples=["2011-03"])]
PublicQ = Annotated[bool, Query(description="suppress small counts (1-9)")]
ActorH = Annotated[str | None, Header(alias="X-Actor", min_length=1, max_length=ACTOR_LENGTH,
                                      pattern=TEXT.replace("*", "+"),
                                      description="who takes internal (public=false) figures; "
                                      "required for them, and audited")]


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


def _disclosure(hub, public: bool, actor: str | None, report: str, params: dict) -> None:
    """Internal figures name who takes them (X-Actor) and are audited; public ones are not."""
    if public:
        return
    if not actor:
        raise HTTPException(422, [{"loc": ["header", "X-Actor"], "msg": "internal (public=false) "
                                   "figures show small counts: say who takes them in X-Actor "
                                   "(audited)", "type": "missing"}])
    with hub.db.session() as s:
        record_disclosure(s, actor, report, params)


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
def monthly(hub: HubDep, cache: FactsDep, month: MonthQ, public: PublicQ = True,
            actor: ActorH = None) -> dict:
    """The monthly IDENT/IAFIS interoperability table: by state and county, month and
    cumulative, submissions, IDENT matches, ICE custody and removals by level."""
    _disclosure(hub, public, actor, "monthly", {"month": month, "format": "json"})
    return _table(hub, cache, month, public).to_dict()


@router.get("/api/statistics/oversight", response_model=OversightModel)
def oversight(hub: HubDep, cache: FactsDep, public: PublicQ = True, actor: ActorH = None) -> dict:
    """Oversight figures, each with its definition and the SQL behind it."""
    _disclosure(hub, public, actor, "oversight", {"format": "json"})
    figs = _figures(hub, cache, public)
    return {"public": public, "source": _source(hub), "synthetic": True,
            "suppression_rule": render.RULE if public else None,
            "figures": [f.to_dict() for f in figs]}


@pages_router.get("/reports/monthly", response_class=HTMLResponse)
def monthly_page(hub: HubDep, cache: FactsDep, month: MonthQ,
                 public: PublicQ = True, actor: ActorH = None) -> HTMLResponse:
    _disclosure(hub, public, actor, "monthly", {"month": month, "format": "html"})
    return HTMLResponse(render.monthly_html(_table(hub, cache, month, public)))


@pages_router.get("/reports/oversight", response_class=HTMLResponse)
def oversight_page(hub: HubDep, cache: FactsDep, public: PublicQ = True,
                   actor: ActorH = None) -> HTMLResponse:
    _disclosure(hub, public, actor, "oversight", {"format": "html"})
    figs = _figures(hub, cache, public)
    return HTMLResponse(render.oversight_html(
        figs, public=public, source=_source(hub),
        generated_at=datetime.now(UTC).isoformat(timespec="seconds")))
