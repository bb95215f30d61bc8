"""The dashboard's data: the county rollout, matches per 1,000 submissions, monthly series.

Pure: it takes booking facts and the jurisdiction table and returns plain
dicts ready for JSON. Every count comes from ``counts.tally``/``tally_by``, so
the dashboard cannot disagree with the monthly report; the only arithmetic
here is a ratio (matches per 1,000 submissions) and month calendars.

Months:
* a county is *activated in* a month if its activation date falls on or before
  the month's last day;
* county figures on the map are cumulative through the selected month;
* the monthly series are by booking month (the month a fact belongs to in
  ``tally``), so removals are counted in the month of the booking that led
  to them, not the month of the removal.

Map shapes (us-atlas, Census 2017 geography) and the activation table
(2008-2013 geography) differ for a few counties; ``SHAPE_SUCCESSORS`` says
which county of the table each newer shape shows; the page lists the table's
counties that no shape shows (three Virginia cities merged into counties).
"""
from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import date

from ..domain.jurisdictions import Jurisdictions
from .counts import tally, tally_by
from .facts import LEVELS, BookingFact
from .oversight import Figure, oversight_figures
from .suppression import suppress

FIRST_MONTH = "2008-10"   # Secure Communities' first activation (Harris County, 2008-10-27)

# Shape FIPS (2017 Census geography) -> the county of the activation table it covers.
SHAPE_SUCCESSORS: dict[str, str] = {
    "02158": "02270",  # Kusilvak Census Area, was Wade Hampton (renamed 2015)
    "46102": "46113",  # Oglala Lakota County, was Shannon County (renamed 2015)
    "02105": "02232",  # Hoonah-Angoon, split from Skagway-Hoonah-Angoon (2007)
    "02230": "02232",  # Skagway, split from Skagway-Hoonah-Angoon (2007)
    "02195": "02280",  # Petersburg, split from Wrangell-Petersburg (2008/2013)
    "02275": "02280",  # Wrangell, split from Wrangell-Petersburg (2008)
    "02198": "02201",  # Prince of Wales-Hyder, was Prince of Wales-Outer Ketchikan (2008)
}



def month_of(d: date) -> str:
    return d.strftime("%Y-%m")


def month_end(month: str) -> date:
    y, m = (int(p) for p in month.split("-"))
    return date(y, m, calendar.monthrange(y, m)[1])


def parse_month(month: str) -> str:
    """Validate "YYYY-MM" and return it normalised; ValueError otherwise."""
    try:
        y, m = (int(p) for p in month.split("-"))
        return date(y, m, 1).strftime("%Y-%m")
    except (ValueError, AttributeError):
        raise ValueError(f"month must be YYYY-MM, got {month!r}") from None


def months_between(first: str, last: str) -> list[str]:
    """Every month from ``first`` to ``last`` inclusive ("YYYY-MM")."""
    y, m = (int(p) for p in first.split("-"))
    out = []
    while f"{y:04d}-{m:02d}" <= last:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def per_thousand(part: int, whole: int) -> float | None:
    return round(1000.0 * part / whole, 1) if whole else None


def activated_by(j: Jurisdictions, month: str) -> set[str]:
    """FIPS of the table's counties activated on or before the month's last day."""
    end = month_end(month)
    return {c.fips for c in j.counties() if c.activation_date and c.activation_date <= end}


def slider_months(facts: list[BookingFact], j: Jurisdictions) -> list[str]:
    """The slider's range: from the first activation to the later of the last
    activation and the last booking month."""
    last = max(month_of(c.activation_date) for c in j.counties() if c.activation_date)
    if facts:
        last = max(last, max(f.month for f in facts))
    first = min([FIRST_MONTH] + [f.month for f in facts])
    return months_between(first, last)


def county_table(j: Jurisdictions) -> dict[str, dict]:
    """Static per-county facts of the table: name, state, activation date."""
    return {c.fips: {"name": c.name, "state": c.state_code, "state_name": c.state,
                     "activation": c.activation_date.isoformat() if c.activation_date else None,
                     "noncitizens": round(c.noncitizen_population)}
            for c in j.counties()}


def county_stats(facts: Iterable[BookingFact], month: str) -> dict[str, dict]:
    """Per county, cumulative through ``month``: submissions, IDENT matches, per 1,000."""
    upto = [f for f in facts if f.month <= month]
    return {fips: {"submissions": c.submissions, "matches": c.ident_matches,
                   "per_1000": per_thousand(c.ident_matches, c.submissions)}
            for fips, c in sorted(tally_by(upto, lambda f: f.county_fips).items())}


def monthly_series(facts: Iterable[BookingFact], months: list[str]) -> list[dict]:
    """One row per month (zero where nothing was booked): submissions, matches, removals by level."""
    by_month = tally_by(facts, lambda f: f.month)
    rows = []
    for m in months:
        c = by_month.get(m)
        rows.append({"month": m,
                     "submissions": c.submissions if c else 0,
                     "ident_matches": c.ident_matches if c else 0,
                     "removed": {lv: (c.removed_by_level[lv] if c else 0) for lv in LEVELS}})
    return rows


