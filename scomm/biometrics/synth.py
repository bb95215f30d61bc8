"""Synthetic fingerprints, SFinGe style (Cappelli, Maio & Maltoni).

A *master fingerprint* is the noise-free ridge pattern of one synthetic
finger: footprint (mask), orientation field from cores and deltas
(Sherlock-Monro zero-pole model with a fingertip correction and a smooth
random perturbation), a smoothly varying ridge-period map, and ridge lines
grown from a few random seeds by iterated contextual Gabor filtering.  The
growth process creates minutiae (endings and bifurcations) on its own where
growing ridge fronts meet out of phase.

An *impression* is one acquisition of a master: rigid placement, non-linear
skin distortion (Cappelli 2001 style: a rigid close-contact region, growing
smooth distortion outside it), an elliptical contact area that varies with
pressure, pressure / dryness variation, partial contact, skin grain, pores,
creases and scratches, blur and noise, rendered as dark ridges on a light
background at 500 ppi.

Everything is deterministic: every random number comes from a
``numpy.random.Generator`` seeded by hashing the inputs.
"""
from __future__ import annotations

import functools
import hashlib
import math
from dataclasses import dataclass, field

import cv2
import numpy as np
from numba import njit

__all__ = [
    "MasterFingerprint", "master_seed", "impression", "subject_tenprint",
    "sample_pattern", "master_layout", "PATTERNS", "IMAGE_SHAPE", "QUALITIES",
]

PATTERNS = ("arch", "tented_arch", "left_loop", "right_loop", "whorl")
QUALITIES = ("good", "fair", "poor")
IMAGE_SHAPE = (480, 416)            # (height, width) in pixels at 500 ppi
_H, _W = IMAGE_SHAPE

# ---------------------------------------------------------------------------
# randomness
# ---------------------------------------------------------------------------


def _rng(*parts) -> np.random.Generator:
    """A Generator seeded from a stable hash of ``parts`` (any ints / strs)."""
    h = hashlib.sha256(repr(("scomm.synth", *parts)).encode()).digest()
    return np.random.Generator(np.random.PCG64(int.from_bytes(h[:16], "little")))


def master_seed(subject_seed: int, finger: int) -> int:
    """Stable seed of the master fingerprint of ``finger`` (1..10) of a subject."""
    h = hashlib.sha256(f"scomm.synth.master:{int(subject_seed)}:{int(finger)}".encode()).digest()
    return int.from_bytes(h[:8], "little") & ((1 << 63) - 1)


def _check_finger(finger: int) -> int:
    finger = int(finger)
    if not 1 <= finger <= 10:
        raise ValueError(f"finger position must be 1..10, got {finger}")
    return finger


# ---------------------------------------------------------------------------
# pattern class
# ---------------------------------------------------------------------------

# P(arch, tented arch, ulnar loop, radial loop, whorl) per finger of a hand
# (1/6 thumb, 2/7 index, 3/8 middle, 4/9 ring, 5/10 little); averages to about
# 3.4% / 2.4% / 60% / 2.6% / 32%, close to published population statistics.
_CLASS_P = {
    1: (0.02, 0.01, 0.50, 0.02, 0.45),
    2: (0.07, 0.07, 0.36, 0.15, 0.35),
    3: (0.05, 0.02, 0.70, 0.02, 0.21),
    4: (0.02, 0.01, 0.53, 0.01, 0.43),
    5: (0.01, 0.01, 0.82, 0.01, 0.15),
}


def sample_pattern(seed: int, finger: int) -> str:
    """The pattern class of master ``(seed, finger)`` (cheap; no rendering)."""
    finger = _check_finger(finger)
    p = _CLASS_P[(finger - 1) % 5 + 1]
    k = int(_rng("pattern", seed, finger).choice(5, p=np.asarray(p) / sum(p)))
    right_hand = finger <= 5
    # Ulnar loops open towards the little finger: right loops on the right hand.
    ulnar, radial = ("right_loop", "left_loop") if right_hand else ("left_loop", "right_loop")
    return ("arch", "tented_arch", ulnar, radial, "whorl")[k]


