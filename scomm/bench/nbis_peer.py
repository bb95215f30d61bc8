"""NIST NBIS as a benchmark peer: MINDTCT extraction and BOZORTH3 scores.

NBIS comes from the optional ``bench`` extra (the PyPI wheel ``nbis-py``,
native NBIS built into a Rust/UniFFI library); install it with
``make bench-install`` or ``.venv/bin/pip install -r requirements-bench.lock``.
This is the only module of scomm that imports ``nbis``, and only when a
function here is called.

The nbis-py API used (``import nbis``):

* ``nbis.NbisExtractorSettings(min_quality=, get_center=, check_fingerprint=,
  compute_nfiq2=, ppi=)`` and ``nbis.new_nbis_extractor(settings)``;
* ``extractor.extract_minutiae(image_bytes) -> Minutiae``: decodes the image
  (PNG/TIFF/BMP/..., to 8-bit gray) and runs MINDTCT (``get_minutiae`` with
  ``lfsparms_V2``); ``ppi`` is passed on as pixels/mm, which MINDTCT uses for
  the minutia reliability only (NBIS does not resample);
* ``Minutiae.compare(other) -> int``: BOZORTH3 score (keeps the 150 most
  reliable minutiae, as the ``bozorth3`` command does by default);
* ``extractor.load_iso_19794_2_2005(bytes)`` / ``Minutiae.to_iso_19794_2_2005()``:
  despite the names these use nbis-py's own 26-byte-header layout (no
  resolution, no view count, minutia count at byte 25, no extended-data
  block), not ISO/IEC 19794-2:2005.  Real ISO records load as *zero*
  minutiae, so :func:`nbis_record` writes that layout from a template that
  scomm parsed (``--iso`` runs BOZORTH3 on the same SDK templates).
"""
from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

from ..biometrics.evaluation import error_rates, folder_ppi, fvc_pairs, list_impressions
from ..biometrics.template import FingerprintTemplate

__all__ = ["NBIS_PY_REQUIREMENT", "NbisUnavailable", "load_nbis", "nbis_available", "nbis_version",
           "nbis_record", "evaluate_folder_nbis"]

NBIS_PY_REQUIREMENT = "nbis-py==0.1.3"
INSTALL_HINT = ("run `make bench-install` (or `.venv/bin/pip install -r requirements-bench.lock`) "
                "to install the optional bench extra")


class NbisUnavailable(RuntimeError):
    """The optional nbis-py package is not installed (or does not load here)."""


def load_nbis():
    """The ``nbis`` module, or :class:`NbisUnavailable` saying how to install it."""
    try:
        import nbis  # noqa: PLC0415 - optional dependency, imported on demand
    except (ImportError, OSError) as exc:
        raise NbisUnavailable(
            f"the NBIS peer needs the optional package {NBIS_PY_REQUIREMENT}, which cannot be imported "
            f"here ({type(exc).__name__}: {exc}); {INSTALL_HINT}") from exc
    return nbis


def nbis_available() -> bool:
    try:
        load_nbis()
    except NbisUnavailable:
        return False
    return True


def nbis_version() -> str | None:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("nbis-py")
    except PackageNotFoundError:
        return None


def extractor(ppi: float = 500.0):
    """An NBIS extractor for images of ``ppi``: every minutia kept, no NFIQ2, no SIVV, no ROI."""
    nbis = load_nbis()
    return nbis.new_nbis_extractor(nbis.NbisExtractorSettings(
        min_quality=0.0, get_center=False, check_fingerprint=False, compute_nfiq2=False, ppi=float(ppi)))


_NBIS_HEADER_LEN = 26


