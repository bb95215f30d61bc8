"""Authentication at the edge: bearer tokens (``POST /auth/token``: OAuth2 password grant
with a TOTP code, or client credentials), a session cookie for the pages (signed in with
a form, CSRF-protected), and the answers to refusals.

Who may do what is not decided here: the application layer decides, this module only
says who is asking. A refusal is audited here, in a unit of work of its own (the use
case's was rolled back).
"""
from __future__ import annotations

import hmac
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Request, Response, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.security import HTTPBearer
from pydantic import BaseModel

from ..application import sign_in
from ..application.transactions import NotFound
from ..clock import now
from ..security import credentials
from ..security.access import Forbidden, NotSignedIn, OutOfScope
from ..security.principal import ANONYMOUS, Principal
from ..storage import audit
from .deps import HubDep
from .responses import Detail, Responses
from .templating import templates

router = APIRouter(tags=["auth"])
pages_router = APIRouter(include_in_schema=False)

COOKIE = "scomm_session"
CSRF_COOKIE = "scomm_csrf"
SAFE = ("GET", "HEAD")
# Answered by every route that needs a principal.
SIGNED_IN: Responses = {
    401: {"model": Detail, "description": "no valid bearer token: sign in (POST /auth/token)"},
    403: {"model": Detail, "description": "the principal's role may not do this"},
}


def source_of(request: Request) -> str | None:
    return request.client.host if request.client else None


def _token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    # The pages' cookie counts for reading only: a cross-site form cannot change anything.
    return request.cookies.get(COOKIE) if request.method in SAFE else None


# Declares the bearer scheme in the OpenAPI schema (the /docs "Authorize" button takes a
# token from POST /auth/token); the header is read by _token, with the pages' cookie.
_BEARER = HTTPBearer(auto_error=False, scheme_name="bearer",
                     description="an access token from POST /auth/token (password + TOTP, or client credentials)")


def current_principal(request: Request, hub: HubDep,
                      _declared: Annotated[object, Security(_BEARER)] = None) -> Principal:
    """Who is asking: the token's principal, or ANONYMOUS without one (401 for a bad one)."""
    source = source_of(request)
    token = _token(request)
    if token is None:
        return ANONYMOUS.at(source)
    at = now()
    with hub.db.read() as s:    # a write only when the idle deadline moves (once a minute at most)
        p, due = sign_in.lookup(s, token, source, at)
    if due is not None:
        with hub.db.session() as s:
            sign_in.slide(s, due, at)
    if p is None:
        if "authorization" not in request.headers:   # a stale page cookie: sign in again
            return ANONYMOUS.at(source)
        raise HTTPException(401, "the token is invalid, expired or revoked: sign in again",
                            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    return p


PrincipalDep = Annotated[Principal, Depends(current_principal)]


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"]
    expires_in: int


def _grant(hub, request: Request, grant_type: str, username: str | None, password: str | None,
           totp: str | None, client_id: str | None, client_secret: str | None
           ) -> sign_in.Issued | sign_in.Refused:
    source, at = source_of(request), now()
    with hub.db.session() as s:
        if grant_type == "password":
            return sign_in.password_grant(s, username or "", password or "", totp or "", source, at)
        return sign_in.client_grant(s, client_id or "", client_secret or "", source, at)


@router.post("/auth/token", response_model=TokenOut,
             responses={400: {"description": "OAuth2 error: invalid_grant (credentials refused), "
                                             "invalid_request (a field missing)"}})
def token(request: Request, hub: HubDep,
          grant_type: Annotated[Literal["password", "client_credentials"], Form()],
          username: Annotated[str | None, Form(max_length=80)] = None,
          password: Annotated[str | None, Form(max_length=200)] = None,
          totp: Annotated[str | None, Form(max_length=10, description="the authenticator's code")] = None,
          client_id: Annotated[str | None, Form(max_length=40)] = None,
          client_secret: Annotated[str | None, Form(max_length=200)] = None) -> JSONResponse:
    """A bearer token: a person's (password and TOTP code) or a machine client's."""
    needed = (("username", username), ("password", password), ("totp", totp)) if grant_type == "password" \
        else (("client_id", client_id), ("client_secret", client_secret))
    missing = [n for n, v in needed if not v]
    if missing:
        return _oauth_error("invalid_request", f"{grant_type} grant: {', '.join(missing)} missing")
    out = _grant(hub, request, grant_type, username, password, totp, client_id, client_secret)
    if isinstance(out, sign_in.Refused):
        return _oauth_error("invalid_grant", out.reason)
    return JSONResponse({"access_token": out.access_token, "token_type": "bearer",
                         "expires_in": out.expires_in}, headers={"Cache-Control": "no-store"})


def _oauth_error(code: str, description: str) -> JSONResponse:
    return JSONResponse({"error": code, "error_description": description, "detail": description},
                        status_code=400, headers={"Cache-Control": "no-store"})


@router.post("/auth/revoke", status_code=200)
def revoke(request: Request, hub: HubDep, token: Annotated[str, Form(min_length=1, max_length=200)]) -> dict:
    """Revoke a token (RFC 7009: an unknown token is not an error)."""
    with hub.db.session() as s:
        sign_in.sign_out(s, token, source_of(request), now())
    return {}


@router.post("/auth/password", responses={**SIGNED_IN, 400: {"model": Detail, "description": "the current password "
                                                             "is wrong (counts towards the lockout)"},
                                           422: {"description": "the new password breaks a rule: each named"}})
def change_password(request: Request, hub: HubDep, principal: PrincipalDep,
                    current_password: Annotated[str, Form(min_length=1, max_length=200)],
                    new_password: Annotated[str, Form(min_length=1, max_length=credentials.MAX_PASSWORD)]) -> dict:
    """A person changes their own password (IA-5): at least 15 characters, not containing the
    account's name. Every session of the account ends, this one too: sign in again."""
    with hub.db.session() as s:
        out = sign_in.change_password(s, principal, _token(request) or "", current_password, new_password, now())
    if out is not None and out.problems:
        raise HTTPException(422, [{"loc": ["body", "new_password"], "msg": p, "type": "value_error"}
                                  for p in out.problems])
    if out is not None:
        raise HTTPException(400, out.reason)
    return {"changed": True, "signed_out": True}


@router.get("/auth/me", responses=SIGNED_IN)
def me(principal: PrincipalDep) -> dict:
    """Who the token stands for: name, role, binding."""
    if principal.role == ANONYMOUS.role:
        raise HTTPException(401, "sign in first", headers={"WWW-Authenticate": "Bearer"})
    return {"name": principal.name, "role": principal.role, "ori": principal.ori,
            "state": principal.state, "field_office": principal.field_office}


# ---------------------------------------------------------------- the pages' sign-in

def _csrf(request: Request) -> str:
    return request.cookies.get(CSRF_COOKIE) or credentials.new_secret()


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


@pages_router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request, hub: HubDep, next: str = "/", error: str = "") -> Response:
    csrf = _csrf(request)
    page = templates.TemplateResponse(request, "sign_in.html", {"csrf": csrf, "next": _local(next),
                                                                "error": error[:200],
                                                                "notice": hub.settings.use_notice})
    _set_csrf(page, request, csrf)
    return page


