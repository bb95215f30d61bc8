"""FVC-protocol evaluation: pairs, error rates, one folder's figures.

The command line is ``scomm bench fvc FOLDER... [--iso] [--peer nbis] [--json]``
(:mod:`scomm.bench`); ``python -m scomm.biometrics.evaluation`` runs the same.

FOLDER holds ``NNN_k.tif`` (and ``NNN_k.iso``) files, e.g.
``/work/shared/data/fvc/fvc2002/DB1_B``.  Genuine pairs = every pair of
impressions of the same finger; impostor pairs = every pair of impressions of
different fingers (FVC "B" sets: 280 and 2,880).
"""
from __future__ import annotations

import itertools
import re
import statistics
import time
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from . import DEFAULT_EXTRACTOR, EXTRACTORS, FingerprintImage, FingerprintTemplate
from .extractor import ExtractionError
from .index import FingerStore
from .matcher import kernels
from .packed import pack
from .parameters import DEFAULT, Parameters
from .verification import VERIFICATION, Verification

__all__ = ["list_impressions", "fvc_pairs", "error_rates", "folder_ppi", "evaluate_folder"]

# the global step of a 1:1 comparison -> the FingerStore kernel that scores with it
CONSOLIDATIONS = {"pairing": "full", "lssr": "lssr"}
_NAME = re.compile(r"^(\d+)_(\d+)\.(tif|tiff|bmp|png|wsq|iso)$", re.I)
# resolutions of the FVC databases that are not 500 ppi
_PPI = {("fvc2002", "DB2"): 569.0, ("fvc2004", "DB3"): 512.0, ("fvc2000", "DB2"): 500.0,
        ("fvc2000", "DB3"): 500.0}


def folder_ppi(folder: str | Path) -> float:
    """Scanner resolution of an FVC folder, from its path (500 unless known otherwise)."""
    parts = [x.lower() for x in Path(folder).parts]
    for (comp, db), ppi in _PPI.items():
        if comp in parts and any(x.startswith(db.lower()) for x in parts):
            return ppi
    return 500.0


def list_impressions(folder: str | Path, ext: str = "tif") -> dict[tuple[int, int], Path]:
    """(finger, impression) -> file for files named ``NNN_k.ext``."""
    out = {}
    for f in sorted(Path(folder).iterdir()):
        m = _NAME.match(f.name)
        if m and f.suffix.lower().lstrip(".") == ext.lower():
            out[(int(m.group(1)), int(m.group(2)))] = f
    return out


Impression = tuple[int, int]
"""(finger, impression): the key of one FVC image."""


def fvc_pairs(keys: Iterable[Impression]) -> tuple[list[tuple[Impression, Impression]],
                                                   list[tuple[Impression, Impression]]]:
    """FVC protocol over (finger, impression) keys: (genuine, impostor) pair lists."""
    genuine: list[tuple[Impression, Impression]] = []
    impostor: list[tuple[Impression, Impression]] = []
    for a, b in itertools.combinations(sorted(keys), 2):
        (genuine if a[0] == b[0] else impostor).append((a, b))
    return genuine, impostor


def error_rates(genuine, impostor) -> dict[str, float]:
    """EER, FMR100, FMR1000 and ZeroFMR (as fractions) from score arrays.

    Higher score = more similar; a comparison is accepted when score >= t.
    """
    g = np.sort(np.asarray(genuine, float))
    i = np.sort(np.asarray(impostor, float))
    if len(g) == 0 or len(i) == 0:
        raise ValueError("need both genuine and impostor scores")
    t = np.unique(np.concatenate([g, i, [np.inf]]))
    fmr = 1.0 - np.searchsorted(i, t, side="left") / len(i)     # impostor >= t
    fnmr = np.searchsorted(g, t, side="left") / len(g)          # genuine < t
    k = int(np.argmin(np.abs(fmr - fnmr)))
    eer = (fmr[k] + fnmr[k]) / 2.0

    def at(limit: float) -> float:
        ok = fmr <= limit
        return float(fnmr[ok].min()) if ok.any() else 1.0

    return {"EER": float(eer), "FMR100": at(0.01), "FMR1000": at(0.001), "ZeroFMR": at(0.0)}


