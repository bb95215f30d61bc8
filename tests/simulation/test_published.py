"""Reading a run against the published figures: Wilson intervals and consistency."""
from __future__ import annotations

from hypothesis import given, strategies as st

from scomm.simulation.published import FIGURES, check, wilson
from scomm.statistics.counts import national_summary


@given(st.integers(0, 10_000), st.integers(1, 10_000))
def test_wilson_interval_contains_the_share(k, n):
    k = min(k, n)
    lo, hi = wilson(k, n)
    assert 0 <= lo <= round(100 * k / n, 2) <= hi <= 100


def test_known_interval_and_narrowing():
    assert wilson(0, 0) is None
    assert wilson(1, 11) == (1.62, 37.74)          # 1 of 11: cannot exclude 26-31%
    assert wilson(1000, 11000)[1] < 26              # 1,000 of 11,000 would


def test_check_reads_counts_as_the_report_does():
    s = national_summary([])
    s.update(submissions=466, ident_matches=32, custody=16, removed=11)
    s["removed_by_level"] = {**s["removed_by_level"], "non-criminal": 1}
    rows = {r["key"]: r for r in check(s)}
    assert set(rows) == {f.key for f in FIGURES}
    nc = rows["removed_noncriminal_pct"]
    assert (nc["numerator"], nc["denominator"], nc["run_pct"]) == (1, 11, 9.09)
    assert nc["consistent"] and nc["published_pct"] == "26-31"
    assert rows["match_rate_pct"]["consistent"]                  # 6.87% of 466
    s["ident_matches"] = 200                                       # 43% of submissions
    assert not {r["key"]: r for r in check(s)}["match_rate_pct"]["consistent"]
    assert check(national_summary([]))[0]["ci95_pct"] is None
