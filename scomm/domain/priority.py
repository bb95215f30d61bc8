"""ICE priority levels for an identified person, as versioned, explainable rule sets.

Each framework is a rule set with an effective period; ``framework_in_force``
picks the one for a booking date. Only the 2008 Secure Communities levels
(SC-2008) are implemented; the Morton memos (2010/2011), the Johnson memo /
PEP (Nov 2014) and EO 13768 (Jan 2017) are to be added as further
frameworks with their own dates (see ``FRAMEWORKS``).

Every classification says which rule fired, on which convictions, and why.
Only convictions count: arrests and charges without a conviction do not.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Protocol, Sequence, runtime_checkable

from .rapsheet import Conviction

NOT_COUNTED = "arrests and charges without a conviction do not count"


@dataclass(frozen=True)
class Classification:
    framework: str                 # e.g. "SC-2008"
    level: str                     # "1" | "2" | "3" | "non-criminal" (SC-2008)
    rule: str                      # id of the rule that fired, e.g. "L1-two-felonies"
    reasons: list[str] = field(default_factory=list)
    convictions: list[str] = field(default_factory=list)  # NCIC codes that fired the rule

    def to_dict(self) -> dict:
        return {"framework": self.framework, "level": self.level, "rule": self.rule,
                "reasons": list(self.reasons), "convictions": list(self.convictions)}

    @classmethod
    def from_dict(cls, d: dict) -> "Classification":
        return cls(d["framework"], d["level"], d["rule"], list(d.get("reasons", [])),
                   list(d.get("convictions", [])))


@runtime_checkable
class Framework(Protocol):
    """A priority rule set in force from ``effective_from`` until ``effective_to``
    (exclusive; None = not superseded in scomm)."""
    id: str
    title: str
    effective_from: date
    effective_to: date | None
    levels: tuple[str, ...]        # most to least serious

    def classify(self, convictions: Sequence[Conviction]) -> Classification: ...


# ---------------------------------------------------------------- SC-2008

SC2008_LEVELS = ("1", "2", "3", "non-criminal")
SC2008_RULES = {
    "L1-aggravated-felony": "Level 1: convicted of an aggravated felony (INA 101(a)(43))",
    "L1-two-felonies": "Level 1: convicted of two or more felonies",
    "L2-one-felony": "Level 2: convicted of one felony",
    "L2-three-misdemeanors": "Level 2: convicted of three or more misdemeanors",
    "L3-misdemeanor": "Level 3: convicted of a misdemeanor",
    "NC-no-conviction": "non-criminal: no conviction",
}


def _listing(cs: Sequence[Conviction]) -> str:
    return "; ".join(c.label() for c in cs)


def classify_sc2008(convictions: Sequence[Conviction]) -> Classification:
    """The 2008 Secure Communities levels (DOMAIN.md, "Priorities").

    Level 1: an aggravated felony, or two or more felonies. Level 2: one
    felony, or three or more misdemeanors. Level 3: one or two misdemeanors.
    Non-criminal: no conviction. Each conviction counts once (two charges
    convicted on the same day are two convictions).
    """
    cs = sorted(convictions, key=lambda c: (c.date, c.ncic))
    aggravated = [c for c in cs if c.offence.aggravated_felony]
    felonies = [c for c in cs if c.offence.severity == "felony"]
    misdemeanors = [c for c in cs if c.offence.severity != "felony"]

    def result(level: str, rule: str, fired: Sequence[Conviction], why: str) -> Classification:
        reasons = [f"{SC2008_RULES[rule]}: {why}"]
        if cs:
            reasons.append(f"convictions considered ({len(cs)}): {_listing(cs)}")
        unknown = [c.ncic for c in cs if c.offence.category == "unclassified"]
        if unknown:
            reasons.append("NCIC code(s) not in the offence table, counted as misdemeanors: "
                           + ", ".join(unknown))
        reasons.append(f"{NOT_COUNTED} (SC-2008 ranks convictions only)")
        return Classification("SC-2008", level, rule, reasons, [c.ncic for c in fired])

    if aggravated:
        return result("1", "L1-aggravated-felony", aggravated,
                      f"{len(aggravated)} aggravated felony conviction(s): {_listing(aggravated)}")
    if len(felonies) >= 2:
        return result("1", "L1-two-felonies", felonies,
                      f"{len(felonies)} felony convictions: {_listing(felonies)}")
    if len(felonies) == 1:
        return result("2", "L2-one-felony", felonies,
                      f"one felony conviction: {_listing(felonies)}")
    if len(misdemeanors) >= 3:
        return result("2", "L2-three-misdemeanors", misdemeanors,
                      f"{len(misdemeanors)} misdemeanor convictions: {_listing(misdemeanors)}")
    if misdemeanors:
        return result("3", "L3-misdemeanor", misdemeanors,
                      f"{len(misdemeanors)} misdemeanor conviction(s): {_listing(misdemeanors)}")
    return result("non-criminal", "NC-no-conviction", [], "no conviction on record")


@dataclass(frozen=True)
class SC2008:
    id: str = "SC-2008"
    title: str = "Secure Communities criminal-alien levels 1-3 (2008)"
    effective_from: date = date(2008, 10, 27)   # first county activations (Harris County, TX)
    # In history superseded by the Morton memo of 30 June 2010; left open until
    # that framework is implemented here.
    effective_to: date | None = None
    levels: tuple[str, ...] = SC2008_LEVELS

    def classify(self, convictions: Sequence[Conviction]) -> Classification:
        return classify_sc2008(convictions)


SC_2008 = SC2008()

# Every framework scomm knows, oldest first. Later ones (Morton 2010-06-30 /
# 2011-03-02, Johnson/PEP 2014-11-20, EO 13768 2017-01-25) are appended here.
FRAMEWORKS: tuple[Framework, ...] = (SC_2008,)


def framework(framework_id: str) -> Framework:
    for f in FRAMEWORKS:
        if f.id == framework_id:
            return f
    raise KeyError(f"unknown priority framework {framework_id!r}; known: "
                   + ", ".join(f.id for f in FRAMEWORKS))


def framework_in_force(on: date) -> Framework:
    """The framework in force on ``on``. Dates before the first framework fall back
    to the earliest one (SC-2008 is the only one for now, so it answers for any date)."""
    for f in reversed(FRAMEWORKS):
        if f.effective_from <= on and (f.effective_to is None or on < f.effective_to):
            return f
    return FRAMEWORKS[0]
