"""Binarisation and thinning (Zhang-Suen, numba)."""
from __future__ import annotations

import cv2
import numpy as np
from numba import njit


def binarize(enhanced: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Ridge pixels = positive Gabor response inside the foreground (uint8 0/1)."""
    b = ((enhanced > 0) & mask).astype(np.uint8)
    # remove isolated specks / fill pin holes
    b = cv2.medianBlur(b, 3)
    return b


@njit(cache=True)
def _zhang_suen(img: np.ndarray) -> np.ndarray:
    h, w = img.shape
    sk = img.copy()
    # clear border so neighbourhoods are always in range
    for x in range(w):
        sk[0, x] = 0
        sk[h - 1, x] = 0
    for y in range(h):
        sk[y, 0] = 0
        sk[y, w - 1] = 0
    rm = np.zeros((h * w, 2), np.int32)
    changed = True
    while changed:
        changed = False
        for step in range(2):
            n = 0
            for y in range(1, h - 1):
                for x in range(1, w - 1):
                    if sk[y, x] == 0:
                        continue
                    p2 = sk[y - 1, x]
                    p3 = sk[y - 1, x + 1]
                    p4 = sk[y, x + 1]
                    p5 = sk[y + 1, x + 1]
                    p6 = sk[y + 1, x]
                    p7 = sk[y + 1, x - 1]
                    p8 = sk[y, x - 1]
                    p9 = sk[y - 1, x - 1]
                    b = p2 + p3 + p4 + p5 + p6 + p7 + p8 + p9
                    if b < 2 or b > 6:
                        continue
                    a = 0
                    if p2 == 0 and p3 == 1:
                        a += 1
                    if p3 == 0 and p4 == 1:
                        a += 1
                    if p4 == 0 and p5 == 1:
                        a += 1
                    if p5 == 0 and p6 == 1:
                        a += 1
                    if p6 == 0 and p7 == 1:
                        a += 1
                    if p7 == 0 and p8 == 1:
                        a += 1
                    if p8 == 0 and p9 == 1:
                        a += 1
                    if p9 == 0 and p2 == 1:
                        a += 1
                    if a != 1:
                        continue
                    if step == 0:
                        if p2 * p4 * p6 != 0 or p4 * p6 * p8 != 0:
                            continue
                    else:
                        if p2 * p4 * p8 != 0 or p2 * p6 * p8 != 0:
                            continue
                    rm[n, 0] = y
                    rm[n, 1] = x
                    n += 1
            for i in range(n):
                sk[rm[i, 0], rm[i, 1]] = 0
            if n > 0:
                changed = True
    # remove staircase pixels: a pixel whose two 4-neighbours forming a corner
    # are set and the opposite corner is empty is redundant for 8-connectivity
    for y in range(1, h - 1):
        for x in range(1, w - 1):
            if sk[y, x] == 0:
                continue
            n_ = sk[y - 1, x]
            s_ = sk[y + 1, x]
            e_ = sk[y, x + 1]
            w_ = sk[y, x - 1]
            if (n_ and e_ and not sk[y + 1, x - 1] and not s_ and not w_) or \
               (n_ and w_ and not sk[y + 1, x + 1] and not s_ and not e_) or \
               (s_ and e_ and not sk[y - 1, x - 1] and not n_ and not w_) or \
               (s_ and w_ and not sk[y - 1, x + 1] and not n_ and not e_):
                sk[y, x] = 0
    return sk


def thin(binary: np.ndarray) -> np.ndarray:
    """One-pixel-wide 8-connected skeleton of a 0/1 uint8 image."""
    return _zhang_suen(np.ascontiguousarray(binary, dtype=np.uint8))
