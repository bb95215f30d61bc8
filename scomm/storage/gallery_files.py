"""A search gallery kept in files beside the database, so a process starts searching
without re-packing every template (issue 12: the persistent gallery).

The files are a cache; the database stays the record. A gallery's folder holds
*segments*, each the packed fingers of the subjects enrolled with database ids in
``(lo, hi]``, sealed like the database's own columns (AES-256-GCM, under its data keys:
a segment from another database does not open), written whole or not at all. One
process at a time changes a folder (an exclusive lock); readers take a shared one.
Segments are only added (and small ones merged), never rewritten in place.

A segment's plaintext is a JSON header (the segment's range, the packing parameters,
the keys, and each array's dtype, shape and offset) followed by the arrays' raw bytes,
so that reading one is a decryption and no copy: the arrays are views of it.
"""
from __future__ import annotations

import fcntl
import json
import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .sealed import Sealing

log = logging.getLogger(__name__)
FORMAT = 2
_ALIGN = 64
_NAME = re.compile(r"seg-(\d{12})-(\d{12})\.sealed")


@dataclass(frozen=True)
class Segment:
    lo: int     # database ids after lo ...
    hi: int     # ... up to hi
    path: Path


@dataclass
class Batch:
    """The subjects of one segment: their keys (UCN, FIN), each finger position's store, their
    database ids and the digest of each finger's template (to verify against the database)."""
    lo: int
    hi: int
    keys: list[str]
    stores: dict[int, dict[str, np.ndarray]]
    owner_ids: np.ndarray                       # (n,) int64
    digests: np.ndarray                         # (n, 10, 16) uint8, zero where no finger


class GalleryFiles:
    def __init__(self, folder: Path, sealer: Sealing, params_id: str):
        self.folder = folder
        self._sealer = sealer
        self._params_id = params_id          # the packing parameters the segments were made with
        self._column = f"gallery-index/{folder.name}"

    def segments(self) -> list[Segment]:
        if not self.folder.is_dir():
            return []
        out = [Segment(int(m[1]), int(m[2]), p) for p in self.folder.iterdir() if (m := _NAME.fullmatch(p.name))]
        return sorted(out, key=lambda s: (s.lo, s.hi))

    def high_water(self) -> int:
        segs = self.segments()
        return segs[-1].hi if segs else 0

    def bytes_on_disk(self) -> int:
        return sum(s.path.stat().st_size for s in self.segments())

    @contextmanager
    def locked(self, shared: bool = False) -> Iterator[None]:
        """One process at a time changes the folder (``shared``: while the folder is read, no
        process changes it). flock: a process must not take it twice."""
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        with open(self.folder / ".lock", "a") as f:
            fcntl.flock(f, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    def read(self, seg: Segment) -> Batch:
        """The segment's subjects (arrays are read-only views of its plaintext); ValueError if
        it is not one this database wrote."""
        try:
            data = self._sealer.open(seg.path.read_bytes(), self._column)
            size = int.from_bytes(data[:8], "little")
            head = json.loads(data[8:8 + size])
            if (head["format"], head["params"], head["lo"], head["hi"]) != (FORMAT, self._params_id, seg.lo, seg.hi):
                raise ValueError("made with other parameters, or renamed")
            start = _aligned(8 + size)
            arrays = {name: np.frombuffer(data, np.dtype(dtype), int(np.prod(shape)), start + at).reshape(shape)
                      for name, dtype, shape, at in head["arrays"]}
            stores = {f: {k.split("/", 1)[1]: v for k, v in arrays.items() if k.startswith(f"{f}/")}
                      for f in range(1, 11)}
            return Batch(seg.lo, seg.hi, head["keys"], stores, arrays["owner_ids"], arrays["digests"])
        except ValueError:
            raise
        except Exception as exc:   # sealed under another database's key, truncated, not ours
            raise ValueError(f"{seg.path.name}: {type(exc).__name__}") from None

    def write(self, batch: Batch) -> Segment:
        """Seal the batch into a new segment (under the exclusive lock)."""
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        arrays = {f"{f}/{k}": np.ascontiguousarray(v) for f, store in batch.stores.items() for k, v in store.items()}
        arrays.update(owner_ids=np.asarray(batch.owner_ids, np.int64), digests=np.asarray(batch.digests, np.uint8))
        layout, end = [], 0      # each array's offset after the header
        for name, v in arrays.items():
            layout.append((name, v.dtype.str, list(v.shape), end))
            end += _aligned(v.nbytes)
        head = json.dumps({"format": FORMAT, "params": self._params_id, "lo": batch.lo, "hi": batch.hi,
                           "keys": list(batch.keys), "arrays": layout}).encode()
        start = _aligned(8 + len(head))
        plain = bytearray(start + end)
        plain[:8] = len(head).to_bytes(8, "little")
        plain[8:8 + len(head)] = head
        for (_, _, _, at), v in zip(layout, arrays.values()):
            plain[start + at:start + at + v.nbytes] = v.tobytes()
        path = self.folder / f"seg-{batch.lo:012d}-{batch.hi:012d}.sealed"
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(self._sealer.seal(bytes(plain), self._column))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        return Segment(batch.lo, batch.hi, path)

    def replace(self, merged: Batch, parts: list[Segment]) -> None:
        """Write ``merged`` in place of the segments it covers (under the exclusive lock)."""
        self.write(merged)
        for seg in parts:
            seg.path.unlink(missing_ok=True)

    def clear(self) -> None:
        for s in self.segments():
            s.path.unlink(missing_ok=True)


def _aligned(n: int) -> int:
    return -(-n // _ALIGN) * _ALIGN
