"""The dashboard's data: activation by month, matches per 1,000, series equal to the tallies."""
from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings, strategies as st

from scomm.domain.jurisdictions import Jurisdictions
from scomm.statistics.counts import tally, tally_by
from scomm.statistics.dashboard import (
    SHAPE_SUCCESSORS,
    activated_by,
    dashboard_data,
    month_end,
    months_between,
    parse_month,
    per_thousand,
)
from scomm.statistics.facts import LEVELS, BookingFact
from scomm.statistics.oversight import oversight_figures

J = Jurisdictions.load_default()
HARRIS, COOK, BARBOUR = "48201", "17031", "01005"


def fact(fips: str, day: date, *, searched=True, match=False, level=None, outcome=None,
         n=[0]) -> BookingFact:
    n[0] += 1
    return BookingFact(
        transaction_id=n[0], tcn=f"T{n[0]}", state="??", county_fips=fips, booking_date=day,
        month=day.strftime("%Y-%m"), identified=False, ident_searched=searched, ident_match=match,
        lesc_status=None, citizen=False, removable=None, level=level, framework=None,
        detainer_issued=False, detainer_form=None, detainer_honoured=None, custody=False,
        custody_date=None, outcome=outcome, outcome_date=None, idr_s=None, iar_s=None, case_s=None)


def test_month_helpers():
    assert month_end("2012-02") == date(2012, 2, 29)
    assert months_between("2008-11", "2009-02") == ["2008-11", "2008-12", "2009-01", "2009-02"]
    assert parse_month("2010-6") == "2010-06"
    with pytest.raises(ValueError):
        parse_month("2010-13")
    assert per_thousand(7, 100) == 70.0 and per_thousand(1, 0) is None


def test_activation_counts_follow_the_table():
    # Harris County activated 2008-10-27: in October 2008, not in September.
    assert HARRIS in activated_by(J, "2008-10") and HARRIS not in activated_by(J, "2008-09")
    expected = sum(1 for c in J.counties() if c.activation_date and c.activation_date <= date(2011, 6, 30))
    d = dashboard_data([], J, "2011-06")
    assert d["activated_count"] == expected
    # every county activated by the end (2013-01), except the 4 without a date
    assert dashboard_data([], J, "2013-01")["activated_count"] == len(J.counties()) - 4
    assert len(d["counties"]) == 3147


def test_successor_shapes_point_at_counties_of_the_table():
    table = {c.fips for c in J.counties()}
    for shape, county in SHAPE_SUCCESSORS.items():
        assert shape not in table and county in table


def test_county_stats_are_cumulative_and_per_thousand():
    facts = [fact(HARRIS, date(2009, 1, 5), match=True, level="1"),
             fact(HARRIS, date(2009, 1, 6)),
             fact(HARRIS, date(2009, 2, 1), match=True, level="3", outcome="removed"),
             fact(HARRIS, date(2009, 3, 1)),
             fact(COOK, date(2009, 2, 2), searched=False)]  # not activated: a booking, no submission
    d = dashboard_data(facts, J, "2009-02")
    assert d["county_stats"][HARRIS] == {"submissions": 3, "matches": 2, "per_1000": 666.7}
    assert d["county_stats"][COOK] == {"submissions": 0, "matches": 0, "per_1000": None}
    d3 = dashboard_data(facts, J, "2009-03")
    assert d3["county_stats"][HARRIS]["per_1000"] == 500.0
    assert d3["national"]["submissions"] == 4 and d3["national"]["removed"] == 1


month_days = st.dates(min_value=date(2008, 10, 1), max_value=date(2014, 11, 30))
facts_strategy = st.lists(st.builds(
    lambda fips, day, searched, match, level, outcome: fact(
        fips, day, searched=searched, match=searched and match, level=level if match else None,
        outcome=outcome if match else None),
    st.sampled_from([HARRIS, COOK, BARBOUR]), month_days, st.booleans(), st.booleans(),
    st.sampled_from(list(LEVELS)), st.sampled_from([None, "removed", "returned", "released"])),
    max_size=60)


@settings(max_examples=40, deadline=None)
@given(facts_strategy, month_days)
def test_series_equal_monthly_tallies_and_sum_to_cumulative(facts, day):
    month = day.strftime("%Y-%m")
    d = dashboard_data(facts, J, month)
    by_month = tally_by(facts, lambda f: f.month)
    assert d["months"][0] == "2008-10"
    assert d["months"][-1] == max(["2013-01"] + [f.month for f in facts])  # last activation: 2013-01
    for row in d["series"]:
        c = by_month.get(row["month"])
        assert row["submissions"] == (c.submissions if c else 0)
        assert row["ident_matches"] == (c.ident_matches if c else 0)
        assert row["removed"] == ({lv: c.removed_by_level[lv] for lv in LEVELS} if c else
                                  {lv: 0 for lv in LEVELS})
    upto = [r for r in d["series"] if r["month"] <= month]
    total = tally([f for f in facts if f.month <= month])
    assert sum(r["submissions"] for r in upto) == total.submissions == d["national"]["submissions"]
    assert sum(r["ident_matches"] for r in upto) == sum(s["matches"] for s in d["county_stats"].values())


def test_oversight_figures_are_those_through_the_month():
    facts = [fact(HARRIS, date(2009, 1, 5)), fact(HARRIS, date(2010, 1, 5))]
    d = dashboard_data(facts, J, "2009-06")
    want = [f.id for f in oversight_figures(facts[:1], J, public=True)]
    assert [f["id"] for f in d["oversight"]["figures"]] == want
    assert all(f["definition"] and "sql" not in f for f in d["oversight"]["figures"])


@settings(max_examples=40, deadline=None)
@given(facts_strategy, month_days)
def test_the_public_view_hides_small_counts_and_what_would_give_them_away(facts, day):
    from scomm.statistics.dashboard import public_view
    from scomm.statistics.suppression import is_small

    d = dashboard_data(facts, J, day.strftime("%Y-%m"))
    p = public_view(d)
    cells = [(d["national"][k], p["national"][k]) for k in ("submissions", "ident_matches", "removed")]
    cells += [(d["national"]["removed_by_level"][lv], p["national"]["removed_by_level"][lv]) for lv in LEVELS]
    for f, c in d["county_stats"].items():
        cells += [(c[k], p["county_stats"][f][k]) for k in ("submissions", "matches")]
        if p["county_stats"][f]["submissions"] is None or p["county_stats"][f]["matches"] is None:
            assert p["county_stats"][f]["per_1000"] is None
    for r, q in zip(d["series"], p["series"]):
        cells += [(r[k], q[k]) for k in ("submissions", "ident_matches")]
        cells += [(r["removed"][lv], q["removed"][lv]) for lv in LEVELS]
    for true, public in cells:
        assert public is None or (public == true and not is_small(true))
        if is_small(true):
            assert public is None
    # no equation of the answer has exactly one hidden part (its total shown): nothing follows by subtraction
    month = d["month"]
    hidden = lambda v: v is None   # noqa: E731
    for parts, total in (([c["submissions"] for c in p["county_stats"].values()], p["national"]["submissions"]),
                         ([r["ident_matches"] for r in p["series"] if r["month"] <= month],
                          p["national"]["ident_matches"]),
                         (list(p["national"]["removed_by_level"].values()), p["national"]["removed"])):
        assert hidden(total) or sum(map(hidden, parts)) != 1
