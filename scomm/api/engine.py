"""``scomm engine serve``: the identification engine over HTTP, for every API server and
worker of a hub (OpenAPI at /docs).

Protected like the hub: bearer tokens from the same database (a hub process mints its
own, ``application.sign_in.ServiceTokens``; an examiner may sign in at the hub and search), the
access table (``api/access.py``) and the audit trail (every search by a person, every
refusal).
"""
from __future__ import annotations

import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request

from ..abis import wire
from ..abis.client import RemoteEngine
from ..abis.engine import Engine, SearchIncomplete, UnknownReference
from ..bootstrap import Hub
from ..security.access import UseCase, authorise
from ..security.principal import Principal, Role
from ..storage import audit
from . import access, auth, guards
from .auth import PrincipalDep
from .deps import HubDep

Gallery = Literal["cjis", "ident"]
router = APIRouter(prefix="/abis/v1", tags=["identification engine"], responses=auth.SIGNED_IN)


def _engine(request: Request) -> Engine:
    return request.app.state.engine


EngineDep = Annotated[Engine, Depends(_engine)]


def _use(hub: Hub, who: Principal, use: UseCase, gallery: str, data: dict[str, Any]) -> None:
    """Authorise; a person's use is audited (the hub's own searches are in the transaction's events)."""
    authorise(who, use, f"gallery/{gallery}")
    if who.role != Role.SYSTEM:
        with hub.db.session() as s:
            audit.append(s, who, str(use), f"gallery/{gallery}", data=data)


def _probe(body: wire.ProbeIn):
    probe, problems = wire.probe_of(body)
    if problems:
        raise HTTPException(422, problems)
    return probe


def _answer(call):
    try:
        return call()
    except UnknownReference as exc:
        raise HTTPException(404, str(exc)) from None
    except SearchIncomplete as exc:
        raise HTTPException(503, f"incomplete: {exc}", headers={"Retry-After": "5"}) from None


@router.post("/{gallery}/identify", response_model=wire.IdentificationOut)
def identify(gallery: Gallery, body: wire.IdentifyIn, engine: EngineDep, hub: HubDep,
             who: PrincipalDep) -> wire.IdentificationOut:
    """1:N: the best ``top`` candidates (the first explained), decided by the gallery's rule;
    ``among`` restricts the search to those reference ids, ``after`` to records enrolled
    after that high-water mark. 503 (``Retry-After``) when part of the gallery did not answer."""
    _use(hub, who, UseCase.IDENTIFY, gallery, {"fingers": len(body.fingers), "top": body.top})
    probe = _probe(body)
    found = _answer(lambda: engine.identify(gallery, probe, top=body.top, among=body.among,
                                                   after=body.after))
    return wire.identification_out(found)


@router.post("/{gallery}/verify", response_model=wire.VerificationOut)
def verify(gallery: Gallery, body: wire.VerifyIn, engine: EngineDep, hub: HubDep,
           who: PrincipalDep) -> wire.VerificationOut:
    """1:1: the probe against one reference, decided at the rule's threshold for a gallery of one."""
    _use(hub, who, UseCase.VERIFY, gallery, {"fingers": len(body.fingers)})
    probe = _probe(body)
    return wire.verification_out(_answer(lambda: engine.verify(gallery, probe, body.reference_id)))


@router.post("/{gallery}/insert", response_model=wire.InsertOut)
def insert(gallery: Gallery, body: wire.InsertIn, engine: EngineDep, hub: HubDep, who: PrincipalDep) -> wire.InsertOut:
    """Index a record the database holds (the database is the record: enrolment writes there);
    404 if it holds none by that reference id."""
    _use(hub, who, UseCase.INDEX_RECORD, gallery, {})
    return wire.InsertOut(reference_id=body.reference_id,
                          through=_answer(lambda: engine.insert(gallery, body.reference_id)))


@router.get("/ping", response_model=wire.PingOut)
def ping(engine: EngineDep, hub: HubDep, who: PrincipalDep) -> wire.PingOut:
    """The galleries as the engine holds them: subjects, fingers, high-water mark, decision rule."""
    _use(hub, who, UseCase.READ_ENGINE_STATUS, "*", {})
    return wire.PingOut(status="ok", galleries=[wire.gallery_out(g) for g in engine.ping()])


@router.get("/jobs", response_model=list[wire.JobOut])
def jobs(engine: EngineDep, hub: HubDep, who: PrincipalDep) -> list[wire.JobOut]:
    """The requests the engine is working on."""
    _use(hub, who, UseCase.READ_ENGINE_STATUS, "*", {})
    return [wire.job_out(j) for j in engine.pending()]


def create_engine_app(hub: Hub) -> FastAPI:
    """The engine's app over ``hub``'s engine (in this process, or its Ray shards)."""
    if isinstance(hub.deps.engine, RemoteEngine):
        raise ValueError("the engine serves its own galleries: unset SCOMM_ENGINE_URL for it")
    app = FastAPI(title="scomm identification engine", version="0.1.0",
                  description="An ABIS interface (after OSIA/MOSIP) to the hub's CJIS and IDENT galleries: "
                              "identify, verify, insert, ping, pending jobs.")
    app.state.hub = hub
    app.state.engine = hub.deps.engine
    app.include_router(router)
    guards.install(app, hub.settings.retry_after_seconds)
    auth.install(app)
    app.add_middleware(guards.RequestGuard, limit_for=lambda _scope: hub.settings.max_request_bytes)
    app.add_middleware(guards.SecurityHeaders)

    @app.get("/health", tags=["system"])
    async def health() -> dict[str, Any]:
        """Liveness."""
        return {"status": "ok", "time": time.time()}

    access.check(app, access.ENGINE_ROUTES)
    access.declare_security(app, access.ENGINE_ROUTES)
    return app
