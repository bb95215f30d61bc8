"""The dashboard: a county map of the rollout, monthly charts and the oversight figures.

``GET /dashboard`` is the page (its JavaScript and county shapes are served
from ``/static``, nothing from the internet); ``GET /api/dashboard?month=YYYY-MM``
is the data it draws, computed by ``scomm.statistics.dashboard`` and kept until the
database changes (``facts_cache``).
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse

from ..statistics.dashboard import dashboard_data, parse_month
from .deps import FactsDep, HubDep, SessionDep
from .guards import StrictJSONRoute
from .pages import templates
from .params import MONTH
from .responses import DATABASE

router = APIRouter(tags=["statistics"], route_class=StrictJSONRoute, responses=DATABASE)
STATIC = Path(__file__).resolve().parent.parent / "web" / "static"  # mounted at /static


@router.get("/dashboard", response_class=HTMLResponse, include_in_schema=False)
def dashboard_page(request: Request):
    return templates.TemplateResponse(request, "dashboard.html", {})


@router.get("/api/dashboard")
def dashboard_json(hub: HubDep, s: SessionDep, cache: FactsDep,
                   month: Annotated[str | None, Query(pattern=MONTH,
                                                      description="YYYY-MM; default the last")] = None,
                   counties: Annotated[bool, Query(description="include the county table "
                                                   "(names, activation dates)")] = True) -> dict:
    """Counties (activation dates), per-county submissions and IDENT matches cumulative
    through ``month``, monthly series and the oversight figures."""
    if month:
        try:
            month = parse_month(month)
        except ValueError as e:
            raise HTTPException(422, str(e)) from None
    return cache.derived(s, ("dashboard", month, counties), lambda facts: dashboard_data(
        facts, hub.deps.jurisdictions, month, with_counties=counties))
