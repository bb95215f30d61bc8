from datetime import date

from hypothesis import given, strategies as st

from scomm.domain import ncic
from scomm.domain.priority import FRAMEWORKS, SC_2008, Classification, Framework, classify_sc2008, framework_in_force
from scomm.domain.rapsheet import Conviction

D = date(2010, 1, 1)
ORDER = {"1": 0, "2": 1, "3": 2, "non-criminal": 3}   # smaller is more serious


def cv(*codes: str, on: date = D) -> list[Conviction]:
    return [Conviction.of(c, on) for c in codes]


def test_non_criminal():
    c = classify_sc2008([])
    assert (c.level, c.rule, c.convictions) == ("non-criminal", "NC-no-conviction", [])
    assert any("without a conviction do not count" in r for r in c.reasons)


def test_rules():
    cases = [
        (("0911",), "1", "L1-aggravated-felony", ["0911"]),
        (("3510", "2303"), "1", "L1-aggravated-felony", ["3510"]),
        (("3532", "2202"), "1", "L1-two-felonies", ["2202", "3532"]),
        (("3532",), "2", "L2-one-felony", ["3532"]),
        (("3532", "2303", "1313"), "2", "L2-one-felony", ["3532"]),
        (("2303", "1313", "5404"), "2", "L2-three-misdemeanors", ["1313", "2303", "5404"]),
        (("2303",), "3", "L3-misdemeanor", ["2303"]),
        (("2303", "2303"), "3", "L3-misdemeanor", ["2303", "2303"]),
    ]
    for codes, level, rule, fired in cases:
        c = classify_sc2008(cv(*codes))
        assert (c.level, c.rule, c.convictions) == (level, rule, fired), codes
        assert c.framework == "SC-2008"
        assert c.reasons[0].startswith("Level")
        assert any("without a conviction do not count" in r for r in c.reasons)


def test_reasons_name_the_convictions():
    c = classify_sc2008(cv("3532", "2202"))
    assert "COCAINE - POSSESS" in c.reasons[0] and "2202" in c.reasons[0]


def test_unclassified_code_counts_as_misdemeanor_and_is_said():
    c = classify_sc2008(cv("9998"))
    assert c.level == "3"
    assert any("9998" in r and "not in the offence table" in r for r in c.reasons)


def test_to_dict_round_trip():
    c = classify_sc2008(cv("3532", "2303"))
    d = c.to_dict()
    assert set(d) == {"framework", "level", "rule", "reasons", "convictions", "priority",
                      "category", "hits"}
    assert Classification.from_dict(d) == c
    assert c.priority == c.level == "2" and [h.rule for h in c.hits] == ["L2-one-felony"]


def test_reads_the_older_stored_form():
    old = {"framework": "SC-2008", "level": "3", "rule": "L3-misdemeanor",
           "reasons": ["x"], "convictions": ["2303"]}
    c = Classification.from_dict(old)
    assert (c.priority, c.category, c.hits) == ("3", "", [])


def test_framework_in_force():
    assert isinstance(SC_2008, Framework)
    assert SC_2008.effective_from == date(2008, 10, 27)
    for d in (date(2008, 10, 27), date(2010, 6, 29), date(2000, 1, 1)):
        assert framework_in_force(d) is SC_2008
    assert framework_in_force(D).classify(cv("0911")).level == "1"
    assert FRAMEWORKS[0] is SC_2008


# ------------------------------------------------------------------ properties

codes = st.sampled_from(sorted(ncic.OFFENCES) + ["9998"])
dates = st.dates(min_value=date(1990, 1, 1), max_value=date(2020, 12, 31))
convictions = st.lists(st.builds(Conviction.of, codes, dates), max_size=8)


@given(convictions, st.builds(Conviction.of, codes, dates))
def test_adding_a_conviction_never_lowers_the_level(cs, extra):
    before = classify_sc2008(cs).level
    after = classify_sc2008(cs + [extra]).level
    assert ORDER[after] <= ORDER[before]


@given(convictions, st.randoms())
def test_level_depends_only_on_the_multiset(cs, rnd):
    shuffled = list(cs)
    rnd.shuffle(shuffled)
    a, b = classify_sc2008(cs), classify_sc2008(shuffled)
    assert (a.level, a.rule, sorted(a.convictions)) == (b.level, b.rule, sorted(b.convictions))


@given(convictions, dates)
def test_level_does_not_depend_on_dates(cs, d):
    moved = [Conviction.of(c.ncic, d) for c in cs]
    assert classify_sc2008(cs).level == classify_sc2008(moved).level


@given(convictions)
def test_rule_matches_counts(cs):
    c = classify_sc2008(cs)
    felonies = sum(x.severity == "felony" for x in cs)
    misd = len(cs) - felonies
    aggravated = any(x.aggravated_felony for x in cs)
    expected = ("1" if aggravated or felonies >= 2 else "2" if felonies == 1 or misd >= 3
                else "3" if misd else "non-criminal")
    assert c.level == expected
    assert set(c.convictions) <= {x.ncic for x in cs}
    assert bool(c.convictions) == bool(cs)
    assert c.reasons
