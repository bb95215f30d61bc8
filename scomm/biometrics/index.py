"""Flat in-memory store of packed fingers, and the batch kernels that score against it.

A :class:`FingerStore` concatenates many :class:`~.packed.PackedFinger` into a
few NumPy arrays (one row per finger, offsets into the minutia arrays), so one
compiled call scores a probe finger against thousands of stored fingers with
no Python in the loop.  Three scores exist:

* ``lss``: bit-MCC Local Similarity Sort, no geometry; the cheap pre-selection.
* ``full``: bit-MCC local similarities + global consolidation (the 1:1 score),
  behind the relaxation's gate when one is set.
* ``lssr``: bit-MCC local similarities + relaxation (LSS-R) alone, the cheaper
  alternative that ``scomm bench fvc --consolidation lssr`` measures.

Beside them, each row's fixed-length code (:mod:`.codes`) for a large gallery's first pass.
"""
from __future__ import annotations

import math
import threading

import numpy as np
from numba import njit, prange

from .codes import ProbeCode, code_scores, codes_of_rows
from .packed import PackedFinger, consolidate, local_similarities, lss_score, lssr_score
from .parameters import DEFAULT, Parameters

__all__ = ["FingerStore", "Kernels", "shift_spans"]

# numba's default (workqueue) threading layer aborts the process if two threads launch
# parallel kernels at once; the hub searches from request and worker threads.
_PARALLEL = threading.Lock()


class Kernels:
    """The scalar settings every kernel call needs, derived once from :class:`Parameters`."""

    def __init__(self, p: Parameters = DEFAULT):
        self.min_cells = int(math.ceil(p.mcc_min_valid_ratio * (math.pi / 4) * p.mcc_ns ** 2))
        self.max_dtheta = int(round(p.mcc_max_direction_diff / (2 * math.pi) * 256))
        self.lss = (p.lss_min_np, p.lss_max_np, p.lss_mu_p, p.lss_tau_p)
        self.consolidation = (p.anchors, p.pair_distance, p.pair_angle, p.max_rotation, p.score_scale)
        self.relaxation = (p.lssr_pairs, p.lss_min_np, p.lss_max_np, p.lss_mu_p, p.lss_tau_p, p.lssr_weight,
                           p.lssr_iterations, p.lssr_mu_distance, p.lssr_tau_distance, p.lssr_mu_angle,
                           p.lssr_tau_angle)
        self.gate = p.lssr_gate
        self.lss_probe_cylinders = p.lss_probe_cylinders
        self.lss_gallery_cylinders = p.lss_gallery_cylinders
        self.code_max_dtheta = int(round(p.code_max_direction_diff / (2 * math.pi) * 256))

    def local(self, a: PackedFinger, b: PackedFinger) -> np.ndarray:
        return local_similarities(a.angle, a.mask, a.bits, b.angle, b.mask, b.bits,
                                  self.min_cells, self.max_dtheta)

    def full(self, a: PackedFinger, b: PackedFinger):
        """(score, pairs, rotation, tx, ty, weight, overlap_a, overlap_b, S, relaxed) of one comparison.

        ``relaxed`` is the pair's LSS-R score; below the gate the consolidation is skipped (score 0).
        """
        S = self.local(a, b)
        relaxed = lssr_score(a.xy, a.angle, b.xy, b.angle, S, *self.relaxation)
        if relaxed < self.gate:
            return 0.0, np.zeros((0, 2), np.int64), 0.0, 0.0, 0.0, 0.0, 0, 0, S, relaxed
        return (*consolidate(a.xy, a.angle, a.hull, b.xy, b.angle, b.hull, S, *self.consolidation), S, relaxed)


