"""The search galleries' files, from the operator's console: what they hold, whether
they hold what the database does (every subject and finger), and rebuilding them."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..abis.galleries import Galleries, SyncedGallery, digest_of
from ..security.access import UseCase, authorise
from ..security.principal import Principal
from ..storage import audit
from ..storage.db import Database
from ..storage.gallery_files import GalleryFiles


@dataclass(frozen=True)
class Status:
    gallery: str
    folder: str
    segments: int
    subjects: int
    fingers: int
    files_high_water: int
    database_high_water: int
    bytes_on_disk: int


def _files(g: SyncedGallery) -> GalleryFiles:
    if g.files is None:
        raise ValueError("the galleries are kept in memory only (SCOMM_GALLERY_FILES=false)")
    return g.files


def status(db: Database, galleries: Galleries, by: Principal) -> list[Status]:
    authorise(by, UseCase.MANAGE_INDEX)
    out = []
    with db.read() as s:
        for name, g in galleries:
            files = _files(g)
            with files.locked(shared=True):
                batches = [files.read(seg) for seg in files.segments()]
            out.append(Status(name, str(files.folder), len(batches), sum(len(b.keys) for b in batches),
                              sum(int((b.digests.any(axis=2)).sum()) for b in batches), files.high_water(),
                              s.scalar(select(func.max(g.owner.id))) or 0, files.bytes_on_disk()))
    with db.session() as s:
        audit.append(s, by, "index-status", "gallery-index")
    return out


def verify(db: Database, galleries: Galleries, by: Principal, limit: int = 50) -> list[str]:
    """What the files hold that the database does not, or the reverse, up to the files' high-water
    mark (subjects enrolled since are not yet in the files: the next search adds them)."""
    authorise(by, UseCase.MANAGE_INDEX)
    problems: list[str] = []
    with db.read() as s:
        for name, g in galleries:
            with _files(g).locked(shared=True):
                problems += _verify(s, name, g, _files(g))
    with db.session() as s:
        audit.append(s, by, "index-verify", "gallery-index", outcome="success" if not problems else "failure",
                     data={"problems": len(problems)})
    return problems[:limit] + ([f"... and {len(problems) - limit} more"] if len(problems) > limit else [])


def _verify(s: Session, name: str, g: SyncedGallery, files: GalleryFiles) -> list[str]:
    problems, held, lo = [], {}, 0
    for seg in files.segments():
        if seg.lo != lo:
            problems.append(f"{name}: segment {seg.path.name} does not follow the one before (ends at {lo})")
        try:
            b = files.read(seg)
        except ValueError as exc:
            problems.append(f"{name}: {exc}")
            continue
        for key, oid, digests in zip(b.keys, b.owner_ids, b.digests, strict=True):
            held[int(oid)] = (key, {f + 1: bytes(d) for f, d in enumerate(digests) if d.any()})
        lo = seg.hi
    records: dict[int, tuple[str, dict[int, bytes]]] = {}
    for oid, key, finger, blob in s.execute(g.rows_after(0).where(g.owner.id <= lo)):
        records.setdefault(oid, (key, {}))[1][finger] = digest_of(blob)
    for oid in sorted(set(held) | set(records)):
        if oid not in held:
            problems.append(f"{name}: subject {records[oid][0]} (id {oid}) is in the database, not in the files")
        elif oid not in records:
            problems.append(f"{name}: subject {held[oid][0]} (id {oid}) is in the files, not in the database")
        elif held[oid] != records[oid]:
            bad = sorted(f for f in set(held[oid][1]) | set(records[oid][1])
                         if held[oid][1].get(f) != records[oid][1].get(f))
            problems.append(f"{name}: subject {records[oid][0]} (id {oid}): " +
                            (f"fingers {bad} differ" if bad else f"key {held[oid][0]} in the files"))
    return problems


def rebuild(db: Database, galleries: Galleries, by: Principal, workers: int = 1) -> dict[str, Any]:
    """Pack every subject afresh into new files, on ``workers`` processes; fingers per second."""
    authorise(by, UseCase.MANAGE_INDEX)
    out: dict[str, Any] = {}
    for name, g in galleries:
        files = _files(g)
        fresh = SyncedGallery(g.owner, g.finger_row, g.key_attr, g.fk_attr, g.gallery.rule, files)
        t0 = time.perf_counter()
        with files.locked():
            files.clear()
        with db.read() as s:
            fresh.sync(s, workers=workers)
        seconds = time.perf_counter() - t0
        fingers = fresh.gallery.fingers()
        out[name] = {"subjects": len(fresh.gallery), "fingers": fingers, "workers": workers,
                     "seconds": round(seconds, 2),
                     "fingers_per_second": round(fingers / seconds, 1) if seconds else None}
    with db.session() as s:
        audit.append(s, by, "index-rebuild", "gallery-index", data=out)
    return out

