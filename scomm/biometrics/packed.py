"""Bit-vector Minutia Cylinder-Code: the compact finger form of the matcher and the index.

A finger keeps a cylinder for at most ``Parameters.index_minutiae`` minutiae
(usable cylinders first, the most central first); each stores its position (2 x int16), direction (uint8, 256
steps), a 64-bit mask of the cylinder cells that are valid (0 when the whole
cylinder is unusable) and one 64-bit word of cylinder bits per direction
slice (the ``Ns x Ns`` cells inside the radius, at most 64).  That is 62 bytes
per minutia with its source index (about 2.3 KB for a finger of 37 minutiae).

Local similarity of two cylinders over the cells valid in both, as in the
bit-based MCC of Cappelli, Ferrara & Maltoni (TPAMI 2010)::

    s = 1 - sqrt(|a xor b|) / (sqrt(|a|) + sqrt(|b|))     (|.| = popcount)

All kernels are numba-compiled; the popcount is the CPU instruction.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import numpy as np
from numba import njit, types
from numba.extending import intrinsic

from . import mcc
from .parameters import DEFAULT, Parameters
from .template import FingerprintTemplate

__all__ = ["PackedFinger", "pack"]

ANGLE_STEPS = 256
_TWO_PI = 2 * math.pi


@intrinsic
def _popcount(typingctx, x):
    """Hardware popcount of a uint64 (LLVM ``ctpop``)."""
    sig = types.uint64(types.uint64)

    def codegen(context, builder, signature, args):
        return builder.ctpop(args[0])
    return sig, codegen


# Called only from the compiled kernels, where the intrinsic is a uint64 -> uint64 function
# (numba's stubs type the Python-level call, which always raises).
popcount = cast("Callable[[int], int]", _popcount)


@dataclass
class PackedFinger:
    """One finger in bit-vector MCC form (see module docstring)."""
    xy: np.ndarray       # (n, 2) int16, pixels at 500 ppi, most reliable minutiae first
    angle: np.ndarray    # (n,) uint8, image-coordinate direction in 1/256 turns
    mask: np.ndarray     # (k,) uint64, valid cells of the first k minutiae (0 = cylinder unusable)
    bits: np.ndarray     # (k, Nd) uint64, one word per direction slice
    hull: np.ndarray     # (h, 2) int16, convex hull of all minutiae of the finger
    source: np.ndarray   # (n,) uint8, index of each kept minutia in the template (explanations)
    quality: int = 0

    @property
    def nbytes(self) -> int:
        return int(sum(a.nbytes for a in (self.xy, self.angle, self.mask, self.bits, self.hull, self.source)))

    def __len__(self) -> int:
        return len(self.angle)


def _cell_bits(flags: np.ndarray) -> np.ndarray:
    """(..., cells<=64) bool -> (...) uint64 with bit q set when flags[..., q]."""
    weights = np.left_shift(np.uint64(1), np.arange(flags.shape[-1], dtype=np.uint64))
    return (flags.astype(np.uint64) * weights).sum(axis=-1, dtype=np.uint64)


def pack(template: FingerprintTemplate, p: Parameters = DEFAULT) -> PackedFinger:
    """Bit-vector cylinders of a template (cached on the template)."""
    key = ("packed", p.index_minutiae, p.max_minutiae, p.mcc_radius, p.mcc_ns, p.mcc_nd)
    cached = template._cache.get(key)
    if isinstance(cached, PackedFinger):
        return cached
    cyl = mcc.cylinders(template, p)
    inside = mcc.in_radius_cells(p)
    if inside.sum() > 64:
        raise ValueError(f"mcc_ns={p.mcc_ns} gives {inside.sum()} cells; the bit form holds at most 64")
    n = min(len(cyl.angle), p.max_minutiae)
    # order: usable cylinders first, then the most central (most likely inside any overlap);
    # cylinders are kept for the first k
    centre = np.hypot(*(cyl.xy - cyl.xy.mean(0)).T) if n else np.zeros(0)
    order = np.lexsort((centre, ~cyl.valid))[:n] if n else np.zeros(0, np.int64)
    k = min(n, p.index_minutiae)
    cyl_rows = order[:k]
    vals = cyl.values[cyl_rows][:, inside, :] > 0.5                          # (k, cells, Nd)
    cells = cyl.cell_valid[cyl_rows][:, inside] & cyl.valid[cyl_rows, None]  # (k, cells)
    packed = PackedFinger(
        xy=np.round(cyl.xy[order]).astype(np.int16).reshape(-1, 2),
        angle=(np.round(cyl.angle[order] / _TWO_PI * ANGLE_STEPS).astype(np.int64) % ANGLE_STEPS).astype(np.uint8),
        mask=_cell_bits(cells),
        bits=_cell_bits(np.transpose(vals, (0, 2, 1))).reshape(k, p.mcc_nd),
        hull=np.round(cyl.hull).astype(np.int16).reshape(-1, 2),
        source=order.astype(np.uint8),
        quality=int(template.quality),
    )
    template._cache[key] = packed
    return packed


# ----------------------------------------------------------------------------- kernels

@njit(cache=True)
def _wrap(a):
    return (a + math.pi) % _TWO_PI - math.pi


@njit(cache=True)
def local_similarities(aa, ma, ba, ab, mb, bb, min_cells, max_dtheta_steps):
    """(na, nb) float32 bit-MCC similarity of every cylinder pair (0 = not comparable)."""
    nd = ba.shape[1]
    S = np.zeros((aa.shape[0], ab.shape[0]), np.float32)
    for i in range(ma.shape[0]):
        if ma[i] == 0:
            continue
        for j in range(mb.shape[0]):
            if mb[j] == 0:
                continue
            d = (np.int64(aa[i]) - np.int64(ab[j])) & 255
            if d > 128:
                d = 256 - d
            if d > max_dtheta_steps:
                continue
            common = ma[i] & mb[j]
            if popcount(common) < min_cells:
                continue
            n1 = 0
            n2 = 0
            nx = 0
            for k in range(nd):
                x = ba[i, k] & common
                y = bb[j, k] & common
                n1 += popcount(x)
                n2 += popcount(y)
                nx += popcount(x ^ y)
            den = math.sqrt(n1) + math.sqrt(n2)
            if den > 0:
                S[i, j] = 1.0 - math.sqrt(nx) / den
    return S


@njit(cache=True)
def _z(v, mu, tau):
    """MCC's sigmoid."""
    return 1.0 / (1.0 + math.exp(-tau * (v - mu)))