# ---------------------------------------------------------------------------
# geometry: footprint, singular points, orientation and period maps
# ---------------------------------------------------------------------------

_YY, _XX = np.mgrid[0:_H, 0:_W].astype(np.float32)


def _smooth_noise(rng: np.random.Generator, grid: int, shape=IMAGE_SHAPE) -> np.ndarray:
    """Smooth random field (unit-ish amplitude) from a coarse grid, bicubic upsampled."""
    g = rng.standard_normal((grid, grid)).astype(np.float32)
    return cv2.resize(g, (shape[1], shape[0]), interpolation=cv2.INTER_CUBIC)


@dataclass(frozen=True)
class _Layout:
    pattern: str
    cx: float
    cy: float
    a: float                      # half width of the footprint
    b_top: float                  # top "radius" of the footprint
    b_bot: float                  # bottom extent of the footprint
    cores: tuple
    deltas: tuple


def _make_layout(seed: int, finger: int) -> _Layout:
    pattern = sample_pattern(seed, finger)
    rng = _rng("layout", seed, finger)
    thumb = finger in (1, 6)
    w = rng.uniform(330, 385) if thumb else rng.uniform(300, 370)
    h = rng.uniform(400, 460)
    a = w / 2
    b_top = rng.uniform(0.95, 1.15) * a
    b_bot = h - b_top
    cx = _W / 2 + rng.normal(0, 6)
    top = (_H - h) / 2 + rng.normal(0, 6)
    cy = top + b_top                                    # widest line of the footprint
    # singular points, relative to a "pattern centre" a bit above the middle
    px = cx + rng.normal(0, 14)
    py = top + rng.uniform(0.36, 0.48) * h
    cores: list[tuple[float, float]] = []
    deltas: list[tuple[float, float]] = []
    if pattern in ("left_loop", "right_loop"):
        side = 1.0 if pattern == "left_loop" else -1.0      # delta opposite the opening
        cores.append((px - side * rng.uniform(0, 25), py - rng.uniform(0, 25)))
        deltas.append((px + side * rng.uniform(95, 145), py + rng.uniform(65, 120)))
    elif pattern == "whorl":
        d = rng.uniform(12, 38)
        ang = rng.normal(0, 0.5)
        cores.append((px + d * math.sin(ang), py - d * math.cos(ang)))
        cores.append((px - d * math.sin(ang), py + d * math.cos(ang)))
        cy0 = py + rng.uniform(95, 150)
        deltas.append((px - rng.uniform(105, 160), cy0 + rng.normal(0, 15)))
        deltas.append((px + rng.uniform(105, 160), cy0 + rng.normal(0, 15)))
    elif pattern == "tented_arch":
        cores.append((px, py))
        deltas.append((px + rng.normal(0, 6), py + rng.uniform(45, 80)))
    return _Layout(pattern, cx, cy, a, b_top, b_bot, tuple(cores), tuple(deltas))


def _footprint(lay: _Layout, rng: np.random.Generator) -> np.ndarray:
    """Finger shape: elliptical tip, slightly squarer sides towards the first crease."""
    x = (_XX - lay.cx) / lay.a
    y = (_YY - lay.cy)
    wob = 1.0 + 0.025 * _smooth_noise(rng, 5)
    top = x * x + (y / lay.b_top) ** 2
    bot = np.abs(x) ** 2.6 + np.abs(y / lay.b_bot) ** 5
    r = np.where(y < 0, top, bot) * wob
    return r <= 1.0


