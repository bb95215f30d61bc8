"""Ridge period estimation (one period per image from the power spectrum)."""
from __future__ import annotations

import numpy as np

from .parameters import Parameters


def ridge_period(norm: np.ndarray, mask: np.ndarray, p: Parameters) -> float:
    """Dominant ridge period (pixels) of the foreground of a normalised image.

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
    # radial profile inside the band
    bins = np.round(r[band] * n).astype(int)
    prof = np.bincount(bins, weights=spec[band])
    cnt = np.bincount(bins)
    prof = prof / np.maximum(cnt, 1)
    # smooth the profile a little
    prof = np.convolve(prof, np.ones(3) / 3, mode="same")
    k = int(np.argmax(prof))
    if k <= 0 or prof[k] <= 0:
        return p.ridge_period
    period = n / k
    return float(np.clip(period, p.period_min, p.period_max))