class _Grow:
    """A NumPy array that grows by doubling (amortised O(1) append)."""

    def __init__(self, shape_tail: tuple, dtype):
        self.a = np.zeros((64, *shape_tail), dtype)
        self.n = 0

    def extend(self, values: np.ndarray) -> tuple[int, int]:
        k = len(values)
        if self.n + k > len(self.a):     # empty, not zeros: only [:n] is ever read
            bigger = np.empty((max(2 * len(self.a), self.n + k), *self.a.shape[1:]), self.a.dtype)
            bigger[:self.n] = self.a[:self.n]
            self.a = bigger
        self.a[self.n:self.n + k] = values
        self.n += k
        return self.n - k, self.n

    def reserve(self, k: int) -> None:
        """Room for ``k`` more rows in one allocation (a long load grows once, not by doublings)."""
        if self.n + k > len(self.a):
            bigger = np.empty((self.n + k, *self.a.shape[1:]), self.a.dtype)
            bigger[:self.n] = self.a[:self.n]
            self.a = bigger

    def adopt(self, values: np.ndarray) -> None:
        """Hold ``values`` itself (a memory map, say) as the whole array; a later extend copies."""
        self.a, self.n = values, len(values)

    def view(self) -> np.ndarray:
        return self.a[:self.n]

    @property
    def nbytes(self) -> int:
        return int(self.a[:self.n].nbytes)


def shift_spans(spans: np.ndarray, xy_rows: int, cylinder_rows: int, hull_rows: int) -> np.ndarray:
    """Row spans of exported arrays moved to follow that many rows already held (an empty
    row's span stays empty, start == end)."""
    return spans + np.array([xy_rows, xy_rows, cylinder_rows, cylinder_rows, hull_rows, hull_rows], np.int64)