# What the page shows of a figure; breakdown rows and SQL stay in the reports.
FIGURE_KEYS = ("id", "title", "definition", "value", "unit", "numerator", "denominator",
               "value_suppressed", "note")


def figure_dict(fig: Figure) -> dict:
    """An oversight figure's headline (no breakdown, no SQL)."""
    d = fig.to_dict()
    return {k: d[k] for k in FIGURE_KEYS if k in d}


def dashboard_data(facts: list[BookingFact], j: Jurisdictions, month: str | None = None, *,
                   with_counties: bool = True) -> dict:
    """Everything the dashboard page shows for the selected month (default: the last).

    The oversight figures are the public ones (small counts suppressed) over the
    facts up to the selected month.
    ``with_counties=False`` leaves out the static county table (the page asks
    for it once, then only for the figures of each month).
    """
    months = slider_months(facts, j)
    month = parse_month(month) if month else months[-1]
    upto = [f for f in facts if f.month <= month]
    national = tally(upto)
    active = activated_by(j, month)
    return {
        "month": month,
        "months": months,
        "counties": county_table(j) if with_counties else None,
        "shape_successors": SHAPE_SUCCESSORS,
        "activated_count": len(active),
        "county_stats": county_stats(upto, month),
        "series": monthly_series(facts, months),
        "national": {"submissions": national.submissions,
                     "ident_matches": national.ident_matches,
                     "per_1000": per_thousand(national.ident_matches, national.submissions),
                     "removed": national.removed,
                     "removed_by_level": national.removed_by_level},
        "oversight": {"figures": [figure_dict(f) for f in oversight_figures(upto, j, public=True)]},
        "levels": list(LEVELS),
    }


def public_view(data: dict) -> dict:
    """The dashboard's data for anyone: every count of 1-9 hidden (None), and enough others
    (complementary) that no hidden count follows from the totals shown in the same answer
    (counties and months add up to the national figures; levels to removals). Rates whose
    parts are hidden are hidden too, and the oversight figures whenever anything is (their
    numerators are counts of the same bookings); ``suppressed`` names each hidden cell and why.
    Like the monthly table, one answer is protected on its own: the difference between two
    months' answers is not."""
    month, levels = data["month"], data["levels"]
    counties, nat = data["county_stats"], data["national"]
    upto = [r for r in data["series"] if r["month"] <= month]
    values: dict[tuple, int] = {("n", "s"): nat["submissions"], ("n", "m"): nat["ident_matches"],
                                ("n", "r"): nat["removed"]}
    values.update({("n", "r", lv): nat["removed_by_level"][lv] for lv in levels})
    for f, c in counties.items():
        values[("c", f, "s")], values[("c", f, "m")] = c["submissions"], c["matches"]
    for r in data["series"]:
        values[("t", r["month"], "s")], values[("t", r["month"], "m")] = r["submissions"], r["ident_matches"]
        values.update({("t", r["month"], "r", lv): r["removed"][lv] for lv in levels})
    equations: list[tuple[tuple, list[tuple]]] = [
                 (("n", "s"), [("c", f, "s") for f in counties]), (("n", "m"), [("c", f, "m") for f in counties]),
                 (("n", "s"), [("t", r["month"], "s") for r in upto]),
                 (("n", "m"), [("t", r["month"], "m") for r in upto]),
                 (("n", "r"), [("n", "r", lv) for lv in levels])]
    equations += [(("n", "r", lv), [("t", r["month"], "r", lv) for r in upto]) for lv in levels]
    marks = suppress(values, equations)

    def shown(key: tuple) -> int | None:
        return None if key in marks else values[key]

    def rate(m: tuple, s: tuple) -> float | None:
        return None if m in marks or s in marks else per_thousand(values[m], values[s])

    out = dict(data)
    if marks:   # a figure's counts are the same counts, seen from another side: hide them too
        out["oversight"] = {"figures": [
            {**f, "value": None, "numerator": None, "denominator": None, "value_suppressed": True,
             "note": "hidden: with the counts shown beside it, it would give a suppressed count away"}
            for f in data["oversight"]["figures"]]}
    out["public"] = True
    out["suppressed"] = {"/".join(map(str, k)): why for k, why in sorted(marks.items(), key=str)}
    out["county_stats"] = {f: {"submissions": shown(("c", f, "s")), "matches": shown(("c", f, "m")),
                               "per_1000": rate(("c", f, "m"), ("c", f, "s"))} for f in counties}
    out["national"] = {"submissions": shown(("n", "s")), "ident_matches": shown(("n", "m")),
                       "per_1000": rate(("n", "m"), ("n", "s")), "removed": shown(("n", "r")),
                       "removed_by_level": {lv: shown(("n", "r", lv)) for lv in levels}}
    out["series"] = [{"month": r["month"], "submissions": shown(("t", r["month"], "s")),
                      "ident_matches": shown(("t", r["month"], "m")),
                      "removed": {lv: shown(("t", r["month"], "r", lv)) for lv in levels}}
                     for r in data["series"]]
    return out
