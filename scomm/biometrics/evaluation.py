"""FVC-protocol evaluation: pairs, error rates and a small command line.

    python -m scomm.biometrics.evaluation FOLDER [--iso]

FOLDER holds ``NNN_k.tif`` (and ``NNN_k.iso``) files, e.g.
``/work/shared/data/fvc/fvc2002/DB1_B``.  Genuine pairs = every pair of
impressions of the same finger; impostor pairs = every pair of impressions of
different fingers (FVC "B" sets: 280 and 2,880).
"""
from __future__ import annotations

import argparse
import itertools
import json
import re
import statistics
import sys
import time
from pathlib import Path

import numpy as np

__all__ = ["list_impressions", "fvc_pairs", "error_rates", "folder_ppi", "evaluate_folder"]

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


def fvc_pairs(keys) -> tuple[list[tuple], list[tuple]]:
    """FVC protocol over (finger, impression) keys: (genuine, impostor) pair lists."""
    keys = sorted(keys)
    genuine, impostor = [], []
    for a, b in itertools.combinations(keys, 2):
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


def evaluate_folder(folder: str | Path, iso: bool = False) -> dict:
    """Run the FVC protocol on one folder; returns rates, timings and scores.

    Timings are CPU time of this process (robust to other load on the host):
    ``extraction_median_ms`` per image, ``comparisons_per_second`` for 1:1
    matches with cylinder codes already computed.
    """
    from . import FingerprintImage, FingerprintTemplate, extract, match
    from . import mcc
    from .extractor import ExtractionError
    from .parameters import DEFAULT

    folder = Path(folder)
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
    # cylinder codes are computed once per template (as TenprintGallery.add does)
    for t in templates.values():
        mcc.cylinders(t, DEFAULT)
    genuine_pairs, impostor_pairs = fvc_pairs(templates)
    t0 = time.process_time()
    gs = [match(templates[a], templates[b]).score for a, b in genuine_pairs]
    ims = [match(templates[a], templates[b]).score for a, b in impostor_pairs]
    dt = time.process_time() - t0
    rates = error_rates(gs, ims)
    return {
        "folder": str(folder), "source": "iso" if iso else "image", "ppi": ppi,
        "genuine": len(gs), "impostor": len(ims), **rates,
        "extraction_median_ms": statistics.median(extract_ms) if extract_ms else None,
        "extraction_failures": failures,
        "comparisons_per_second": (len(gs) + len(ims)) / dt if dt > 0 else None,
        "max_impostor_score": float(max(ims)),
        "median_genuine_score": float(np.median(gs)),
        "mean_minutiae": float(np.mean([len(t.minutiae) for t in templates.values()])),
        "genuine_scores": gs, "impostor_scores": ims,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m scomm.biometrics.evaluation", description=__doc__.splitlines()[0])
    ap.add_argument("folders", nargs="+", help="FVC folder(s) with NNN_k.tif / NNN_k.iso")
    ap.add_argument("--iso", action="store_true", help="use the .iso templates instead of extracting")
    ap.add_argument("--json", action="store_true", help="print JSON")
    args = ap.parse_args(argv)
    import cv2
    cv2.setNumThreads(1)  # figures are per core (CPU time of this process)
    results = []
    for folder in args.folders:
        r = evaluate_folder(folder, iso=args.iso)
        r.pop("genuine_scores")
        r.pop("impostor_scores")
        results.append(r)
        if not args.json:
            ext = ("-" if r["extraction_median_ms"] is None else f"{r['extraction_median_ms']:.1f} ms")
            print(f"{r['folder']} [{r['source']}] EER {100 * r['EER']:.2f}%  FMR100 {100 * r['FMR100']:.2f}%  "
                  f"FMR1000 {100 * r['FMR1000']:.2f}%  ZeroFMR {100 * r['ZeroFMR']:.2f}%  "
                  f"extraction median {ext} (failures {r['extraction_failures']})  "
                  f"{r['comparisons_per_second']:.0f} comparisons/s  mean minutiae {r['mean_minutiae']:.1f}  "
                  f"max impostor {r['max_impostor_score']:.1f}  median genuine {r['median_genuine_score']:.1f}")
    if args.json:
        print(json.dumps(results, indent=2))
    elif len(results) > 1:
        print(f"mean EER {100 * np.mean([r['EER'] for r in results]):.2f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
