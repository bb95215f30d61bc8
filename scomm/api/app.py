"""FastAPI application: transactions API (OpenAPI at /docs) and the pages.

The API process answers and stores; the chain runs in workers: child processes
(``workers``, what ``scomm serve`` starts), a thread (``worker_thread``, for
tests), or ``scomm work`` processes of their own. Nothing heavy runs on the
event loop.
"""
from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.types import Scope

from ..bootstrap import Hub
from ..worker import WorkerProcesses, WorkerThread
from . import access, auth, dashboard, guards, pages, policies, responses, statistics, transactions
from .facts_cache import FactsCache


def create_app(hub: Hub, *, workers: int = 0, worker_thread: bool = False) -> FastAPI:
    def new_runners() -> list[Any]:
        """Fresh runners for each lifespan: a thread or a process starts only once, and an
        app may be started again after it stopped (a test client opened twice)."""
        runners: list[Any] = []
        if workers:
            runners.append(WorkerProcesses(hub.settings.database_url, workers))
        if worker_thread:
            runners.append(WorkerThread(hub.bus))
        return runners

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        runners = new_runners()
        for r in runners:
            r.start()
        try:
            yield
        finally:
            for r in runners:
                r.stop()

    app = FastAPI(title="scomm", version="0.1.0", lifespan=lifespan,
                  description="Secure Communities hub: submit ANSI/NIST criminal tenprint "
                              "submissions, follow them through CJIS, IDENT, LESC and the "
                              "ICE field office, and record outcomes.",
                  responses=responses.APP)
    app.state.hub = hub
    app.state.facts = FactsCache()
    app.include_router(auth.router)
    app.include_router(auth.pages_router)
    app.include_router(transactions.router)
    app.include_router(policies.router)
    app.include_router(pages.router)
    app.include_router(statistics.router)
    app.include_router(statistics.pages_router)
    app.include_router(dashboard.router)
    app.mount("/static", StaticFiles(directory=dashboard.STATIC), name="static")
    guards.install(app, hub.settings.retry_after_seconds)
    auth.install(app)

    def limit_for(scope: Scope) -> int:
        if scope["method"] == "POST" and scope["path"].rstrip("/") == transactions.router.prefix:
            return hub.settings.max_submission_bytes
        return hub.settings.max_request_bytes
    app.add_middleware(guards.RequestGuard, limit_for=limit_for)
    app.add_middleware(guards.SecurityHeaders)

    @app.get("/health", tags=["system"])
    async def health() -> dict[str, Any]:
        """Liveness: answered on the event loop, never behind the chain's work."""
        return {"status": "ok", "time": time.time()}

    access.check(app)
    access.declare_security(app)
    return app
