"""``scomm bench calibrate``: the 1:1 threshold of an extractor, fitted on synthetic prints.

Two captures of every finger of ``subjects`` synthetic people (the hub's own
tenprint renderer, 500 ppi) are extracted; genuine scores compare a finger's two
captures, impostor scores every first capture with every second capture of
another person. The threshold is the lowest score whose impostor rate is at most
the target FMR; its FNMR on the same prints is reported beside it. No FVC image
is used: ``scomm bench fvc`` then shows what the threshold gives on real sensors.
"""
from __future__ import annotations

import time

import numpy as np

from ..biometrics import FingerprintTemplate
from ..biometrics.evaluation import threshold_at
from ..biometrics.index import FingerStore
from ..biometrics.matcher import kernels
from ..biometrics.packed import pack
from ..biometrics.synth import subject_tenprint
from ..world.prints import parallel_map
from .fvc import extractor_info, machine_info
from .search import extract_fingers

CAPTURES = (11, 12)      # impression seeds of the two captures (not the hub's 1, 2 or 501)


def _subject(job: tuple[int, str]) -> tuple[dict[tuple[int, int], bytes], list[float]]:
    """(seed, extractor) -> ({(capture, finger): ISO template} of the usable fingers, the CPU
    seconds each capture's ten fingers took to extract)."""
    seed, extractor = job
    out, cpu = {}, []
    for k, capture in enumerate(CAPTURES):
        fingers = subject_tenprint(seed, capture)
        t0 = time.process_time()
        out.update({(k, f): t.to_iso() for f, t in extract_fingers(fingers, extractor).items()})
        cpu.append(time.process_time() - t0)
    return out, cpu


def run(subjects: int = 100, extractor: str = "leader", fmr: float = 1e-4, seed: int = 20261202,
        workers: int | None = None) -> dict:
    t0 = time.perf_counter()
    seeds = [seed * 1000 + i for i in range(subjects)]
    done = list(parallel_map(_subject, [(s, extractor) for s in seeds], workers))
    extraction_s = time.perf_counter() - t0
    prints = [p for p, _ in done]
    tenprint_cpu = np.array([c for _, cpu in done for c in cpu])
    second = FingerStore()
    owners: list[tuple[int, int]] = []
    probes = []
    for i, p in enumerate(prints):
        for (capture, finger), iso in sorted(p.items()):
            packed = pack(FingerprintTemplate.from_iso(iso))
            if capture == 0:
                probes.append(((i, finger), packed))
            else:
                second.add(packed)
                owners.append((i, finger))
    kern = kernels()
    rows = np.arange(len(owners))
    owner = np.array([o[0] for o in owners])
    same = {o: r for r, o in enumerate(owners)}
    genuine, impostor = [], []
    t1 = time.perf_counter()
    for (i, finger), packed in probes:
        scores = second.score(packed, rows, kern)
        if (i, finger) in same:
            genuine.append(float(scores[same[(i, finger)]]))
        impostor.append(scores[owner != i])
    compare_s = time.perf_counter() - t1
    g, im = np.array(genuine), np.concatenate(impostor) if impostor else np.zeros(0)
    t = threshold_at(im, fmr)
    return {
        "benchmark": "calibrate", **extractor_info(extractor), "subjects": subjects, "captures": list(CAPTURES),
        "genuine": len(g), "impostor": len(im), "fmr_target": fmr, "threshold": round(t, 3),
        "observed_fmr": float(np.mean(im >= t)) if len(im) else float("nan"),
        "fnmr": float(np.mean(g < t)) if len(g) else float("nan"),
        "resolved": fmr * len(im) >= 1,
        "impostor_max": float(im.max()) if len(im) else float("nan"),
        "genuine_median": float(np.median(g)) if len(g) else float("nan"),
        "seconds": {"extraction": extraction_s, "comparisons": compare_s},
        "tenprint_extraction_cpu_s": {"median": float(np.median(tenprint_cpu)),
                                      "p95": float(np.percentile(tenprint_cpu, 95)),
                                      "note": "CPU time of one process extracting a synthetic tenprint's "
                                              "ten 480x416 impressions at 500 ppi"},
        "machine": machine_info(),
    }
