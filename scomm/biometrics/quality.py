"""Finger quality 0..100 in the spirit of NFIQ 2 (area, ridge clarity, minutiae)."""
from __future__ import annotations

import numpy as np

from .filters import smooth
from .parameters import Parameters


def clarity_map(norm: np.ndarray, enhanced: np.ndarray, mask: np.ndarray, p: Parameters) -> np.ndarray:
    """0..1 local ridge clarity: share of the local energy of the normalised
    image that the oriented Gabor filter explains, relative to the clear part
    of the same print (its 90th percentile)."""
    e = smooth(enhanced * enhanced, p.clarity_sigma)
    n = smooth(norm * norm, p.clarity_sigma) + 1e-6
    r = e / n
    ref = float(np.percentile(r[mask], 90)) if mask.any() else float(r.max())
    return np.clip(r / max(ref, 1e-9), 0.0, 1.0).astype(np.float32)


def minutiae_reliability(mins, coherence: np.ndarray, clarity: np.ndarray, p: Parameters) -> None:
    """Set each minutia's quality (0..100) from local coherence and clarity."""
    h, w = coherence.shape
    r = 4
    for m in mins:
        y0, y1 = max(0, m.y - r), min(h, m.y + r + 1)
        x0, x1 = max(0, m.x - r), min(w, m.x + r + 1)
        coh = float(coherence[y0:y1, x0:x1].mean())
        cla = float(clarity[y0:y1, x0:x1].mean())
        q = np.sqrt(np.clip((coh - 0.1) / 0.6, 0, 1) * cla)
        m.quality = int(round(100 * float(np.clip(q, 0.01, 1.0))))


def finger_quality(mask: np.ndarray, coherence: np.ndarray, n_minutiae: int, p: Parameters,
                   clarity: np.ndarray | None = None) -> int:
    """0..100 finger quality.

    Main factors (what predicts the genuine score on the FVC sets): orientation
    certainty (mean coherence over the foreground) and ridge clarity/uniformity
    (mean share of local energy explained by the oriented Gabor filter,
    relative to the clearest part of the print).  Foreground area and minutiae
    count only penalise prints that are too small or nearly empty.
    """
    area = float(mask.sum())
    if area == 0:
        return 0
    coh_score = float(np.clip((float(np.mean(coherence[mask])) - 0.15) / 0.5, 0.0, 1.0))
    clar_score = float(np.mean(clarity[mask])) if clarity is not None else 0.75
    area_score = min(1.0, area / (p.quality_area_min_share * p.quality_area_full))
    count_score = min(1.0, n_minutiae / p.quality_min_minutiae)
    q = 100.0 * min(1.0, coh_score * clar_score / 0.8) * (area_score * count_score) ** 0.5
    return int(round(np.clip(q, 0, 100)))
