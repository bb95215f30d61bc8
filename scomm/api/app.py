"""FastAPI application: transactions API (OpenAPI at /docs) and the pages."""
from __future__ import annotations

import threading
import time
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from ..bootstrap import Hub
from .facts_cache import FactsCache
from . import dashboard, pages, statistics, transactions
from . import policies


class Worker:
    """Drains the outbox in a background thread while the server runs."""

    def __init__(self, hub: Hub, interval: float = 0.5):
        self.hub, self.interval = hub, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="scomm-worker", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.is_set():
            if not self.hub.bus.drain():
                self._stop.wait(self.interval)


def create_app(hub: Hub, *, background_worker: bool = True) -> FastAPI:
    worker = Worker(hub) if background_worker else None

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        if worker:
            worker.start()
        yield
        if worker:
            worker.stop()

    app = FastAPI(title="scomm", version="0.1.0", lifespan=lifespan,
                  description="Secure Communities hub: submit ANSI/NIST criminal tenprint "
                              "submissions, follow them through CJIS, IDENT, LESC and the "
                              "ICE field office, and record outcomes.")
    app.state.hub = hub
    app.state.facts = FactsCache()
    app.include_router(transactions.router)
    app.include_router(policies.router)
    app.include_router(pages.router)
    app.include_router(statistics.router)
    app.include_router(statistics.pages_router)
    app.include_router(dashboard.router)
    app.mount("/static", StaticFiles(directory=dashboard.STATIC), name="static")

    @app.get("/health", tags=["system"])
    def health() -> dict:
        return {"status": "ok", "time": time.time()}

    return app
