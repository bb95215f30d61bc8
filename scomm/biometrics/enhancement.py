"""Local normalisation and contextual Gabor filtering."""
from __future__ import annotations

import cv2
import numpy as np

from .filters import smooth
from .parameters import Parameters


def normalize(img: np.ndarray, p: Parameters) -> np.ndarray:
    """Zero local mean, unit local std, ridges positive (image is inverted)."""
    mean = smooth(img, p.normalize_sigma)
    sq = smooth(img * img, p.normalize_sigma)
    std = np.sqrt(np.maximum(sq - mean * mean, 1.0))
    return ((mean - img) / std).astype(np.float32)


def gabor_bank(period: float, p: Parameters) -> list[np.ndarray]:
    kernels = []
    k = p.gabor_size | 1
    for b in range(p.gabor_bins):
        ridge = b * np.pi / p.gabor_bins
        normal = ridge + np.pi / 2  # cv2 theta = direction across the stripes
        g: np.ndarray = cv2.getGaborKernel((k, k), p.gabor_sigma, normal, period, 1.0, 0.0, ktype=cv2.CV_32F)
        g -= g.mean()
        g /= np.abs(g).sum()
        kernels.append(g)
    return kernels


def enhance(norm: np.ndarray, theta: np.ndarray, period: float, p: Parameters) -> np.ndarray:
    """Apply the Gabor filter whose orientation matches the local ridge flow.

    All orientation bins are filtered in the frequency domain: one forward
    DFT of the (padded) image, one product and one inverse DFT per bin.
    """
    nb = p.gabor_bins
    idx = (np.round(theta / (np.pi / nb)).astype(np.int32) % nb).astype(np.uint8)
    h, w = norm.shape
    k = p.gabor_size | 1
    r = k // 2
    H = cv2.getOptimalDFTSize(h + 2 * r)
    W = cv2.getOptimalDFTSize(w + 2 * r)
    padded = cv2.copyMakeBorder(norm, r, H - h - r, r, W - w - r, cv2.BORDER_REFLECT)
    F = cv2.dft(padded, flags=cv2.DFT_COMPLEX_OUTPUT)
    out = np.zeros_like(norm)
    present = np.bincount(idx.ravel(), minlength=nb) > 0
    for b, g in enumerate(gabor_bank(period, p)):
        if not present[b]:
            continue
        kp = np.zeros((H, W), np.float32)
        kp[:k, :k] = g
        KF = cv2.dft(kp, flags=cv2.DFT_COMPLEX_OUTPUT)
        resp = cv2.idft(cv2.mulSpectrums(F, KF, 0), flags=cv2.DFT_REAL_OUTPUT | cv2.DFT_SCALE)
        # kernel anchored at its top-left corner: output shifted by r
        np.copyto(out, resp[2 * r:2 * r + h, 2 * r:2 * r + w], where=(idx == b))
    return out
