"""In-memory 1:N tenprint search with quality-weighted score fusion.

Fusion rule: for a gallery subject, every finger position present in both the
probe and the subject's record is compared; the fused score is the
quality-weighted mean of those finger scores, with weight
``w_f = 0.2 + sqrt(q_probe * q_gallery) / 100`` (finger qualities 0..100), so
a good-quality finger pair counts up to six times more than an unusable one.
A candidate is a *hit* (``decision=True``) when the fused score is at least
:data:`IDENTIFICATION_THRESHOLD`.
"""
from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field

from . import mcc
from .matcher import MatchResult, match
from .parameters import DEFAULT, Parameters
from .template import FingerprintTemplate

__all__ = ["TenprintGallery", "Candidate", "IDENTIFICATION_THRESHOLD"]

IDENTIFICATION_THRESHOLD: float = 20.0
"""Fused-score threshold for a hit.

How it was chosen: from the single-finger impostor score distribution of this
matcher on the six FVC2002/FVC2004 "B" folders (6 x 2,880 impostor
comparisons, templates extracted by this engine).  The highest impostor score
seen there is 16.7 (ISO templates of the commercial SDK: 21.4); 20 sits above
it, i.e. a per-finger FMR of ~0 on 17,280 impostor comparisons.  The median
genuine single-finger score is 8-19 depending on the folder, so this is a
*conservative* (low false-match) operating point: weak genuine prints will
be ranked first but not declared a hit.  Because the fused score is a
weighted mean, averaging over several fingers shrinks impostor scores further,
so the threshold is more conservative still for tenprint-to-tenprint search.
NOTE: it was set on the same FVC folders that are used to report EER (there is
no independent tuning set yet); re-derive it on operational data.
"""

FINGER_POSITIONS = range(1, 11)


@dataclass
class Candidate:
    subject_id: str
    score: float
    finger_scores: dict[int, float]
    decision: bool
    threshold: float
    details: dict[int, MatchResult] = field(default_factory=dict, repr=False)

    def explain(self) -> dict:
        return {
            "subject_id": self.subject_id,
            "score": float(self.score),
            "decision": bool(self.decision),
            "threshold": float(self.threshold),
            "rule": "quality-weighted mean of finger scores over common positions >= threshold",
            "fingers": {
                str(f): {"score": float(self.finger_scores[f]), **self.details[f].explain()}
                for f in sorted(self.finger_scores) if f in self.details
            },
        }


def _weight(a: FingerprintTemplate, b: FingerprintTemplate) -> float:
    return 0.2 + math.sqrt(max(0, a.quality) * max(0, b.quality)) / 100.0


class TenprintGallery:
    """In-memory 1:N index of tenprint records (finger position 1..10)."""

    def __init__(self, params: Parameters = DEFAULT, threshold: float = IDENTIFICATION_THRESHOLD):
        self._subjects: dict[str, dict[int, FingerprintTemplate]] = {}
        self.params = params
        self.threshold = float(threshold)

    def __len__(self) -> int:
        return len(self._subjects)

    def __contains__(self, subject_id: str) -> bool:
        return subject_id in self._subjects

    def add(self, subject_id: str, fingers: dict[int, FingerprintTemplate]) -> None:
        """Add or replace a subject's record."""
        fingers = _check_fingers(fingers)
        for t in fingers.values():
            mcc.cylinders(t, self.params)  # precompute local descriptors once
        self._subjects[str(subject_id)] = fingers

    def remove(self, subject_id: str) -> None:
        """Remove a subject; KeyError if absent."""
        del self._subjects[str(subject_id)]

    def _fuse(self, probe, record, positions) -> tuple[float, dict[int, float], dict[int, MatchResult]]:
        scores, details = {}, {}
        num = den = 0.0
        for f in positions:
            if f not in record:
                continue
            r = match(probe[f], record[f], self.params)
            w = _weight(probe[f], record[f])
            scores[f] = r.score
            details[f] = r
            num += w * r.score
            den += w
        return (num / den if den > 0 else 0.0), scores, details

    def search(self, probe: dict[int, FingerprintTemplate], max_candidates: int = 5) -> list[Candidate]:
        """Best ``max_candidates`` subjects by fused score (descending).

        Pre-filter: with more subjects than ``params.prefilter_keep``, only the
        two best-quality probe fingers are compared first and the remaining
        fingers are compared for the best ``prefilter_keep`` subjects only.
        """
        probe = _check_fingers(probe)
        if not probe or not self._subjects or max_candidates <= 0:
            return []
        positions = sorted(probe)
        subjects = list(self._subjects.items())
        keep = self.params.prefilter_keep
        if len(subjects) > keep and len(positions) > 2:
            first = sorted(positions, key=lambda f: -probe[f].quality)[:2]
            pre = [(self._fuse(probe, rec, first)[0], sid, rec) for sid, rec in subjects]
            subjects = [(sid, rec) for _, sid, rec in heapq.nlargest(keep, pre, key=lambda t: t[0])]
        out = []
        for sid, rec in subjects:
            if not any(f in rec for f in positions):
                continue
            fused, scores, details = self._fuse(probe, rec, positions)
            out.append(Candidate(sid, float(fused), scores, fused >= self.threshold, self.threshold, details))
        out.sort(key=lambda c: -c.score)
        return out[:max_candidates]


def _check_fingers(fingers: dict[int, FingerprintTemplate]) -> dict[int, FingerprintTemplate]:
    out = {}
    for f, t in dict(fingers).items():
        f = int(f)
        if f not in FINGER_POSITIONS:
            raise ValueError(f"finger position must be 1..10 (ANSI/NIST FGP), got {f}")
        if not isinstance(t, FingerprintTemplate):
            raise TypeError(f"finger {f}: expected FingerprintTemplate, got {type(t).__name__}")
        out[f] = t
    return out
