"""Conditions under which a jail honours a detainer, and the facts they ask about.

A condition is a small formula over named facts (``CONDITION_ATOMS``):
``"a+b|c"`` means (a and b) or c. Answers use three-valued (Kleene) logic:
None when the facts given do not settle it (e.g. no criminal record given).
Every atom is monotone: more convictions, or a warrant, never turn an allowed
hold into a refused one.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from .rapsheet import Conviction

CONDITION_ATOMS = {
    "all": "every detainer", "none": "no detainer",
    "judicial_warrant": "a judicial warrant",
    "reimbursed": "a written cost-reimbursement agreement",
    "conviction": "any conviction", "felony": "a felony conviction",
    "aggravated_felony": "an aggravated-felony conviction",
    "felony_5y": "a felony conviction within 5 years", "felony_10y": "a felony conviction within 10 years",
    "conviction_5y": "a conviction within 5 years", "conviction_10y": "a conviction within 10 years",
    "pending_charge": "a pending criminal charge", "prior_removal": "a prior removal or removal order",
    "watchlist": "a possible terrorist watch-list match",
}


class ConditionError(ValueError):
    """A condition naming an unknown fact."""


def parse_condition(text: str) -> list[list[str]]:
    """``"a+b|c"`` -> ``[["a", "b"], ["c"]]``: any alternative, all of its atoms."""
    alternatives = [[a.strip() for a in alt.split("+")] for alt in text.split("|")]
    for alt in alternatives:
        for atom in alt:
            if atom not in CONDITION_ATOMS:
                raise ConditionError(f"unknown condition {atom!r} in {text!r}; known: "
                                      + ", ".join(CONDITION_ATOMS))
    return alternatives


def describe_condition(text: str) -> str:
    return " or ".join(" and ".join(CONDITION_ATOMS[a] for a in alt)
                       for alt in parse_condition(text))


@dataclass(frozen=True)
class PersonFacts:
    """What a jail condition may ask about the person. ``convictions=None`` and
    ``level=None``: the record is unknown (answers that need it are None)."""
    on: date
    convictions: Sequence[Conviction] | None = None
    level: str | None = None        # SC level, used when convictions are not given
    judicial_warrant: bool = False
    reimbursed: bool = False
    pending_charge: bool = False
    prior_removal: bool = False
    watchlist: bool = False

    def atom(self, name: str) -> bool | None:
        if name in ("all", "none"):
            return name == "all"
        if name in ("judicial_warrant", "reimbursed", "pending_charge", "prior_removal", "watchlist"):
            return getattr(self, name)
        kind, _, years = name.partition("_")
        if name == "aggravated_felony":
            kind, years = "aggravated", ""
        if self.convictions is None:
            return self._by_level(kind, years)
        since = self.on - timedelta(days=round(365.25 * int(years[:-1]))) if years else date.min
        cs = [c for c in self.convictions if since <= c.date <= self.on]
        if kind == "conviction":
            return bool(cs)
        if kind == "felony":
            return any(c.offence.severity == "felony" for c in cs)
        return any(c.offence.aggravated_felony for c in cs)

    def _by_level(self, kind: str, years: str) -> bool | None:
        if self.level is None or years:
            return None if self.level != "non-criminal" else False
        known = {"non-criminal": (False, False, False), "3": (True, False, False),
                 "2": (True, None, False), "1": (True, True, None)}[self.level]
        return known[("conviction", "felony", "aggravated").index(kind)]


def evaluate(condition: str, facts: PersonFacts) -> bool | None:
    """Kleene logic: True, False, or None when the facts do not settle it."""
    result: bool | None = False
    for alt in parse_condition(condition):
        values = [facts.atom(a) for a in alt]
        both = False if False in values else None if None in values else True
        result = True if both is True or result is True else None if None in (both, result) else False
    return result
