from __future__ import annotations

from typing import Annotated, Iterator

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from ..bootstrap import Hub


def get_hub(request: Request) -> Hub:
    return request.app.state.hub


def get_session(hub: Annotated[Hub, Depends(get_hub)]) -> Iterator[Session]:
    with hub.db.session() as s:
        yield s


HubDep = Annotated[Hub, Depends(get_hub)]
SessionDep = Annotated[Session, Depends(get_session)]
