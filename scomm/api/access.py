"""Every route of the hub and the use case it runs: with ``security.access.TABLE`` (use
case x role), the whole access policy. ``create_app`` refuses to start with a route that
has no entry here, and a test walks every route against every role.

``PUBLIC``: no principal needed (signing in, the public dashboard and statistics, the API
description, liveness). The statistics routes give internal figures (``public=false``)
only to ``READ_INTERNAL_STATISTICS``.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import Route

from ..security.access import TABLE, UseCase
from ..security.principal import Role

PUBLIC = None
U = UseCase

# liveness and the API's description, on every app
_DESCRIBED = {route: PUBLIC for route in (("GET", "/health"), ("GET", "/openapi.json"), ("GET", "/docs"),
                                          ("GET", "/docs/oauth2-redirect"), ("GET", "/redoc"))}
ROUTES: Mapping[tuple[str, str], UseCase | None] = {
    ("POST", "/transactions"): U.SUBMIT,
    ("GET", "/transactions"): U.LIST_TRANSACTIONS,
    ("GET", "/transactions/{ref}"): U.READ_TRANSACTION,
    ("GET", "/transactions/{ref}/responses/{kind}"): U.READ_RESPONSE,
    ("GET", "/transactions/{ref}/matches/{repository}"): U.READ_MATCH,
    ("GET", "/transactions/{ref}/matches/{repository}/picture.{fmt}"): U.READ_MATCH,
    ("POST", "/transactions/{ref}/outcome"): U.RECORD_OUTCOME,
    ("GET", "/api/cases/{ref}"): U.READ_CASE,
    ("POST", "/api/cases/{ref}/release"): U.RECORD_RELEASE,
    ("POST", "/api/cases/{ref}/custody"): U.RECORD_CUSTODY,
    ("POST", "/api/holds/sweep"): U.SWEEP_HOLDS,
    ("GET", "/api/frameworks"): U.READ_POLICIES,
    ("GET", "/api/policies"): U.READ_POLICIES,
    ("GET", "/api/policies/{state}"): U.READ_POLICIES,
    ("POST", "/api/policies"): U.ADD_POLICY,
    ("DELETE", "/api/policies/entries/{entry_id}"): U.RETIRE_POLICY,
    ("GET", "/api/audit"): U.READ_AUDIT,
    ("GET", "/api/statistics/monthly"): U.READ_PUBLIC_STATISTICS,
    ("GET", "/api/statistics/oversight"): U.READ_PUBLIC_STATISTICS,
    ("GET", "/reports/monthly"): U.READ_PUBLIC_STATISTICS,
    ("GET", "/reports/oversight"): U.READ_PUBLIC_STATISTICS,
    ("GET", "/api/dashboard"): U.READ_PUBLIC_STATISTICS,
    ("GET", "/dashboard"): PUBLIC,
    ("GET", "/"): U.LIST_TRANSACTIONS,
    ("GET", "/t/{ref}"): U.READ_TRANSACTION,
    ("POST", "/auth/token"): PUBLIC,
    ("POST", "/auth/revoke"): PUBLIC,
    ("GET", "/auth/me"): PUBLIC,
    ("POST", "/auth/password"): U.CHANGE_OWN_PASSWORD,
    ("GET", "/sign-in"): PUBLIC,
    ("POST", "/sign-in"): PUBLIC,
    ("POST", "/sign-out"): PUBLIC,
    **_DESCRIBED,
}

# The identification engine's own app (``scomm engine serve``: api/engine.py).
ENGINE_ROUTES: Mapping[tuple[str, str], UseCase | None] = {
    ("POST", "/abis/v1/{gallery}/identify"): U.IDENTIFY,
    ("POST", "/abis/v1/{gallery}/verify"): U.VERIFY,
    ("POST", "/abis/v1/{gallery}/insert"): U.INDEX_RECORD,
    ("GET", "/abis/v1/ping"): U.READ_ENGINE_STATUS,
    ("GET", "/abis/v1/jobs"): U.READ_ENGINE_STATUS,
    **_DESCRIBED,
}


def routes_of(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) of every route the app serves (HEAD aside), mounts excluded."""
    out = []
    for r in iter_route_contexts(app.router.routes):
        if isinstance(r.original_route, (APIRoute, Route)) and r.path:
            out += [(m, r.path) for m in sorted(r.methods or ()) if m != "HEAD"]
    return out


def declare_security(app: FastAPI, table: Mapping[tuple[str, str], UseCase | None] = ROUTES) -> None:
    """The OpenAPI schema says, from the access table, where the bearer token is optional:
    the routes an anonymous visitor may call as well (public statistics, signing in)."""
    make = app.openapi

    def openapi() -> dict[str, Any]:
        schema = make()
        for path, operations in schema.get("paths", {}).items():
            for method, op in operations.items():
                use = table.get((method.upper(), path))
                if "security" in op and (use is PUBLIC or Role.ANONYMOUS in TABLE[use]):
                    op["security"] = [*op["security"][:1], {}]
        return schema

    app.openapi = openapi   # type: ignore[method-assign]


def check(app: FastAPI, table: Mapping[tuple[str, str], UseCase | None] = ROUTES) -> None:
    missing = [f"{m} {p}" for m, p in routes_of(app) if (m, p) not in table]
    if missing:
        raise RuntimeError(f"routes with no entry in the access table (api/access.py): {', '.join(missing)}")
