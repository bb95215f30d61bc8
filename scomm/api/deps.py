from __future__ import annotations

from typing import Annotated, Iterator

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from ..bootstrap import Hub
from .facts_cache import FactsCache


def get_hub(request: Request) -> Hub:
    return request.app.state.hub


def get_facts_cache(request: Request) -> FactsCache:
    return request.app.state.facts


def get_session(hub: Annotated[Hub, Depends(get_hub)]) -> Iterator[Session]:
    with hub.db.session() as s:
        yield s


HubDep = Annotated[Hub, Depends(get_hub)]
SessionDep = Annotated[Session, Depends(get_session)]
FactsDep = Annotated[FactsCache, Depends(get_facts_cache)]
