"""Foreground segmentation from local grey-level variance."""
from __future__ import annotations

import cv2
import numpy as np

from .filters import smooth
from .parameters import Parameters


def _ellipse(size: int) -> np.ndarray:
    size = max(1, int(size) | 1)
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))


def local_std(img: np.ndarray, sigma: float) -> np.ndarray:
    mean = smooth(img, sigma)
    sq = smooth(img * img, sigma)
    return np.sqrt(np.maximum(sq - mean * mean, 0.0))


def segment(img: np.ndarray, p: Parameters) -> np.ndarray:
    """Boolean foreground mask for a float32 image (the finger area)."""
    std = local_std(img, p.segment_sigma)
    robust_max = float(np.percentile(std, 95))
    thr = max(p.segment_min_std, p.segment_threshold * robust_max)
    mask: np.ndarray = (std > thr).astype(np.uint8)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, _ellipse(p.segment_close))
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, _ellipse(p.segment_open))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if n <= 1:
        return np.zeros(img.shape, bool)
    # keep components with at least 15% of the largest one's area
    areas = stats[1:, cv2.CC_STAT_AREA]
    keep = np.flatnonzero(areas >= 0.15 * areas.max()) + 1
    mask = np.isin(labels, keep).astype(np.uint8)
    # fill holes: background = what is reachable from the border
    inv = (1 - mask).astype(np.uint8)
    h, w = mask.shape
    ff = np.zeros((h + 2, w + 2), np.uint8)
    padded = inv.copy()
    for y, x in ((0, 0), (0, w - 1), (h - 1, 0), (h - 1, w - 1)):
        if padded[y, x] == 1:
            cv2.floodFill(padded, ff, (x, y), 2)
    holes = padded == 1
    return (mask.astype(bool) | holes)


def erode(mask: np.ndarray, size: int) -> np.ndarray:
    m = mask.astype(np.uint8)
    # pixels on the image border count as background
    m[0, :] = m[-1, :] = 0
    m[:, 0] = m[:, -1] = 0
    return cv2.erode(m, _ellipse(2 * size + 1)).astype(bool)
