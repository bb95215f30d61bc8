"""The engine with its galleries split into shards held by Ray actors.

Each gallery is cut into ``n`` shards by database id (``galleries.Shard``); an actor
per shard loads its shard's files (``<index>/cjis.shard-0-of-2/``...), catches up with
the database and searches it. A search is broadcast to every shard of the gallery;
each returns its best candidates and the engine merges them and decides by the rule
for the whole gallery's size.

A shard that dies is replaced by a new actor, which loads its files again; a search
that did not hear from every shard is :class:`~.engine.SearchIncomplete` (the step
retries it), never a no-match.
"""
from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from ..biometrics import Candidate, DecisionRule, FingerprintTemplate
from ..config import Settings
from ..processes import ray_connect
from ..storage.db import Database
from ..storage.tables import CriminalSubjectRow, IdentityRow
from .engine import (
    GALLERIES,
    GalleryState,
    Identification,
    Job,
    Jobs,
    LocalEngine,
    Probe,
    SearchIncomplete,
    UnknownReference,
    Verification,
    gallery_name,
)
from .galleries import Galleries, Shard

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ShardConfig:
    """What a shard's actor needs to open the database and its files (absolute paths)."""
    database_url: str
    master_key_file: Path
    index_folder: Path | None
    extractor: str


class ShardServer:
    """One shard of both galleries, in a Ray actor's process (``ray.remote`` wraps it)."""

    def __init__(self, config: ShardConfig, shard: Shard):
        self.shard = shard
        db = Database(config.database_url, config.master_key_file)
        galleries = Galleries(DecisionRule.for_extractor(config.extractor), config.index_folder, db.sealer, shard)
        self.engine = LocalEngine(db, galleries)
        self.engine.ping()     # load the files and catch up before the first search

    def identify(self, gallery: str, probe: dict[int, bytes], top: int, among: list[str] | None,
                 after: int | None) -> Identification:
        return self.engine.identify(gallery, _templates(probe), top=top, among=among, after=after)

    def verify(self, gallery: str, probe: dict[int, bytes], reference_id: str) -> Verification | None:
        try:
            return self.engine.verify(gallery, _templates(probe), reference_id)
        except UnknownReference:
            return None

    def holds(self, gallery: str, reference_id: str) -> bool:
        try:
            self.engine.insert(gallery, reference_id)
            return True
        except UnknownReference:
            return False

    def ping(self) -> list[GalleryState]:
        return self.engine.ping()

    def pid(self) -> int:
        return os.getpid()


def _templates(probe: dict[int, bytes]) -> Probe:
    return {f: FingerprintTemplate.from_iso(b) for f, b in probe.items()}


