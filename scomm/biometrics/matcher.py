"""1:1 comparison: bit-vector MCC local similarities + global consolidation.

1. Local: every probe cylinder is compared with every candidate cylinder
   (:func:`packed.local_similarities`, popcounts on 64-bit words).
2. Gate: the best local pairs are relaxed (LSS-R, :func:`packed.lssr_score`); a
   pair of fingers whose relaxed similarity is below ``Parameters.lssr_gate``
   scores 0 without alignment (most impostor pairs: the cheap way out).
3. Global: the best local pairs are tried as alignment anchors; for each, the
   probe is rotated/translated onto the candidate and minutiae that then agree
   in position and direction are paired greedily; the best pairing is refined
   by a least-squares rigid fit (:func:`packed.consolidate`).
4. Score: the weighted pairing squared, normalised by the numbers of minutiae
   of each print that lie in the area both prints cover.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache

from .index import Kernels
from .packed import PackedFinger, pack
from .parameters import DEFAULT, Parameters
from .template import FingerprintTemplate

__all__ = ["MatchResult", "match", "compare", "kernels"]


@dataclass
class MatchResult:
    score: float
    pairs: list[tuple[int, int]] = field(default_factory=list)   # (probe minutia, candidate minutia)
    parts: dict[str, float] = field(default_factory=dict)

    def explain(self) -> dict:
        return {
            "score": float(self.score),
            "pairs": [[int(a), int(b)] for a, b in self.pairs],
            "parts": {k: float(v) for k, v in self.parts.items()},
        }


@lru_cache(maxsize=8)
def kernels(p: Parameters = DEFAULT) -> Kernels:
    return Kernels(p)


def match(probe: FingerprintTemplate, candidate: FingerprintTemplate, p: Parameters = DEFAULT) -> MatchResult:
    """Compare two templates; higher score = more similar (0 = no evidence).

    ``pairs`` index the templates' own minutiae lists.
    """
    return compare(pack(probe, p), pack(candidate, p), p)


def compare(a: PackedFinger, b: PackedFinger, p: Parameters = DEFAULT) -> MatchResult:
    """:func:`match` on fingers already packed (what the gallery holds)."""
    k = kernels(p)
    score, pairs, rot, tx, ty, weight, ov_a, ov_b, S, relaxed = k.full(a, b)
    parts = {"probe_minutiae": float(len(a)), "candidate_minutiae": float(len(b)), "paired": float(len(pairs)),
             "relaxed_similarity": float(relaxed), "relaxation_gate": float(k.gate)}
    if len(pairs):
        parts.update({
            "weighted_pairing": float(weight),
            "local_similarity": float(S[pairs[:, 0], pairs[:, 1]].mean()),
            "probe_in_overlap": float(ov_a), "candidate_in_overlap": float(ov_b),
            "rotation_deg": math.degrees(rot), "translation_x": float(tx), "translation_y": float(ty),
        })
    return MatchResult(float(score), [(int(a.source[i]), int(b.source[j])) for i, j in pairs], parts)
