"""Finger quality 0..100 in the spirit of NFIQ 2 (area, ridge clarity, minutiae)."""
from __future__ import annotations

import numpy as np

from .parameters import Parameters


def finger_quality(mask: np.ndarray, coherence: np.ndarray, n_minutiae: int, p: Parameters) -> int:
    area = float(mask.sum())
    if area == 0:
        return 0
    area_score = min(1.0, area / p.quality_area_full)
    clarity = float(np.mean(coherence[mask]))
    clarity_score = float(np.clip((clarity - 0.15) / 0.5, 0.0, 1.0))
    count_score = min(1.0, n_minutiae / 40.0)
    q = 100.0 * (area_score ** 0.5) * clarity_score * (count_score ** 0.5)
    return int(round(np.clip(q, 0, 100)))
