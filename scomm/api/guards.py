"""What the API refuses before it works, and how database refusals are answered.

- A body larger than its limit: 413, before it is read whole (``Content-Length``
  first, then counted as it streams in).
- A NUL byte or another control character in the path or query: 422 (no
  database takes them, and no real identifier holds them).
- A JSON body that is not UTF-8, is nested too deeply, or holds a lone surrogate (an
  unpaired U+D800-U+DFFF: not Unicode, so no database stores it and no answer can
  carry it): 422, as JSON that does not decode (``json_invalid``).
- A method the path does not take: 405, ``Allow`` naming every method it takes.
- A value the database refuses (``DataError``): 422; a conflict with stored data
  (``IntegrityError``): 409; the database busy or gone (``OperationalError``):
  503 with ``Retry-After``. Each names the reason, never the values.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote_to_bytes

from fastapi import FastAPI, HTTPException, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..bus import describe_failure

_CONTROL = re.compile(rb"[\x00-\x1f\x7f]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


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


_HEADERS = [(b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"no-referrer"), (b"cross-origin-opener-policy", b"same-origin"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=()")]
# The pages load nothing from elsewhere; inline styles only (no inline script).
_CSP = (b"default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        b"frame-ancestors 'none'; base-uri 'none'; form-action 'self'")


class SecurityHeaders:
    """Pure ASGI middleware: security headers on every answer; personal data never cached;
    HSTS when served over HTTPS. (The interactive API pages, /docs and /redoc, load their
    scripts from a CDN, so the content policy leaves them out.)"""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        extra = list(_HEADERS)
        if not path.startswith(("/docs", "/redoc")):
            extra.append((b"content-security-policy", _CSP))
        if not path.startswith("/static/"):
            extra.append((b"cache-control", b"no-store"))
        if scope.get("scheme") == "https":
            extra.append((b"strict-transport-security", b"max-age=31536000"))

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []), *(h for h in extra if h[0] not in names)]
            await send(message)
        await self.app(scope, receive, with_headers)


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


def _lone_surrogate(value: Any) -> bool:
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            if _SURROGATE.search(v):
                return True
        elif isinstance(v, dict):
            stack.extend(v.keys())
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return False


class StrictJSONRequest(Request):
    """A request whose JSON body is refused if a string holds a lone surrogate."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            try:
                value = json.loads(body)
            except UnicodeDecodeError:
                raise json.JSONDecodeError("not UTF-8 text", "", 0) from None
            except RecursionError:
                raise json.JSONDecodeError("nested too deeply", "", 0) from None
            if _lone_surrogate(value):
                raise json.JSONDecodeError("a string holds a lone surrogate (\\ud800-\\udfff "
                                           "unpaired): not Unicode text", "", 0)
            self._json = value
        return self._json


class StrictJSONRoute(APIRoute):
    """The routers' route class: JSON bodies are read by ``StrictJSONRequest``."""

    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()

        async def strict(request: Request) -> Any:
            return await handler(StrictJSONRequest(request.scope, request.receive))
        return strict


def install(app: FastAPI, retry_after: int) -> None:
    """Answer the database's refusals as client errors (or 503), never as 500; a 405
    names every method of the path (Starlette names those of one route only)."""

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 405:
            methods = [m for m in _METHODS if any(
                route.matches({**request.scope, "method": m})[0] == Match.FULL
                for route in request.app.router.routes)]
            exc = StarletteHTTPException(405, exc.detail, headers={
                **(exc.headers or {}), "Allow": ", ".join(sorted(methods))})
        return await http_exception_handler(request, exc)

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
