"""The published national figures a run is read against, and whether a run is consistent with them.

Each figure is a share of two counts of ``statistics.counts.Counts`` (so a run's
value is computed exactly as the monthly report counts it) with the published
value or range from its primary source, named by key in the figure's ``source``
(``scomm/data/SOURCES.md``, "Published figures and documents"). A run is
*consistent* with a figure when the published value lies inside the run's 95%
Wilson score interval for that share: at small scales the intervals are wide,
and "consistent" says only that the run's counts cannot tell the model from the
published shape.
"""
from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class PublishedFigure:
    key: str
    label: str
    numerator: str          # a Counts field, or "field.level"
    denominator: str
    low: float              # published percent (a range when low < high)
    high: float
    source: str

    @property
    def published(self) -> str:
        return f"{self.low:g}" if self.low == self.high else f"{self.low:g}-{self.high:g}"


FIGURES = (
    PublishedFigure("match_rate_pct", "IDENT matches per submission", "ident_matches",
                    "submissions", 6.6, 6.6,
                    "477,035 matches (to Feb 2011) [ICE-IIS-2011-02] / 7,225,393 submissions "
                    "(to Mar 2011) [ICE-IIS-2011-03]; ICE IDENT/IAFIS Interoperability "
                    "Statistics (scomm/data/SOURCES.md)"),
    PublishedFigure("level1_share_of_matches_pct", "Level 1 share of IDENT matches",
                    "matches_by_level.1", "ident_matches", 14.9, 14.9,
                    "71,197 Level 1 of 477,035 matches, to Feb 2011; ICE IDENT/IAFIS "
                    "Interoperability Statistics (scomm/data/SOURCES.md [ICE-IIS-2011-02])"),
    PublishedFigure("custody_per_match_pct", "booked into ICE custody per IDENT match",
                    "custody", "ident_matches", 41.4, 41.4,
                    "197,302 custody (to Mar 2011) [ICE-IIS-2011-03] / 477,035 matches "
                    "(to Feb 2011) [ICE-IIS-2011-02]; ICE IDENT/IAFIS Interoperability "
                    "Statistics (scomm/data/SOURCES.md)"),
    PublishedFigure("custody_noncriminal_pct", "non-criminal share of ICE custody",
                    "custody_by_level.non-criminal", "custody", 26.7, 26.7,
                    "52,603 non-criminal (to Feb 2011) [ICE-IIS-2011-02] of 197,302 booked "
                    "into custody (to Mar 2011) [ICE-IIS-2011-03]; ICE IDENT/IAFIS "
                    "Interoperability Statistics (scomm/data/SOURCES.md)"),
    PublishedFigure("removed_per_custody_pct", "removed or returned per ICE custody",
                    "removed", "custody", 51.6, 51.6,
                    "101,741 removed / 197,302 custody, to Mar 2011 (removals lag custody); "
                    "ICE IDENT/IAFIS Interoperability Statistics through March 2011 "
                    "(scomm/data/SOURCES.md [ICE-IIS-2011-03])"),
    PublishedFigure("removed_noncriminal_pct", "non-criminal share of removals",
                    "removed_by_level.non-criminal", "removed", 26.0, 31.0,
                    "about 26% (FY2009) rising past 31% (early FY2011), ICE IDENT/IAFIS "
                    "Interoperability Statistics as summarised in the project's domain notes "
                    "[ICE-IIS-FY2009-2011]; GAO-12-708: ~74% of removals with a conviction "
                    "to Mar 2012 [GAO-12-708] (scomm/data/SOURCES.md)"),
)


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float] | None:
    """The Wilson score interval of k successes in n trials, in percent (None when n = 0)."""
    if n <= 0:
        return None
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return round(100 * max(0.0, centre - half), 2), round(100 * min(1.0, centre + half), 2)


def _count(summary: dict, path: str) -> int:
    field, _, level = path.partition(".")
    v = summary.get(field, 0)
    return int(v.get(level, 0) if level else v)


def check(summary: dict) -> list[dict]:
    """A run's national summary (``counts.national_summary``) against each published figure."""
    rows = []
    for f in FIGURES:
        k, n = _count(summary, f.numerator), _count(summary, f.denominator)
        ci = wilson(k, n)
        rows.append({"key": f.key, "label": f.label, "numerator": k, "denominator": n,
                     "run_pct": round(100 * k / n, 2) if n else None,
                     "ci95_pct": list(ci) if ci else None, "published_pct": f.published,
                     "consistent": bool(ci and f.high >= ci[0] and f.low <= ci[1]),
                     "source": f.source})
    return rows
