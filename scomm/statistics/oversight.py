"""Oversight figures that ICE did not publish, each with its definition and the query behind it.

Public API (stable; the dashboard uses it)::

    figs = oversight_figures(facts, Jurisdictions.load_default(), public=True)
    fig.id, fig.title, fig.definition, fig.numerator, fig.denominator
    fig.value          # the headline number (None: suppressed or no data)
    fig.unit           # "percent" | "count" | "seconds" | "per 1,000"
    fig.columns, fig.rows   # the breakdown behind it (cells None when suppressed)
    fig.shown(i, col)  # the printed form of a breakdown cell ("<10", "(s)", "12.5")
    fig.sql            # a query over the schema returning ``rows`` (unsuppressed; columns
                       # named as in ``fig.columns``, reference-table columns excepted), in the
                       # dialect asked for (SQLite or PostgreSQL; they differ only in time arithmetic)
    fig.to_dict()

Every count comes from ``counts.Counts`` over ``facts.BookingFact`` (the same
definitions as the monthly table); latencies from the facts' ``*_s`` fields.
Percentiles are nearest-rank: the p-th percentile of n sorted values is the
value at rank ceil(p*n/100), so the SQL computes the same number exactly.
Rates per 1,000 use the 2010 non-citizen population of the packaged county
table (``County.noncitizen_population``), which is not in the database: the
query returns the counts, the population is joined in Python.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ..domain.jurisdictions import STATES, Jurisdictions
from .counts import Counts, share, tally, tally_by
from .facts import LEVELS, REMOVED, BookingFact
from .suppression import RULE, THRESHOLD, is_small, shown, suppress

# --- the facts, in SQL ------------------------------------------------------------------
# One text for SQLite (>= 3.38, for ->>) and PostgreSQL: JSON through ->> (responses are
# sealed: their ``finding`` is the word SQL may read), booleans
# counted with COUNT(*) FILTER (WHERE ...); only time arithmetic differs (``_secs_sql``).
IS_REMOVED = "outcome IN (" + ", ".join(f"'{o}'" for o in REMOVED) + ")"
FACT_SQL = """WITH fact AS (
  SELECT t.id, t.county_fips, substr(t.county_fips, 1, 2) AS state_fips,
         substr(CAST(t.booking_date AS TEXT), 1, 7) AS month, t.received_at,
         (EXISTS (SELECT 1 FROM events e WHERE e.transaction_id = t.id
                  AND e.kind = 'forwarded-to-ident') OR idr.id IS NOT NULL) AS searched,
         COALESCE(idr.finding = 'match', FALSE) AS matched,
         iar.finding AS lesc_status,
         COALESCE(c.level, 'non-criminal') AS level,
         t.booking_date, c.outcome, c.outcome_at, c.custody_at, c.opened_at,
         COALESCE(CAST(c.detainer ->> 'issued' AS BOOLEAN), FALSE) AS detainer_issued,
         COALESCE(c.detainer_honoured, FALSE) AS detainer_honoured,
         idr.created_at AS idr_at, iar.created_at AS iar_at
  FROM transactions t
  LEFT JOIN responses idr ON idr.transaction_id = t.id AND idr.kind = 'IDR'
  LEFT JOIN responses iar ON iar.transaction_id = t.id AND iar.kind = 'IAR'
  LEFT JOIN cases c ON c.transaction_id = t.id
  WHERE t.accepted = TRUE AND t.state = 'done' AND t.booking_date IS NOT NULL
),
matched AS (SELECT * FROM fact WHERE searched AND matched),
removed AS (SELECT * FROM matched WHERE """ + IS_REMOVED + """)
"""


def cell_key(i: int, col: str) -> str:
    """The key of a breakdown cell in ``Figure.suppressed``."""
    return f"{i}:{col}"


DIALECTS = ("sqlite", "postgresql")


def _secs_sql(col: str, dialect: str) -> str:
    if dialect == "postgresql":
        return f"EXTRACT(EPOCH FROM ({col} - received_at))"
    return f"(julianday({col}) - julianday(received_at)) * 86400.0"


def _days_held_sql(dialect: str) -> str:
    """Whole days from the booking date to the (UTC) day the outcome was recorded."""
    if dialect == "postgresql":
        return "(CAST(outcome_at AT TIME ZONE 'UTC' AS DATE) - booking_date)"
    return "CAST(julianday(date(outcome_at)) - julianday(booking_date) AS INTEGER)"


def _n(cond: str) -> str:
    """How many rows meet ``cond`` (portable: SQLite and PostgreSQL)."""
    return f"COUNT(*) FILTER (WHERE {cond})"


def _nearest_rank_sql(p: int, col: str) -> str:
    """The p-th percentile of ``col`` by nearest rank, over rows numbered ``rn`` of ``n``."""
    return f"MAX(CASE WHEN rn = (n * {p} + 99) / 100 THEN {col} END)"


USC = _n("lesc_status = 'USC'")


@dataclass
class Figure:
    id: str
    title: str
    definition: str
    numerator: str
    denominator: str
    unit: str
    value: float | int | None
    columns: list[str]
    rows: list[dict]
    sql: str
    # hidden breakdown cells, "ROW:COLUMN" -> primary | complementary (string keys: JSON-ready)
    suppressed: dict[str, str] = field(default_factory=dict)
    value_suppressed: bool = False
    note: str = ""

    def shown(self, i: int, col: str) -> str:
        v = self.rows[i].get(col)
        mark = self.suppressed.get(cell_key(i, col))
        if mark or not isinstance(v, (int, float)) or isinstance(v, bool):
            return shown(v, mark) if mark or v is None else str(v)
        return f"{v:,}" if isinstance(v, int) else f"{v:,.2f}"

    @property
    def value_shown(self) -> str:
        if self.value_suppressed:
            return f"suppressed (<{THRESHOLD})"
        if self.value is None:
            return "no data"
        v = f"{self.value:,}" if isinstance(self.value, int) else f"{self.value:,.2f}"
        return {"percent": f"{v}%", "seconds": f"{v} s"}.get(self.unit, v)

    def to_dict(self) -> dict:
        return {"id": self.id, "title": self.title, "definition": self.definition,
                "numerator": self.numerator, "denominator": self.denominator,
                "unit": self.unit, "value": self.value, "value_suppressed": self.value_suppressed,
                "columns": self.columns, "rows": self.rows,
                "suppressed": [{"row": int(k.split(":", 1)[0]), "column": k.split(":", 1)[1],
                                "how": h} for k, h in self.suppressed.items()],
                "note": self.note, "sql": self.sql}


# --- the figures ----------------------------------------------------------------------
def _removal_share(c: Counts, level: str, fid: str, title: str, who: str) -> Figure:
    n = c.removed_by_level[level]
    at_level = _n(f"level = '{level}'")
    return Figure(
        fid, title,
        f"Of the people removed or returned after an IDENT match, the share whose case was "
        f"{who} (the level the field office gave under the framework in force).",
        f"removed or returned with a case at level {level}",
        "removed or returned (matched bookings with outcome removed or returned)",
        "percent", share(n, c.removed), ["removed", "removed_at_level", "pct"],
        [{"removed": c.removed, "removed_at_level": n, "pct": share(n, c.removed)}],
        FACT_SQL + f"SELECT COUNT(*) AS removed, {at_level} AS removed_at_level,\n"
        f"  ROUND(100.0 * {at_level} / NULLIF(COUNT(*), 0), 2) AS pct FROM removed")


def _citizens_matched(c: Counts) -> Figure:
    return Figure(
        "citizens-matched", "US citizens matched by IDENT",
        "Bookings whose IDENT search matched and for which the LESC status check found a "
        "United States citizen (a naturalised citizen, or a citizen with an old immigration "
        "record). ICE cannot remove a citizen; the match still reached ICE.",
        "IDENT matches with LESC status USC", "IDENT matches", "count", c.citizens_matched,
        ["ident_matches", "citizens", "pct"],
        [{"ident_matches": c.ident_matches, "citizens": c.citizens_matched,
          "pct": share(c.citizens_matched, c.ident_matches)}],
        FACT_SQL + f"SELECT COUNT(*) AS ident_matches, {USC} AS citizens,\n"
        f"  ROUND(100.0 * {USC} / NULLIF(COUNT(*), 0), 2) AS pct FROM matched")


CLEARED_STAGES = ("after ICE custody", "held on a detainer, before ICE custody", "with no detainer")


def _cleared_stage(f: BookingFact) -> str:
    if f.custody:
        return CLEARED_STAGES[0]
    return CLEARED_STAGES[1] if f.detainer_issued else CLEARED_STAGES[2]


def _citizens_cleared(matched: list[BookingFact], c: Counts, dialect: str) -> Figure:
    people = {s: 0 for s in CLEARED_STAGES}
    days: dict[str, list[int]] = {s: [] for s in CLEARED_STAGES}
    for f in matched:
        if f.cleared_citizen:
            stage = _cleared_stage(f)
            people[stage] += 1
            if f.outcome_date:
                days[stage].append((f.outcome_date - f.booking_date).days)
    rows = [{"stage": s, "people": people[s], "median_days_held": nearest_rank(days[s], 50)}
            for s in CLEARED_STAGES]
    return Figure(
        "citizens-cleared", "US citizens held as removable and later cleared",
        "People the chain treated as removable (LESC did not find them citizens, a case was "
        "opened) whose case was closed with the outcome us-citizen; by how far the process had "
        "gone before they were cleared: after ICE took custody, while held on a detainer, or "
        "with no detainer; and the median days from the booking to the day the case was closed "
        "(nearest rank), the time the person was in the process.",
        "cases with outcome us-citizen", "(a count; none)", "count", c.citizens_cleared,
        ["stage", "people", "median_days_held"], rows,
        FACT_SQL + ", cleared AS (SELECT CASE WHEN custody_at IS NOT NULL THEN "
        f"'{CLEARED_STAGES[0]}'\n  WHEN detainer_issued THEN '{CLEARED_STAGES[1]}'\n"
        f"  ELSE '{CLEARED_STAGES[2]}' END AS stage, {_days_held_sql(dialect)} AS d\n"
        "  FROM matched WHERE outcome = 'us-citizen'),\n"
        "ranked AS (SELECT stage, d, ROW_NUMBER() OVER (PARTITION BY stage ORDER BY d) AS rn,\n"
        "  COUNT(*) OVER (PARTITION BY stage) AS n FROM cleared)\n"
        "SELECT stage, COUNT(*) AS people,\n"
        f"  {_nearest_rank_sql(50, 'd')} AS median_days_held\n"
        "FROM ranked GROUP BY stage",
        note="The breakdown lists every stage (zero rows included); the query returns the "
             "stages that occur.")


def nearest_rank(values: Sequence[float], p: int) -> float | None:
    """The p-th percentile by nearest rank: the value at rank ceil(p*n/100) of the sorted values."""
    if not values:
        return None
    xs = sorted(values)
    return xs[max(1, math.ceil(p * len(xs) / 100)) - 1]


def _latency(facts: list[BookingFact], attr: str, col: str, fid: str, title: str,
             what: str, dialect: str) -> Figure:
    xs = [getattr(f, attr) for f in facts if getattr(f, attr) is not None]
    med, p90 = nearest_rank(xs, 50), nearest_rank(xs, 90)
    return Figure(
        fid, title,
        f"Seconds from the hub's receipt of the booking's fingerprints to {what}; median and "
        "90th percentile (nearest rank) over the bookings that reached that step.",
        f"seconds to {what}", f"bookings with {what}", "seconds", med,
        ["n", "median_s", "p90_s"], [{"n": len(xs), "median_s": med, "p90_s": p90}],
        FACT_SQL + f", lat AS (SELECT {_secs_sql(col, dialect)} AS s FROM fact WHERE {col} IS NOT NULL),\n"
        "ranked AS (SELECT s, ROW_NUMBER() OVER (ORDER BY s) AS rn, COUNT(*) OVER () AS n "
        "FROM lat)\n"
        f"SELECT COUNT(*) AS n, {_nearest_rank_sql(50, 's')} AS median_s,\n"
        f"  {_nearest_rank_sql(90, 's')} AS p90_s FROM ranked")


def _detainers(facts: list[BookingFact], j: Jurisdictions, c: Counts) -> Figure:
    groups = tally_by(facts, lambda f: f.county_fips)
    rows = []
    for fips in sorted(groups):
        g = groups[fips]
        if g.detainers:
            rows.append({"county_fips": fips, "county": _county_label(j, fips),
                         "issued": g.detainers, "honoured": g.detainers_honoured,
                         "honoured_pct": share(g.detainers_honoured, g.detainers)})
    return Figure(
        "detainers-by-county", "Detainers issued and honoured, per county",
        "Detainers the field office issued after an IDENT match, and how many the county jail "
        "honoured (held the person for ICE), per county with at least one detainer. The headline "
        "is the national share honoured.",
        "detainers honoured by the jail", "detainers issued", "percent",
        share(c.detainers_honoured, c.detainers),
        ["county_fips", "county", "issued", "honoured", "honoured_pct"], rows,
        FACT_SQL + f"SELECT county_fips, {_n('detainer_issued')} AS issued,\n"
        f"  {_n('detainer_issued AND detainer_honoured')} AS honoured,\n"
        f"  ROUND(100.0 * {_n('detainer_issued AND detainer_honoured')} / {_n('detainer_issued')}, 2) "
        "AS honoured_pct\n"
        f"FROM matched GROUP BY county_fips HAVING {_n('detainer_issued')} > 0 ORDER BY county_fips")


def _county_label(j: Jurisdictions, fips: str) -> str:
    try:
        return j.county(fips).label
    except KeyError:
        return f"County FIPS {fips}"


def _per_1000(n: int, pop: float) -> float | None:
    return round(1000.0 * n / pop, 3) if pop > 0 else None


_RATE_COLUMNS = ["noncitizen_population", "ident_matches", "removed", "matches_per_1000",
                 "removals_per_1000"]


def _rate_cells(g: Counts, pop: float) -> dict:
    return {"noncitizen_population": round(pop), "ident_matches": g.ident_matches,
            "removed": g.removed, "matches_per_1000": _per_1000(g.ident_matches, pop),
            "removals_per_1000": _per_1000(g.removed, pop)}


def _rates_sql(key: str) -> str:
    """Matches and removals per ``key`` (reference population joined in Python)."""
    return (FACT_SQL + f"SELECT {key}, {_n('searched AND matched')} AS ident_matches,\n"
            f"  {_n('searched AND matched AND ' + IS_REMOVED)} AS removed\n"
            f"FROM fact GROUP BY {key} HAVING {_n('searched')} > 0 ORDER BY {key}")


def _rates_by_state(facts: list[BookingFact], j: Jurisdictions, c: Counts) -> Figure:
    pop: dict[str, float] = {}
    for county in j.counties():
        pop[county.fips[:2]] = pop.get(county.fips[:2], 0.0) + county.noncitizen_population
    groups = tally_by(facts, lambda f: f.county_fips[:2])
    rows = []
    for sf in sorted(groups):
        g = groups[sf]
        if g.submissions:
            p = pop.get(sf, 0.0)
            rows.append({"state_fips": sf, "state": STATES.get(sf, ("??", ""))[0],
                         **_rate_cells(g, p)})
    total_pop = sum(pop.get(r["state_fips"], 0.0) for r in rows)
    return Figure(
        "rates-by-state", "IDENT matches and removals per 1,000 non-citizen residents, per state",
        "IDENT matches and removals (removed or returned) per 1,000 non-citizen residents "
        "(2010 estimate), per state with at least one submission. Headline: IDENT matches per "
        "1,000 over those states. In a simulation these scale with its sampling rate.",
        "IDENT matches (or removals)", "non-citizen residents / 1,000 (2010, reference table)",
        "per 1,000", _per_1000(c.ident_matches, total_pop),
        ["state_fips", "state", *_RATE_COLUMNS], rows, _rates_sql("state_fips"))


def _rates_by_county(facts: list[BookingFact], j: Jurisdictions) -> Figure:
    groups = tally_by(facts, lambda f: f.county_fips)
    rows = []
    for fips in sorted(groups):
        g = groups[fips]
        if g.submissions:
            try:
                p = j.county(fips).noncitizen_population
            except KeyError:
                p = 0.0
            rows.append({"county_fips": fips, "county": _county_label(j, fips),
                         **_rate_cells(g, p)})
    return Figure(
        "rates-by-county", "IDENT matches and removals per 1,000 non-citizen residents, per county",
        "As per state, for each county with at least one submission; counties with no "
        "non-citizen population estimate have no rate.",
        "IDENT matches (or removals)", "non-citizen residents / 1,000 (2010, reference table)",
        "per 1,000", None,
        ["county_fips", "county", *_RATE_COLUMNS], rows, _rates_sql("county_fips"))


_LEVEL_COL = {"1": "level_1", "2": "level_2", "3": "level_3", "non-criminal": "non_criminal"}


def _removals_by_month(facts: list[BookingFact], c: Counts) -> Figure:
    groups = tally_by(facts, lambda f: f.month)
    rows = []
    for m in sorted(groups):
        g = groups[m]
        if g.removed:
            rows.append({"month": m, **{_LEVEL_COL[lv]: g.removed_by_level[lv] for lv in LEVELS},
                         "total": g.removed})
    sums = ",\n  ".join(_n(f"level = '{lv}'") + f" AS {_LEVEL_COL[lv]}" for lv in LEVELS)
    return Figure(
        "removals-by-month", "Removals per month, by level",
        "People removed or returned after an IDENT match, by the month of the booking that "
        "led to it and by level.",
        "removed or returned, by level", "(counts; none)", "count", c.removed,
        ["month", *_LEVEL_COL.values(), "total"], rows,
        FACT_SQL + f"SELECT month,\n  {sums},\n  COUNT(*) AS total\n"
        "FROM removed GROUP BY month ORDER BY month")


# --- suppression for public output ------------------------------------------------------
# Count columns, per figure, and the published sums they take part in.
_COUNT_COLS = {
    "removals-noncriminal-share": ("removed", "removed_at_level"),
    "removals-level3-share": ("removed", "removed_at_level"),
    "citizens-matched": ("ident_matches", "citizens"),
    "citizens-cleared": ("people",),
    "time-to-idr": ("n",), "time-to-iar": ("n",), "time-to-detainer-decision": ("n",),
    "detainers-by-county": ("issued", "honoured"),
    "rates-by-state": ("ident_matches", "removed"),
    "rates-by-county": ("ident_matches", "removed"),
    "removals-by-month": ("level_1", "level_2", "level_3", "non_criminal", "total"),
}
# Derived columns: hidden when the count they are computed from is hidden.
_DERIVED = {"pct": "removed_at_level", "honoured_pct": "honoured",
            "matches_per_1000": "ident_matches", "removals_per_1000": "removed",
            "median_s": "n", "p90_s": "n", "median_days_held": "people"}
_DERIVED_BY_FIGURE = {"citizens-matched": {"pct": "citizens"}}


def _suppress_figure(fig: Figure, totals: dict[str, int]) -> None:
    """Hide small counts and what reveals them; ``totals`` are published national sums
    of a count column (the rows of that column add up to them)."""
    counts = _COUNT_COLS.get(fig.id, ())
    values = {(i, col): r[col] for i, r in enumerate(fig.rows) for col in counts
              if isinstance(r.get(col), int)}
    eqs: list = []
    for col, total in totals.items():
        if col in counts and fig.rows:
            values[(-1, col)] = total
            eqs.append(((-1, col), [(i, col) for i in range(len(fig.rows))]))
    if fig.id == "removals-by-month":
        eqs += [((i, "total"), [(i, _LEVEL_COL[lv]) for lv in LEVELS]) for i in range(len(fig.rows))]
    marks = suppress(values, eqs)
    hidden = {(i, col): how for (i, col), how in marks.items() if i >= 0}
    derived = {**_DERIVED, **_DERIVED_BY_FIGURE.get(fig.id, {})}
    for i in range(len(fig.rows)):
        for col in fig.columns:
            src = derived.get(col)
            if src and (i, src) in hidden:
                hidden[(i, col)] = hidden[(i, src)]
        if fig.id == "detainers-by-county" and (i, "issued") in hidden:
            hidden.setdefault((i, "honoured_pct"), hidden[(i, "issued")])
    for (i, col), how in hidden.items():
        fig.rows[i][col] = None
        fig.suppressed[cell_key(i, col)] = how
    # the headline: hidden if it reveals a small count
    head = {"removals-noncriminal-share": "removed_at_level", "removals-level3-share":
            "removed_at_level", "citizens-matched": "citizens", "time-to-idr": "n",
            "time-to-iar": "n", "time-to-detainer-decision": "n"}.get(fig.id)
    if head and fig.rows and (0, head) in hidden:
        fig.value, fig.value_suppressed = None, True
    if fig.id in ("citizens-cleared", "removals-by-month") and is_small(fig.value):
        fig.value, fig.value_suppressed = None, True
    if fig.id == "detainers-by-county":
        if is_small(totals.get("honoured")) or is_small(totals.get("issued")):
            fig.value, fig.value_suppressed = None, True


def oversight_figures(facts: Iterable[BookingFact], jurisdictions: Jurisdictions | None = None,
                      public: bool = True, dialect: str = "sqlite") -> list[Figure]:
    """Every oversight figure over the given facts (all months). ``public`` suppresses small
    counts (``suppression.RULE``); ``dialect`` ("sqlite" or "postgresql") is the one the
    figures' SQL is written in."""
    if dialect not in DIALECTS:
        raise ValueError(f"no oversight SQL for dialect {dialect!r} (have {', '.join(DIALECTS)})")
    j = jurisdictions or Jurisdictions.load_default()
    facts = list(facts)
    c = tally(facts)
    matched = [f for f in facts if f.ident_searched and f.ident_match]
    figs = [
        _removal_share(c, "non-criminal", "removals-noncriminal-share",
                       "Share of removals with no conviction", "non-criminal (no conviction)"),
        _removal_share(c, "3", "removals-level3-share",
                       "Share of removals with only Level 3 (misdemeanour) convictions",
                       "Level 3 (misdemeanour convictions only)"),
        _citizens_matched(c),
        _citizens_cleared(matched, c, dialect),
        _latency(facts, "idr_s", "idr_at", "time-to-idr", "Time from receipt to the IDENT response",
                 "the IDENT Data Response (IDR)", dialect),
        _latency(facts, "iar_s", "iar_at", "time-to-iar",
                 "Time from receipt to the LESC status response", "the Immigration Alien Response (IAR)", dialect),
        _latency(facts, "case_s", "opened_at", "time-to-detainer-decision",
                 "Time from receipt to the detainer decision",
                 "the field office's case and detainer decision", dialect),
        _detainers(facts, j, c),
        _rates_by_state(facts, j, c),
        _rates_by_county(facts, j),
        _removals_by_month(facts, c),
    ]
    if public:
        totals = {"removed": c.removed, "ident_matches": c.ident_matches, "issued": c.detainers,
                  "honoured": c.detainers_honoured, "total": c.removed,
                  "people": c.citizens_cleared, **{_LEVEL_COL[lv]: c.removed_by_level[lv]
                                                   for lv in LEVELS}}
        for fig in figs:
            _suppress_figure(fig, totals)
    return figs


__all__ = ["Figure", "oversight_figures", "cell_key", "nearest_rank", "FACT_SQL", "DIALECTS", "RULE", "CLEARED_STAGES"]
