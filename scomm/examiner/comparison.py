"""One finger comparison behind an identification, read back from the record.

The search step recorded, for the candidate it identified, every finger's score,
the minutia pairs and the alignment (the event's ``explain()``); the templates and
impressions are kept with the transaction and the record. Together they redraw
the comparison exactly as the engine decided it.
"""
from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import interchange as nist
from ..biometrics import FingerprintImage, FingerprintTemplate
from ..biometrics.verification import Verification, for_provenance
from ..interchange.ebts_rules import FINGER_NAMES
from ..interchange.images import decode_wsq
from ..messages import EventKind
from ..storage.tables import (
    CriminalFingerRow,
    CriminalSubjectRow,
    EventRow,
    IdentityFingerRow,
    IdentityRow,
    ProbeFingerRow,
    TransactionRow,
)
from . import picture

Repository = Literal["cjis", "ident"]

# where each repository's identification is recorded: event kind, its key, the record tables
_SOURCES: dict[str, tuple[EventKind, str, Any, Any, str, str]] = {
    "cjis": (EventKind.IDENTIFIED, "match", CriminalSubjectRow, CriminalFingerRow, "ucn", "subject_id"),
    "ident": (EventKind.MATCH, "match_detail", IdentityRow, IdentityFingerRow, "fin", "identity_id"),
}


class NoComparison(LookupError):
    """The transaction has no identification there, or not on that finger (the message says which)."""


@dataclass
class FingerComparison:
    repository: str
    subject: str                    # UCN or FIN of the record identified
    finger: int
    score: float                    # this finger's score
    fused: float                    # the candidate's fused score
    threshold: float
    rule: str
    finger_scores: dict[int, float]
    pairs: list[tuple[int, int]]    # (probe minutia, record minutia), indices into the templates
    parts: dict[str, float]         # paired, rotation_deg, translation_x/y, ...
    probe: picture.Side
    record: picture.Side
    one_to_one: Verification        # the 1:1 threshold of the extractor that made the templates

    def caption(self) -> list[str]:
        p, v = self.parts, self.one_to_one
        verdict = ">=" if self.fused >= self.threshold else "<"
        alone = "a 1:1 match on its own" if v.decide(self.score) else "not a 1:1 match on its own"
        lines = [f"{self.repository.upper()} identification of {self.subject}: fused score {self.fused:.1f} "
                 f"{verdict} threshold {self.threshold:.1f}",
                 *textwrap.wrap(f"rule: {self.rule or 'decision rule'}", 110),
                 f"finger {self.finger} ({FINGER_NAMES.get(self.finger, '?')}): score {self.score:.1f}, {alone} "
                 f"(>= {v.threshold:.1f}, FMR {v.fmr:g}); {len(self.pairs)} pairs of {len(self.probe.minutiae)} "
                 f"/ {len(self.record.minutiae)} minutiae"]
        if not self.pairs and p.get("relaxed_similarity", 1.0) < p.get("relaxation_gate", 0.0):
            lines.append(f"no alignment tried: the relaxed similarity of the best local pairs, "
                         f"{p['relaxed_similarity']:.3f}, is below the gate {p['relaxation_gate']:.3f}")
        if "rotation_deg" in p:
            lines.append(f"alignment: rotation {p['rotation_deg']:.1f} deg, translation "
                         f"({p['translation_x']:.0f}, {p['translation_y']:.0f}) px at 500 ppi")
        lines.append("finger scores fused: " + ", ".join(
            f"{f}: {s:.1f}" for f, s in sorted(self.finger_scores.items())))
        return lines

    def explain(self) -> dict[str, Any]:
        return {"repository": self.repository, "subject": self.subject, "finger": self.finger,
                "score": self.score, "fused": self.fused, "threshold": self.threshold, "rule": self.rule,
                "finger_scores": {str(f): s for f, s in sorted(self.finger_scores.items())},
                "one_to_one": {"threshold": self.one_to_one.threshold, "fmr": self.one_to_one.fmr,
                               "fitted_on": self.one_to_one.source, "match": self.one_to_one.decide(self.score)},
                "pairs": [list(pair) for pair in self.pairs], "parts": self.parts,
                "probe_image": self.probe.pixels is not None, "record_image": self.record.pixels is not None,
                "caption": self.caption()}

    def draw(self, fmt: Literal["svg", "png"]) -> bytes:
        sc = picture.scene(self.probe, self.record, self.pairs, self.caption())
        return picture.svg(sc) if fmt == "svg" else picture.png(sc)


def comparison(s: Session, tx: TransactionRow, repository: str, finger: int | None = None
               ) -> FingerComparison:
    """The comparison of ``finger`` (default: the best-scoring one) behind the transaction's
    identification in ``repository``; :class:`NoComparison` if there is none."""
    kind, key, subject_table, finger_table, id_column, owner_column = _SOURCES[repository]
    event = s.scalars(select(EventRow).where(EventRow.transaction_id == tx.id, EventRow.kind == kind)
                      .order_by(EventRow.id.desc())).first()
    if event is None or key not in event.data:
        raise NoComparison(f"no {repository.upper()} identification on this transaction")
    detail = event.data[key]
    fingers = {int(f): d for f, d in detail["fingers"].items()}
    if finger is None:
        finger = max(fingers, key=lambda f: fingers[f]["score"])
    if finger not in fingers:
        raise NoComparison(f"finger {finger} was not compared (compared: {sorted(fingers)})")
    d = fingers[finger]
    subject = s.scalars(select(subject_table).where(getattr(subject_table, id_column) == detail["subject_id"])).first()
    record_row = subject and s.scalars(select(finger_table).where(getattr(finger_table, owner_column) == subject.id,
                                                                  finger_table.finger == finger)).first()
    probe_row = s.get(ProbeFingerRow, (tx.id, finger))
    if record_row is None or probe_row is None:
        raise NoComparison(f"finger {finger} of the probe or of the record is no longer kept")
    probe_tpl = FingerprintTemplate.from_iso(probe_row.template)
    record_tpl = FingerprintTemplate.from_iso(record_row.template)
    record_px = decode_wsq(record_row.image) if record_row.image else None
    return FingerComparison(
        repository=repository, subject=detail["subject_id"], finger=finger, score=float(d["score"]),
        fused=float(detail["score"]), threshold=float(detail["threshold"]), rule=detail.get("rule", ""),
        finger_scores={int(f): float(v["score"]) for f, v in detail["fingers"].items()},
        pairs=[(int(a), int(b)) for a, b in d["pairs"]], parts=d.get("parts", {}),
        probe=picture.Side(f"probe: TCN {tx.tcn}", probe_tpl.minutiae, _probe_pixels(tx.raw, finger),
                           probe_tpl.width, probe_tpl.height),
        record=picture.Side(f"{repository.upper()} record {detail['subject_id']}", record_tpl.minutiae,
                            record_px, record_tpl.width, record_tpl.height),
        one_to_one=for_provenance(probe_tpl.provenance))


def _probe_pixels(raw: bytes, finger: int):
    """The probe's impression of ``finger`` at 500 ppi (the frame of its template)."""
    for img in nist.decode(raw).images:
        if img.position == finger:
            return FingerprintImage(nist.decode_finger_pixels(img), ppi=img.ppi or 500.0).pixels
    return None
