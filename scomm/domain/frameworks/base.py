"""What every priority framework shares: the result type, the protocol, the context.

A ``Classification`` carries two answers:

* ``level``: the Secure Communities criminal-offender level (1/2/3/non-criminal)
  computed by the SC-2008 rules whatever the framework. ICE kept these levels
  in its interoperability statistics, and the Morton memo defines its Priority 1
  sub-levels with them, so statistics stay comparable across frameworks.
* ``priority`` (and ``category``): the framework's own answer, e.g. Morton
  Priority "1", PEP priority "2" in category "2(b)", EO 13768 "priority".

``hits`` lists every rule that matched (not only the deciding one), each with
the NCIC codes it fired on and, under PEP, the requests it allows.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol, runtime_checkable

from ..rapsheet import Conviction

NOT_COUNTED = "arrests and charges without a conviction do not count"
SC_LEVELS = ("1", "2", "3", "non-criminal")


@dataclass(frozen=True)
class RuleHit:
    """One rule that matched: its id, the priority it gives, the NCIC codes it fired on."""
    rule: str
    priority: str
    reason: str
    convictions: tuple[str, ...] = ()
    category: str = ""
    allows: tuple[str, ...] = ()   # PEP: detainer/notification/transfer forms this rule allows

    def to_dict(self) -> dict:
        return {"rule": self.rule, "priority": self.priority, "category": self.category,
                "reason": self.reason, "convictions": list(self.convictions),
                "allows": list(self.allows)}

    @classmethod
    def from_dict(cls, d: dict) -> RuleHit:
        return cls(d["rule"], d["priority"], d.get("reason", ""), tuple(d.get("convictions", ())),
                   d.get("category", ""), tuple(d.get("allows", ())))


@dataclass(frozen=True)
class Classification:
    framework: str                 # e.g. "SC-2008", "JOHNSON-2014"
    level: str                     # SC criminal-offender level: "1" | "2" | "3" | "non-criminal"
    rule: str                      # id of the deciding rule, e.g. "L1-two-felonies", "P1d-felony"
    reasons: list[str] = field(default_factory=list)
    convictions: list[str] = field(default_factory=list)  # NCIC codes that fired the rule
    priority: str = ""             # the framework's own tier; defaults to ``level``
    category: str = ""             # clause within the tier, e.g. "1(d)", "5(b)"
    hits: list[RuleHit] = field(default_factory=list)     # every rule that matched

    def __post_init__(self) -> None:
        if not self.priority:
            object.__setattr__(self, "priority", self.level)

    def to_dict(self) -> dict:
        return {"framework": self.framework, "level": self.level, "rule": self.rule,
                "reasons": list(self.reasons), "convictions": list(self.convictions),
                "priority": self.priority, "category": self.category,
                "hits": [h.to_dict() for h in self.hits]}

    @classmethod
    def from_dict(cls, d: dict) -> Classification:
        """Also reads the older stored form (five keys, no priority or hits)."""
        return cls(d["framework"], d["level"], d["rule"], list(d.get("reasons", [])),
                   list(d.get("convictions", [])), d.get("priority", ""), d.get("category", ""),
                   [RuleHit.from_dict(h) for h in d.get("hits", [])])


@dataclass(frozen=True)
class ImmigrationContext:
    """Facts beyond the conviction list that a framework may use. All optional:
    an unknown fact never fires a rule, and the reasons say what was not assessed.

    Most come from the immigration record (``from_record``); a few are an
    officer's judgement (national security, gang, public-safety risk) or court
    facts the NCIC code does not carry (custody sentences, pending charges).
    """
    on: date | None = None                  # date of assessment (the booking date)
    last_entry: date | None = None          # last unlawful entry happened on or after this date
    entered_without_inspection: bool = False  # present without admission or parole
    apprehended_at_border: bool = False     # this apprehension: at the border while entering
    previously_removed: bool = False        # removed before and present again (re-entry)
    removal_order_date: date | None = None  # date of a final order of removal
    fugitive: bool = False                  # final order, failed to depart
    visa_abuse: bool = False                # knowing/significant abuse of visa or visa waiver
    immigration_fraud: bool = False         # visa, identity or benefit fraud; misrepresentation
    benefits_abuse: bool = False            # abuse of a public-benefits programme
    national_security: bool = False         # terrorism, espionage, danger to national security
    gang: bool = False                      # aged 16+, took part in an organised criminal gang
    gang_conviction: bool = False           # convicted of an offence with a gang element
    outstanding_warrant: bool = False       # outstanding criminal warrant
    public_safety_risk: bool = False        # officer's judgement of a serious risk
    chargeable_conduct: bool = False        # committed acts that constitute a chargeable offence
    pending_charges: tuple[str, ...] = ()   # NCIC codes charged and not yet resolved
    custody_sentences: tuple[tuple[str, date, int], ...] = ()  # (NCIC, conviction date, days)

    def sentence_days(self, c: Conviction) -> int | None:
        days = [d for code, on, d in self.custody_sentences if code == c.ncic and on == c.date]
        return max(days) if days else None

    @classmethod
    def from_record(cls, encounters: Sequence, on: date, *,
                    pending_charges: Sequence[str] = ()) -> ImmigrationContext:
        """What IDENT's encounters (``immigration.Encounter``) say on ``on``.

        The latest status-changing encounter decides: a border apprehension or a
        removal followed by a booking here means an unlawful (re-)entry on or after
        that date. A removal's date stands in for its final order's date (the order
        is on or before it): stated approximation.
        """
        past = sorted((e for e in encounters if e.date <= on), key=lambda e: e.date)
        status_changing = [e for e in past if e.kind in
                           ("admission", "border_apprehension", "removal", "lpr_adjustment",
                            "naturalisation")]
        removals = [e for e in past if e.kind == "removal"]
        last = status_changing[-1] if status_changing else None
        unlawful = last is not None and last.kind in ("border_apprehension", "removal")
        return cls(on=on,
                   last_entry=last.date if last is not None and unlawful else None,
                   entered_without_inspection=unlawful,
                   previously_removed=bool(removals) and last is not None and last.kind == "removal",
                   removal_order_date=removals[-1].date if removals else None,
                   pending_charges=tuple(pending_charges))


@runtime_checkable
class Framework(Protocol):
    """A priority rule set in force from ``effective_from`` until ``effective_to``
    (exclusive; None = not superseded in scomm). Its attributes are read-only (the
    frameworks are frozen dataclasses)."""

    @property
    def id(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def effective_from(self) -> date: ...
    @property
    def effective_to(self) -> date | None: ...
    @property
    def levels(self) -> tuple[str, ...]: ...       # SC criminal-offender levels, most to least serious
    @property
    def priorities(self) -> tuple[str, ...]: ...   # the framework's own tiers, most to least serious

    def classify(self, convictions: Sequence[Conviction],
                 context: ImmigrationContext | None = None) -> Classification: ...


@dataclass(frozen=True)
class FrameworkInfo:
    """Registry entry: where a framework comes from."""
    id: str
    title: str
    issued: date
    effective_from: date
    effective_to: date | None
    source: str
    note: str = ""

    def to_dict(self) -> dict:
        return {"id": self.id, "title": self.title, "issued": self.issued.isoformat(),
                "effective_from": self.effective_from.isoformat(),
                "effective_to": self.effective_to.isoformat() if self.effective_to else None,
                "source": self.source, "note": self.note}


@dataclass(frozen=True)
class RuleSet(FrameworkInfo):
    """A framework's registry entry and its tiers; each framework adds ``classify``."""
    levels: tuple[str, ...] = SC_LEVELS
    priorities: tuple[str, ...] = SC_LEVELS


