"""The monthly table's arithmetic: rows add up to the state and national totals, months add up
to the cumulative figures, and public output hides small counts without giving them away."""
from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings

from scomm.domain.jurisdictions import Jurisdictions
from scomm.statistics.counts import tally
from scomm.statistics.monthly import (
    COLUMNS,
    LEVELS,
    MEASURES,
    PERIODS,
    cells_of,
    monthly_table,
    parse_month,
)
from scomm.statistics.suppression import is_small

from .factory import COUNTIES, Booking, fact, facts_strategy
from .test_suppression import recoverable

MONTHS = ("2010-01", "2010-02", "2010-03")
FULL = Jurisdictions.load_default()
# A small jurisdiction table (the factory's counties) keeps hypothesis fast.
SMALL_J = Jurisdictions([FULL.county(f) for f in COUNTIES], FULL.field_offices())


def _sum(rows, key):
    return sum(r.cells[key] for r in rows)


@settings(max_examples=60, deadline=None)
@given(facts_strategy(max_size=80, months=MONTHS))
def test_national_is_the_sum_of_the_rows_and_the_true_tally(facts):
    t = monthly_table(facts, "2010-02", SMALL_J, public=False)
    upto = [f for f in facts if f.month <= "2010-02"]
    assert t.national.cells == cells_of(tally(f for f in upto if f.month == "2010-02"), tally(upto))
    for key in COLUMNS:
        assert t.national.cells[key] == _sum(t.rows, key) == _sum(t.state_subtotals, key)
        for state, counties in t.grouped():
            assert state.cells[key] == _sum(counties, key)
    for r in t.all_rows():
        for p in PERIODS:
            for m in MEASURES[1:]:
                assert r.value(p, m) == sum(r.value(p, m, lv) for lv in LEVELS)


@settings(max_examples=40, deadline=None)
@given(facts_strategy(max_size=80, months=MONTHS))
def test_months_sum_to_cumulative(facts):
    tables = [monthly_table(facts, m, SMALL_J, public=False) for m in MONTHS]
    last = {r.fips: r for r in tables[-1].rows}
    for fips, row in last.items():
        for key in COLUMNS:
            if not key.startswith("cumulative."):
                continue
            month_key = "month." + key.split(".", 1)[1]
            per_month = [next((r.cells[month_key] for r in t.rows if r.fips == fips), 0)
                         for t in tables]
            assert sum(per_month) == row.cells[key]
    # the national row too, and the cumulative never falls
    for key in COLUMNS[:len(COLUMNS) // 2]:
        assert sum(t.national.cells[key] for t in tables) == \
            tables[-1].national.cells["cumulative." + key.split(".", 1)[1]]


def _equations(t):
    rows = t.all_rows()
    eqs = []
    for i in range(len(rows)):
        for p in PERIODS:
            for m in MEASURES[1:]:
                eqs.append(((i, f"{p}.{m}.total"), [(i, f"{p}.{m}.{lv}") for lv in LEVELS]))
    idx = {id(r): i for i, r in enumerate(rows)}
    for key in COLUMNS:
        for s, counties in t.grouped():
            eqs.append(((idx[id(s)], key), [(idx[id(c)], key) for c in counties]))
        eqs.append(((idx[id(t.national)], key), [(idx[id(s)], key) for s in t.state_subtotals]))
    return rows, eqs


@settings(max_examples=40, deadline=None)
@given(facts_strategy(max_size=80, months=MONTHS))
def test_public_table_shows_no_small_count_and_none_can_be_recovered(facts):
    internal = monthly_table(facts, "2010-03", SMALL_J, public=False)
    public = monthly_table(facts, "2010-03", SMALL_J, public=True)
    hidden = set()
    for i, (a, b) in enumerate(zip(internal.all_rows(), public.all_rows())):
        for key in COLUMNS:
            if b.cells[key] is None:
                assert key in b.suppressed
                assert b.shown(key) in ("<10", "(s)")
                assert (b.suppressed[key] == "primary") == is_small(a.cells[key])
                hidden.add((i, key))
            else:
                assert not is_small(b.cells[key])
                assert b.cells[key] == a.cells[key]   # totals are the unsuppressed sums
    rows, eqs = _equations(internal)
    values = {(i, k): r.cells[k] for i, r in enumerate(rows) for k in COLUMNS}
    assert recoverable(values, eqs, hidden) == set()


def test_rows_are_the_counties_activated_by_the_end_of_the_month():
    t = monthly_table([], "2008-11", FULL, public=False)
    fips = {r.fips for r in t.rows}
    assert "48201" in fips        # Harris County, Texas: activated 2008-10-27
    assert "01005" not in fips    # Barbour County, Alabama: activated 2013-01-22
    harris = next(r for r in t.rows if r.fips == "48201")
    assert harris.activation_date == date(2008, 10, 27) and harris.county == "Harris County"
    assert all(r.activation_date <= date(2008, 11, 30) for r in t.rows)
    assert {s.state for s in t.state_subtotals} == {r.state for r in t.rows}
    # a county with data but not activated yet still gets its row, so the rows add up
    late = fact(Booking("01005", date(2008, 11, 3), searched=True, matched=True, level="1"))
    t2 = monthly_table([late], "2008-11", FULL, public=False)
    assert t2.national.value("month", "ident_matches", "1") == 1
    assert any(r.fips == "01005" for r in t2.rows)


def test_later_bookings_are_ignored_and_header_says_synthetic():
    f = fact(Booking("48201", date(2010, 5, 1)))
    t = monthly_table([f], "2010-04", SMALL_J, public=True, source="sqlite:///x.db")
    assert t.national.value("cumulative", "submissions") == 0
    d = t.to_dict()
    assert d["synthetic"] and d["source"] == "sqlite:///x.db" and d["suppression_rule"]
    assert "Synthetic" in d["note"]


@pytest.mark.parametrize("bad", ["2010-13", "2010-1", "201001", "", "2010-00"])
def test_month_must_be_yyyy_mm(bad):
    with pytest.raises(ValueError):
        parse_month(bad)
