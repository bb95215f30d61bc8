"""FastAPI dependencies: the hub, a read unit of work, the facts cache (who asks: ``auth``)."""
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


HubDep = Annotated[Hub, Depends(get_hub)]
SessionDep = Annotated[Session, Depends(read_session)]
FactsDep = Annotated[FactsCache, Depends(get_facts_cache)]
