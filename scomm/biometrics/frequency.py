"""Ridge period estimation (one period per image from the power spectrum)."""
from __future__ import annotations

import numpy as np

from .parameters import Parameters


def spectral_period(norm: np.ndarray, mask: np.ndarray, p: Parameters) -> float:
    """Dominant ridge period (pixels) from the radial power spectrum of the foreground.

    Falls back to ``p.ridge_period`` if the spectrum has no clear peak.
    """
    if mask.sum() < 2000:
        return p.ridge_period
    ys, xs = np.nonzero(mask)
    crop = (norm * mask)[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    h, w = crop.shape
    n = 256 if max(h, w) <= 256 else 512
    crop = crop[:n, :n]
    spec = np.abs(np.fft.rfft2(crop, s=(n, n))) ** 2
    fy = np.fft.fftfreq(n)[:, None]
    fx = np.fft.rfftfreq(n)[None, :]
    r = np.sqrt(fx * fx + fy * fy)
    band = (r >= 1.0 / p.period_max) & (r <= 1.0 / p.period_min)
    if not band.any():
        return p.ridge_period
    bins = np.round(r[band] * n).astype(int)
    prof: np.ndarray = np.bincount(bins, weights=spec[band])   # float: weighted
    cnt = np.bincount(bins)
    prof = prof / np.maximum(cnt, 1)
    prof = np.convolve(prof, np.ones(3) / 3, mode="same")
    k = int(np.argmax(prof))
    if k <= 0 or prof[k] <= 0:
        return p.ridge_period
    # sub-bin peak position (parabola through the peak and its neighbours)
    kf = float(k)
    if 0 < k < len(prof) - 1:
        a, b, c = prof[k - 1], prof[k], prof[k + 1]
        den = a - 2 * b + c
        if den < 0:
            kf = k + float(np.clip(0.5 * (a - c) / den, -0.5, 0.5))
    return float(np.clip(p.period_scale * n / kf, p.period_min, p.period_max))


def ridge_period(norm: np.ndarray, mask: np.ndarray, p: Parameters) -> float:
    """Dominant ridge period (pixels); alias of :func:`spectral_period`."""
    return spectral_period(norm, mask, p)
