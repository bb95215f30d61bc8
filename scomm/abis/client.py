"""The hub's steps calling a served engine (``scomm engine serve``) over HTTP.

Anything short of an answer (the engine unreachable, timing out, restarting, or saying
part of its gallery did not answer) is :class:`~.engine.SearchIncomplete`: the step
fails and is retried, never reads it as a no-match.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import httpx
from pydantic import BaseModel

from . import wire
from .engine import GalleryState, Identification, Job, Probe, SearchIncomplete, UnknownReference, Verification


class RemoteEngine:
    """:class:`~.engine.Engine` over HTTP."""

    def __init__(self, url: str, token: Callable[[bool], str], timeout_s: float = 60.0):
        """``token(fresh)``: this process's bearer token for the engine (a new one if ``fresh``)."""
        self.url = url.rstrip("/")
        self.token = token
        self._http = httpx.Client(base_url=self.url + "/abis/v1", timeout=timeout_s)

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        for attempt in (0, 1):
            try:
                r = self._http.request(method, path, json=body,
                                       headers={"Authorization": f"Bearer {self.token(attempt > 0)}"})
            except httpx.HTTPError as exc:
                raise SearchIncomplete(f"the engine at {self.url} did not answer ({type(exc).__name__})") from None
            if r.status_code == 401 and attempt == 0:
                continue      # the token ended (or the engine's database was reset): a new one
            if r.status_code == 404 and path.endswith(("/verify", "/insert")):
                raise UnknownReference(r.json().get("detail", "no such reference"))
            if r.status_code >= 500 or r.status_code == 429:
                raise SearchIncomplete(f"the engine at {self.url} answered {r.status_code}")
            if r.status_code >= 400:
                raise ValueError(f"the engine refused the request ({r.status_code}): {r.text[:300]}")
            return r.json()
        raise SearchIncomplete(f"the engine at {self.url} refused the hub's token")

    @staticmethod
    def _probe(probe: Probe) -> dict[str, Any]:
        return {"fingers": wire.probe_in(probe)}

    def identify(self, gallery: str, probe: Probe, *, top: int = 5, among: Sequence[str] | None = None,
                 after: int | None = None) -> Identification:
        body = {**self._probe(probe), "top": top, "among": list(among) if among is not None else None,
                "after": after}
        return wire.identification_of(_parse(wire.IdentificationOut, self._call("POST", f"/{gallery}/identify", body)))

    def verify(self, gallery: str, probe: Probe, reference_id: str) -> Verification:
        body = {**self._probe(probe), "reference_id": reference_id}
        return wire.verification_of(_parse(wire.VerificationOut, self._call("POST", f"/{gallery}/verify", body)))

    def insert(self, gallery: str, reference_id: str) -> int:
        out = self._call("POST", f"/{gallery}/insert", {"reference_id": reference_id})
        return _parse(wire.InsertOut, out).through

    def ping(self) -> list[GalleryState]:
        out = _parse(wire.PingOut, self._call("GET", "/ping"))
        return [GalleryState(g.name, g.subjects, g.fingers, g.high_water, g.rule) for g in out.galleries]

    def pending(self) -> list[Job]:
        return [Job(j["id"], j["kind"], j["gallery"], j["running_s"]) for j in self._call("GET", "/jobs")]


def _parse(model: type[Any], data: Any) -> Any:
    assert issubclass(model, BaseModel)
    return model.model_validate(data)