def nbis_record(template: FingerprintTemplate) -> bytes:
    """``template`` in the layout nbis-py's ``load_iso_19794_2_2005`` reads.

    magic + version (8), total length (4), 0 (2), width (2), height (2), finger
    position, view/impression, finger quality (3), reserved (4), minutia count
    (1), then the 6-byte ISO minutiae with the reliability (0..63) last.
    """
    mins = sorted(template.minutiae, key=lambda m: -m.quality)[:255]
    out = bytearray(b"FMR\x00 20\x00")
    out += (_NBIS_HEADER_LEN + 6 * len(mins)).to_bytes(4, "big")
    out += bytes(2)
    out += max(0, min(0xFFFF, template.width)).to_bytes(2, "big")
    out += max(0, min(0xFFFF, template.height)).to_bytes(2, "big")
    out += bytes([0, 0, max(0, min(100, template.quality)), 0, 0, 0, 0, len(mins)])
    for m in mins:
        x = max(0, min(0x3FFF, int(round(m.x))))
        y = max(0, min(0x3FFF, int(round(m.y))))
        bits = 2 if m.kind == "bifurcation" else 1
        a = int(round((m.angle % (2 * np.pi)) / (2 * np.pi) * 256)) % 256
        rel = int(round(max(0, min(100, m.quality)) * 63 / 100))
        out += ((bits << 14) | x).to_bytes(2, "big") + y.to_bytes(2, "big") + bytes([a, rel])
    return bytes(out)


def evaluate_folder_nbis(folder: str | Path, iso: bool = False) -> dict[str, Any]:
    """The FVC protocol on one folder with NBIS; same keys as ``evaluate_folder``.

    Images: MINDTCT on each ``NNN_k.tif`` with the folder's resolution
    (:func:`~scomm.biometrics.evaluation.folder_ppi`).  ``iso=True``: the
    folder's ``NNN_k.iso`` templates (parsed by scomm, handed to nbis-py) and no
    extraction.  Scores are BOZORTH3's, on the same genuine and impostor pairs.
    Timings are CPU time of this process: ``extraction_median_ms`` per image
    (image decoding included, as the extractor takes encoded bytes),
    ``comparisons_per_second`` over all 1:1 comparisons.
    """
    folder = Path(folder)
    ppi = folder_ppi(folder)
    ex = extractor(ppi)
    files = list_impressions(folder, "iso" if iso else "tif")
    if not files:
        raise FileNotFoundError(f"no FVC impressions in {folder}")
    templates: dict = {}
    extract_ms: list[float] = []
    failures = 0
    errors: list[str] = []
    for key, f in files.items():
        raw = f.read_bytes()
        if iso:
            templates[key] = ex.load_iso_19794_2_2005(nbis_record(FingerprintTemplate.from_iso(raw)))
            continue
        t0 = time.process_time()
        try:
            templates[key] = ex.extract_minutiae(raw)
        except Exception as exc:  # nbis.NbisError.* (its base is not exported as an Exception class)
            templates[key] = None
            failures += 1
            errors.append(f"{f.name}: {exc!r}")
        extract_ms.append((time.process_time() - t0) * 1000)
    if failures == len(files):
        raise RuntimeError(f"NBIS could not extract any image of {folder}: {errors[:3]}")
    if failures:
        empty = ex.load_iso_19794_2_2005(nbis_record(FingerprintTemplate(0, 0, [], 0)))
        templates = {k: (empty if v is None else v) for k, v in templates.items()}
    genuine_pairs, impostor_pairs = fvc_pairs(templates)
    t0 = time.process_time()
    gs = [float(templates[a].compare(templates[b])) for a, b in genuine_pairs]
    ims = [float(templates[a].compare(templates[b])) for a, b in impostor_pairs]
    dt = time.process_time() - t0
    rates = error_rates(gs, ims)
    return {
        "folder": str(folder), "source": "iso" if iso else "image", "ppi": ppi,
        "extractor": None if iso else "MINDTCT",
        "genuine": len(gs), "impostor": len(ims), **rates,
        "extraction_median_ms": statistics.median(extract_ms) if extract_ms else None,
        "extraction_failures": failures,
        "comparisons_per_second": (len(gs) + len(ims)) / dt if dt > 0 else None,
        "one_to_one": None,   # BOZORTH3 has no threshold calibrated here
        "max_impostor_score": float(max(ims)),
        "median_genuine_score": float(np.median(gs)),
        "mean_minutiae": float(np.mean([len(t.get()) for t in templates.values()])),
        "genuine_scores": gs, "impostor_scores": ims,
    }