class FingerStore:
    """Packed fingers in a few flat arrays; row ``r`` spans ``[start, end)`` of each array.

    Rows can be replaced (the new data is appended and the row re-pointed), so
    a store only grows; that is the price of lock-free reads of old snapshots.
    Each row also has its fixed-length code (:mod:`.codes`), derived from its
    cylinders and kept in memory beside them.
    """

    def __init__(self, nd: int = DEFAULT.mcc_nd, code_cylinders: int = DEFAULT.code_cylinders):
        self._xy = _Grow((2,), np.int16)
        self._angle = _Grow((), np.uint8)
        self._mask = _Grow((), np.uint64)
        self._bits = _Grow((nd,), np.uint64)
        self._hull = _Grow((2,), np.int16)
        self._source = _Grow((), np.uint8)
        self._spans = _Grow((6,), np.int64)    # geo start/end, cylinder start/end, hull start/end
        self._quality = _Grow((), np.uint8)
        self._code_angle = _Grow((code_cylinders,), np.uint8)
        self._code_norm = _Grow((code_cylinders,), np.float32)
        self._code_bits = _Grow((code_cylinders, nd), np.uint64)

    def __len__(self) -> int:
        return self._spans.n

    def add(self, finger: PackedFinger | None) -> int:
        """Append a finger (``None`` = no print at this row); returns its row."""
        self._spans.extend(np.zeros((1, 6), np.int64))
        self._quality.extend(np.zeros(1, np.uint8))
        for code in self._codes():
            code.extend(np.zeros((1, *code.a.shape[1:]), code.a.dtype))
        row = len(self) - 1
        self.set(row, finger)
        return row

    def set(self, row: int, finger: PackedFinger | None) -> None:
        if finger is None:
            self._spans.a[row] = 0
            self._quality.a[row] = 0
            self._code_norm.a[row] = 0
            return
        g0, g1 = self._xy.extend(finger.xy)
        self._angle.extend(finger.angle)
        self._source.extend(finger.source)
        c0, c1 = self._mask.extend(finger.mask)
        self._bits.extend(finger.bits)
        h0, h1 = self._hull.extend(finger.hull)
        self._spans.a[row] = (g0, g1, c0, c1, h0, h1)
        self._quality.a[row] = finger.quality
        self._code_rows(row, row + 1)

    def _codes(self) -> tuple[_Grow, _Grow, _Grow]:
        return self._code_angle, self._code_norm, self._code_bits

    def _code_rows(self, start: int, end: int) -> None:
        """(Re)compute the codes of rows ``start..end`` from their cylinders."""
        codes_of_rows(self._angle.view(), self._mask.view(), self._bits.view(), self._spans.view(), start,
                      *(c.a[start:end] for c in self._codes()))

    def finger(self, row: int) -> PackedFinger | None:
        g0, g1, c0, c1, h0, h1 = (int(v) for v in self._spans.a[row])
        if g1 == g0:
            return None
        return PackedFinger(xy=self._xy.a[g0:g1], angle=self._angle.a[g0:g1], mask=self._mask.a[c0:c1],
                            bits=self._bits.a[c0:c1], hull=self._hull.a[h0:h1], source=self._source.a[g0:g1],
                            quality=int(self._quality.a[row]))

    def present(self) -> np.ndarray:
        """(rows,) bool: which rows hold a finger."""
        spans = self._spans.view()
        return spans[:, 1] > spans[:, 0]

    def quality(self) -> np.ndarray:
        return self._quality.view()

    FIELDS = ("xy", "angle", "mask", "bits", "hull", "source", "spans", "quality")

    def export(self) -> dict[str, np.ndarray]:
        """Every array of the store, as it stands (views: copy before the store grows)."""
        return {name: getattr(self, f"_{name}").view() for name in self.FIELDS}

    @classmethod
    def of_arrays(cls, arrays: dict[str, np.ndarray], nd: int = DEFAULT.mcc_nd) -> FingerStore:
        store = cls(nd)
        store.extend(arrays)
        return store

    def reserve(self, rows: dict[str, int]) -> None:
        """Room for that many more rows of each array (named as in :meth:`export`)."""
        for name, k in rows.items():
            getattr(self, f"_{name}").reserve(k)
        for code in self._codes():
            code.reserve(rows.get("spans", 0))

    def extend(self, arrays: dict[str, np.ndarray], copy: bool = True) -> None:
        """Append the rows of another store's :meth:`export`, in one copy per array.

        ``copy=False`` on an empty store holds the arrays themselves (memory maps of
        a large gallery, read from disk as the search needs them); only the codes
        are then in memory."""
        spans = np.asarray(arrays["spans"], np.int64).reshape(-1, 6)
        start = len(self)
        if not copy and start == 0:
            for name in self.FIELDS:
                getattr(self, f"_{name}").adopt(arrays[name])
        else:
            shifted = shift_spans(spans, self._xy.n, self._mask.n, self._hull.n)
            for name in ("xy", "angle", "mask", "bits", "hull", "source", "quality"):
                getattr(self, f"_{name}").extend(np.asarray(arrays[name]))
            self._spans.extend(shifted)
        for code in self._codes():
            code.reserve(len(spans))
            code.n += len(spans)
        self._code_rows(start, len(self))

    def arrays(self) -> tuple:
        """(xy, angle, mask, bits, hull, spans) for the kernels."""
        return (self._xy.view(), self._angle.view(), self._mask.view(), self._bits.view(),
                self._hull.view(), self._spans.view())

    @property
    def nbytes(self) -> int:
        """Bytes held for the stored fingers (row spans and quality included)."""
        return sum(g.nbytes for g in (self._xy, self._angle, self._mask, self._bits, self._hull,
                                      self._source, self._spans, self._quality, *self._codes()))

    @property
    def code_nbytes(self) -> int:
        """Bytes of the fixed-length codes (part of :attr:`nbytes`)."""
        return sum(c.nbytes for c in self._codes())

    def code_score(self, probe: ProbeCode, rows: np.ndarray, cylinders: int, best: int,
                   out: np.ndarray) -> None:
        """Add the probe finger's code score against each of ``rows`` to ``out``."""
        with _PARALLEL:
            code_scores(probe, self._code_angle.view(), self._code_norm.view(), self._code_bits.view(),
                        np.ascontiguousarray(rows, dtype=np.int64), cylinders, best, out)

    def score(self, probe: PackedFinger, rows: np.ndarray, k: Kernels, kind: str = "full",
              parallel: bool = False) -> np.ndarray:
        """Scores of ``probe`` against the given rows (0 for empty rows)."""
        rows = np.ascontiguousarray(rows, dtype=np.int64)
        out = np.zeros(len(rows), np.float32)
        if len(rows) == 0 or len(probe) < 2:
            return out
        if parallel:
            with _PARALLEL:
                return self._score(probe, rows, k, kind, True, out)
        return self._score(probe, rows, k, kind, False, out)

    def _score(self, probe: PackedFinger, rows: np.ndarray, k: Kernels, kind: str, parallel: bool,
               out: np.ndarray) -> np.ndarray:
        xy, ang, mask, bits, hull, spans = self.arrays()
        if kind in ("full", "lssr"):
            full = _full_rows_parallel if parallel else _full_rows
            full(probe.xy, probe.angle, probe.mask, probe.bits, probe.hull, xy, ang, mask, bits, hull, spans,
                 rows, k.min_cells, k.max_dtheta, k.consolidation, k.relaxation, k.gate, kind == "lssr", out)
        elif kind == "lss":
            lss = _lss_rows_parallel if parallel else _lss_rows
            kp = min(len(probe.mask), k.lss_probe_cylinders)
            lss(probe.angle[:kp], probe.mask[:kp], probe.bits[:kp], ang, mask, bits, spans, rows,
                k.lss_gallery_cylinders, k.min_cells, k.max_dtheta, *k.lss, out)
        else:
            raise ValueError(f"unknown score kind {kind!r} (full, lssr, lss)")
        return out


