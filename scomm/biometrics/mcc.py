"""Minutia Cylinder-Code local descriptors (Cappelli, Ferrara, Maltoni, TPAMI 2010).

Each minutia gets an ``Ns x Ns x Nd`` cylinder describing the positions and
relative directions of its neighbours; cells outside the cylinder radius or
far outside the convex hull of the minutiae are marked invalid.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
from numba import njit

from .parameters import Parameters
from .template import FingerprintTemplate


@dataclass
class Cylinders:
    """Cylinder codes of one template (internal, image-coordinate angles)."""
    xy: np.ndarray          # (n, 2) float64
    angle: np.ndarray       # (n,) float64, image coordinates (y down)
    values: np.ndarray      # (n, Ns*Ns, Nd) float32
    cell_valid: np.ndarray  # (n, Ns*Ns) bool
    valid: np.ndarray       # (n,) bool cylinder usable
    hull: np.ndarray        # (h, 2) float64 convex hull vertices (ccw in image coords)


def _hull(xy: np.ndarray) -> np.ndarray:
    if len(xy) < 3:
        return xy.copy()
    h = cv2.convexHull(xy.astype(np.float32)).reshape(-1, 2).astype(np.float64)
    return h


def hull_distance(points: np.ndarray, hull: np.ndarray) -> np.ndarray:
    """Approximate distance outside a convex polygon (<= 0 inside)."""
    if len(hull) < 3:
        if len(hull) == 0:
            return np.full(len(points), np.inf)
        d = np.sqrt(((points[:, None, :] - hull[None, :, :]) ** 2).sum(-1))
        return d.min(axis=1)
    a = hull
    b = np.roll(hull, -1, axis=0)
    e = b - a
    n = np.stack([e[:, 1], -e[:, 0]], axis=1)
    n /= np.linalg.norm(n, axis=1, keepdims=True) + 1e-12
    # orient normals outward
    centroid = hull.mean(axis=0)
    s = ((centroid - a) * n).sum(1)
    n[s > 0] *= -1
    d = ((points[:, None, :] - a[None]) * n[None]).sum(-1)
    return d.max(axis=1)


_LUT_BINS = 256


@njit(cache=True)
def _direction_lut(nd, sigma_d):
    """gd[b, k]: direction contribution of a neighbour with relative direction bin b to slice k."""
    dd = 2 * math.pi / nd
    sq2 = sigma_d * math.sqrt(2.0)
    lut = np.zeros((_LUT_BINS, nd))
    for b in range(_LUT_BINS):
        dth = -math.pi + (b + 0.5) * 2 * math.pi / _LUT_BINS
        for k in range(nd):
            phi = -math.pi + (k + 0.5) * dd
            a = phi - dth
            a = (a + math.pi) % (2 * math.pi) - math.pi
            lut[b, k] = 0.5 * (math.erf((a + dd / 2) / sq2) - math.erf((a - dd / 2) / sq2))
    return lut


@njit(cache=True)
def _cylinder_values(xy, ang, cells, in_radius, ns, nd, radius, sigma_s, sigma_d, mu, tau):
    n = xy.shape[0]
    nc = cells.shape[0]
    out = np.zeros((n, nc, nd), np.float32)
    neigh = np.zeros(n, np.int32)
    gs_norm = 1.0 / (sigma_s * math.sqrt(2 * math.pi))
    lim = 3 * sigma_s
    lut = _direction_lut(nd, sigma_d)
    dbin = np.zeros(n, np.int64)
    near = np.zeros(n, np.int64)
    acc = np.zeros(nd)
    for i in range(n):
        c = math.cos(ang[i])
        s = math.sin(ang[i])
        cnt = 0
        for t in range(n):
            if t != i:
                dx = xy[t, 0] - xy[i, 0]
                dy = xy[t, 1] - xy[i, 1]
                if dx * dx + dy * dy <= (radius + lim) ** 2:
                    near[cnt] = t
                    dth = ang[i] - ang[t]
                    dth = (dth + math.pi) % (2 * math.pi)
                    dbin[cnt] = min(_LUT_BINS - 1, int(dth / (2 * math.pi) * _LUT_BINS))
                    cnt += 1
        neigh[i] = cnt
        for q in range(nc):
            if not in_radius[q]:
                continue
            px = xy[i, 0] + c * cells[q, 0] - s * cells[q, 1]
            py = xy[i, 1] + s * cells[q, 0] + c * cells[q, 1]
            acc[:] = 0.0
            for u in range(cnt):
                t = near[u]
                dx = xy[t, 0] - px
                dy = xy[t, 1] - py
                d2 = dx * dx + dy * dy
                if d2 > lim * lim:
                    continue
                gs = gs_norm * math.exp(-d2 / (2 * sigma_s * sigma_s))
                for k in range(nd):
                    acc[k] += gs * lut[dbin[u], k]
            for k in range(nd):
                out[i, q, k] = 1.0 / (1.0 + math.exp(-tau * (acc[k] - mu)))
    return out, neigh


def in_radius_cells(p: Parameters) -> np.ndarray:
    """(Ns*Ns,) bool: the cells whose centre lies inside the cylinder radius."""
    return (_cell_centres(p) ** 2).sum(1) <= p.mcc_radius ** 2


def _cell_centres(p: Parameters) -> np.ndarray:
    g = (np.arange(p.mcc_ns) - (p.mcc_ns - 1) / 2.0) * (2 * p.mcc_radius / p.mcc_ns)
    cx, cy = np.meshgrid(g, g)
    return np.stack([cx.ravel(), cy.ravel()], axis=1)


def cylinders(template: FingerprintTemplate, p: Parameters) -> Cylinders:
    """Cylinder codes for a template (cached on the template)."""
    key = ("mcc", p.mcc_radius, p.mcc_ns, p.mcc_nd)
    cached = template._cache.get(key)
    if isinstance(cached, Cylinders):
        return cached
    m = template.minutiae
    xy = np.array([(mi.x, mi.y) for mi in m], np.float64).reshape(-1, 2)
    ang = np.array([(-mi.angle) % (2 * math.pi) for mi in m], np.float64)  # to image coords
    ns, nd = p.mcc_ns, p.mcc_nd
    cells = _cell_centres(p)
    in_radius = in_radius_cells(p)
    hull = _hull(xy)
    if len(m):
        values, neigh = _cylinder_values(xy, ang, cells, in_radius, ns, nd, p.mcc_radius, p.mcc_sigma_s,
                                         p.mcc_sigma_d, p.mcc_mu_psi, p.mcc_tau_psi)
        c, s = np.cos(ang)[:, None], np.sin(ang)[:, None]
        px = xy[:, 0:1] + c * cells[None, :, 0] - s * cells[None, :, 1]
        py = xy[:, 1:2] + s * cells[None, :, 0] + c * cells[None, :, 1]
        hd = hull_distance(np.stack([px.ravel(), py.ravel()], 1), hull).reshape(px.shape)
        cell_valid = (hd <= p.mcc_omega) & in_radius[None, :]
        valid = (neigh >= p.mcc_min_neighbours) & (cell_valid.sum(1) >= 0.75 * in_radius.sum())
    else:
        values = np.zeros((0, ns * ns, nd), np.float32)
        cell_valid = np.zeros((0, ns * ns), bool)
        valid = np.zeros(0, bool)
    cyl = Cylinders(xy=xy, angle=ang, values=values, cell_valid=cell_valid, valid=valid, hull=hull)
    template._cache[key] = cyl
    return cyl