class ShardedEngine:
    """:class:`~.engine.Engine` over ``shards`` Ray actors (Ray initialised by the caller)."""

    def __init__(self, db: Database, config: ShardConfig, rule: DecisionRule, shards: int = 2,
                 timeout_s: float = 60.0):
        import ray
        self._ray = ray
        self.db, self.config, self.rule, self.timeout_s = db, config, rule, timeout_s
        self.shards = [Shard(k, shards) for k in range(shards)]
        self._remote = ray.remote(num_cpus=0, max_restarts=0)(ShardServer)
        self._actors = [self._spawn(s) for s in self.shards]
        self._lock = threading.Lock()
        self.jobs = Jobs()
        ray.get([a.ping.remote() for a in self._actors], timeout=max(timeout_s, 600))

    def _spawn(self, shard: Shard) -> Any:
        return self._remote.remote(self.config, shard)

    def actors(self) -> list[Any]:
        return list(self._actors)

    def _gather(self, call: str, *args: Any) -> list[Any]:
        """``call`` on every shard; SearchIncomplete if one did not answer (it is replaced)."""
        ray = self._ray
        actors = self.actors()
        refs = [getattr(a, call).remote(*args) for a in actors]
        try:
            return ray.get(refs, timeout=self.timeout_s)
        except ray.exceptions.RayTaskError as exc:    # the shard answered with a failure (its database)
            raise SearchIncomplete(f"a shard failed ({type(exc.cause).__name__})") from None
        except (ray.exceptions.RayActorError, ray.exceptions.GetTimeoutError,
                ray.exceptions.ActorUnavailableError) as exc:
            self._replace_dead(actors)
            raise SearchIncomplete(f"a shard did not answer ({type(exc).__name__})") from None

    def _replace_dead(self, actors: list[Any]) -> None:
        """Start a new actor (loading its shard's files) for each one that is gone."""
        ray = self._ray
        with self._lock:
            for k, a in enumerate(actors):
                if self._actors[k] is not a:
                    continue          # replaced already by another search
                try:
                    ray.get(a.pid.remote(), timeout=5)
                except Exception:     # dead or hung: replaced
                    log.warning("gallery shard %s did not answer: starting it again", self.shards[k].name)
                    ray.kill(a, no_restart=True)
                    self._actors[k] = self._spawn(self.shards[k])

    def identify(self, gallery: str, probe: Probe, *, top: int = 5, among: Sequence[str] | None = None,
                 after: int | None = None) -> Identification:
        with self.jobs.running("identify", gallery_name(gallery)):
            with self.db.read() as s:          # every id up to here is searched by some shard
                through = s.scalar(select(func.max(_owner(gallery).id))) or 0
            parts: list[Identification] = self._gather("identify", gallery, _iso(probe), top,
                                                       list(among) if among is not None else None, after)
        size = sum(p.gallery_size for p in parts)
        merged = sorted((c for p in parts for c in p.candidates), key=lambda c: -c.score)[:top]
        return Identification([self._decided(c, size) for c in merged], max(through, after or 0), size)

    def _decided(self, c: Candidate, size: int) -> Candidate:
        t = self.rule.threshold(size)
        return replace(c, decision=c.score >= t, threshold=t, rule=self.rule.describe(size))

    def verify(self, gallery: str, probe: Probe, reference_id: str) -> Verification:
        with self.jobs.running("verify", gallery_name(gallery)):
            found = [v for v in self._gather("verify", gallery, _iso(probe), reference_id) if v is not None]
        if not found:
            raise UnknownReference(f"{gallery}: no record {reference_id}")
        return found[0]

    def insert(self, gallery: str, reference_id: str) -> int:
        with self.jobs.running("insert", gallery_name(gallery)):
            if not any(self._gather("holds", gallery, reference_id)):
                raise UnknownReference(f"{gallery}: the database holds no record {reference_id}")
        with self.db.read() as s:
            return s.scalar(select(func.max(_owner(gallery).id))) or 0

    def ping(self) -> list[GalleryState]:
        states = [g for part in self._gather("ping") for g in part]
        out = []
        for name in GALLERIES:
            mine = [g for g in states if g.name == name]
            size = sum(g.subjects for g in mine)
            out.append(GalleryState(name, size, sum(g.fingers for g in mine), max(g.high_water for g in mine),
                                    self.rule.describe(size)))
        return out

    def pending(self) -> list[Job]:
        return self.jobs.pending()

    def close(self) -> None:
        for a in self._actors:
            self._ray.kill(a, no_restart=True)


def _iso(probe: Probe) -> dict[int, bytes]:
    return {f: t.to_iso() for f, t in probe.items()}


def _owner(gallery: str) -> Any:
    return CriminalSubjectRow if gallery == "cjis" else IdentityRow


def on_ray(settings: Settings, db: Database, rule: DecisionRule, index_folder: Path | None) -> ShardedEngine:
    """Join the Ray cluster at ``settings.ray_address`` ("local": start one on this machine)
    and start ``settings.engine_shards`` shards of each gallery on it."""
    assert settings.ray_address
    ray_connect(settings.ray_address)
    config = ShardConfig(_absolute(settings.database_url), settings.master_key_path.resolve(),
                         index_folder.resolve() if index_folder else None, settings.extractor)
    return ShardedEngine(db, config, rule, settings.engine_shards, settings.engine_timeout_seconds)


def _absolute(url: str) -> str:
    """A SQLite URL with its file's absolute path (Ray workers start in their own folder)."""
    u = make_url(url)
    if u.get_backend_name() == "sqlite" and u.database and u.database != ":memory:":
        return u.set(database=str(Path(u.database).resolve())).render_as_string(hide_password=False)
    return url
