"""Synthetic minutiae templates, no image: for galleries too large to render.

A *master* is a set of minutiae scattered over an elliptical fingertip with a
minimum spacing (Poisson-disk, about one minutia per 2,400 px^2 at 500 ppi),
each pointing along the ridge flow of a zero-pole orientation model of the
finger's pattern class (:func:`synth.sample_pattern`), in one of the two ridge
directions.  An *impression* moves the master the way a new capture does:
rotation and translation, a smooth non-linear skin distortion, jitter of
position and direction, partial contact (a shifted, shrunken contact area),
missed minutiae and spurious ones.

These templates skip the image stage, so they measure the search, not the
extractor; benchmarks that use them say so.  Deterministic in the seeds.
"""
from __future__ import annotations

import math

import numpy as np

from .synth import sample_pattern
from .template import FingerprintTemplate, Minutia

__all__ = ["master_minutiae", "impression_template", "tenprint_templates"]

WIDTH, HEIGHT = 416, 480
SPACING = 14.0           # minimum distance between master minutiae (px)
DENSITY = 1 / 2400.0     # minutiae per px^2 of fingertip


def _orientation(pattern: str, x: np.ndarray, y: np.ndarray, cx: float, cy: float,
                 rng: np.random.Generator) -> np.ndarray:
    """Ridge orientation (mod pi) at the points: Sherlock-Monro zero-pole model."""
    cores, deltas = [], []
    px, py = cx + rng.normal(0, 12), cy - rng.uniform(10, 50)
    if pattern in ("left_loop", "right_loop"):
        side = 1.0 if pattern == "left_loop" else -1.0
        cores.append((px, py))
        deltas.append((px + side * rng.uniform(95, 145), py + rng.uniform(65, 120)))
    elif pattern == "whorl":
        d = rng.uniform(12, 38)
        cores += [(px, py - d), (px, py + d)]
        yd = py + rng.uniform(95, 150)
        deltas += [(px - rng.uniform(105, 160), yd), (px + rng.uniform(105, 160), yd)]
    elif pattern == "tented_arch":
        cores.append((px, py))
        deltas.append((px, py + rng.uniform(45, 80)))
    else:  # arch: gentle hump
        u = (x - px) / 90.0
        return np.arctan(0.6 * u * np.exp(-u * u / 2) * np.exp(-((y - py) / 120.0) ** 2))
    ang = np.zeros_like(x, dtype=float)
    for (x0, y0) in cores:
        ang += np.arctan2(y - y0, x - x0)
    for (x0, y0) in deltas:
        ang -= np.arctan2(y - y0, x - x0)
    return 0.5 * ang


def master_minutiae(seed: int, finger: int) -> tuple[np.ndarray, np.ndarray]:
    """(xy (n, 2), angle (n,)) of a master finger; angles in image coordinates."""
    rng = np.random.default_rng([int(seed) & 0xFFFFFFFF, int(finger), 0x51])
    cx, cy = WIDTH / 2 + rng.normal(0, 8), HEIGHT / 2 + rng.normal(0, 8)
    a, b = rng.uniform(140, 180), rng.uniform(185, 225)
    target = int(math.pi * a * b * DENSITY * rng.uniform(0.85, 1.15))
    # Poisson points in the ellipse, thinned so no two are closer than SPACING
    r, t = np.sqrt(rng.random(2 * target)), rng.uniform(0, 2 * math.pi, 2 * target)
    xy = np.stack([cx + a * r * np.cos(t), cy + b * r * np.sin(t)], 1)
    d2 = ((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1)
    close = np.triu(d2 < SPACING ** 2, 1).any(axis=0)   # has an earlier close neighbour
    xy = xy[~close][:target]
    theta = _orientation(sample_pattern(seed, finger), xy[:, 0], xy[:, 1], cx, cy, rng)
    angle = (theta + math.pi * rng.integers(0, 2, len(xy))) % (2 * math.pi)
    return xy, angle


def impression_template(seed: int, finger: int, impression: int, quality: int | None = None) -> FingerprintTemplate:
    """One capture of master ``(seed, finger)`` as a template (ISO angle convention)."""
    xy, angle = master_minutiae(seed, finger)
    rng = np.random.default_rng([int(seed) & 0xFFFFFFFF, int(finger), int(impression), 0x1A])
    q = int(rng.integers(35, 95)) if quality is None else int(quality)
    # skin distortion: a few smooth Gaussian displacement bumps
    disp = np.zeros_like(xy)
    for _ in range(3):
        c = xy[rng.integers(len(xy))] if len(xy) else np.zeros(2)
        w = np.exp(-((xy - c) ** 2).sum(1) / (2 * 90.0 ** 2))[:, None]
        disp += w * rng.normal(0, 3.0, 2)
    xy = xy + disp
    # rigid placement
    rot = float(np.clip(rng.normal(0, math.radians(10)), -math.radians(25), math.radians(25)))
    c, s = math.cos(rot), math.sin(rot)
    centre = np.array([WIDTH / 2, HEIGHT / 2])
    xy = (xy - centre) @ np.array([[c, s], [-s, c]]) + centre + rng.normal(0, 20, 2)
    angle = angle + rot
    # capture noise, scaled by quality
    noise = 1.0 + (100 - q) / 50.0
    xy = xy + rng.normal(0, 1.2 * noise, xy.shape)
    angle = angle + rng.normal(0, math.radians(5) * noise, len(angle))
    # partial contact: an ellipse smaller than the finger, shifted
    ccx, ccy = centre + rng.normal(0, 25, 2)
    ra, rb = rng.uniform(140, 190), rng.uniform(180, 240)
    inside = ((xy[:, 0] - ccx) / ra) ** 2 + ((xy[:, 1] - ccy) / rb) ** 2 <= 1
    inside &= (xy[:, 0] >= 8) & (xy[:, 0] < WIDTH - 8) & (xy[:, 1] >= 8) & (xy[:, 1] < HEIGHT - 8)
    inside &= rng.random(len(xy)) > 0.08 + (100 - q) / 600.0            # missed minutiae
    xy, angle = xy[inside], angle[inside]
    n_false = rng.poisson(2 + (100 - q) / 20.0)                          # spurious minutiae
    if n_false:
        t = rng.uniform(0, 2 * math.pi, n_false)
        r = np.sqrt(rng.random(n_false))
        fx = np.clip(ccx + ra * r * np.cos(t), 8, WIDTH - 9)
        fy = np.clip(ccy + rb * r * np.sin(t), 8, HEIGHT - 9)
        xy = np.vstack([xy, np.stack([fx, fy], 1)])
        angle = np.concatenate([angle, rng.uniform(0, 2 * math.pi, n_false)])
    kinds = rng.random(len(xy)) < 0.4
    mq = np.clip(rng.normal(q, 10, len(xy)), 1, 100).astype(int)
    mins = [Minutia(int(round(x)), int(round(y)), float((-a) % (2 * math.pi)),  # image -> ISO angle
                    "bifurcation" if k else "ending", int(m))
            for (x, y), a, k, m in zip(xy, angle, kinds, mq)]
    return FingerprintTemplate(WIDTH, HEIGHT, mins, quality=q, finger_position=int(finger))


def tenprint_templates(seed: int, impression: int) -> dict[int, FingerprintTemplate]:
    """Ten fingers of subject ``seed``, capture number ``impression``."""
    return {f: impression_template(seed, f, impression) for f in range(1, 11)}
