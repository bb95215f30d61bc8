"""The Morton memo priorities (ICE, 30 June 2010; reissued 2 March 2011).

"Civil Immigration Enforcement: Priorities for the Apprehension, Detention, and
Removal of Aliens", John Morton, Director, ICE (reissued on 2 March 2011
with the same three priorities):

* Priority 1, threats to national security or public safety: suspected
  terrorists and other national-security dangers; aliens convicted of crimes
  (ranked by the Level 1/2/3 definitions of Secure Communities); gang
  participants aged 16 or over; aliens with outstanding criminal warrants;
  others posing a serious risk to public safety.
* Priority 2, recent illegal entrants: recent violators of immigration controls
  at the border, at ports of entry, or by knowing abuse of visa/visa waiver.
* Priority 3, fugitives and obstructors of immigration controls: fugitives
  (final order, failed to depart), re-entrants after removal, immigration fraud.

The memo does not define "recent"; scomm takes ``RECENT_ENTRY_YEARS`` (3) as
a stated assumption.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from ..rapsheet import Conviction
from .base import Classification, ImmigrationContext, RuleHit, RuleSet, assemble, canonical, codes, sc_level

PRIORITIES = ("1", "2", "3", "none")
RECENT_ENTRY_YEARS = 3
NOT_ASSESSED = ("national security, gang, criminal warrant, public-safety risk (P1)",
                "date of last unlawful entry, visa abuse (P2)",
                "fugitive status, re-entry after removal, immigration fraud (P3)")


def years_between(a: date, b: date) -> float:
    return (b - a).days / 365.25


def morton_hits(convictions: Sequence[Conviction], ctx: ImmigrationContext) -> list[RuleHit]:
    cs = canonical(convictions)
    hits: list[RuleHit] = []

    def hit(rule: str, p: str, reason: str, fired: Sequence[Conviction] = (), cat: str = "") -> None:
        hits.append(RuleHit(rule, p, reason, codes(fired), cat))

    if ctx.national_security:
        hit("P1-national-security", "1", "Priority 1: engaged in or suspected of terrorism or "
            "espionage, or otherwise a danger to national security")
    if cs:
        level, _, fired, why = sc_level(cs)
        hit(f"P1-convicted-L{level}", "1", f"Priority 1: convicted of crimes, Level {level} "
            f"offender: {why}", fired, f"Level {level}")
    if ctx.gang:
        hit("P1-gang", "1", "Priority 1: aged 16 or over, participated in an organised criminal gang")
    if ctx.outstanding_warrant:
        hit("P1-warrant", "1", "Priority 1: subject to an outstanding criminal warrant")
    if ctx.public_safety_risk:
        hit("P1-public-safety", "1", "Priority 1: otherwise poses a serious risk to public safety")
    if (ctx.entered_without_inspection and ctx.last_entry and ctx.on
            and years_between(ctx.last_entry, ctx.on) <= RECENT_ENTRY_YEARS):
        hit("P2-recent-entrant", "2", "Priority 2: recent illegal entrant: last unlawful entry on "
            f"or after {ctx.last_entry.isoformat()}, within {RECENT_ENTRY_YEARS} years of "
            f"{ctx.on.isoformat()} (scomm's reading of 'recent')")
    if ctx.visa_abuse:
        hit("P2-visa-abuse", "2", "Priority 2: knowing abuse of the visa or visa waiver programs")
    if ctx.fugitive:
        hit("P3-fugitive", "3", "Priority 3: fugitive alien (final order of removal, failed to depart)")
    if ctx.previously_removed:
        hit("P3-reentry", "3", "Priority 3: re-entered the country illegally after removal")
    if ctx.immigration_fraud:
        hit("P3-fraud", "3", "Priority 3: obtained admission or status by visa, identification "
            "or immigration benefit fraud")
    return hits


@dataclass(frozen=True)
class Morton(RuleSet):
    priorities: tuple[str, ...] = PRIORITIES

    def classify(self, convictions: Sequence[Conviction],
                 context: ImmigrationContext | None = None) -> Classification:
        cs = canonical(convictions)
        ctx = context or ImmigrationContext()
        missing = NOT_ASSESSED if context is None else (
            ("assessment date (P2 'recent')",) if ctx.last_entry and not ctx.on else ())
        return assemble(self.id, self.priorities, cs, morton_hits(cs, ctx),
                        "not a Morton priority on this record", missing)


_TITLE = ("Civil Immigration Enforcement: Priorities for the Apprehension, Detention, "
          "and Removal of Aliens")
MORTON_2010 = Morton(
    "MORTON-2010", f"Morton memo (2010): {_TITLE}", date(2010, 6, 30), date(2010, 6, 30),
    date(2011, 3, 2), "ICE Director John Morton, memorandum of 2010-06-30",
    "Priority 1 ranks convicted aliens by the SC Level 1/2/3 definitions.")
MORTON_2011 = Morton(
    "MORTON-2011", f"Morton memo (2011 reissue): {_TITLE}", date(2011, 3, 2), date(2011, 3, 2),
    date(2015, 1, 5), "ICE Director John Morton, memorandum of 2011-03-02 reissuing the "
    "2010-06-30 priorities",
    "Same three priorities as 2010; in force until the Johnson memo took effect (2015-01-05).")