@njit(cache=True)
def _n_p(n, min_np, max_np, mu_p, tau_p):
    """n_P: how many best local pairs count, growing with the smaller print's minutiae ``n``."""
    return min_np + int(round(_z(n, mu_p, tau_p) * (max_np - min_np)))


@njit(cache=True)
def lss_score(S, min_np, max_np, mu_p, tau_p):
    """Local Similarity Sort: mean of the n_P best local similarities (n_P grows with size)."""
    na, nb = S.shape
    n = min(na, nb)
    k = _n_p(n, min_np, max_np, mu_p, tau_p)
    if k <= 0 or n == 0:
        return 0.0
    best = np.zeros(k, np.float32)
    for i in range(na):
        for j in range(nb):
            v = S[i, j]
            if v > best[k - 1]:
                keep_best(best, v, k)
    return float(best.sum()) / k


@njit(cache=True, inline="always")
def keep_best(best, v, k):
    """Insert ``v`` into ``best[:k]`` (descending), dropping the smallest."""
    q = k - 1
    while q > 0 and best[q - 1] < v:
        best[q] = best[q - 1]
        q -= 1
    best[q] = v


@njit(cache=True)
def _compatibility(xa, aa, xb, ab, i, j, i2, j2, mu_d, tau_d, mu_a, tau_a):
    """How well pairs (i, j) and (i2, j2) agree: distance, direction difference and radial angle."""
    step = _TWO_PI / ANGLE_STEPS
    ux = float(xa[i2, 0]) - xa[i, 0]
    uy = float(xa[i2, 1]) - xa[i, 1]
    vx = float(xb[j2, 0]) - xb[j, 0]
    vy = float(xb[j2, 1]) - xb[j, 1]
    z = _z(abs(math.sqrt(ux * ux + uy * uy) - math.sqrt(vx * vx + vy * vy)), mu_d, tau_d)
    if z < 1e-9:    # the other factors are <= 1: skip them (most pairs of an impostor comparison)
        return 0.0
    z *= _z(abs(_wrap(_wrap((np.int64(aa[i]) - np.int64(aa[i2])) * step)
                      - _wrap((np.int64(ab[j]) - np.int64(ab[j2])) * step))), mu_a, tau_a)
    if z < 1e-9:
        return 0.0
    return z * _z(abs(_wrap(_wrap(aa[i] * step - math.atan2(uy, ux)) - _wrap(ab[j] * step - math.atan2(vy, vx)))),
                  mu_a, tau_a)


