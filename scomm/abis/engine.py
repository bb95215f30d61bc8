"""The identification service's interface, modelled on the OSIA/MOSIP ABIS API, and the
engine that runs it in this process.

The database is the record: enrolment writes subjects there (CJIS, the world), and the
engine's galleries catch up with it (``galleries``). So ``insert`` asks the
engine to index a record the database holds, and every answer names the database
high-water mark it covered.
"""
from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

from ..biometrics import Candidate, FingerprintTemplate
from ..storage.db import Database
from .galleries import Galleries, SyncedGallery

GALLERIES = ("cjis", "ident")
Probe = dict[int, FingerprintTemplate]   # finger position (1-10) -> template


class SearchIncomplete(RuntimeError):
    """Not every part of the gallery answered. The step that asked fails and is retried:
    an incomplete search is never a no-match (that would send a person through
    unidentified)."""


class UnknownReference(LookupError):
    """The gallery holds no record with this reference id, even after catching up."""


@dataclass(frozen=True)
class Identification:
    """1:N: the best candidates, first with its explanation; the decision is the gallery's rule."""
    candidates: list[Candidate]
    through: int          # the database high-water mark the search covered
    gallery_size: int

    @property
    def hit(self) -> Candidate | None:
        return self.candidates[0] if self.candidates and self.candidates[0].decision else None


@dataclass(frozen=True)
class Verification:
    """1:1: the probe against one reference, decided at the rule's threshold for one record."""
    reference_id: str
    candidate: Candidate     # score, fused fingers, decision, threshold, rule, explanation


@dataclass(frozen=True)
class GalleryState:
    name: str
    subjects: int
    fingers: int
    high_water: int
    rule: str


@dataclass(frozen=True)
class Job:
    """A request the engine is working on (OSIA's pending jobs)."""
    id: int
    kind: str
    gallery: str
    running_s: float


class Engine(Protocol):
    def identify(self, gallery: str, probe: Probe, *, top: int = 5, among: Sequence[str] | None = None,
                 after: int | None = None) -> Identification:
        """Search ``probe`` against the gallery (or only ``among`` those reference ids, or only
        the records enrolled after the high-water mark ``after``)."""
        ...

    def verify(self, gallery: str, probe: Probe, reference_id: str) -> Verification: ...

    def insert(self, gallery: str, reference_id: str) -> int:
        """Index a record the database holds; the high-water mark now covered."""
        ...

    def ping(self) -> list[GalleryState]: ...

    def pending(self) -> list[Job]: ...


class Jobs:
    """The requests an engine is working on."""

    def __init__(self) -> None:
        self._running: dict[int, tuple[str, str, float]] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    @contextmanager
    def running(self, kind: str, gallery: str) -> Iterator[None]:
        with self._lock:
            n = next(self._ids)
            self._running[n] = (kind, gallery, time.monotonic())
        try:
            yield
        finally:
            with self._lock:
                del self._running[n]

    def pending(self) -> list[Job]:
        t = time.monotonic()
        with self._lock:
            return [Job(n, kind, gallery, round(t - t0, 3)) for n, (kind, gallery, t0) in self._running.items()]


def gallery_name(name: str) -> str:
    if name not in GALLERIES:
        raise KeyError(f"no gallery {name!r} (expected one of {', '.join(GALLERIES)})")
    return name


class LocalEngine:
    """The engine in this process: the galleries, caught up from ``db`` at each request."""

    def __init__(self, db: Database, galleries: Galleries):
        self.db, self.galleries = db, galleries
        self.jobs = Jobs()

    def _gallery(self, name: str) -> SyncedGallery:
        return getattr(self.galleries, gallery_name(name))

    def identify(self, gallery: str, probe: Probe, *, top: int = 5, among: Sequence[str] | None = None,
                 after: int | None = None) -> Identification:
        g = self._gallery(gallery)
        with self.jobs.running("identify", gallery), self.db.read() as s:
            if after is not None:
                candidates, mark = g.search_after(s, probe, after, top=top)
            else:
                candidates, mark = g.search(s, probe, top=top, among=among)
            return Identification(candidates, mark, len(g.gallery))

    def verify(self, gallery: str, probe: Probe, reference_id: str) -> Verification:
        g = self._gallery(gallery)
        with self.jobs.running("verify", gallery), self.db.read() as s:
            g.sync(s)
            if reference_id not in g.gallery:
                raise UnknownReference(f"{gallery}: no record {reference_id}")
            return Verification(reference_id, g.verify(probe, reference_id))

    def insert(self, gallery: str, reference_id: str) -> int:
        g = self._gallery(gallery)
        with self.jobs.running("insert", gallery), self.db.read() as s:
            mark = g.sync(s)
            if reference_id not in g.gallery:
                raise UnknownReference(f"{gallery}: the database holds no record {reference_id}")
            return mark

    def ping(self) -> list[GalleryState]:
        out = []
        with self.db.read() as s:
            for name in GALLERIES:
                g = self._gallery(name)
                g.sync(s)
                out.append(GalleryState(name, len(g.gallery), g.gallery.fingers(), g.high_water,
                                        g.gallery.rule_text()))
        return out

    def pending(self) -> list[Job]:
        return self.jobs.pending()