def _set_csrf(page: Response, request: Request, csrf: str) -> None:
    """The forms' CSRF cookie, as long-lived as a session (sign-out still works after a restart)."""
    page.set_cookie(CSRF_COOKIE, csrf, httponly=True, samesite="strict", secure=_secure(request),
                    max_age=int(sign_in.SESSION.total_seconds()))


def _local(path: str) -> str:
    """Only a path on this site (no open redirect)."""
    return path if path.startswith("/") and not path.startswith("//") else "/"


def _csrf_ok(request: Request, csrf: str) -> bool:
    cookie = request.cookies.get(CSRF_COOKIE, "")
    return bool(cookie) and hmac.compare_digest(cookie.encode(), csrf.encode())


@pages_router.post("/sign-in")
def sign_in_form(request: Request, hub: HubDep, username: Annotated[str, Form(max_length=80)],
                 password: Annotated[str, Form(max_length=200)], totp: Annotated[str, Form(max_length=10)],
                 csrf: Annotated[str, Form(max_length=100)], next: Annotated[str, Form(max_length=500)] = "/"
                 ) -> Response:
    if not _csrf_ok(request, csrf):
        raise HTTPException(403, "the form is stale or was not sent from this site: reload it")
    out = _grant(hub, request, "password", username, password, totp, None, None)
    if isinstance(out, sign_in.Refused):
        return RedirectResponse(f"/sign-in?next={quote(_local(next))}&error={quote(out.reason)}", 303)
    page = RedirectResponse(_local(next), 303)
    page.set_cookie(COOKIE, out.access_token, httponly=True, samesite="strict", secure=_secure(request),
                    max_age=int(sign_in.SESSION.total_seconds()))
    _set_csrf(page, request, csrf)
    return page


@pages_router.post("/sign-out")
def sign_out_form(request: Request, hub: HubDep, csrf: Annotated[str, Form(max_length=100)]) -> Response:
    if not _csrf_ok(request, csrf):
        raise HTTPException(403, "the form is stale or was not sent from this site: reload it")
    token = request.cookies.get(COOKIE)
    if token:
        with hub.db.session() as s:
            sign_in.sign_out(s, token, source_of(request), now())
    page = RedirectResponse("/sign-in", 303)
    page.delete_cookie(COOKIE)
    return page


# ---------------------------------------------------------------- refusals

def _is_page(request: Request) -> bool:
    route = request.scope.get("route")
    return request.method in SAFE and route is not None and not getattr(route, "include_in_schema", True)


def install(app) -> None:
    """Answer refusals: 401 (sign in; a page redirects to the form), 403, or 404 for a record
    outside the principal's scope; each refusal is audited."""

    @app.exception_handler(Forbidden)
    async def refused(request: Request, exc: Forbidden) -> Response:
        hub = request.app.state.hub

        def record() -> None:
            with hub.db.session() as s:
                audit.append(s, exc.principal, str(exc.use), exc.target or request.url.path[:80],
                             outcome="denied")
        await run_in_threadpool(record)
        if isinstance(exc, NotSignedIn):
            if _is_page(request):
                here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse(f"/sign-in?next={quote(here)}", 303)
            return JSONResponse({"detail": str(exc)}, 401, headers={"WWW-Authenticate": "Bearer"})
        if isinstance(exc, OutOfScope):   # as if it did not exist: the same answer
            return JSONResponse({"detail": str(exc)}, 404)
        return JSONResponse({"detail": str(exc)}, 403)

    @app.exception_handler(NotFound)
    async def not_found(_r: Request, exc: NotFound) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, 404)