@njit(cache=True)
def lssr_score(xa, aa, xb, ab, S, n_r, min_np, max_np, mu_p, tau_p, w_r, n_rel, mu_d, tau_d, mu_a, tau_a):
    """Local Similarity Sort with Relaxation (LSS-R, Cappelli, Ferrara & Maltoni, TPAMI 2010).

    The ``n_r`` best local pairs reinforce each other as far as their geometry
    agrees (:func:`_compatibility`) over ``n_rel`` relaxation steps; the score
    is the mean relaxed similarity of the n_P pairs that kept most of theirs.
    No alignment is searched, so it is cheaper than :func:`consolidate`.
    """
    n_p = _n_p(min(aa.shape[0], ab.shape[0]), min_np, max_np, mu_p, tau_p)
    top = np.empty(n_r, np.int64)
    k = _top_pairs(S, n_r, top)
    if k < 2 or n_p <= 0:
        return 0.0
    snb = S.shape[1]
    rho = np.zeros((k, k))
    lam0 = np.empty(k)
    for r in range(k):
        i = top[r] // snb
        j = top[r] % snb
        lam0[r] = S[i, j]
        for c in range(r + 1, k):
            i2 = top[c] // snb
            j2 = top[c] % snb
            if i != i2 and j != j2:
                rho[r, c] = rho[c, r] = _compatibility(xa, aa, xb, ab, i, j, i2, j2, mu_d, tau_d, mu_a, tau_a)
    lam = lam0.copy()
    nxt = np.empty(k)
    for _ in range(n_rel):
        for r in range(k):
            support = 0.0
            for c in range(k):
                support += rho[r, c] * lam[c]
            nxt[r] = w_r * lam[r] + (1.0 - w_r) * support / (k - 1)
        lam[:] = nxt
    order = np.argsort(-(lam / lam0))    # efficiency: the share of its similarity a pair kept
    total = 0.0
    for q in range(min(n_p, k)):
        total += lam[order[q]]
    return total / n_p


@njit(cache=True)
def _edges(hull):
    """(h, 3) outward unit normal and offset of each edge of a convex polygon (int16 vertices)."""
    h = hull.shape[0]
    out = np.zeros((h, 3))
    if h < 3:
        return out[:0]
    cx = 0.0
    cy = 0.0
    for q in range(h):
        cx += hull[q, 0]
        cy += hull[q, 1]
    cx /= h
    cy /= h
    for q in range(h):
        ax = float(hull[q, 0])
        ay = float(hull[q, 1])
        nx = float(hull[(q + 1) % h, 1]) - ay
        ny = ax - float(hull[(q + 1) % h, 0])
        norm = math.sqrt(nx * nx + ny * ny) + 1e-12
        nx /= norm
        ny /= norm
        if (cx - ax) * nx + (cy - ay) * ny > 0:
            nx = -nx
            ny = -ny
        out[q, 0] = nx
        out[q, 1] = ny
        out[q, 2] = ax * nx + ay * ny
    return out


@njit(cache=True)
def _outside(px, py, edges):
    """Distance of (px, py) outside the polygon whose :func:`_edges` are given (<= 0 inside)."""
    if edges.shape[0] == 0:
        return 0.0
    worst = -1e30
    for q in range(edges.shape[0]):
        d = px * edges[q, 0] + py * edges[q, 1] - edges[q, 2]
        if d > worst:
            worst = d
    return worst


