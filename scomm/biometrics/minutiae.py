"""Minutiae detection on the skeleton: crossing number, ridge tracing, filtering.

Internal coordinates are image coordinates (x right, y down); angles are
converted to the ISO convention (counter-clockwise, y up) at the end.
"""
from __future__ import annotations

import math

import cv2
import numpy as np
from numba import njit

from .parameters import Parameters
from .template import Minutia, MinutiaKind

# 8-neighbourhood in circular order: N, NE, E, SE, S, SW, W, NW
_DY = np.array([-1, -1, 0, 1, 1, 1, 0, -1], np.int64)
_DX = np.array([0, 1, 1, 1, 0, -1, -1, -1], np.int64)


@njit(cache=True)
def _crossing_numbers(sk: np.ndarray, dy: np.ndarray, dx: np.ndarray) -> np.ndarray:
    h, w = sk.shape
    cn = np.zeros((h, w), np.int8)
    for y in range(1, h - 1):
        for x in range(1, w - 1):
            if sk[y, x] == 0:
                continue
            t = 0
            for k in range(8):
                a = sk[y + dy[k], x + dx[k]]
                b = sk[y + dy[(k + 1) % 8], x + dx[(k + 1) % 8]]
                if a == 0 and b == 1:
                    t += 1
            cn[y, x] = t
    return cn


@njit(cache=True)
def _trace(sk, idmap, y0, x0, y1, x1, own, maxlen, dy, dx):
    """Follow the ridge from (y0,x0) through (y1,x1).

    Returns (y, x, steps, hit) where hit is the id of another minutia reached
    (or -1 if the trace ran ``maxlen`` steps / died).
    """
    h, w = sk.shape
    py, px = y0, x0
    cy, cx = y1, x1
    steps = 1
    while True:
        i = idmap[cy, cx]
        if i >= 0 and i != own:
            return cy, cx, steps, i
        if steps >= maxlen:
            return cy, cx, steps, -1
        ny, nx = -1, -1
        best = 9
        for k in range(8):
            qy = cy + dy[k]
            qx = cx + dx[k]
            if qy <= 0 or qx <= 0 or qy >= h - 1 or qx >= w - 1:
                continue
            if sk[qy, qx] == 0:
                continue
            if qy == py and qx == px:
                continue
            if abs(qy - py) <= 1 and abs(qx - px) <= 1:
                continue
            if idmap[qy, qx] == own and own >= 0 and steps < 3:
                continue
            pri = 0 if (k % 2 == 0) else 1  # prefer 4-neighbours
            if pri < best:
                best = pri
                ny, nx = qy, qx
        if ny < 0:
            return cy, cx, steps, -1
        py, px = cy, cx
        cy, cx = ny, nx
        steps += 1


def _branch_starts(sk: np.ndarray, y: int, x: int) -> list[tuple[int, int]]:
    """One starting pixel per run of set pixels around (y, x)."""
    ring = [int(sk[y + _DY[k], x + _DX[k]]) for k in range(8)]
    starts: list[tuple[int, int]] = []
    k0 = next((k for k in range(8) if ring[k] == 0), None)
    if k0 is None:
        return starts
    k = (k0 + 1) % 8
    run: list[int] = []
    for _ in range(8):
        if ring[k]:
            run.append(k)
        elif run:
            pick = next((r for r in run if r % 2 == 0), run[0])
            starts.append((y + int(_DY[pick]), x + int(_DX[pick])))
            run = []
        k = (k + 1) % 8
    if run:
        pick = next((r for r in run if r % 2 == 0), run[0])
        starts.append((y + int(_DY[pick]), x + int(_DX[pick])))
    return starts


