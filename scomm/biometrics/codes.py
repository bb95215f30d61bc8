"""Fixed-length cylinder codes: the first pass of a search over a large gallery.

A finger's *code* is its first ``Parameters.code_cylinders`` cylinders in
packing order (usable ones first, the most central first), each kept as its
direction, its bits masked to its own valid cells, and the square root of
their popcount: with 8 cylinders, 424 bytes for every finger, a fixed-size
slot in a flat array.  Two codes are compared as the bit-MCC Local
Similarity Sort does (Cappelli et al. 2010), over each cylinder's own valid
cells rather than the cells valid in both, so a cylinder pair costs one XOR
popcount per direction slice and no mask::

    s = 1 - sqrt(|a xor b|) / (sqrt(|a|) + sqrt(|b|))

and a finger pair scores the mean of its ``code_np`` best cylinder pairs
whose directions differ by at most ``code_max_direction_diff``.  A search
scans the codes of every subject on the probe's best ``code_fingers``
fingers, the first ``code_scan_cylinders`` of each code only; the
``code_scan_keep`` share it keeps is scored on the other fingers too; the
``code_keep`` share left is scored again on all ``code_cylinders``.  The
full templates are read only for the ``prefilter_keep`` that remain
(:meth:`.gallery.TenprintGallery._code_pass`).
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from .packed import PackedFinger, keep_best, popcount

__all__ = ["ProbeCode", "codes_of_rows", "code_scores"]

_SQRT = np.sqrt(np.arange(64 * 64 + 1)).astype(np.float32)   # sqrt of any popcount of a cylinder


class ProbeCode:
    """A probe finger's first cylinders in code form (see module docstring), with, for each, the
    gallery directions (of 256) it may pair with."""

    def __init__(self, finger: PackedFinger, cylinders: int, max_dtheta: int):
        k = min(cylinders, len(finger.mask))
        self.angle = np.ascontiguousarray(finger.angle[:k])
        self.bits = np.ascontiguousarray(finger.bits[:k] & finger.mask[:k, None])
        self.norm = np.sqrt(np.array([sum(int(w).bit_count() for w in row) for row in self.bits],
                                     np.float32)).astype(np.float32)
        d = (self.angle.astype(np.int64)[:, None] - np.arange(256)[None, :]) & 255
        self.pairs = (np.minimum(d, 256 - d) <= max_dtheta) & (self.norm[:, None] > 0)


@njit(cache=True)
def codes_of_rows(ang, mask, bits, spans, start, out_angle, out_norm, out_bits):
    """Codes of store rows ``start..`` (one per row of ``out_*``) from the store's arrays."""
    C = out_angle.shape[1]
    nd = bits.shape[1]
    for t in range(out_angle.shape[0]):
        g0, c0, c1 = spans[start + t, 0], spans[start + t, 2], spans[start + t, 3]
        for i in range(C):
            out_angle[t, i] = 0
            out_norm[t, i] = 0.0
            for q in range(nd):
                out_bits[t, i, q] = 0
            if i >= c1 - c0:
                continue
            m = mask[c0 + i]
            n = 0
            for q in range(nd):
                w = bits[c0 + i, q] & m
                out_bits[t, i, q] = w
                n += popcount(w)
            out_angle[t, i] = ang[g0 + i]
            out_norm[t, i] = math.sqrt(n)


_CHUNK = 1024


@njit(cache=True, parallel=True)
def _scan(pbits, pnorm, pairs, ang, norm, bits, rows, cylinders, k, sqrt_tab, out):
    """out[t] += code score of the probe finger against row rows[t].

    The gallery cylinder is the outer loop (its words stay in registers); the probe's
    cylinders, a few hundred bytes, stay in the first-level cache."""
    n, nd = rows.shape[0], pbits.shape[1]
    for c in prange((n + _CHUNK - 1) // _CHUNK):
        best = np.empty(k, np.float32)
        for t in range(c * _CHUNK, min(n, (c + 1) * _CHUNK)):
            r = rows[t]
            best[:] = 0.0
            for j in range(cylinders):
                sj = norm[r, j]
                if sj == 0:
                    continue
                a = ang[r, j]
                g = bits[r, j]
                for i in range(pbits.shape[0]):
                    if not pairs[i, a]:
                        continue
                    nx = 0
                    for q in range(nd):
                        nx += popcount(pbits[i, q] ^ g[q])
                    v = 1.0 - sqrt_tab[nx] / (pnorm[i] + sj)
                    if v > best[k - 1]:
                        keep_best(best, v, k)
            out[t] += best.sum() / k


def code_scores(probe: ProbeCode, angle: np.ndarray, norm: np.ndarray, bits: np.ndarray, rows: np.ndarray,
                cylinders: int, best: int, out: np.ndarray) -> None:
    """Add the probe finger's code score against each of ``rows`` to ``out`` (compiled, parallel;
    call it under the index's parallel lock)."""
    if len(probe.angle) == 0 or len(rows) == 0:
        return
    _scan(probe.bits, probe.norm, probe.pairs, angle, norm, bits, rows, min(cylinders, angle.shape[1]),
          best, _SQRT, out)
