"""The dashboard: a county map of the rollout, monthly charts and the oversight figures.

``GET /dashboard`` is the page (its JavaScript and county shapes are served
from ``/static``, nothing from the internet); ``GET /api/dashboard?month=YYYY-MM``
is the data it draws, computed by ``scomm.statistics.dashboard`` and kept until the
database changes (``facts_cache``): small counts suppressed for anyone, the internal
figures (``public=false``, the page's ``?public=false``) for an auditor, audited.
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse

from ..application.statistics import disclose
from ..statistics.dashboard import dashboard_data, parse_month, public_view
from .auth import CSRF_COOKIE, PrincipalDep
from .deps import FactsDep, HubDep, SessionDep
from .guards import StrictJSONRoute
from .params import MONTH
from .responses import DATABASE
from .statistics import INTERNAL
from .templating import templates

router = APIRouter(tags=["statistics"], route_class=StrictJSONRoute, responses=DATABASE)
STATIC = Path(__file__).resolve().parent.parent / "web" / "static"  # mounted at /static


@router.get("/dashboard", response_class=HTMLResponse, include_in_schema=False)
def dashboard_page(request: Request, principal: PrincipalDep):
    return templates.TemplateResponse(request, "dashboard.html", {
        "principal": principal, "csrf": request.cookies.get(CSRF_COOKIE, "")})


@router.get("/api/dashboard", responses=INTERNAL)
def dashboard_json(hub: HubDep, s: SessionDep, cache: FactsDep, principal: PrincipalDep,
                   month: Annotated[str | None, Query(pattern=MONTH,
                                                      description="YYYY-MM; default the last")] = None,
                   counties: Annotated[bool, Query(description="include the county table "
                                                   "(names, activation dates)")] = True,
                   public: Annotated[bool, Query(description="suppress small counts (1-9), and "
                                                 "those that would give them away")] = True) -> dict:
    """Counties (activation dates), per-county submissions and IDENT matches cumulative
    through ``month``, monthly series and the oversight figures."""
    if month:
        try:
            month = parse_month(month)
        except ValueError as e:
            raise HTTPException(422, str(e)) from None
    disclose(hub.db, principal, public, "dashboard", {"month": month})
    view = public_view if public else (lambda d: d)
    return cache.derived(s, ("dashboard", month, counties, public), lambda facts: view(dashboard_data(
        facts, hub.deps.jurisdictions, month, with_counties=counties)))