@njit(cache=True)
def _top_pairs(S, k, out):
    """Indices (into S.ravel()) of the k largest positive entries, best first; returns how many."""
    nb = S.shape[1]
    best = np.zeros(k, np.float32)
    n = 0
    floor = np.float32(0.0)    # what a value must beat: 0 until k are kept, then the k-th best
    for i in range(S.shape[0]):
        for j in range(nb):
            v = S[i, j]
            if v <= floor:
                continue
            q = n if n < k else k - 1
            while q > 0 and best[q - 1] < v:
                best[q] = best[q - 1]
                out[q] = out[q - 1]
                q -= 1
            best[q] = v
            out[q] = i * nb + j
            if n < k:
                n += 1
            if n == k:
                floor = best[k - 1]
    return n


@njit(cache=True)
def _pairing(xa, aa, bxs, bys, bang, bidx, S, rot, tx, ty, dmax, amax,
             w_buf, i_buf, j_buf, used_a, used_b, pairs):
    """Greedy one-to-one pairing after moving A by (rot, tx, ty); returns (weight, n_pairs).

    B's minutiae come sorted by x (``bxs``, ``bys``, ``bang``; ``bidx`` their
    own indices), so only those within ``dmax`` in x of a moved A minutia are
    tested.  Candidates are kept heaviest first as they are found.
    """
    na = aa.shape[0]
    nb = bxs.shape[0]
    c = math.cos(rot)
    s = math.sin(rot)
    step = _TWO_PI / ANGLE_STEPS
    d2max = dmax * dmax
    cnt = 0
    for k in range(na):
        ax = float(xa[k, 0])
        ay = float(xa[k, 1])
        x = c * ax - s * ay + tx
        y = s * ax + c * ay + ty
        lo = 0  # first B minutia with x >= x - dmax (binary search)
        hi = nb
        while lo < hi:
            mid = (lo + hi) >> 1
            if bxs[mid] < x - dmax:
                lo = mid + 1
            else:
                hi = mid
        for o in range(lo, nb):
            if bxs[o] > x + dmax:
                break
            dy = y - bys[o]
            if dy * dy > d2max:
                continue
            dx = x - bxs[o]
            d2 = dx * dx + dy * dy
            if d2 > d2max:
                continue
            da = (np.int64(aa[k]) - bang[o]) * step + rot
            while da > math.pi:
                da -= _TWO_PI
            while da < -math.pi:
                da += _TWO_PI
            da = abs(da)
            if da > amax:
                continue
            kb = bidx[o]
            g = (1.0 - math.sqrt(d2) / dmax) * (1.0 - 0.5 * da / amax)
            sv = S[k, kb] if k < S.shape[0] and kb < S.shape[1] else 0.0
            wv = g * (0.25 + 0.75 * sv)
            q = cnt
            while q > 0 and w_buf[q - 1] < wv:
                w_buf[q] = w_buf[q - 1]
                i_buf[q] = i_buf[q - 1]
                j_buf[q] = j_buf[q - 1]
                q -= 1
            w_buf[q] = wv
            i_buf[q] = k
            j_buf[q] = kb
            cnt += 1
    used_a[:na] = False
    used_b[:nb] = False
    total = 0.0
    n = 0
    for o in range(cnt):
        k = i_buf[o]
        kb = j_buf[o]
        if used_a[k] or used_b[kb]:
            continue
        used_a[k] = True
        used_b[kb] = True
        total += w_buf[o]
        pairs[n, 0] = k
        pairs[n, 1] = kb
        n += 1
    return total, n


@njit(cache=True)
def _overlap(xa, xb, ha, hb, rot, tx, ty, margin):
    """Minutiae of A (moved) within ``margin`` of B's hull, and of B within A's moved hull."""
    c = math.cos(rot)
    s = math.sin(rot)
    ea = _edges(ha)
    eb = _edges(hb)
    ov_a = 0
    for q in range(xa.shape[0]):
        x = c * xa[q, 0] - s * xa[q, 1] + tx
        y = s * xa[q, 0] + c * xa[q, 1] + ty
        if _outside(x, y, eb) <= margin:
            ov_a += 1
    ov_b = 0
    for q in range(xb.shape[0]):  # B into A's frame with the inverse transform
        x0 = xb[q, 0] - tx
        y0 = xb[q, 1] - ty
        if _outside(c * x0 + s * y0, -s * x0 + c * y0, ea) <= margin:
            ov_b += 1
    return ov_a, ov_b