# ------------------------------------------------------------------ helpers

def canonical(convictions: Sequence[Conviction]) -> list[Conviction]:
    """Date, then code order: results never depend on the order given."""
    return sorted(convictions, key=lambda c: (c.date, c.ncic))


def listing(cs: Sequence[Conviction]) -> str:
    return "; ".join(c.label() for c in cs)


def sc_level(convictions: Sequence[Conviction]) -> tuple[str, str, list[Conviction], str]:
    """(level, rule, convictions that fired it, why) by the SC-2008 rules: the SC level that
    every framework reports beside its own priority."""
    cs = canonical(convictions)
    aggravated = [c for c in cs if c.offence.aggravated_felony]
    felonies = [c for c in cs if c.offence.severity == "felony"]
    misdemeanors = [c for c in cs if c.offence.severity != "felony"]
    if aggravated:
        return ("1", "L1-aggravated-felony", aggravated,
                f"{len(aggravated)} aggravated felony conviction(s): {listing(aggravated)}")
    if len(felonies) >= 2:
        return ("1", "L1-two-felonies", felonies,
                f"{len(felonies)} felony convictions: {listing(felonies)}")
    if len(felonies) == 1:
        return "2", "L2-one-felony", felonies, f"one felony conviction: {listing(felonies)}"
    if len(misdemeanors) >= 3:
        return ("2", "L2-three-misdemeanors", misdemeanors,
                f"{len(misdemeanors)} misdemeanor convictions: {listing(misdemeanors)}")
    if misdemeanors:
        return ("3", "L3-misdemeanor", misdemeanors,
                f"{len(misdemeanors)} misdemeanor conviction(s): {listing(misdemeanors)}")
    return "non-criminal", "NC-no-conviction", [], "no conviction on record"


def codes(cs: Sequence[Conviction]) -> tuple[str, ...]:
    return tuple(c.ncic for c in cs)


def common_reasons(cs: Sequence[Conviction], framework: str) -> list[str]:
    out = []
    if cs:
        out.append(f"convictions considered ({len(cs)}): {listing(cs)}")
    unknown = [c.ncic for c in cs if c.offence.category == "unclassified"]
    if unknown:
        out.append("NCIC code(s) not in the offence table, counted as misdemeanors: "
                   + ", ".join(unknown))
    out.append(f"{NOT_COUNTED} ({framework} ranks convictions only)" if framework == "SC-2008"
               else f"{NOT_COUNTED} as convictions")
    return out


def tier_index(tiers: Sequence[str], tier: str) -> int:
    """Position of a tier in a framework's ``priorities`` (smaller is more serious)."""
    return list(tiers).index(tier)


def assemble(framework: str, tiers: Sequence[str], cs: Sequence[Conviction],
             hits: Sequence[RuleHit], none_reason: str, not_assessed: Sequence[str]) -> Classification:
    """A classification from the rules that matched (given in the framework's rule
    order): the first hit of the most serious tier decides; the rest are listed."""
    level = sc_level(cs)[0]   # the SC level is reported under every framework
    if hits:
        best = min(hits, key=lambda h: tier_index(tiers, h.priority))
        reasons = [best.reason] + [f"also: {h.reason}" for h in hits if h is not best]
        decided = (best.priority, best.rule, list(best.convictions), best.category)
    else:
        reasons = [none_reason]
        decided = (tiers[-1], "none", [], "")
    reasons.append(f"SC criminal-offender level {level}")
    reasons += common_reasons(cs, framework)
    if not_assessed:
        reasons.append("not assessed (no fact given): " + "; ".join(not_assessed))
    priority, rule, fired, category = decided
    return Classification(framework, level, rule, reasons, fired, priority, category, list(hits))
