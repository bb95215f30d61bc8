"""Fingerprint images: decoding and resampling to the 500 ppi working resolution."""
from __future__ import annotations

import io

import cv2
import numpy as np
import wsq  # noqa: F401  (registers the WSQ Pillow plugin)
from PIL import Image

__all__ = ["FingerprintImage"]

WORKING_PPI = 500.0


class FingerprintImage:
    """A grayscale fingerprint image (dark ridges on light background).

    ``pixels`` is stored rescaled to 500 ppi; ``original_ppi`` keeps the input
    resolution.
    """

    def __init__(self, pixels: np.ndarray, ppi: float = 500.0):
        a = np.asarray(pixels)
        if a.ndim == 3:
            a = a[..., :3].mean(axis=2)
        if a.ndim != 2 or a.size == 0:
            raise ValueError(f"expected a 2-D grayscale image, got shape {a.shape}")
        if a.dtype != np.uint8:
            a = np.clip(a, 0, 255).astype(np.uint8)
        ppi = float(ppi) if ppi else WORKING_PPI
        if ppi <= 0:
            raise ValueError(f"ppi must be positive, got {ppi}")
        self.original_ppi = ppi
        if abs(ppi - WORKING_PPI) > 1.0:
            s = WORKING_PPI / ppi
            h, w = a.shape
            nw, nh = max(1, int(round(w * s))), max(1, int(round(h * s)))
            a = cv2.resize(a, (nw, nh), interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_CUBIC)
        self.pixels = np.ascontiguousarray(a)
        self.ppi = WORKING_PPI

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    @classmethod
    def from_bytes(cls, data: bytes, ppi: float | None = None) -> FingerprintImage:
        """Decode WSQ, PNG, TIFF, JPEG (anything Pillow + the ``wsq`` plugin reads).

        ``ppi`` overrides the resolution stored in the file; if neither is
        known, 500 ppi is assumed.
        """
        try:
            im = Image.open(io.BytesIO(bytes(data)))
            im.load()
        except Exception as exc:
            raise ValueError(f"cannot decode fingerprint image: {exc}") from exc
        if ppi is None:
            dpi = im.info.get("dpi")
            try:
                d = float(dpi[0]) if dpi else 0.0
            except (TypeError, ValueError, IndexError):
                d = 0.0
            ppi = d if d >= 150 else WORKING_PPI  # many files carry a bogus 1 or 72 dpi
        return cls(np.asarray(im.convert("L")), ppi=ppi)

    def __repr__(self) -> str:
        return f"FingerprintImage({self.width}x{self.height} @500ppi, from {self.original_ppi:g}ppi)"
