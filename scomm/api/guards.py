"""What the API refuses before it works, and how database refusals are answered.

- A body larger than its limit: 413, before it is read whole (``Content-Length``
  first, then counted as it streams in).
- A NUL byte or another control character in the path or query: 422 (no
  database takes them, and no real identifier holds them).
- A value the database refuses (``DataError``): 422; a conflict with stored data
  (``IntegrityError``): 409; the database busy or gone (``OperationalError``):
  503 with ``Retry-After``. Each names the reason, never the values.
"""
from __future__ import annotations

import re
from typing import Any, Callable
from urllib.parse import unquote_to_bytes

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..bus import describe_failure

_CONTROL = re.compile(rb"[\x00-\x1f\x7f]")


class RequestGuard:
    """Pure ASGI middleware: body size limits and control characters in the URL."""

    def __init__(self, app: ASGIApp, limit_for: Callable[[Scope], int]):
        self.app, self.limit_for = app, limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        where = _control_in_url(scope)
        if where:
            await _answer(scope, receive, send, 422, {"detail": [{
                "loc": [where], "type": "value_error",
                "msg": f"control characters (such as NUL) are not allowed in the {where}"}]})
            return
        limit = self.limit_for(scope)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _answer(scope, receive, send, 413, _too_large(limit))
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise HTTPException(413, _too_large(limit)["detail"])
            return message
        await self.app(scope, limited, send)


def _control_in_url(scope: Scope) -> str | None:
    if _CONTROL.search(unquote_to_bytes(scope.get("raw_path") or scope["path"].encode())):
        return "path"
    if _CONTROL.search(unquote_to_bytes(scope.get("query_string", b"").replace(b"+", b" "))):
        return "query"
    return None


def _too_large(limit: int) -> dict[str, Any]:
    return {"detail": f"request body larger than {limit} bytes: refused, not stored"}


async def _answer(scope: Scope, receive: Receive, send: Send, status: int, body: dict) -> None:
    await JSONResponse(body, status_code=status)(scope, receive, send)


def install(app: FastAPI, retry_after: int) -> None:
    """Answer the database's refusals as client errors (or 503), never as 500."""

    @app.exception_handler(DataError)
    async def data_error(_r: Request, exc: DataError) -> JSONResponse:
        return JSONResponse({"detail": f"a value cannot be stored: {describe_failure(exc)}"}, 422)

    @app.exception_handler(IntegrityError)
    async def conflict(_r: Request, exc: IntegrityError) -> JSONResponse:
        return JSONResponse({"detail": f"conflicts with stored data: {describe_failure(exc)}"}, 409)

    @app.exception_handler(OperationalError)
    async def unavailable(_r: Request, exc: OperationalError) -> JSONResponse:
        return JSONResponse({"detail": f"database unavailable, try again: {describe_failure(exc)}"},
                            503, headers={"Retry-After": str(retry_after)})
