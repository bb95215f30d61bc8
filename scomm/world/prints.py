"""Synthetic tenprints for the world: rendered, then enrolled as templates or packed as WSQ.

Rendering and extraction are the costly part of seeding, so they run in a
process pool across the machine's cores.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from ..biometrics import ExtractionError, FingerprintImage, extract
from ..biometrics.synth import subject_tenprint
from ..processes import process_pool

T = TypeVar("T")
R = TypeVar("R")


def enrolment_templates(job: tuple[int, int]) -> dict[int, tuple[bytes, int]]:
    """(subject seed, impression seed) -> {finger: (ISO template, quality)}."""
    subject_seed, impression_seed = job
    out = {}
    for finger, pixels in subject_tenprint(subject_seed, impression_seed).items():
        try:
            t = extract(FingerprintImage(pixels, ppi=500.0))
        except ExtractionError:
            continue
        out[finger] = (t.to_iso(), t.quality)
    return out


def parallel_map(fn: Callable[[T], R], jobs: Iterable[T], workers: int | None = None) -> Iterator[R]:
    """Ordered map over a process pool (or in-process when one worker is asked for)."""
    workers = workers or int(os.environ.get("SCOMM_WORKERS", os.cpu_count() or 1))
    jobs = list(jobs)
    if workers <= 1 or len(jobs) <= 1:
        yield from map(fn, jobs)
        return
    with process_pool(workers) as pool:
        yield from pool.map(fn, jobs, chunksize=1)
