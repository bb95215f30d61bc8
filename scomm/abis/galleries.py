"""The in-process search engine: CJIS and IDENT galleries kept in step with the database.

The database is the record; each gallery is a cache loaded from it and
topped up with rows enrolled since the last look (by increasing id), so a
restarted process, or a second one, sees every committed enrolment. A search
reports the high-water mark it saw, so that a step can later search just the
subjects enrolled after it (CJIS does, before enrolling someone as new).
"""
from __future__ import annotations

import bisect
import hashlib
import logging
import threading
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from ..biometrics import DEFAULT_RULE, Candidate, DecisionRule, FingerprintTemplate, TenprintGallery
from ..biometrics.parameters import DEFAULT, Parameters
from ..processes import process_pool
from ..storage.gallery_files import Batch, GalleryFiles, Segment
from ..storage.sealed import Sealing
from ..storage.tables import CriminalFingerRow, CriminalSubjectRow, IdentityFingerRow, IdentityRow

log = logging.getLogger(__name__)
SEGMENT_SUBJECTS = 2000   # subjects per file: a crash loses at most this much packing


@dataclass(frozen=True)
class Shard:
    """Shard ``k`` of ``n``: the subjects whose database id is ``k`` modulo ``n``."""
    k: int
    n: int

    @property
    def name(self) -> str:
        return f"shard-{self.k}-of-{self.n}"


class SyncedGallery:
    def __init__(self, owner: Any, finger_row: Any, key_attr: str, fk_attr: str,
                 rule: DecisionRule = DEFAULT_RULE, files: GalleryFiles | None = None, shard: Shard | None = None):
        self.gallery = TenprintGallery(rule=rule)
        self.owner, self.finger_row = owner, finger_row      # the subject and finger tables
        self.key_attr, self.fk_attr = key_attr, fk_attr
        self.files = files
        self.shard = shard
        self._ids: list[int] = []        # owner ids in the gallery, ascending
        self._keys: list[str] = []
        self._lock = threading.RLock()   # the gallery's arrays are not safe to grow mid-search

    @property
    def high_water(self) -> int:
        return self._ids[-1] if self._ids else 0

    def sync(self, s: Session, workers: int = 1) -> int:
        """Add what was enrolled since the last look: from the files, then from the database
        (writing what it packed to the files if they end where this gallery does; a process
        that fell behind a merge packs its remainder for itself); the new high-water mark."""
        with self._lock:
            # The files hold only what the database does: nothing newer there, nothing to read
            # (a search touches neither the lock nor the folder then).
            newest = s.scalar(self._held(select(func.max(self.owner.id)))) or 0
            if newest <= self.high_water:
                return self.high_water
            if self.files is None:
                self._add(self._pack(s, workers=workers))
                return self.high_water
            with self.files.locked(shared=True):
                self._load_files()
            if newest <= self.high_water:
                return self.high_water
            with self.files.locked():      # one process packs; the others read what it wrote
                self._load_files()
                batches = self._pack(s, workers=workers)
                if batches and self.files.high_water() == batches[0].lo:
                    for b in batches:
                        self.files.write(b)
                self._add(batches)
                self._compact()
            return self.high_water

    def _load_files(self) -> None:
        """Append the segments that follow this gallery's high-water mark (lock held)."""
        assert self.files is not None
        todo = [seg for seg in self.files.segments() if seg.hi > self.high_water]
        for n, seg in enumerate(todo):
            if seg.lo != self.high_water:
                return                         # merged past this gallery's mark: the database fills in
            try:
                batch = self.files.read(seg)
            except ValueError as exc:          # not this database's, or damaged: packed afresh
                log.warning("gallery file %s is not usable (%s): packing from the database", seg.path, exc)
                return
            if n == 0 and len(todo) > 1:       # the rest are alike: one allocation for all
                ids = sum(s.hi - s.lo for s in todo)
                self.gallery.reserve(batch.stores, 1.02 * ids / max(1, seg.hi - seg.lo))
            self._add([batch])

    def _compact(self, at_least: int = 32) -> None:
        """Merge the trailing run of small segments (one per enrolment, as bookings come) once
        there are ``at_least`` of them (exclusive lock held)."""
        assert self.files is not None
        small: list[Segment] = []
        for seg in reversed(self.files.segments()):
            if seg.hi - seg.lo >= SEGMENT_SUBJECTS or seg.hi > self.high_water:
                break
            small.insert(0, seg)
        if len(small) >= at_least:
            try:
                self.files.replace(_merge([self.files.read(seg) for seg in small], self.gallery.params), small)
            except ValueError as exc:
                log.warning("gallery files not merged (%s)", exc)

    def rows_after(self, mark: int) -> Select:
        """(database id, key, finger, template) of the subjects enrolled after ``mark``, in order."""
        owner, fr = self.owner, self.finger_row
        return self._held(select(owner.id, getattr(owner, self.key_attr), fr.finger, fr.template)
                          .join(fr, getattr(fr, self.fk_attr) == owner.id).where(owner.id > mark)
                          .order_by(owner.id, fr.finger))

    def _held(self, q: Select) -> Select:
        """``q`` restricted to this gallery's shard (if it is one)."""
        return q if self.shard is None else q.where(self.owner.id % self.shard.n == self.shard.k)

    def _pack(self, s: Session, per_segment: int = SEGMENT_SUBJECTS, workers: int = 1) -> list[Batch]:
        """The subjects enrolled after the high-water mark, packed into batches of ``per_segment``
        (on ``workers`` processes when there is more than one batch)."""
        fingers: dict[tuple[int, str], dict[int, bytes]] = defaultdict(dict)
        for oid, key, finger, blob in s.execute(self.rows_after(self.high_water)):
            fingers[(oid, key)][finger] = blob
        subjects = list(fingers.items())
        parts = [subjects[i:i + per_segment] for i in range(0, len(subjects), per_segment)]
        los = [self.high_water] + [p[-1][0][0] for p in parts[:-1]]
        if workers > 1 and len(parts) > 1:
            with process_pool(min(workers, len(parts))) as pool:
                return list(pool.map(_batch, los, parts, [self.gallery.params] * len(parts)))
        return [_batch(lo, p, self.gallery.params) for lo, p in zip(los, parts, strict=True)]

    def _add(self, batches: list[Batch]) -> None:
        for b in batches:
            self.gallery.extend(b.keys, b.stores)
            self._ids.extend(int(i) for i in b.owner_ids)
            self._keys.extend(b.keys)

    def search(self, s: Session, probe: dict[int, FingerprintTemplate], top: int = 5,
               among: Sequence[str] | None = None) -> tuple[list[Candidate], int]:
        """(candidates, the high-water mark they were searched through)."""
        with self._lock:
            mark = self.sync(s)
            return self.gallery.search(probe, top, among), mark

    def search_after(self, s: Session, probe: dict[int, FingerprintTemplate],
                     mark: int, top: int = 5) -> tuple[list[Candidate], int]:
        """Search only the subjects enrolled after ``mark`` (none: []); with the high-water
        mark searched through, as :meth:`search`."""
        with self._lock:
            through = self.sync(s)
            newer = self._keys[bisect.bisect_right(self._ids, mark):]
            return (self.gallery.search(probe, top, among=newer) if newer else []), through

    def verify(self, probe: dict[int, FingerprintTemplate], key: str) -> Candidate:
        with self._lock:
            return self.gallery.verify(probe, key)