def threshold_at(impostor: np.ndarray, fmr: float) -> float:
    """The lowest threshold with at most ``fmr`` of the impostor scores at or above it."""
    ranked = np.sort(impostor)[::-1]
    allowed = int(np.floor(fmr * len(ranked)))
    return float(ranked[allowed]) + 1e-6 if allowed < len(ranked) else 0.0


def at_threshold(genuine: list[float], impostor: list[float], v: Verification) -> dict:
    """What the 1:1 threshold (fitted on synthetic prints) gives on these scores."""
    return {"threshold": v.threshold, "fmr_target": v.fmr,
            "FMR": float(np.mean(np.asarray(impostor) >= v.threshold)),
            "FNMR": float(np.mean(np.asarray(genuine) < v.threshold)), "fitted_on": v.source}


def evaluate_folder(folder: str | Path, iso: bool = False, extractor: str = DEFAULT_EXTRACTOR,
                    p: Parameters = DEFAULT, consolidation: str = "pairing") -> dict:
    """Run the FVC protocol on one folder; returns rates, timings and scores.

    ``consolidation``: ``pairing`` (the matcher's) or ``lssr`` (relaxation, no
    alignment; its scores have no fitted 1:1 threshold, so ``one_to_one`` is None).

    Timings are CPU time of this process (robust to other load on the host):
    ``extraction_median_ms`` per image, ``comparisons_per_second`` for 1:1
    matches with cylinder codes already computed.
    """

    folder = Path(folder)
    extract = EXTRACTORS[extractor]
    ppi = folder_ppi(folder)
    files = list_impressions(folder, "iso" if iso else "tif")
    if not files:
        raise FileNotFoundError(f"no FVC impressions in {folder}")
    templates: dict = {}
    extract_ms: list[float] = []
    failures = 0
    for key, f in files.items():
        if iso:
            templates[key] = FingerprintTemplate.from_iso(f.read_bytes())
            continue
        img = FingerprintImage.from_bytes(f.read_bytes(), ppi=ppi)
        t0 = time.process_time()
        try:
            templates[key] = extract(img)
        except ExtractionError:
            failures += 1
            templates[key] = FingerprintTemplate(img.width, img.height, [], 0)
        extract_ms.append((time.process_time() - t0) * 1000)
    # fingers are packed once (as TenprintGallery.add does); every probe is then scored
    # against all later impressions in one compiled call on one thread
    keys = sorted(templates)
    store = FingerStore()
    packed = {key: pack(templates[key]) for key in keys}
    for key in keys:
        store.add(packed[key])
    k = kernels(p)
    kind = CONSOLIDATIONS[consolidation]
    store.score(packed[keys[0]], np.arange(min(2, len(keys))), k, kind)  # compile outside the timing
    scores: dict = {}
    t0 = time.process_time()
    for i, a in enumerate(keys):
        rows = np.arange(i + 1, len(keys))
        for b, v in zip(keys[i + 1:], store.score(packed[a], rows, k, kind)):
            scores[(a, b)] = float(v)
    dt = time.process_time() - t0
    genuine_pairs, impostor_pairs = fvc_pairs(templates)
    gs = [scores[pair] for pair in genuine_pairs]
    ims = [scores[pair] for pair in impostor_pairs]
    rates = error_rates(gs, ims)
    return {
        "folder": str(folder), "source": "iso" if iso else "image", "ppi": ppi,
        "extractor": None if iso else extractor,
        "genuine": len(gs), "impostor": len(ims), **rates,
        "extraction_median_ms": statistics.median(extract_ms) if extract_ms else None,
        "extraction_failures": failures,
        "comparisons_per_second": (len(gs) + len(ims)) / dt if dt > 0 else None,
        "one_to_one": None if iso or kind != "full" else at_threshold(gs, ims, VERIFICATION[extractor]),
        "max_impostor_score": float(max(ims)),
        "median_genuine_score": float(np.median(gs)),
        "mean_minutiae": float(np.mean([len(t.minutiae) for t in templates.values()])),
        "genuine_scores": gs, "impostor_scores": ims,
    }
