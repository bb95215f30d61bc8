"""ICE priority levels for an identified person, as versioned, explainable rule sets.

Each framework is a rule set with an effective period; ``framework_in_force``
picks the one for a booking date, ``registry`` lists them with their sources:

* SC-2008        2008-10-27 .. 2010-06-30  Secure Communities levels 1/2/3
* MORTON-2010    2010-06-30 .. 2011-03-02  Morton memo, Priorities 1-3
* MORTON-2011    2011-03-02 .. 2015-01-05  Morton memo reissued
* JOHNSON-2014   2015-01-05 .. 2017-01-25  Johnson memo / PEP (issued 2014-11-20)
* EO-13768       2017-01-25 .. 2021-01-20  Executive Order 13768, Kelly memo

Every classification says which rule fired, on which convictions (NCIC codes),
and why; ``level`` is always the SC criminal-offender level, ``priority`` the
framework's own tier (see ``frameworks.base``). Only convictions count as
convictions; an optional ``ImmigrationContext`` carries the other facts.
"""
from __future__ import annotations

from datetime import date

from .frameworks.base import NOT_COUNTED, Classification, Framework, FrameworkInfo, ImmigrationContext, RuleHit
from .frameworks.eo13768 import EO13768, EO_13768
from .frameworks.johnson import JOHNSON_2014, Johnson, allowed_requests
from .frameworks.morton import MORTON_2010, MORTON_2011, Morton
from .frameworks.sc2008 import SC2008, SC2008_LEVELS, SC2008_RULES, SC_2008, classify_sc2008

__all__ = ["NOT_COUNTED", "Classification", "Framework", "FrameworkInfo", "ImmigrationContext",
           "RuleHit", "SC2008", "SC2008_LEVELS", "SC2008_RULES", "SC_2008", "classify_sc2008",
           "Morton", "MORTON_2010", "MORTON_2011", "Johnson", "JOHNSON_2014", "allowed_requests",
           "EO13768", "EO_13768", "FRAMEWORKS", "framework", "framework_in_force", "registry"]

# Every framework scomm knows, oldest first; periods are contiguous.
FRAMEWORKS: tuple[Framework, ...] = (SC_2008, MORTON_2010, MORTON_2011, JOHNSON_2014, EO_13768)


def framework(framework_id: str) -> Framework:
    for f in FRAMEWORKS:
        if f.id == framework_id:
            return f
    raise KeyError(f"unknown priority framework {framework_id!r}; known: "
                   + ", ".join(f.id for f in FRAMEWORKS))


def framework_in_force(on: date, *, strict: bool = False) -> Framework:
    """The framework in force on ``on`` (``effective_from <= on < effective_to``).

    Outside the modelled span the nearest one answers (SC-2008 before 2008-10-27,
    EO-13768 from 2021-01-20, when later guidance is not modelled); with
    ``strict=True`` such dates raise ``LookupError`` instead.
    """
    for f in FRAMEWORKS:
        if f.effective_from <= on and (f.effective_to is None or on < f.effective_to):
            return f
    if strict:
        raise LookupError(f"no priority framework modelled for {on.isoformat()} (scomm covers "
                          f"{FRAMEWORKS[0].effective_from} .. {FRAMEWORKS[-1].effective_to})")
    return FRAMEWORKS[0] if on < FRAMEWORKS[0].effective_from else FRAMEWORKS[-1]


def registry() -> list[FrameworkInfo]:
    """Every framework with id, title, dates and source citation, oldest first."""
    return [FrameworkInfo(f.id, f.title, f.issued, f.effective_from, f.effective_to,  # type: ignore[attr-defined]
                          f.source, f.note) for f in FRAMEWORKS]             # type: ignore[attr-defined]
