"""The identification service's JSON: probes as ISO/IEC 19794-2 finger templates (base64),
candidates with their scores, decision, rule and (the first) explanation."""
from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints

from ..biometrics import Candidate, FingerprintTemplate
from ..biometrics.matcher import MatchResult
from .engine import GalleryState, Identification, Job, Probe, Verification

Reference = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]
Template = Annotated[str, StringConstraints(min_length=4, max_length=16384)]


class ProbeIn(BaseModel):
    fingers: dict[Annotated[int, Field(ge=1, le=10)], Template] = Field(
        min_length=1, max_length=10, description="finger position (1-10) -> ISO/IEC 19794-2 template, base64")


class IdentifyIn(ProbeIn):
    top: int = Field(5, ge=1, le=100, description="candidates returned")
    among: list[Reference] | None = Field(None, max_length=100_000,
                                          description="search only these reference ids")
    after: int | None = Field(None, ge=0, description="search only records enrolled after this high-water mark")


class VerifyIn(ProbeIn):
    reference_id: Reference


class InsertIn(BaseModel):
    reference_id: Reference


class CandidateOut(BaseModel):
    reference_id: str
    score: float
    finger_scores: dict[int, float]
    decision: bool
    threshold: float
    rule: str
    explanation: dict[str, Any] | None = None


class IdentificationOut(BaseModel):
    candidates: list[CandidateOut]
    hit: bool
    through: int = Field(description="the database high-water mark the search covered")
    gallery_size: int


class VerificationOut(BaseModel):
    reference_id: str
    candidate: CandidateOut


class InsertOut(BaseModel):
    reference_id: str
    through: int


class GalleryOut(BaseModel):
    name: str
    subjects: int
    fingers: int
    high_water: int
    rule: str


class PingOut(BaseModel):
    status: str
    galleries: list[GalleryOut]


class JobOut(BaseModel):
    id: int
    kind: str
    gallery: str
    running_s: float


def probe_in(fingers: Probe) -> dict[int, str]:
    return {f: base64.b64encode(t.to_iso()).decode() for f, t in sorted(fingers.items())}


def probe_of(body: ProbeIn) -> tuple[Probe, list[str]]:
    """The templates of a probe, and a problem named per finger that is not one."""
    probe: Probe = {}
    problems = []
    for f, text in sorted(body.fingers.items()):
        try:
            probe[f] = FingerprintTemplate.from_iso(base64.b64decode(text, validate=True))
        except (binascii.Error, ValueError) as exc:
            problems.append(f"finger {f}: not an ISO/IEC 19794-2 template ({str(exc)[:120]})")
    return probe, problems


def candidate_out(c: Candidate, explained: bool) -> CandidateOut:
    return CandidateOut(reference_id=c.subject_id, score=c.score, finger_scores=c.finger_scores,
                        decision=c.decision, threshold=c.threshold, rule=c.rule,
                        explanation=c.explain() if explained and c.details else None)


def candidate_of(c: CandidateOut) -> Candidate:
    fingers = (c.explanation or {}).get("fingers", {})
    details = {int(f): MatchResult(d["score"], [(a, b) for a, b in d["pairs"]], d["parts"]) for f, d in fingers.items()}
    return Candidate(c.reference_id, c.score, c.finger_scores, c.decision, c.threshold, details, c.rule)


def identification_out(i: Identification) -> IdentificationOut:
    return IdentificationOut(candidates=[candidate_out(c, n == 0) for n, c in enumerate(i.candidates)],
                             hit=i.hit is not None, through=i.through, gallery_size=i.gallery_size)


def identification_of(o: IdentificationOut) -> Identification:
    return Identification([candidate_of(c) for c in o.candidates], o.through, o.gallery_size)


def verification_out(v: Verification) -> VerificationOut:
    return VerificationOut(reference_id=v.reference_id, candidate=candidate_out(v.candidate, True))


def verification_of(o: VerificationOut) -> Verification:
    return Verification(o.reference_id, candidate_of(o.candidate))


def gallery_out(g: GalleryState) -> GalleryOut:
    return GalleryOut(name=g.name, subjects=g.subjects, fingers=g.fingers, high_water=g.high_water, rule=g.rule)


def job_out(j: Job) -> JobOut:
    return JobOut(id=j.id, kind=j.kind, gallery=j.gallery, running_s=j.running_s)
