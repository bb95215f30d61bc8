"""Fast smoothing helpers shared by the image stages."""
from __future__ import annotations

import cv2
import numpy as np


def smooth(img: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian smoothing; large sigmas are done on a 4x downsampled copy."""
    if sigma < 4.0 or min(img.shape) < 32:
        return cv2.GaussianBlur(img, (0, 0), sigma)
    f = 4
    h, w = img.shape
    small = cv2.resize(img, ((w + f - 1) // f, (h + f - 1) // f), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), sigma / f)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
