"""Minutia Cylinder-Code local descriptors (Cappelli, Ferrara, Maltoni, TPAMI 2010).

Each minutia gets an ``Ns x Ns x Nd`` cylinder describing the positions and
relative directions of its neighbours; cells outside the cylinder radius or
far outside the convex hull of the minutiae are marked invalid.
"""
from __future__ import annotations

import functools
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
    return _polygon_distance(np.ascontiguousarray(points, np.float64), np.ascontiguousarray(hull, np.float64))


@njit(cache=True)
def _polygon_distance(points, hull):
    """The largest signed distance to the polygon's edge lines, normals turned outward (away
    from the vertices' centroid): a cylinder's cells are tested against it when packed."""
    h = hull.shape[0]
    cx = 0.0
    cy = 0.0
    for j in range(h):
        cx += hull[j, 0]
        cy += hull[j, 1]
    cx /= h
    cy /= h
    nx = np.empty(h)
    ny = np.empty(h)
    for j in range(h):
        k = (j + 1) % h
        a = hull[k, 1] - hull[j, 1]
        b = -(hull[k, 0] - hull[j, 0])
        norm = math.sqrt(a * a + b * b) + 1e-12
        a /= norm
        b /= norm
        if (cx - hull[j, 0]) * a + (cy - hull[j, 1]) * b > 0:
            a, b = -a, -b
        nx[j] = a
        ny[j] = b
    out = np.empty(points.shape[0])
    for i in range(points.shape[0]):
        best = -np.inf
        for j in range(h):
            d = (points[i, 0] - hull[j, 0]) * nx[j] + (points[i, 1] - hull[j, 1]) * ny[j]
            if d > best:
                best = d
        out[i] = best
    return out


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


@functools.lru_cache(maxsize=8)
def direction_lut(nd: int, sigma_d: float) -> np.ndarray:
    """:func:`_direction_lut`, computed once per setting (read-only)."""
    out = _direction_lut(nd, sigma_d)
    out.flags.writeable = False
    return out


@njit(cache=True)
def _cylinder_values(xy, ang, cells, in_radius, ns, nd, radius, sigma_s, lut, mu, tau):
    n = xy.shape[0]
    nc = cells.shape[0]
    out = np.zeros((n, nc, nd), np.float32)
    neigh = np.zeros(n, np.int32)
    gs_norm = 1.0 / (sigma_s * math.sqrt(2 * math.pi))
    lim = 3 * sigma_s
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
    """(Ns*Ns,) bool: the cells whose centre lies inside the cylinder radius (read-only)."""
    return _in_radius(p.mcc_ns, p.mcc_radius)


def _cell_centres(p: Parameters) -> np.ndarray:
    return _centres(p.mcc_ns, p.mcc_radius)


@functools.lru_cache(maxsize=8)
def _centres(ns: int, radius: float) -> np.ndarray:
    g = (np.arange(ns) - (ns - 1) / 2.0) * (2 * radius / ns)
    cx, cy = np.meshgrid(g, g)
    out = np.stack([cx.ravel(), cy.ravel()], axis=1)
    out.flags.writeable = False   # shared by every call
    return out


@functools.lru_cache(maxsize=8)
def _in_radius(ns: int, radius: float) -> np.ndarray:
    out = (_centres(ns, radius) ** 2).sum(1) <= radius ** 2
    out.flags.writeable = False
    return out


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
                                         direction_lut(nd, p.mcc_sigma_d), p.mcc_mu_psi, p.mcc_tau_psi)
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
