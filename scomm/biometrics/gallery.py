"""In-memory 1:N tenprint search with quality-weighted score fusion.

Fusion rule: for a gallery subject, every finger position present in both the
probe and the subject's record is compared; the fused score is the
quality-weighted mean of those finger scores, with weight
``w_f = 0.2 + sqrt(q_probe * q_gallery) / 100`` (finger qualities 0..100), so
a good-quality finger pair counts up to six times more than an unusable one.
A candidate is a *hit* (``decision=True``) when the fused score reaches the
threshold of the :class:`DecisionRule`, which is set by a target FPIR and the
gallery size.
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import NamedTuple

import numpy as np

from .codes import ProbeCode
from .index import FingerStore
from .matcher import MatchResult, compare, kernels
from .packed import PackedFinger, pack
from .parameters import DEFAULT, Parameters
from .template import FingerprintTemplate

__all__ = ["TenprintGallery", "Candidate", "DecisionRule", "DEFAULT_RULE"]

class TailFit(NamedTuple):
    """``P(non-mate fused score >= t) ~= exp(-(t - a) / beta)`` per comparison, for
    probabilities up to ``max_p`` (the fit's points / comparisons): no further, where
    the body of the distribution, not its tail, would answer."""
    a: float
    beta: float
    source: str
    max_p: float


# Fitted by ``scomm bench search`` (docs/bench/search-*.json, "impostor_tail") on the
# top-50 pooled non-mate scores of its non-mated searches: prints rendered as images and
# extracted (one fit per extractor), and image-free synthetic templates.
TEMPLATES_FIT = TailFit(-4.984, 0.511, "100,000 subjects of synthetic templates, 200 non-mated probes",
                        50 / 20_000_000)
TAIL_FITS: dict[str, tuple[TailFit, ...]] = {
    "leader": (TailFit(0.508, 0.313, "500 subjects rendered as images and extracted by LEADER, 1,000 "
                                     "non-mated searches", 50 / 500_000), TEMPLATES_FIT),
    "classical": (TailFit(1.942, 0.144, "2,000 subjects rendered as images and extracted by the classical "
                                        "pipeline, 100 non-mated probes", 50 / 200_000), TEMPLATES_FIT),
}


@dataclass(frozen=True)
class DecisionRule:
    """When a candidate is a hit: fused score >= ``max over fits of a + beta * ln(N / fpir)``.

    The fused score of a ten-print probe against a random non-mate has an
    exponential upper tail; a search of a gallery of ``N`` subjects returns a
    false hit with probability about ``N * P(score >= t)`` (the FPIR), so the
    threshold that gives a target FPIR grows with ``ln N``. Two fits (prints
    extracted from images, and image-free templates) disagree on the slope; the
    rule takes the stricter threshold of the two at every ``N``. A small gallery
    would need a fit's tail beyond the probabilities it was fitted on (at N = 4 a
    LEADER hub saw 2 false hits in 120 searches for a 0.1% target), so ``N / fpir``
    counts at least ``1 / max_p``. The fits hold for probes with 8-10 fingers (the
    hub's intake rule) and synthetic prints: re-fit them on operational data before
    trusting the FPIR.
    """
    fpir: float = 0.001
    fits: tuple[TailFit, ...] = TAIL_FITS["leader"]

    @classmethod
    def for_extractor(cls, extractor: str, fpir: float = 0.001) -> DecisionRule:
        """The rule fitted on the scores of templates from ``extractor``."""
        return cls(fpir, TAIL_FITS[extractor])

    def _log_odds(self, f: TailFit, gallery_size: int) -> float:
        return max(math.log(max(1, gallery_size) / self.fpir), math.log(1 / f.max_p))

    def governing(self, gallery_size: int) -> TailFit:
        return max(self.fits, key=lambda f: f.a + f.beta * self._log_odds(f, gallery_size))

    def threshold(self, gallery_size: int) -> float:
        f = self.governing(gallery_size)
        return f.a + f.beta * self._log_odds(f, gallery_size)

    def describe(self, gallery_size: int) -> str:
        f = self.governing(gallery_size)
        odds = f"ln(N={gallery_size} / FPIR={self.fpir})"
        if math.log(1 / f.max_p) > math.log(max(1, gallery_size) / self.fpir):
            odds = f"ln({1 / f.max_p:,.0f}), not {odds}: below the range it was fitted on"
        return (f"fused score >= {self.threshold(gallery_size):.2f} = {f.a} + {f.beta} * {odds} "
                f"(impostor tail fitted on {f.source})")


DEFAULT_RULE = DecisionRule()

FINGER_POSITIONS = range(1, 11)


@dataclass
class Candidate:
    subject_id: str
    score: float
    finger_scores: dict[int, float]
    decision: bool
    threshold: float
    details: dict[int, MatchResult] = field(default_factory=dict, repr=False)
    rule: str = ""

    def explain(self) -> dict:
        return {
            "subject_id": self.subject_id,
            "score": float(self.score),
            "decision": bool(self.decision),
            "threshold": float(self.threshold),
            "fusion": "quality-weighted mean of finger scores over common positions",
            "rule": self.rule,
            "fingers": {
                str(f): {"score": float(self.finger_scores[f]), **self.details[f].explain()}
                for f in sorted(self.finger_scores) if f in self.details
            },
        }


class TenprintGallery:
    """In-memory 1:N index of tenprint records (finger position 1..10).

    Each finger position has a :class:`~.index.FingerStore` of bit-vector MCC
    fingers; row ``r`` of every store belongs to subject ``r``.
    """

    def __init__(self, params: Parameters = DEFAULT, rule: DecisionRule = DEFAULT_RULE,
                 threshold: float | None = None):
        self.params = params
        self.rule = rule
        self._fixed_threshold = threshold
        self._ids: list[str] = []
        self._row: dict[str, int] = {}
        self._stores = {f: FingerStore(params.mcc_nd, params.code_cylinders) for f in FINGER_POSITIONS}

    def __len__(self) -> int:
        return len(self._row)

    @property
    def threshold(self) -> float:
        """The fused score a hit needs now: fixed if given, else by :attr:`rule` for this gallery's size."""
        if self._fixed_threshold is not None:
            return float(self._fixed_threshold)
        return self.rule.threshold(len(self))

    def rule_text(self) -> str:
        if self._fixed_threshold is not None:
            return f"fused score >= {self._fixed_threshold} (fixed threshold)"
        return self.rule.describe(len(self))

    def __contains__(self, subject_id: str) -> bool:
        return str(subject_id) in self._row

    @property
    def nbytes(self) -> int:
        """Bytes of fingerprint data held in memory (all finger stores)."""
        return sum(s.nbytes for s in self._stores.values())

    @property
    def code_nbytes(self) -> int:
        """Bytes of the fixed-length codes (part of :attr:`nbytes`; held in memory even when the
        stores are memory maps)."""
        return sum(s.code_nbytes for s in self._stores.values())

    def fingers(self) -> int:
        """Number of stored fingers."""
        return sum(int(s.present().sum()) for s in self._stores.values())

    def add(self, subject_id: str, fingers: dict[int, FingerprintTemplate]) -> None:
        """Add or replace a subject's record."""
        self.add_packed(subject_id, {f: pack(t, self.params) for f, t in _check_fingers(fingers).items()})

    def add_packed(self, subject_id: str, packed: dict[int, PackedFinger]) -> None:
        """:meth:`add` for fingers already packed with this gallery's parameters."""
        sid = str(subject_id)
        row = self._row.get(sid)
        if row is None:
            self._row[sid] = len(self._ids)
            self._ids.append(sid)
            for f, store in self._stores.items():
                store.add(packed.get(f))
        else:
            for f, store in self._stores.items():
                store.set(row, packed.get(f))

    def export(self) -> tuple[list[str], dict[int, dict[str, np.ndarray]]]:
        """(subject ids by row, each finger position's store arrays): what :meth:`extend` takes."""
        if len(self._row) != len(self._ids):
            raise ValueError("a gallery with removed subjects is not exported")
        return list(self._ids), {f: s.export() for f, s in self._stores.items()}

    def extend(self, ids: list[str], stores: dict[int, dict[str, np.ndarray]], copy: bool = True) -> None:
        """Append subjects exported by a gallery with the same parameters (none of them here yet);
        ``copy=False`` into an empty gallery holds the arrays themselves (see :meth:`FingerStore.extend`)."""
        ids = [str(i) for i in ids]
        clash = next((i for i in ids if i in self._row), None)
        if clash is not None or len(set(ids)) != len(ids):
            raise ValueError(f"subject {clash} is already in the gallery, or given twice")
        if any(len(stores[f]["spans"]) != len(ids) for f in FINGER_POSITIONS):
            raise ValueError("every finger position needs one row per subject")
        base = len(self._ids)
        for f, store in self._stores.items():
            store.extend(stores[f], copy)
        self._row.update((sid, base + k) for k, sid in enumerate(ids))
        self._ids.extend(ids)

    def reserve(self, stores: dict[int, dict[str, np.ndarray]], scale: float) -> None:
        """Room for ``scale`` times as many rows as ``stores`` (an exported batch) hold."""
        for f, store in self._stores.items():
            store.reserve({name: int(len(a) * scale) + 1 for name, a in stores[f].items()})

    def remove(self, subject_id: str) -> None:
        """Remove a subject (its row stays, empty); KeyError if absent."""
        row = self._row.pop(str(subject_id))
        for store in self._stores.values():
            store.set(row, None)

    def search(self, probe: dict[int, FingerprintTemplate], max_candidates: int = 5,
               among: Iterable[str] | None = None) -> list[Candidate]:
        """Best ``max_candidates`` subjects by fused score (descending); see :meth:`rank`.

        Every candidate has its finger scores; the first also has, per finger,
        the paired minutiae and the parts of the score (its explanation).
        ``among`` restricts the search to those subjects; the decision threshold
        stays that of the whole gallery.
        """
        packed = self.pack_probe(probe)
        subset = None if among is None else np.array(
            sorted(self._row[i] for i in set(map(str, among)) if i in self._row), dtype=np.int64)
        rows, fused, per_finger = self._rank(packed, subset)
        out: list[Candidate] = []
        for o in np.argsort(-fused)[:max(0, max_candidates)]:
            row = int(rows[o])
            scores = {f: float(v[o]) for f, v in per_finger.items() if self._stores[f].present()[row]}
            if not scores:
                continue   # a removed subject
            details = self._details(packed, row) if not out else {}
            t = self.threshold
            out.append(Candidate(self._ids[row], float(fused[o]), scores, bool(fused[o] >= t), t, details,
                                 self.rule_text()))
        return out

    def verify(self, probe: dict[int, FingerprintTemplate], subject_id: str) -> Candidate:
        """1:1 against one subject (KeyError if absent): the fused score, decided at the
        threshold for a gallery of one (a fixed threshold if given)."""
        if str(subject_id) not in self._row:
            raise KeyError(subject_id)
        found = self.search(probe, 1, among=[subject_id])
        c = found[0] if found else Candidate(str(subject_id), 0.0, {}, False, 0.0)
        t = float(self._fixed_threshold) if self._fixed_threshold is not None else self.rule.threshold(1)
        rule = self.rule_text() if self._fixed_threshold is not None else self.rule.describe(1)
        return replace(c, decision=c.score >= t, threshold=t, rule=rule)

    def pack_probe(self, probe: dict[int, FingerprintTemplate]) -> dict[int, PackedFinger]:
        packed = {f: pack(t, self.params) for f, t in _check_fingers(probe).items()}
        return {f: pf for f, pf in packed.items() if len(pf) >= 2}

    def rank(self, probe: dict[int, PackedFinger], without: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(rows, fused scores) of the subjects compared in full, on every finger, with the probe
        (``without`` one subject: the search as if it had never been enrolled).

        A cascade on the three best-quality probe fingers narrows the gallery
        first: bit-MCC local similarity sort (no geometry, central cylinders
        only) keeps ``params.prefilter_keep`` subjects, the full matcher on
        those three fingers keeps ``params.rescore_keep``, and only these are
        compared on every finger and fused.  Above ``params.code_min_gallery``
        subjects the fixed-length codes (:mod:`.codes`) choose the
        ``prefilter_keep`` instead of the local similarity sort, so the full
        templates (memory maps, perhaps) are read only for those.
        """
        rows = np.arange(len(self._ids), dtype=np.int64)
        if without is not None and without in self._row:
            rows = rows[rows != self._row[without]]
        rows, fused, _ = self._rank(probe, rows)
        return rows, fused

    def _rank(self, probe: dict[int, PackedFinger], rows: np.ndarray | None = None):
        if rows is None:
            rows = np.arange(len(self._ids), dtype=np.int64)
        if not probe or not len(rows):
            return rows[:0], np.zeros(0), {}
        p, k = self.params, kernels(self.params)
        by_quality = sorted(probe, key=lambda f: -probe[f].quality)
        stages = [("lss", p.prefilter_keep), ("full", p.rescore_keep)]
        if len(rows) > p.code_min_gallery:
            rows = self._code_pass(probe, by_quality, rows, k)
            stages = stages[1:]
        best = {f: probe[f] for f in by_quality[:3]}
        for kind, keep in stages:
            if len(rows) > keep:
                scores, _ = self._fuse(best, rows, k, kind)
                rows, _ = _top(rows, scores, keep)
        fused, per_finger = self._fuse(probe, rows, k, "full")
        return rows, fused, per_finger

    def _code_pass(self, probe: dict[int, PackedFinger], by_quality: list[int], rows: np.ndarray, k):
        """The ``prefilter_keep`` rows a large gallery's codes rank first: a scan of every row on
        the best ``code_fingers`` fingers, the share it kept scored on the others too, and the
        ``code_keep`` share of the gallery left scored again on every cylinder of the codes."""
        p, n = self.params, len(rows)
        codes = {f: ProbeCode(probe[f], p.code_probe_cylinders, k.code_max_dtheta) for f in by_quality}
        scan = p.code_scan_cylinders
        rows, scores = _top(rows, self._code_scores(codes, by_quality[:p.code_fingers], rows, scan),
                            max(p.prefilter_keep, int(p.code_scan_keep * n)))
        scores += self._code_scores(codes, by_quality[p.code_fingers:], rows, scan)
        rows, _ = _top(rows, scores, max(p.prefilter_keep, int(p.code_keep * n)))
        return _top(rows, self._code_scores(codes, by_quality, rows, p.code_cylinders), p.prefilter_keep)[0]

    def _code_scores(self, codes: dict[int, ProbeCode], fingers: list[int], rows: np.ndarray,
                     cylinders: int) -> np.ndarray:
        scores = np.zeros(len(rows), np.float32)
        for f in fingers:
            self._stores[f].code_score(codes[f], rows, cylinders, self.params.code_np, scores)
        return scores

    def _weights(self, pf: PackedFinger, f: int, rows: np.ndarray) -> np.ndarray:
        store = self._stores[f]
        qg = store.quality()[rows].astype(np.float64)
        return np.where(store.present()[rows], 0.2 + np.sqrt(max(0, pf.quality) * qg) / 100.0, 0.0)

    def _fuse(self, probe: dict[int, PackedFinger], rows: np.ndarray, k, kind: str):
        """(fused scores, {finger: scores}) of the probe against the rows."""
        num = np.zeros(len(rows))
        den = np.zeros(len(rows))
        parallel = len(rows) > 16
        per_finger = {}
        for f, pf in probe.items():
            w = self._weights(pf, f, rows)
            per_finger[f] = self._stores[f].score(pf, rows, k, kind, parallel)
            num += w * per_finger[f]
            den += w
        return np.divide(num, den, out=np.zeros_like(num), where=den > 0), per_finger

    def _details(self, probe: dict[int, PackedFinger], row: int) -> dict[int, MatchResult]:
        out = {}
        for f, pf in probe.items():
            g = self._stores[f].finger(row)
            if g is not None:
                out[f] = compare(pf, g, self.params)
        return out


def _top(rows: np.ndarray, scores: np.ndarray, keep: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``keep`` rows of highest score and their scores (all of them if no more)."""
    if len(rows) <= keep:
        return rows, scores
    best = np.argpartition(-scores, keep - 1)[:keep]
    return rows[best], scores[best]


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