def _merge(batches: list[Batch], params: Parameters) -> Batch:
    g = TenprintGallery(params)
    for b in batches:
        g.extend(b.keys, b.stores)
    return Batch(batches[0].lo, batches[-1].hi, *_exported(g), np.concatenate([b.owner_ids for b in batches]),
                 np.concatenate([b.digests for b in batches]))


def digest_of(template: bytes) -> bytes:
    """What a segment keeps of each template, to be verified against the database."""
    return hashlib.sha256(template).digest()[:16]


def _batch(lo: int, subjects: list[tuple[tuple[int, str], dict[int, bytes]]], params: Parameters) -> Batch:
    """Pack ``subjects`` ((database id, key), {finger: ISO template}) into a segment's batch."""
    packed = TenprintGallery(params)
    digests = np.zeros((len(subjects), 10, 16), np.uint8)
    for n, ((_, key), prints) in enumerate(subjects):
        packed.add(key, {f: FingerprintTemplate.from_iso(b) for f, b in prints.items()})
        for f, b in prints.items():
            digests[n, f - 1] = np.frombuffer(digest_of(b), np.uint8)
    return Batch(lo, subjects[-1][0][0], *_exported(packed), np.array([oid for (oid, _), _ in subjects], np.int64),
                 digests)


def _exported(g: TenprintGallery) -> tuple[list[str], dict[int, dict[str, np.ndarray]]]:
    """The gallery's keys and arrays, copied to their length (a store's arrays have room to grow)."""
    keys, stores = g.export()
    return keys, {f: {k: v.copy() for k, v in arrays.items()} for f, arrays in stores.items()}


class Galleries:
    def __init__(self, rule: DecisionRule = DEFAULT_RULE, folder: Path | None = None,
                 sealer: Sealing | None = None, shard: Shard | None = None) -> None:
        """Both repositories (or one shard of each), deciding by ``rule`` (the one fitted for the
        hub's extractor); kept in files under ``folder`` (sealed by ``sealer``) when one is given."""
        def files(name: str) -> GalleryFiles | None:
            if folder is None or sealer is None:
                return None
            return GalleryFiles(folder / (name if shard is None else f"{name}.{shard.name}"), sealer, params_id())
        self.cjis = SyncedGallery(CriminalSubjectRow, CriminalFingerRow, "ucn", "subject_id", rule, files("cjis"),
                                  shard)
        self.ident = SyncedGallery(IdentityRow, IdentityFingerRow, "fin", "identity_id", rule, files("ident"), shard)

    def __iter__(self) -> Iterator[tuple[str, SyncedGallery]]:
        return iter((("cjis", self.cjis), ("ident", self.ident)))


def params_id(params: Parameters = DEFAULT) -> str:
    """Names the packing parameters: a segment packed with others is not loaded."""
    return hashlib.sha256(repr(params).encode()).hexdigest()[:16]