def detect(skeleton: np.ndarray, theta: np.ndarray, coherence: np.ndarray,
           inner_mask: np.ndarray, p: Parameters) -> list[Minutia]:
    sk = skeleton
    h, w = sk.shape
    cn = _crossing_numbers(sk, _DY, _DX)
    idmap = np.full((h, w), -1, np.int32)
    pts: list[tuple[int, int]] = []      # (y, x) representative pixel
    kinds: list[MinutiaKind] = []
    for y, x in zip(*np.nonzero(cn == 1)):
        idmap[y, x] = len(pts)
        pts.append((int(y), int(x)))
        kinds.append("ending")
    nb, labels = cv2.connectedComponents((cn >= 3).astype(np.uint8), connectivity=8)
    if nb > 1:
        ys, xs = np.nonzero(labels)
        ls = labels[ys, xs]
        order = np.argsort(ls, kind="stable")
        ys, xs, ls = ys[order], xs[order], ls[order]
        bounds = np.flatnonzero(np.diff(ls)) + 1
        for gy, gx in zip(np.split(ys, bounds), np.split(xs, bounds)):
            i = len(pts)
            idmap[gy, gx] = i
            # representative pixel: cluster member closest to the centroid
            cy, cx = gy.mean(), gx.mean()
            j = int(np.argmin((gy - cy) ** 2 + (gx - cx) ** 2))
            pts.append((int(gy[j]), int(gx[j])))
            kinds.append("bifurcation")
    n = len(pts)
    if n == 0:
        return []
    removed = np.zeros(n, bool)
    direction = np.full(n, np.nan)
    maxlen = max(p.trace_length, p.spur_length, p.short_ridge, p.bridge_length)
    for i, ((y, x), kind) in enumerate(zip(pts, kinds)):
        if y <= 0 or x <= 0 or y >= h - 1 or x >= w - 1:
            removed[i] = True
            continue
        starts = _branch_starts(sk, y, x)
        ends: list[tuple[int, int]] = []
        for sy, sx in starts:
            ey, ex, steps, hit = _trace(sk, idmap, y, x, sy, sx, i, maxlen, _DY, _DX)
            if hit >= 0:
                hk = kinds[hit]
                if (kind == "ending" and hk == "ending" and steps <= p.short_ridge) or \
                   (kind != hk and steps <= p.spur_length) or \
                   (kind == "bifurcation" and hk == "bifurcation" and steps <= p.bridge_length):
                    removed[i] = removed[hit] = True
            ends.append((ey - y, ex - x))
        vy: float
        vx: float
        if kind == "ending":
            if len(ends) != 1:
                removed[i] = True
                continue
            vy, vx = -ends[0][0], -ends[0][1]          # points out of the ridge end
        else:
            if len(ends) < 3:
                removed[i] = True
                continue
            vecs = [np.array(e, float) / (math.hypot(*e) + 1e-9) for e in ends[:3]]
            # the two forks are the closest pair of branch directions
            best, pair = -2.0, (0, 1)
            for ja in range(3):
                for jb in range(ja + 1, 3):
                    d = float(vecs[ja] @ vecs[jb])
                    if d > best:
                        best, pair = d, (ja, jb)
            fork = vecs[pair[0]] + vecs[pair[1]]
            vy, vx = -fork[0], -fork[1]                # points along the stem
        a = math.atan2(vy, vx)
        # snap to the smoother orientation field when it agrees
        f = float(theta[y, x])
        cand = f if math.cos(a - f) >= 0 else f + math.pi
        if math.cos(a - cand) > math.cos(math.radians(30)):
            a = cand
        direction[i] = a
    keep = np.flatnonzero(~removed)
    # broken ridges: two endings facing each other across a short gap
    ends_idx = [int(i) for i in keep if kinds[i] == "ending"]
    for ii, i in enumerate(ends_idx):
        for j in ends_idx[ii + 1:]:
            dy_, dx_ = pts[j][0] - pts[i][0], pts[j][1] - pts[i][1]
            d = math.hypot(dy_, dx_)
            if d > p.broken_ridge_dist or d == 0:
                continue
            if math.cos(direction[i] - direction[j]) > -0.5:
                continue
            gap = math.atan2(dy_, dx_)
            if math.cos(direction[i] - gap) > 0.5:
                removed[i] = removed[j] = True
    keep = np.flatnonzero(~removed)
    # clusters of minutiae are noise
    if len(keep) > 1:
        P = np.array([pts[i] for i in keep], float)
        D = np.sqrt(((P[:, None, :] - P[None, :, :]) ** 2).sum(-1))
        np.fill_diagonal(D, np.inf)
        close = (D < p.cluster_dist).any(axis=1)
        removed[keep[close]] = True
    out: list[Minutia] = []
    for m in np.flatnonzero(~removed):
        y, x = pts[m]
        if not inner_mask[y, x]:
            continue
        coh = float(coherence[max(0, y - 4):y + 5, max(0, x - 4):x + 5].mean())
        if coh < p.min_minutia_coherence:
            continue
        iso_angle = (-direction[m]) % (2 * math.pi)
        out.append(Minutia(x=int(x), y=int(y), angle=float(iso_angle), kind=kinds[m],
                           quality=int(round(min(1.0, coh) * 100))))
    if len(out) > p.max_minutiae:
        out.sort(key=lambda m: -m.quality)
        out = out[:p.max_minutiae]
    return out