@njit(cache=True)
def _rigid_fit(xa, xb, pairs, n):
    """Least-squares rotation and translation taking A's paired minutiae onto B's."""
    mpx = 0.0
    mpy = 0.0
    mcx = 0.0
    mcy = 0.0
    for q in range(n):
        mpx += xa[pairs[q, 0], 0]
        mpy += xa[pairs[q, 0], 1]
        mcx += xb[pairs[q, 1], 0]
        mcy += xb[pairs[q, 1], 1]
    mpx /= n
    mpy /= n
    mcx /= n
    mcy /= n
    sxx = 0.0
    sxy = 0.0
    for q in range(n):
        ax = xa[pairs[q, 0], 0] - mpx
        ay = xa[pairs[q, 0], 1] - mpy
        bx = xb[pairs[q, 1], 0] - mcx
        by = xb[pairs[q, 1], 1] - mcy
        sxx += ax * bx + ay * by
        sxy += ax * by - ay * bx
    r = math.atan2(sxy, sxx)
    c = math.cos(r)
    s = math.sin(r)
    return r, mcx - (c * mpx - s * mpy), mcy - (s * mpx + c * mpy)


@njit(cache=True)
def consolidate(xa, aa, ha, xb, ab, hb, S, anchors, dmax, amax, max_rot, scale):
    """Global consolidation: best rigid alignment from the top local pairs, refined once.

    Returns (score, pairs (n, 2), rotation, tx, ty, weight, overlap_a, overlap_b).
    """
    na = aa.shape[0]
    nb = ab.shape[0]
    if na < 2 or nb < 2:
        return 0.0, np.zeros((0, 2), np.int64), 0.0, 0.0, 0.0, 0.0, 0, 0
    top = np.empty(anchors, np.int64)
    k = _top_pairs(S, anchors, top)
    bidx = np.argsort(xb[:, 0])
    bxs = np.empty(nb)
    bys = np.empty(nb)
    bang = np.empty(nb, np.int64)
    for o in range(nb):
        bxs[o] = xb[bidx[o], 0]
        bys[o] = xb[bidx[o], 1]
        bang[o] = ab[bidx[o]]
    m = na * nb
    w_buf = np.empty(m)
    i_buf = np.empty(m, np.int64)
    j_buf = np.empty(m, np.int64)
    used_a = np.zeros(na, np.bool_)
    used_b = np.zeros(nb, np.bool_)
    pairs = np.zeros((min(na, nb), 2), np.int64)
    best_pairs = np.zeros((min(na, nb), 2), np.int64)
    best = -1.0
    best_n = 0
    br = 0.0
    btx = 0.0
    bty = 0.0
    snb = S.shape[1]
    for a in range(k + 1):
        if a < k:  # rotation and translation that put anchor pair a on top of each other
            i = top[a] // snb
            j = top[a] % snb
            rot = _wrap((np.int64(ab[j]) - np.int64(aa[i])) * (_TWO_PI / ANGLE_STEPS))
            if abs(rot) > max_rot:
                continue
            c = math.cos(rot)
            s = math.sin(rot)
            tx = xb[j, 0] - (c * xa[i, 0] - s * xa[i, 1])
            ty = xb[j, 1] - (s * xa[i, 0] + c * xa[i, 1])
        elif best_n >= 3:  # finally: least-squares fit on the best pairing, then pair again
            rot, tx, ty = _rigid_fit(xa, xb, best_pairs, best_n)
        else:
            break
        w, n = _pairing(xa, aa, bxs, bys, bang, bidx, S, rot, tx, ty, dmax, amax,
                        w_buf, i_buf, j_buf, used_a, used_b, pairs)
        if w > best:
            best = w
            best_n = n
            best_pairs[:n] = pairs[:n]
            br = rot
            btx = tx
            bty = ty
    if best_n == 0:
        return 0.0, np.zeros((0, 2), np.int64), 0.0, 0.0, 0.0, 0.0, 0, 0
    ov_a, ov_b = _overlap(xa, xb, ha, hb, br, btx, bty, dmax)
    ov_a = max(ov_a, best_n, 1)
    ov_b = max(ov_b, best_n, 1)
    score = scale * best * best / (ov_a * ov_b) * min(1.0, best_n / 6.0)
    return score, best_pairs[:best_n].copy(), br, btx, bty, best, ov_a, ov_b
