"""The extraction pipeline: image -> template.

Stages (one module each): segmentation -> orientation -> frequency ->
enhancement -> skeleton -> minutiae -> quality.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import enhancement, frequency, minutiae, orientation, quality as quality_mod, segmentation, skeleton
from .image import FingerprintImage
from .parameters import DEFAULT, Parameters
from .template import FingerprintTemplate

__all__ = ["ExtractionError", "extract", "quality", "analyse", "Analysis"]


PROVENANCE = "scomm classical"   # what a classical template records of its making


class ExtractionError(ValueError):
    """The image holds no usable fingerprint; the message says why."""


@dataclass
class Analysis:
    """Intermediate products of one extraction (for debugging/quality)."""
    mask: np.ndarray
    theta: np.ndarray
    coherence: np.ndarray
    period: float
    offset: tuple[int, int] = (0, 0)   # (x, y) of the cropped area in the image
    enhanced: np.ndarray | None = None
    skeleton: np.ndarray | None = None
    clarity: np.ndarray | None = None    # 0..1 local ridge clarity (Gabor energy share)


def usable(image: FingerprintImage | np.ndarray) -> FingerprintImage:
    """``image`` as a :class:`FingerprintImage`, if any extractor could use it."""
    if not isinstance(image, FingerprintImage):
        image = FingerprintImage(np.asarray(image))
    if image.height < 64 or image.width < 64:
        raise ExtractionError(f"image too small: {image.width}x{image.height} px at 500 ppi (need 64x64)")
    if float(image.pixels.std()) < 2.0:
        raise ExtractionError("blank image: no contrast (grey-level std < 2)")
    return image


def require_minutiae(mins: list) -> None:
    if len(mins) < 3:
        raise ExtractionError(f"too few minutiae found ({len(mins)}); image unusable")


def _foreground(image: FingerprintImage, p: Parameters):
    img = usable(image).pixels.astype(np.float32)
    mask = segmentation.segment(img, p)
    area = int(mask.sum())
    if area < 4000:
        raise ExtractionError(f"no fingerprint area found (foreground {area} px < 4000 px at 500 ppi)")
    return img, mask


def analyse(image: FingerprintImage, p: Parameters = DEFAULT, full: bool = True) -> Analysis:
    img, mask = _foreground(image, p)
    ys, xs = np.nonzero(mask)
    m = p.crop_margin
    y0, y1 = max(0, ys.min() - m), min(mask.shape[0], ys.max() + m + 1)
    x0, x1 = max(0, xs.min() - m), min(mask.shape[1], xs.max() + m + 1)
    img = np.ascontiguousarray(img[y0:y1, x0:x1])
    mask = np.ascontiguousarray(mask[y0:y1, x0:x1])
    theta, coherence = orientation.orientation_field(img, p)
    norm = enhancement.normalize(img, p)
    period = frequency.spectral_period(norm, mask, p)
    a = Analysis(mask=mask, theta=theta, coherence=coherence, period=period, offset=(int(x0), int(y0)))
    if full:
        a.enhanced = enhancement.enhance(norm, theta, period, p)
        a.skeleton = skeleton.thin(skeleton.binarize(a.enhanced, mask))
        a.clarity = quality_mod.clarity_map(norm, a.enhanced, mask, p)
    return a


def extract(image: FingerprintImage, p: Parameters = DEFAULT) -> FingerprintTemplate:
    """Extract a minutiae template; raises :class:`ExtractionError` if unusable."""
    a = analyse(image, p, full=True)
    skel, clarity = a.skeleton, a.clarity
    if skel is None or clarity is None:   # analyse(full=True) always sets both
        raise RuntimeError("analyse(full=True) gave no skeleton or clarity map")
    inner = segmentation.erode(a.mask, p.border_erode)
    if p.min_minutia_clarity > 0:
        inner &= clarity >= p.min_minutia_clarity
    mins = minutiae.detect(skel, a.theta, a.coherence, inner, p)
    quality_mod.minutiae_reliability(mins, a.coherence, clarity, p)
    require_minutiae(mins)
    ox, oy = a.offset
    for mi in mins:
        mi.x += ox
        mi.y += oy
    h, w = image.pixels.shape
    q = quality_mod.finger_quality(a.mask, a.coherence, len(mins), p, a.clarity)
    return FingerprintTemplate(width=w, height=h, minutiae=mins, quality=q, provenance=PROVENANCE)


def quality(image: FingerprintImage | FingerprintTemplate, p: Parameters = DEFAULT) -> int:
    """0..100 finger quality; 0 for blank/unusable images."""
    if isinstance(image, FingerprintTemplate):
        return int(image.quality)
    try:
        return extract(image, p).quality
    except ExtractionError:
        return 0