# ------------------------------------------------------------------------ batch kernels

@njit(cache=True)
def _full_one(pxy, pang, pmask, pbits, phull, xy, ang, mask, bits, hull, span,
              min_cells, max_dt, consolidation, relaxation, gate, relaxed_only):
    """One comparison: the relaxation's score if ``relaxed_only``, else the consolidation's,
    0 when the relaxation scores the pair below ``gate`` (the consolidation is then skipped)."""
    g0, g1, c0, c1, h0, h1 = span[0], span[1], span[2], span[3], span[4], span[5]
    if g1 - g0 < 2:
        return 0.0
    S = local_similarities(pang, pmask, pbits, ang[g0:g1], mask[c0:c1], bits[c0:c1],
                           min_cells, max_dt)
    if relaxed_only or gate > 0:
        relaxed = lssr_score(pxy, pang, xy[g0:g1], ang[g0:g1], S, *relaxation)
        if relaxed_only:
            return relaxed
        if relaxed < gate:
            return 0.0
    return consolidate(pxy, pang, phull, xy[g0:g1], ang[g0:g1], hull[h0:h1], S, *consolidation)[0]


@njit(cache=True)
def _lss_one(pang, pmask, pbits, ang, mask, bits, span, limit, min_cells, max_dt, min_np, max_np, mu, tau):
    g0, c0, c1 = span[0], span[2], span[3]
    c1 = min(c1, c0 + limit)
    if c1 - c0 < 2:
        return 0.0
    S = local_similarities(pang, pmask, pbits, ang[g0:g0 + (c1 - c0)], mask[c0:c1], bits[c0:c1],
                           min_cells, max_dt)
    return lss_score(S, min_np, max_np, mu, tau)


@njit(cache=True)
def _full_rows(pxy, pang, pmask, pbits, phull, xy, ang, mask, bits, hull, spans, rows,
               min_cells, max_dt, consolidation, relaxation, gate, relaxed_only, out):
    for t in range(rows.shape[0]):
        out[t] = _full_one(pxy, pang, pmask, pbits, phull, xy, ang, mask, bits, hull, spans[rows[t]],
                           min_cells, max_dt, consolidation, relaxation, gate, relaxed_only)


@njit(cache=True, parallel=True)
def _full_rows_parallel(pxy, pang, pmask, pbits, phull, xy, ang, mask, bits, hull, spans, rows,
                        min_cells, max_dt, consolidation, relaxation, gate, relaxed_only, out):
    for t in prange(rows.shape[0]):
        out[t] = _full_one(pxy, pang, pmask, pbits, phull, xy, ang, mask, bits, hull, spans[rows[t]],
                           min_cells, max_dt, consolidation, relaxation, gate, relaxed_only)


@njit(cache=True)
def _lss_rows(pang, pmask, pbits, ang, mask, bits, spans, rows, limit, min_cells, max_dt,
              min_np, max_np, mu, tau, out):
    for t in range(rows.shape[0]):
        out[t] = _lss_one(pang, pmask, pbits, ang, mask, bits, spans[rows[t]], limit, min_cells, max_dt,
                          min_np, max_np, mu, tau)


@njit(cache=True, parallel=True)
def _lss_rows_parallel(pang, pmask, pbits, ang, mask, bits, spans, rows, limit, min_cells, max_dt,
                       min_np, max_np, mu, tau, out):
    for t in prange(rows.shape[0]):
        out[t] = _lss_one(pang, pmask, pbits, ang, mask, bits, spans[rows[t]], limit, min_cells, max_dt,
                          min_np, max_np, mu, tau)
