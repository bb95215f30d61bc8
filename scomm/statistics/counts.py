"""Counting facts: the figures of ICE's interoperability statistics, for any group of bookings.

``tally`` is the one place that says what each published figure counts, so
that the monthly report, the dashboard and run comparisons agree:

* submissions:   accepted criminal tenprint bookings from counties activated on
                 the booking date (what ICE counted; bookings elsewhere go to
                 CJIS only and are counted as ``bookings``)
* ident_matches: those whose IDENT search matched, by the SC level of the case
* detainers:     detainers issued, and honoured by the jail
* custody:       booked into ICE custody, by level
* removed:       removed or returned (recorded outcome), by level
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import asdict, dataclass, field

from .facts import LEVELS, BookingFact


def _by_level() -> dict[str, int]:
    return {lv: 0 for lv in LEVELS}


@dataclass
class Counts:
    bookings: int = 0
    submissions: int = 0
    ident_matches: int = 0
    matches_by_level: dict[str, int] = field(default_factory=_by_level)
    citizens_matched: int = 0          # LESC found a US citizen (no detainer)
    detainers: int = 0
    detainers_honoured: int = 0
    custody: int = 0
    custody_by_level: dict[str, int] = field(default_factory=_by_level)
    removed: int = 0
    removed_by_level: dict[str, int] = field(default_factory=_by_level)
    citizens_cleared: int = 0          # held as removable, later found a US citizen

    def add(self, f: BookingFact) -> None:
        self.bookings += 1
        if not f.ident_searched:
            return
        self.submissions += 1
        if not f.ident_match:
            return
        self.ident_matches += 1
        level = f.level or "non-criminal"
        self.matches_by_level[level] += 1
        self.citizens_matched += f.citizen
        self.detainers += f.detainer_issued
        self.detainers_honoured += bool(f.detainer_issued and f.detainer_honoured)
        if f.custody:
            self.custody += 1
            self.custody_by_level[level] += 1
        if f.removed:
            self.removed += 1
            self.removed_by_level[level] += 1
        self.citizens_cleared += f.cleared_citizen

    def __iadd__(self, other: Counts) -> Counts:
        for k, v in asdict(other).items():
            if isinstance(v, dict):
                mine = getattr(self, k)
                for lv, n in v.items():
                    mine[lv] += n
            else:
                setattr(self, k, getattr(self, k) + v)
        return self

    def to_dict(self) -> dict:
        return asdict(self)


def tally(facts: Iterable[BookingFact]) -> Counts:
    c = Counts()
    for f in facts:
        c.add(f)
    return c


def tally_by(facts: Iterable[BookingFact], key: Callable[[BookingFact], Hashable]) -> dict:
    """Counts per group, e.g. ``tally_by(facts, lambda f: (f.state, f.county_fips))``."""
    groups: dict = defaultdict(Counts)
    for f in facts:
        groups[key(f)].add(f)
    return dict(groups)


def share(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 2) if whole else None


def national_summary(facts: Iterable[BookingFact]) -> dict:
    """The national outcome table of a run (what ``scomm compare`` sets side by side)."""
    c = tally(facts)
    return {**c.to_dict(),
            "match_rate_pct": share(c.ident_matches, c.submissions),
            "removed_noncriminal_pct": share(c.removed_by_level["non-criminal"], c.removed),
            "removed_level3_or_noncriminal_pct": share(
                c.removed_by_level["3"] + c.removed_by_level["non-criminal"], c.removed),
            "custody_per_match_pct": share(c.custody, c.ident_matches)}
