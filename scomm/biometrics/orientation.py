"""Ridge orientation field from gradients averaged in doubled-angle form."""
from __future__ import annotations

import cv2
import numpy as np

from .filters import smooth
from .parameters import Parameters


def orientation_field(img: np.ndarray, p: Parameters) -> tuple[np.ndarray, np.ndarray]:
    """Return (theta, coherence).

    ``theta`` is the ridge orientation in ``[0, pi)`` in image coordinates
    (x right, y down); ``coherence`` in ``[0, 1]`` measures how well a single
    orientation explains the local gradients.
    """
    gx = cv2.Sobel(img, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(img, cv2.CV_32F, 0, 1, ksize=3)
    gxx = smooth(gx * gx, p.orientation_sigma)
    gyy = smooth(gy * gy, p.orientation_sigma)
    gxy = smooth(gx * gy, p.orientation_sigma)
    c = gxx - gyy
    s = 2.0 * gxy
    coherence = np.sqrt(c * c + s * s) / (gxx + gyy + 1e-6)
    if p.orientation_smooth > 0:
        c = smooth(c, p.orientation_smooth)
        s = smooth(s, p.orientation_smooth)
    gradient_angle = 0.5 * np.arctan2(s, c)
    theta = np.mod(gradient_angle + np.pi / 2, np.pi).astype(np.float32)
    return theta, np.clip(coherence, 0, 1).astype(np.float32)