_OS = 4                                         # orientation model grid step (px)
_OY, _OX = (np.mgrid[0:_H // _OS, 0:_W // _OS].astype(np.float64) * _OS + (_OS - 1) / 2)


def _orientation(lay: _Layout, rng: np.random.Generator) -> np.ndarray:
    """Ridge orientation (radians, image coordinates, mod pi) at every pixel.

    The model is evaluated on a 4 px grid and interpolated in the doubled-angle
    domain (the field is smooth away from the singular points)."""
    X, Y = _OX, _OY
    if lay.pattern == "arch":
        # ridges y = y0 - A(y0) * exp(-u^2/2): flat at the bottom, humped in the middle
        s = lay.a * rng.uniform(0.45, 0.65)
        ym = lay.cy + rng.uniform(-20, 40)
        amp = rng.uniform(0.35, 0.75)
        u = (X - lay.cx - rng.normal(0, 10)) / s
        A = amp * np.exp(-((Y - ym) / (0.55 * lay.a)) ** 2)
        theta = np.arctan(A * u * np.exp(-u * u / 2))
    else:
        # Sherlock & Monro zero-pole model
        ang = np.zeros(X.shape)
        for (x0, y0) in lay.cores:
            ang += np.arctan2(Y - y0, X - x0)
        for (x0, y0) in lay.deltas:
            ang -= np.arctan2(Y - y0, X - x0)
        theta = 0.5 * ang
    # fingertip correction: above the pattern, ridges follow the finger outline
    gx = (X - lay.cx) / lay.a ** 2
    gy = (Y - lay.cy) / lay.b_top ** 2
    tip = np.arctan2(-gx, gy)                       # tangent of the ellipse level sets
    rho = np.sqrt(((X - lay.cx) / lay.a) ** 2 + ((Y - lay.cy) / lay.b_top) ** 2)
    top_y = min([c[1] for c in lay.cores], default=lay.cy - 0.1 * lay.b_top)
    wy = np.clip((top_y - 20 - Y) / 140.0, 0, 1)
    w = np.clip((rho - 0.35) / 0.6, 0, 1) * wy
    w = w * w * (3 - 2 * w)
    shape = X.shape
    # rotate towards the tip direction (interpolating angles, not vectors, so
    # that no spurious singular point appears where the two differ by ~90 deg)
    diff = np.mod(tip - theta + np.pi / 2, np.pi) - np.pi / 2
    theta = theta + w * diff
    theta = theta + 0.10 * _smooth_noise(rng, 5, shape) + 0.05 * _smooth_noise(rng, 9, shape)
    c, s = np.cos(2 * theta), np.sin(2 * theta)
    c = cv2.resize(c.astype(np.float32), (_W, _H), interpolation=cv2.INTER_LINEAR)
    s = cv2.resize(s.astype(np.float32), (_W, _H), interpolation=cv2.INTER_LINEAR)
    return (0.5 * np.arctan2(s, c)).astype(np.float32)


def _period(lay: _Layout, rng: np.random.Generator) -> np.ndarray:
    """Ridge period map in pixels (about 8-11 at 500 ppi)."""
    t0 = rng.uniform(8.6, 10.0)
    rho = np.sqrt(((_XX - lay.cx) / lay.a) ** 2 + ((_YY - lay.cy) / (lay.b_top + lay.b_bot) * 2) ** 2)
    p = t0 + 0.55 * _smooth_noise(rng, 4) - 0.9 * np.clip(rho - 0.4, 0, 1)
    return np.clip(p, 7.0, 12.0).astype(np.float32)


# ---------------------------------------------------------------------------
# ridge growth: iterated contextual Gabor filtering
# ---------------------------------------------------------------------------

_N_ORIENT = 24
_PERIODS = np.arange(7.0, 12.01, 0.5, dtype=np.float32)   # period bins at full resolution


@functools.lru_cache(maxsize=4)
def _gabor_bank(scale: int) -> np.ndarray:
    """Even Gabor kernels ``[orient * n_period + period_idx, K, K]`` for a
    grid downsampled by ``scale``; zero DC, unit response to a matched unit
    sinusoid.  K = 15 at full resolution, 9 at half resolution."""
    r = {1: 7, 2: 4}[scale]
    yy, xx = np.mgrid[-r:r + 1, -r:r + 1].astype(np.float64)
    bank = np.zeros((_N_ORIENT * len(_PERIODS), 2 * r + 1, 2 * r + 1), np.float32)
    for o in range(_N_ORIENT):
        th = math.pi * o / _N_ORIENT
        n = -xx * math.sin(th) + yy * math.cos(th)      # across the ridge
        t = xx * math.cos(th) + yy * math.sin(th)       # along the ridge
        for i, T in enumerate(_PERIODS / scale):
            env = np.exp(-0.5 * ((n / (0.42 * T)) ** 2 + (t / (0.55 * T)) ** 2))
            env *= np.clip((r + 0.5) ** 2 - (xx ** 2 + yy ** 2), 0, 1)  # round support
            c = np.cos(2 * math.pi * n / T)
            g = env * c
            g -= env * (g.sum() / env.sum())            # remove DC
            g /= (g * c).sum()                          # unit gain at matched frequency
            bank[o * len(_PERIODS) + i] = g
    return bank


@njit(cache=True, fastmath=True, nogil=True)
def _grow(img, kidx, bank, n_iter, gain, eps, stats, changed):  # pragma: no cover - compiled
    """Iterate ``img <- tanh(gain * gabor_k(x) * img)`` on a zero-padded image.

    Only pixels whose (2R+1)^2 neighbourhood changed by more than ``eps`` in
    the previous iteration are recomputed (elsewhere the image is at a fixed
    point already), so early iterations only cost the growing fronts around
    the seeds.      """
    H, W = kidx.shape
    K = bank.shape[1]
    R = K // 2
    HP, WP = H + 2 * R, W + 2 * R
    out = img.copy()
    rows = np.zeros((HP, W), np.int32)
    active = np.zeros((H, W), np.int32)
    for it in range(n_iter):
        # active = any change within the window: separable box sums
        for y in range(HP):
            c = 0
            for x in range(2 * R):
                c += changed[y, x]
            for x in range(W):
                c += changed[y, x + 2 * R]
                rows[y, x] = c
                c -= changed[y, x]
        for x in range(W):
            active[0, x] = 0
            for y in range(2 * R + 1):
                active[0, x] += rows[y, x]
        for y in range(1, H):
            for x in range(W):
                active[y, x] = active[y - 1, x] + rows[y + 2 * R, x] - rows[y - 1, x]
        changed[:, :] = 0
        n = 0
        for yy in range(H):
            for x in range(W):
                if active[yy, x] == 0:
                    continue
                k = kidx[yy, x]
                if k < 0:
                    continue
                n += 1
                b = bank[k]
                acc = np.float32(0.0)
                for dy in range(K):
                    irow = img[yy + dy, x:x + K]
                    brow = b[dy]
                    s = np.float32(0.0)
                    for dx in range(K):
                        s += brow[dx] * irow[dx]
                    acc += s
                v = math.tanh(gain * acc)
                if abs(v - img[yy + R, x + R]) > eps:
                    changed[yy + R, x + R] = 1
                out[yy + R, x + R] = v
        stats[it] = n
        for y in range(HP):
            for x in range(WP):
                img[y, x] = out[y, x]
    return img


def _kernel_index(theta, period, region, scale):
    ob = np.round(np.mod(theta, math.pi) / math.pi * _N_ORIENT).astype(np.int32) % _N_ORIENT
    pb = np.clip(np.round((period - _PERIODS[0]) / 0.5), 0, len(_PERIODS) - 1).astype(np.int32)
    return np.where(region, ob * len(_PERIODS) + pb, -1).astype(np.int32)


def _grow_ridges(theta, period, region, rng, coarse_iter=12, fine_iter=1):
    """Grow ridges from sparse seeds: first on a half-resolution grid (cheap),
    then a few iterations at full resolution to settle the ridge profile."""
    H2, W2 = _H // 2, _W // 2
    # coarse orientation: average in the doubled-angle domain
    c2 = cv2.resize(np.cos(2 * theta), (W2, H2), interpolation=cv2.INTER_AREA)
    s2 = cv2.resize(np.sin(2 * theta), (W2, H2), interpolation=cv2.INTER_AREA)
    theta2 = 0.5 * np.arctan2(s2, c2)
    period2 = cv2.resize(period, (W2, H2), interpolation=cv2.INTER_AREA)
    region2 = cv2.resize(region.astype(np.uint8), (W2, H2), interpolation=cv2.INTER_NEAREST).astype(bool)
    bank2 = _gabor_bank(2)
    r2 = bank2.shape[1] // 2
    img = np.zeros((H2 + 2 * r2, W2 + 2 * r2), np.float32)
    # seeds on a jittered grid (full coverage), a random subset dropped
    sp = rng.uniform(26, 33)
    for gy in np.arange(sp / 2, H2, sp):
        for gx in np.arange(sp / 2, W2, sp):
            y = int(np.clip(gy + rng.uniform(-0.4, 0.4) * sp, 0, H2 - 1))
            x = int(np.clip(gx + rng.uniform(-0.4, 0.4) * sp, 0, W2 - 1))
            if region2[y, x] and rng.random() < 0.9:
                img[y + r2, x + r2] = 1.0 if rng.random() < 0.5 else -1.0
    stats = np.zeros(coarse_iter + 6 * 3 + fine_iter, np.int64)
    kidx2 = _kernel_index(theta2, period2, region2, 2)
    img = _grow(img, kidx2, bank2, coarse_iter, np.float32(8.0), np.float32(0.0), stats,
                (img != 0).astype(np.int32))
    # holes the fronts did not reach (or where they cancelled): new seeds there
    for rnd in range(3):
        weak = (np.abs(img[r2:-r2, r2:-r2]) < 0.5) & region2
        weak = cv2.erode(weak.view(np.uint8), np.ones((5, 5), np.uint8))
        ys, xs = np.nonzero(weak)
        if len(ys) == 0:
            break
        pick = rng.choice(len(ys), size=max(1, len(ys) // 150), replace=False)
        new = np.zeros(img.shape, np.int32)
        for j in pick:
            img[ys[j] + r2, xs[j] + r2] = 1.0 if rng.random() < 0.5 else -1.0
            new[ys[j] + r2, xs[j] + r2] = 1
        img = _grow(img, kidx2, bank2, 6, np.float32(8.0), np.float32(0.0),
                    stats[coarse_iter + 6 * rnd:], new)
    fine = cv2.resize(img[r2:-r2, r2:-r2], (_W, _H), interpolation=cv2.INTER_LINEAR)
    bank = _gabor_bank(1)
    r = bank.shape[1] // 2
    fine = cv2.copyMakeBorder(fine, r, r, r, r, cv2.BORDER_CONSTANT, value=0)
    fine = _grow(fine, _kernel_index(theta, period, region, 1), bank, fine_iter,
                 np.float32(3.0), np.float32(0.0), stats[-fine_iter:], np.ones(fine.shape, np.int32))
    return fine[r:-r, r:-r]


# ---------------------------------------------------------------------------
# master fingerprint
# ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class MasterFingerprint:
    """The noise-free ridge pattern of one synthetic finger.

    ``ridges`` is float32 in [-1, 1] at 500 ppi, +1 on ridges (dark in an
    impression) and -1 in valleys; ``mask`` is the finger footprint.  Both are
    read-only arrays of shape :data:`IMAGE_SHAPE`.
    """

    seed: int
    finger: int
    pattern: str
    ridges: np.ndarray
    mask: np.ndarray
    cores: tuple = ()              # ((x, y), ...) singular points, image pixels
    deltas: tuple = ()
    orientation: np.ndarray | None = field(default=None, repr=False)
    period: np.ndarray | None = field(default=None, repr=False)

    @classmethod
    def generate(cls, seed: int, finger: int) -> MasterFingerprint:
        seed, finger = int(seed), _check_finger(finger)
        lay = _make_layout(seed, finger)
        rng = _rng("master", seed, finger)
        mask = _footprint(lay, rng)
        theta = _orientation(lay, rng)
        period = _period(lay, rng)
        region = cv2.dilate(mask.astype(np.uint8), np.ones((31, 31), np.uint8)).astype(bool)
        ridges = _grow_ridges(theta, period, region, rng)
        ridges = np.where(region, ridges, 0).astype(np.float32)
        for a in (ridges, mask, theta, period):
            a.setflags(write=False)
        return cls(seed, finger, lay.pattern, ridges, mask, lay.cores, lay.deltas, theta, period)

    def __repr__(self) -> str:
        return f"MasterFingerprint(seed={self.seed}, finger={self.finger}, pattern={self.pattern!r})"


def master_layout(seed: int, finger: int) -> dict:
    """Cheap description of a master (pattern, singular points, coarse
    orientation field sampled every 8 px) without growing any ridges."""
    finger = _check_finger(finger)
    lay = _make_layout(int(seed), finger)
    rng = _rng("master", int(seed), finger)
    mask = _footprint(lay, rng)
    theta = _orientation(lay, rng)
    return {"pattern": lay.pattern, "cores": lay.cores, "deltas": lay.deltas,
            "orientation": theta[4::8, 4::8].copy(), "mask": mask[4::8, 4::8].copy()}


@functools.lru_cache(maxsize=32)
def _cached_master(seed: int, finger: int) -> MasterFingerprint:
    return MasterFingerprint.generate(seed, finger)


# ---------------------------------------------------------------------------
# impressions
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class _Impression:
    """How much one quality of impression varies."""
    rot: float                  # rotation sd (deg)
    shift: float                # translation sd (px)
    dist: float                 # distortion (px)
    cut: float                  # partial-contact strength
    fall: float                 # pressure fall-off towards the edges
    press: float                # pressure noise
    noise: float                # grey-level noise sd
    blur: float                 # sigma (px)
    dry: float                  # dryness (thin, broken ridges)
    crease: float               # mean number of creases / 2
    grain: float                # skin texture (ridges as chains of blobs)
    area: tuple[float, float]   # range of the contact ellipse relative to the footprint
                                # (plain impressions touch part of the pad)


_Q: dict[str, _Impression] = {
    "good": _Impression(rot=7.0, shift=10.0, dist=3.0, cut=0.00, fall=0.15, press=0.12, noise=4.0, blur=0.7, dry=0.12, crease=0.1, grain=0.25,
                        area=(0.85, 1.00)),
    "fair": _Impression(rot=10.0, shift=16.0, dist=7.5, cut=0.12, fall=0.25, press=0.25, noise=8.0, blur=0.9, dry=0.30, crease=0.4, grain=0.50,
                        area=(0.72, 0.95)),
    "poor": _Impression(rot=14.0, shift=24.0, dist=9.0, cut=0.22, fall=0.35, press=0.40, noise=12.0, blur=1.1, dry=0.36, crease=1.0, grain=0.55,
                        area=(0.72, 0.92)),
}


_GS = 8                                         # grid step of the smooth impression fields
_GY, _GX = (np.mgrid[0:_H // _GS, 0:_W // _GS].astype(np.float32) * _GS + (_GS - 1) / 2)


def _up(a: np.ndarray) -> np.ndarray:
    """Upsample a smooth field from the impression grid to full resolution."""
    return cv2.resize(a.astype(np.float32), (_W, _H), interpolation=cv2.INTER_LINEAR)


def impression(master: MasterFingerprint, seed: int, *, quality: str = "good") -> np.ndarray:
    """One acquisition of ``master``: uint8 HxW (:data:`IMAGE_SHAPE`), 500 ppi,
    dark ridges (about 20-80) and light valleys (about 190-240) on a white
    background.  Deterministic in ``(master.seed, master.finger, seed, quality)``.

    ``quality`` ("good", "fair", "poor") scales placement variation, skin
    distortion, pressure variation / partial contact, dryness, creases, blur
    and noise.
    """
    if quality not in _Q:
        raise ValueError(f"quality must be one of {QUALITIES}, got {quality!r}")
    q = _Q[quality]
    rng = _rng("impression", master.seed, master.finger, int(seed), quality)
    H, W = IMAGE_SHAPE
    gshape = _GX.shape

    # --- geometry: rigid placement + plastic distortion (Cappelli 2001) ------
    # For every output pixel p: master position R^-1 (p - centre - t) + m + d(p)
    # where d is zero in the close-contact region around (ccx, ccy) and grows
    # smoothly outside it.  All smooth fields live on an 8 px grid.
    ang = math.radians(float(np.clip(rng.normal(0, q.rot), -20, 20)))
    tx, ty = rng.normal(0, q.shift, 2)
    mo = cv2.moments(master.mask.view(np.uint8), binaryImage=True)
    mcx, mcy = mo["m10"] / mo["m00"], mo["m01"] / mo["m00"]
    ccx, ccy = mcx + rng.normal(0, 25), mcy + rng.normal(-20, 25)
    ca, sa = math.cos(ang), math.sin(ang)
    dx = _GX - (_W / 2 + tx)
    dy = _GY - (_H / 2 + ty)
    sx = ca * dx + sa * dy + mcx
    sy = -sa * dx + ca * dy + mcy
    r = np.hypot(sx - ccx, sy - ccy)
    rigid_r = rng.uniform(50, 90)
    wd = np.clip((r - rigid_r) / 150.0, 0, 1.4)
    wd = wd * wd * (3 - 2 * np.minimum(wd, 1))       # smooth onset of the distortion
    dist = q.dist * rng.uniform(0.6, 1.4)
    dfx = _smooth_noise(rng, 4, gshape) * dist + _smooth_noise(rng, 7, gshape) * 0.4 * dist
    dfy = _smooth_noise(rng, 4, gshape) * dist + _smooth_noise(rng, 7, gshape) * 0.4 * dist
    drag = rng.normal(0, 1.2 * dist, 2)              # the outer skin dragged sideways
    gmx = sx + wd * (dfx + drag[0])
    gmy = sy + wd * (dfy + drag[1])
    mapx, mapy = _up(gmx), _up(gmy)
    ridge = cv2.remap(np.asarray(master.ridges), mapx, mapy, cv2.INTER_LINEAR,
                      borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    fmask = cv2.remap(master.mask.view(np.uint8), mapx, mapy, cv2.INTER_LINEAR,
                      borderMode=cv2.BORDER_CONSTANT, borderValue=0)

    # --- contact: pressure field, partial contact -----------------------------
    # a plain impression touches an elliptical part of the finger pad, larger
    # the harder the finger is pressed: semi-axes ``k`` times those of the
    # footprint's equivalent ellipse; pressure falls steeply near its edge
    k = rng.uniform(*q.area)
    cw = k * 2.0 * math.sqrt(mo["mu20"] / mo["m00"])
    ch = k * 2.0 * math.sqrt(mo["mu02"] / mo["m00"])
    rn2 = ((gmx - ccx) / cw) ** 2 + ((gmy - ccy) / ch) ** 2
    press = (1.0 - q.fall * rn2 - 2.5 * np.clip(rn2 - 0.7, 0, None)
             + q.press * _smooth_noise(rng, 5, gshape))
    if q.cut > 0:
        # a lifted side or tip: a tilted plane takes part of the footprint away
        phi = rng.uniform(0, 2 * math.pi)
        plane = (math.cos(phi) * (gmx - ccx) + math.sin(phi) * (gmy - ccy)) / 200.0
        press = press - rng.uniform(0.3, 1.0) * q.cut * 4 * np.clip(plane, 0, None)
    press = _up(press)
    contact: np.ndarray = fmask.astype(np.float32) * np.clip((press - 0.25) / 0.15, 0, 1)
    contact = cv2.GaussianBlur(contact, (0, 0), 2.0)

    # --- ridge appearance: thickness (wet/dry), breaks, pores -----------------
    wet = rng.normal(0, 0.12)                                     # >0 thicker ridges
    dry = q.dry * rng.uniform(0.5, 1.5)
    hs = (H // 2, W // 2)
    speck: np.ndarray = cv2.GaussianBlur(rng.standard_normal(hs, dtype=np.float32), (0, 0), 0.8)
    speck = cv2.resize(speck, (W, H), interpolation=cv2.INTER_LINEAR)
    # skin texture: ridges are not smooth tubes but chains of pores and
    # irregular blobs (SFinGe's "noising": random erosion / dilation), so
    # ridges break up and merge differently in every impression
    grain = cv2.GaussianBlur(rng.standard_normal(hs, dtype=np.float32), (0, 0), 1.0)
    grain = cv2.resize(grain, (W, H), interpolation=cv2.INTER_LINEAR)
    v = (ridge + 0.3 * (press - 1.0) + wet - 0.8 * dry + 4.0 * dry * speck
         + q.grain * rng.uniform(0.7, 1.3) * 3.5 * grain)
    ink = 1.0 / (1.0 + np.exp(-4.0 * v))
    # pores: small light dots on the ridges
    n_pores = int(rng.integers(250, 600))
    py_ = rng.integers(0, H, n_pores)
    px_ = rng.integers(0, W, n_pores)
    pores = np.zeros((H, W), np.float32)
    keep = ridge[py_, px_] > 0.7
    pores[py_[keep], px_[keep]] = 1.0
    pores = cv2.GaussianBlur(pores, (0, 0), 0.9) * 6.0
    ink *= 1.0 - np.clip(pores, 0, 0.75)
    # creases (light lines) and scratches
    n_cr = int(rng.poisson(q.crease * 2.0))
    if n_cr:
        cr = np.zeros((H, W), np.uint8)
        for _ in range(n_cr):
            x0, y0 = rng.uniform(0, W), rng.uniform(H * 0.15, H * 0.95)
            th = rng.normal(0, 0.6) + (0 if rng.random() < 0.7 else math.pi / 2)
            ln = rng.uniform(40, 220)
            x1, y1 = x0 + ln * math.cos(th), y0 + ln * math.sin(th)
            cv2.line(cr, (int(x0), int(y0)), (int(x1), int(y1)), 255,
                     int(rng.integers(1, 4)), cv2.LINE_AA)
        crf = cv2.GaussianBlur(cr, (0, 0), 0.8).astype(np.float32) * (1.3 / 255.0)
        ink *= 1.0 - np.clip(crf, 0, 1)

    # --- rendering ------------------------------------------------------------
    ridge_lvl = rng.uniform(15, 60)
    valley_lvl = rng.uniform(195, 235)
    # ink is darker where pressure is high; valleys carry a faint texture
    dark = (valley_lvl - ridge_lvl) * np.clip(0.8 + 0.25 * press, 0.6, 1.05)
    img = valley_lvl - dark * (ink * contact) - 6.0 * speck * contact
    # the background outside the finger fades to white
    bg = cv2.GaussianBlur(np.minimum(contact * 3.0, 1.0), (0, 0), 4.0)
    img = bg * img + (1.0 - bg) * 255.0
    img = cv2.GaussianBlur(img, (0, 0), q.blur * rng.uniform(0.8, 1.2))
    img += rng.standard_normal((H, W), dtype=np.float32) * (q.noise * (0.3 + 0.7 * bg))
    return np.clip(img + 0.5, 0, 255).astype(np.uint8)


def subject_tenprint(subject_seed: int, impression_seed: int, quality: str = "good") -> dict[int, np.ndarray]:
    """Impressions of all ten fingers (FGP 1..10) of a synthetic subject."""
    return {f: impression(_cached_master(master_seed(subject_seed, f), f), impression_seed, quality=quality)
            for f in range(1, 11)}
