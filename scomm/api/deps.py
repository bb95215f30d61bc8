"""FastAPI dependencies: the hub, units of work, the facts cache."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from ..bootstrap import Hub
from .facts_cache import FactsCache


def get_hub(request: Request) -> Hub:
    return request.app.state.hub


def get_facts_cache(request: Request) -> FactsCache:
    return request.app.state.facts


def read_session(hub: Annotated[Hub, Depends(get_hub)]) -> Iterator[Session]:
    with hub.db.read() as s:
        yield s


def write_session(hub: Annotated[Hub, Depends(get_hub)]) -> Iterator[Session]:
    with hub.db.session() as s:
        yield s


HubDep = Annotated[Hub, Depends(get_hub)]
SessionDep = Annotated[Session, Depends(read_session)]
# Committed when the route function returns, before the response is sent: a write the
# API acknowledges is in the database, and a failed commit is an error answer.
WriteSessionDep = Annotated[Session, Depends(write_session, scope="function")]
FactsDep = Annotated[FactsCache, Depends(get_facts_cache)]
