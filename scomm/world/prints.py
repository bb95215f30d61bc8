"""Synthetic tenprints for the world: rendered, then enrolled as templates or packed as WSQ.

Rendering and extraction are the costly part of seeding, so they run in a
process pool across the machine's cores.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from ..biometrics import ExtractionError, FingerprintImage, extract
from ..biometrics.synth import subject_tenprint
from ..interchange.images import encode_wsq
from ..processes import process_pool

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class EnrolledFinger:
    """One finger of a record as enrolled: its template and the impression it came from."""
    template: bytes     # ISO/IEC 19794-2
    quality: int
    image: bytes        # WSQ at 500 ppi


def enrolment_templates(job: tuple[int, int, str]) -> dict[int, EnrolledFinger]:
    """(subject seed, impression seed, extractor) -> the record's usable fingers."""
    subject_seed, impression_seed, extractor = job
    out = {}
    for finger, pixels in subject_tenprint(subject_seed, impression_seed).items():
        try:
            t = extract(FingerprintImage(pixels, ppi=500.0), extractor)
        except ExtractionError:
            continue
        out[finger] = EnrolledFinger(t.to_iso(), t.quality, encode_wsq(pixels))
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
