"""Ridge period estimation: a smooth local period map and a global period.

The local period comes from the ratio of gradient energy to signal energy of
the normalised image (for a sinusoid of angular frequency w the ratio is w^2),
averaged over a large window and corrected for the bias of the discrete
derivative.  The global period (the median over the foreground) is kept for
callers that want one number.
"""
from __future__ import annotations

import cv2
import numpy as np

from .filters import smooth
from .parameters import Parameters

# raw estimate -> true period, calibrated on pure sinusoids (Sobel 3x3 on a
# sigma-1 blurred image); beyond the table the estimate is nearly unbiased
_RAW = np.array([6.81, 7.42, 8.17, 9.0, 9.87, 10.78, 11.7, 12.64, 14.54, 20.3])
_TRUE = np.array([5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 14.0, 20.0])


def period_map(norm: np.ndarray, mask: np.ndarray, p: Parameters) -> np.ndarray:
    """Per-pixel ridge period (pixels), float32, clipped to the valid range."""
    x = cv2.GaussianBlur(norm, (0, 0), 1.0)
    gx = cv2.Sobel(x, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(x, cv2.CV_32F, 0, 1, ksize=3)
    w = mask.astype(np.float32)
    s = p.frequency_sigma
    e1 = smooth((gx * gx + gy * gy) * w, s) / 64.0
    e0 = smooth(x * x * w, s)
    raw = 2.0 * np.pi * np.sqrt(e0 / np.maximum(e1, 1e-9))
    per = np.interp(raw, _RAW, _TRUE).astype(np.float32)
    return np.clip(per, p.period_min, p.period_max)


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
    prof = np.bincount(bins, weights=spec[band])
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


def autocorr_period_map(norm: np.ndarray, mask: np.ndarray, theta: np.ndarray,
                        p: Parameters) -> np.ndarray:
    """Per-pixel ridge period from the autocorrelation of the image along the
    ridge normal: the first maximum over the lags is the period, whatever the
    ridge profile (harmonics and slow background do not move it)."""
    h, w = norm.shape
    x = cv2.GaussianBlur(norm, (0, 0), 0.8)
    wgt = mask.astype(np.float32)
    nx = (-np.sin(theta)).astype(np.float32)
    ny = np.cos(theta).astype(np.float32)
    gy, gx = np.mgrid[0:h, 0:w].astype(np.float32)
    lags = np.arange(int(np.floor(p.period_min)) - 1, int(np.ceil(p.period_max)) + 2)
    e0 = smooth(x * x * wgt, p.frequency_sigma) + 1e-6
    C = np.empty((len(lags),) + x.shape, np.float32)
    for k, d in enumerate(lags):
        d = np.float32(d)
        a = cv2.remap(x, gx + d * nx, gy + d * ny, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        b = cv2.remap(x, gx - d * nx, gy - d * ny, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        C[k] = smooth(x * (a + b) * wgt, p.frequency_sigma) / (2 * e0)
    # best interior maximum inside the valid range
    valid = (lags >= p.period_min) & (lags <= p.period_max)
    Cv = np.where(valid[:, None, None], C, -np.inf)
    k = np.argmax(Cv, axis=0)
    k = np.clip(k, 1, len(lags) - 2)
    yy, xx = np.indices(x.shape)
    c0, c1, c2 = C[k - 1, yy, xx], C[k, yy, xx], C[k + 1, yy, xx]
    den = c0 - 2 * c1 + c2
    off = np.where(den < -1e-6, 0.5 * (c0 - c2) / np.minimum(den, -1e-6), 0.0)
    per = lags[k] + np.clip(off, -0.5, 0.5)
    return np.clip(per, p.period_min, p.period_max).astype(np.float32)


def local_periods(norm: np.ndarray, mask: np.ndarray, p: Parameters) -> tuple[np.ndarray, float]:
    """(period map, global period): the spectral global period, modulated by the
    relative local variation of the gradient-energy estimate."""
    g = spectral_period(norm, mask, p)
    if mask.sum() < 2000:
        return np.full(norm.shape, g, np.float32), g
    pm = period_map(norm, mask, p)
    rel = pm / float(np.median(pm[mask]))
    rel = np.clip(rel, 1.0 / p.period_variation, p.period_variation)
    return np.clip(g * rel, p.period_min, p.period_max).astype(np.float32), g


def ridge_period(norm: np.ndarray, mask: np.ndarray, p: Parameters, pmap: np.ndarray | None = None) -> float:
    """Dominant ridge period (pixels): median of the local period map."""
    if mask.sum() < 2000:
        return p.ridge_period
    if pmap is None:
        pmap = period_map(norm, mask, p)
    return float(np.clip(np.median(pmap[mask]), p.period_min, p.period_max))
