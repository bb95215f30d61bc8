"""1:1 comparison: MCC local similarities + global consolidation.

1. Local: every probe cylinder is compared with every candidate cylinder
   (:func:`mcc.similarity_matrix`).
2. Global: the best local pairs are tried as alignment anchors; for each, the
   probe is rotated/translated onto the candidate and minutiae that then agree
   in position and direction are paired greedily.  The anchor giving the
   largest weighted pairing wins.
3. Score: the weighted pairing, normalised by the number of minutiae that lie
   in the overlapping area of the two prints.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numba import njit

from . import mcc
from .parameters import DEFAULT, Parameters
from .template import FingerprintTemplate

__all__ = ["MatchResult", "match"]


@dataclass
class MatchResult:
    score: float
    pairs: list[tuple[int, int]] = field(default_factory=list)
    parts: dict[str, float] = field(default_factory=dict)

    def explain(self) -> dict:
        return {
            "score": float(self.score),
            "pairs": [[int(a), int(b)] for a, b in self.pairs],
            "parts": {k: float(v) for k, v in self.parts.items()},
        }


@njit(cache=True)
def _pair_rigid(pxy, pa, cxy, ca, S, rot, tx, ty, dmax, amax):
    """Greedy pairing after applying (rot, tx, ty) to the probe."""
    n_p = pxy.shape[0]
    n_c = cxy.shape[0]
    c = math.cos(rot)
    s = math.sin(rot)
    m = n_p * n_c
    w = np.empty(m)
    ki = np.empty(m, np.int64)
    kj = np.empty(m, np.int64)
    cnt = 0
    for k in range(n_p):
        x = c * pxy[k, 0] - s * pxy[k, 1] + tx
        y = s * pxy[k, 0] + c * pxy[k, 1] + ty
        for l in range(n_c):
            dx = x - cxy[l, 0]
            dy = y - cxy[l, 1]
            d2 = dx * dx + dy * dy
            if d2 > dmax * dmax:
                continue
            da = pa[k] + rot - ca[l]
            da = abs((da + math.pi) % (2 * math.pi) - math.pi)
            if da > amax:
                continue
            g = (1.0 - math.sqrt(d2) / dmax) * (1.0 - 0.5 * da / amax)
            w[cnt] = g * (0.25 + 0.75 * S[k, l])
            ki[cnt] = k
            kj[cnt] = l
            cnt += 1
    pairs = np.full((min(n_p, n_c), 2), -1, np.int64)
    total = 0.0
    n = 0
    if cnt == 0:
        return total, pairs[:0]
    order = np.argsort(-w[:cnt])
    used_p = np.zeros(n_p, np.bool_)
    used_c = np.zeros(n_c, np.bool_)
    for o in order:
        k = ki[o]
        l = kj[o]
        if used_p[k] or used_c[l]:
            continue
        used_p[k] = True
        used_c[l] = True
        total += w[o]
        pairs[n, 0] = k
        pairs[n, 1] = l
        n += 1
    return total, pairs[:n]


@njit(cache=True)
def _refine(pxy, pa, cxy, ca, S, pairs, rot, tx, ty, dmax, amax):
    """Least-squares rigid fit on the current pairs, then re-pair."""
    n = pairs.shape[0]
    if n < 3:
        return -1.0, pairs, rot, tx, ty
    mpx = 0.0
    mpy = 0.0
    mcx = 0.0
    mcy = 0.0
    for q in range(n):
        mpx += pxy[pairs[q, 0], 0]
        mpy += pxy[pairs[q, 0], 1]
        mcx += cxy[pairs[q, 1], 0]
        mcy += cxy[pairs[q, 1], 1]
    mpx /= n
    mpy /= n
    mcx /= n
    mcy /= n
    sxx = 0.0
    sxy = 0.0
    for q in range(n):
        ax = pxy[pairs[q, 0], 0] - mpx
        ay = pxy[pairs[q, 0], 1] - mpy
        bx = cxy[pairs[q, 1], 0] - mcx
        by = cxy[pairs[q, 1], 1] - mcy
        sxx += ax * bx + ay * by
        sxy += ax * by - ay * bx
    r = math.atan2(sxy, sxx)
    c = math.cos(r)
    s = math.sin(r)
    ntx = mcx - (c * mpx - s * mpy)
    nty = mcy - (s * mpx + c * mpy)
    total, np_ = _pair_rigid(pxy, pa, cxy, ca, S, r, ntx, nty, dmax, amax)
    return total, np_, r, ntx, nty


@njit(cache=True)
def _consolidate(pxy, pa, cxy, ca, S, anchors_i, anchors_j, dmax, amax, max_rot):
    n_p = pxy.shape[0]
    n_c = cxy.shape[0]
    best_score = -1.0
    best_pairs = np.full((min(n_p, n_c), 2), -1, np.int64)
    best_n = 0
    best_rot = 0.0
    best_tx = 0.0
    best_ty = 0.0
    m = n_p * n_c
    w = np.empty(m)
    ki = np.empty(m, np.int64)
    kj = np.empty(m, np.int64)
    tx_ = np.empty(n_p)
    ty_ = np.empty(n_p)
    used_p = np.zeros(n_p, np.bool_)
    used_c = np.zeros(n_c, np.bool_)
    pairs = np.full((min(n_p, n_c), 2), -1, np.int64)
    for a in range(anchors_i.shape[0]):
        i = anchors_i[a]
        j = anchors_j[a]
        rot = ca[j] - pa[i]
        rot = (rot + math.pi) % (2 * math.pi) - math.pi
        if abs(rot) > max_rot:
            continue
        c = math.cos(rot)
        s = math.sin(rot)
        for k in range(n_p):
            dx = pxy[k, 0] - pxy[i, 0]
            dy = pxy[k, 1] - pxy[i, 1]
            tx_[k] = c * dx - s * dy + cxy[j, 0]
            ty_[k] = s * dx + c * dy + cxy[j, 1]
        cnt = 0
        for k in range(n_p):
            for l in range(n_c):
                dx = tx_[k] - cxy[l, 0]
                dy = ty_[k] - cxy[l, 1]
                d2 = dx * dx + dy * dy
                if d2 > dmax * dmax:
                    continue
                da = pa[k] + rot - ca[l]
                da = abs((da + math.pi) % (2 * math.pi) - math.pi)
                if da > amax:
                    continue
                g = (1.0 - math.sqrt(d2) / dmax) * (1.0 - 0.5 * da / amax)
                w[cnt] = g * (0.25 + 0.75 * S[k, l])
                ki[cnt] = k
                kj[cnt] = l
                cnt += 1
        if cnt == 0:
            continue
        order = np.argsort(-w[:cnt])
        used_p[:] = False
        used_c[:] = False
        total = 0.0
        n = 0
        for o in order:
            k = ki[o]
            l = kj[o]
            if used_p[k] or used_c[l]:
                continue
            used_p[k] = True
            used_c[l] = True
            total += w[o]
            pairs[n, 0] = k
            pairs[n, 1] = l
            n += 1
        if total > best_score:
            best_score = total
            best_pairs[:n] = pairs[:n]
            best_n = n
            best_rot = rot
            best_tx = cxy[j, 0] - (c * pxy[i, 0] - s * pxy[i, 1])
            best_ty = cxy[j, 1] - (s * pxy[i, 0] + c * pxy[i, 1])
    pairs_out = best_pairs[:best_n].copy()
    t2, p2, r2, x2, y2 = _refine(pxy, pa, cxy, ca, S, pairs_out, best_rot, best_tx, best_ty, dmax, amax)
    if t2 > best_score:
        return t2, p2, r2, x2, y2
    return best_score, pairs_out, best_rot, best_tx, best_ty


def _overlap_count(xy: np.ndarray, hull: np.ndarray, margin: float) -> int:
    if len(xy) == 0:
        return 0
    return int((mcc.hull_distance(xy, hull) <= margin).sum())


def match(probe: FingerprintTemplate, candidate: FingerprintTemplate, p: Parameters = DEFAULT) -> MatchResult:
    """Compare two templates; higher score = more similar (0 = no evidence)."""
    A = mcc.cylinders(probe, p)
    B = mcc.cylinders(candidate, p)
    n_a, n_b = len(A.angle), len(B.angle)
    if n_a < 2 or n_b < 2:
        return MatchResult(0.0, [], {"probe_minutiae": n_a, "candidate_minutiae": n_b})
    min_cells = int(math.ceil(p.mcc_min_valid_ratio * (math.pi / 4) * p.mcc_ns ** 2))
    S = mcc.similarity_matrix(A.values, A.cell_valid, A.valid, A.angle,
                              B.values, B.cell_valid, B.valid, B.angle,
                              min_cells, p.mcc_max_direction_diff)
    flat = S.ravel()
    k = min(p.anchors, int((flat > 0).sum()))
    if k == 0:
        return MatchResult(0.0, [], {"probe_minutiae": n_a, "candidate_minutiae": n_b,
                                     "local_similarity": 0.0})
    top = np.argpartition(-flat, k - 1)[:k]
    top = top[np.argsort(-flat[top])]
    ai, aj = np.divmod(top, n_b)
    total, pairs, rot, tx, ty = _consolidate(A.xy, A.angle, B.xy, B.angle, S,
                                             ai.astype(np.int64), aj.astype(np.int64),
                                             p.pair_distance, p.pair_angle, p.max_rotation)
    n = len(pairs)
    if n == 0:
        return MatchResult(0.0, [], {"probe_minutiae": n_a, "candidate_minutiae": n_b,
                                     "local_similarity": float(flat[top[0]])})
    # overlap: probe minutiae that fall inside the candidate's hull after alignment and v.v.
    c, s = math.cos(rot), math.sin(rot)
    R = np.array([[c, -s], [s, c]])
    pa_in_b = A.xy @ R.T + np.array([tx, ty])
    hull_a_in_b = A.hull @ R.T + np.array([tx, ty]) if len(A.hull) else A.hull
    ov_a = max(_overlap_count(pa_in_b, B.hull, p.pair_distance), n, 1)
    ov_b = max(_overlap_count(B.xy, hull_a_in_b, p.pair_distance), n, 1)
    local = float(np.mean(S[pairs[:, 0], pairs[:, 1]]))
    # weighted pairing normalised by the geometric mean of the overlapping counts
    score = p.score_scale * total * total / (ov_a * ov_b) * min(1.0, n / 6.0)
    parts = {
        "paired": float(n),
        "weighted_pairing": float(total),
        "local_similarity": local,
        "probe_minutiae": float(n_a),
        "candidate_minutiae": float(n_b),
        "probe_in_overlap": float(ov_a),
        "candidate_in_overlap": float(ov_b),
        "rotation_deg": math.degrees(rot),
        "translation_x": float(tx),
        "translation_y": float(ty),
    }
    return MatchResult(float(score), [(int(a), int(b)) for a, b in pairs], parts)
