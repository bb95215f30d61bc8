"""Booking allocation and arrestee ground truth: the rules the simulation draws with."""
from __future__ import annotations

from datetime import date

import numpy as np
from hypothesis import given, settings, strategies as st

from scomm.domain.immigration import determine_status
from scomm.domain.priority import classify_sc2008
from scomm.simulation.bookings import month_count, months, plan_month
from scomm.simulation.parameters import load_parameters
from scomm.simulation.population import allocate, draw_arrestee, encounters_for, prior_rapsheet

PARAMS = load_parameters()


@given(total=st.integers(0, 5000),
       weights=st.lists(st.one_of(st.just(0), st.integers(0, 10_000_000)), min_size=1,
                        max_size=60),
       seed=st.integers(0, 2**32 - 1))
def test_allocation_is_nonnegative_sums_as_drawn_and_skips_empty_counties(total, weights, seed):
    counts = allocate(np.random.default_rng(seed), total, weights)
    assert len(counts) == len(weights)
    assert (counts >= 0).all()
    assert int(counts.sum()) == (total if sum(weights) > 0 else 0)
    assert all(c == 0 for c, w in zip(counts, weights) if w == 0)


def test_allocation_follows_population():
    counts = allocate(np.random.default_rng(1), 100_000, [1, 3, 0, 6])
    assert counts[2] == 0
    assert abs(counts[3] / 100_000 - 0.6) < 0.01 and abs(counts[0] / 100_000 - 0.1) < 0.01


@settings(max_examples=60)
@given(level=st.sampled_from(["1", "2", "3", "non-criminal"]), seed=st.integers(0, 10**6),
       born=st.integers(1950, 1992))
def test_prior_record_makes_the_level_it_was_drawn_for(level, seed, born):
    booked = date(2009, 3, 1)
    sheet = prior_rapsheet(np.random.default_rng(seed), "F000000001", date(born, 6, 1), level,
                           booked, "TX201SO00")
    assert classify_sc2008(sheet.convictions(before=booked)).level == level


@settings(max_examples=40)
@given(seed=st.integers(0, 10**6))
def test_ident_records_give_the_status_of_the_profile(seed):
    on, dob = date(2010, 5, 1), date(1980, 1, 1)
    expect = {"ewi": ("EWI", True), "overstay": ("OVERSTAY", True),
              "prior-removal": ("PRIOR_REMOVAL", True), "lpr": ("LPR", False),
              "naturalised": ("USC", False),
              # never updated with the naturalisation: looks like an overstay, held as removable
              "naturalised-unrecorded": ("OVERSTAY", True)}
    for profile, (status, removable) in expect.items():
        got = determine_status(encounters_for(np.random.default_rng(seed), profile, dob, on), on, [])
        assert (got.status, got.removable) == (status, removable), profile


def test_arrestee_mix_follows_the_county():
    r = np.random.default_rng(3)
    border = [draw_arrestee(r, 0.30, PARAMS) for _ in range(4000)]
    rural = [draw_arrestee(r, 0.01, PARAMS) for _ in range(4000)]
    share = lambda xs: sum(not a.citizen for a in xs) / len(xs)  # noqa: E731
    assert 0.26 < share(border) < 0.34 and share(rural) < 0.02
    in_ident = sum(a.in_ident and not a.citizen for a in border) / sum(not a.citizen for a in border)
    assert abs(in_ident - PARAMS.ident_record_share) < 0.04
    assert abs(sum(a.prior_level is not None for a in border) / 4000 - PARAMS.prior_record_share) < 0.03


def test_month_plan_is_deterministic_and_sized_by_the_national_draw():
    from scomm.domain.jurisdictions import Jurisdictions
    j = Jurisdictions.load_default()
    counties = [c for c in j.counties() if c.population > 0]
    pop = sum(c.population for c in counties)
    a = plan_month(7, "2010-06", counties, PARAMS, 2e-5, [], j.sheriff_ori)
    b = plan_month(7, "2010-06", counties, PARAMS, 2e-5, [], j.sheriff_ori)
    assert [x.order for x in a] == [x.order for x in b]
    assert len(a) == month_count(7, "2010-06", pop, PARAMS, 2e-5)
    assert all(x.order.arrest_date.strftime("%Y-%m") == "2010-06" for x in a)
    assert months("2008-11", "2009-02") == ["2008-11", "2008-12", "2009-01", "2009-02"]
