"""Priority frameworks: dates, registry, each rule, and properties across frameworks."""
from datetime import date, timedelta

import pytest
from hypothesis import given, strategies as st

from scomm.domain import ncic
from scomm.domain.immigration import Encounter
from scomm.domain.priority import (
    EO_13768,
    FRAMEWORKS,
    JOHNSON_2014,
    MORTON_2010,
    MORTON_2011,
    SC_2008,
    Framework,
    ImmigrationContext,
    allowed_requests,
    framework,
    framework_in_force,
    registry,
)
from scomm.domain.rapsheet import Conviction

D = date(2012, 1, 1)


def cv(*codes: str, on: date = D) -> list[Conviction]:
    return [Conviction.of(c, on) for c in codes]


# ------------------------------------------------------------------ dates and registry

BOUNDARIES = [  # (first day, framework id in force that day, id in force the day before)
    (date(2010, 6, 30), "MORTON-2010", "SC-2008"),
    (date(2011, 3, 2), "MORTON-2011", "MORTON-2010"),
    (date(2015, 1, 5), "JOHNSON-2014", "MORTON-2011"),
    (date(2017, 1, 25), "EO-13768", "JOHNSON-2014"),
]


@pytest.mark.parametrize("day,fid,before", BOUNDARIES)
def test_framework_chosen_by_date_at_each_boundary(day, fid, before):
    assert framework_in_force(day).id == fid
    assert framework_in_force(day - timedelta(days=1)).id == before


def test_outside_the_modelled_span():
    assert framework_in_force(date(2008, 10, 27)) is SC_2008
    assert framework_in_force(date(2000, 1, 1)) is SC_2008
    assert framework_in_force(date(2021, 1, 19)) is EO_13768
    assert framework_in_force(date(2022, 1, 1)) is EO_13768
    with pytest.raises(LookupError):
        framework_in_force(date(2022, 1, 1), strict=True)
    with pytest.raises(LookupError):
        framework_in_force(date(2000, 1, 1), strict=True)


def test_registry_is_contiguous_and_cited():
    infos = registry()
    assert [i.id for i in infos] == ["SC-2008", "MORTON-2010", "MORTON-2011", "JOHNSON-2014",
                                     "EO-13768"]
    for a, b in zip(infos, infos[1:]):
        assert a.effective_to == b.effective_from
    for i, f in zip(infos, FRAMEWORKS):
        assert isinstance(f, Framework) and framework(i.id) is f
        assert i.source and i.title and i.issued <= i.effective_from
        assert set(i.to_dict()) == {"id", "title", "issued", "effective_from", "effective_to",
                                    "source", "note"}
    assert next(i for i in infos if i.id == "JOHNSON-2014").issued == date(2014, 11, 20)
    with pytest.raises(KeyError):
        framework("NOPE")


# ------------------------------------------------------------------ Morton

@pytest.mark.parametrize("codes,level", [(("0911",), "1"), (("3532",), "2"), (("2303",), "3")])
def test_morton_priority_1_for_convicted_by_level(codes, level):
    for f in (MORTON_2010, MORTON_2011):
        c = f.classify(cv(*codes))
        assert (c.priority, c.level, c.rule, c.category) == ("1", level, f"P1-convicted-L{level}",
                                                             f"Level {level}")
        assert codes[0] in c.reasons[0] and c.convictions == list(codes)


def test_morton_default_context_says_what_was_not_assessed():
    c = MORTON_2011.classify([])
    assert (c.priority, c.level, c.rule) == ("none", "non-criminal", "none")
    assert any(r.startswith("not assessed") and "(P2)" in r for r in c.reasons)


def test_morton_recent_entrant_and_re_entry():
    on = date(2012, 6, 1)
    recent = ImmigrationContext(on=on, last_entry=date(2010, 1, 1), entered_without_inspection=True)
    old = ImmigrationContext(on=on, last_entry=date(2005, 1, 1), entered_without_inspection=True)
    assert MORTON_2011.classify([], recent).rule == "P2-recent-entrant"
    assert MORTON_2011.classify([], old).priority == "none"
    back = ImmigrationContext(on=on, previously_removed=True, removal_order_date=date(2009, 1, 1))
    c = MORTON_2011.classify([], back)
    assert (c.priority, c.rule) == ("3", "P3-reentry")
    c = MORTON_2011.classify(cv("2303"), back)
    assert c.priority == "1" and [h.rule for h in c.hits] == ["P1-convicted-L3", "P3-reentry"]
    assert any(r.startswith("also: Priority 3") for r in c.reasons)
    assert MORTON_2011.classify([], ImmigrationContext(fugitive=True)).rule == "P3-fugitive"
    assert MORTON_2011.classify([], ImmigrationContext(national_security=True)).priority == "1"


# ------------------------------------------------------------------ Johnson / PEP

CTX = ImmigrationContext(on=date(2016, 1, 1))
JOHNSON_CASES = [
    # codes, context, category, rule, NCIC codes fired
    (("2202",), CTX, "1(d)", "P1d-felony", ["2202"]),
    (("0911",), CTX, "1(d)", "P1d-felony", ["0911"]),           # 1(e) also fires, listed second
    (("2303", "1313", "5311"), CTX, "2(a)", "P2a-three-misdemeanours", None),
    (("5404",), CTX, "2(b)", "P2b-significant-misdemeanour", ["5404"]),
    (("3803",), CTX, "2(b)", "P2b-significant-misdemeanour", ["3803"]),
    (("5212",), CTX, "2(b)", "P2b-significant-misdemeanour", ["5212"]),
    ((), ImmigrationContext(national_security=True), "1(a)", "P1a-national-security", []),
    ((), ImmigrationContext(apprehended_at_border=True), "1(b)", "P1b-border", []),
    ((), ImmigrationContext(gang_conviction=True), "1(c)", "P1c-gang-offence", []),
    ((), ImmigrationContext(on=date(2016, 1, 1), last_entry=date(2014, 3, 1),
                            entered_without_inspection=True), "2(c)", "P2c-recent-entry", []),
    ((), ImmigrationContext(visa_abuse=True), "2(d)", "P2d-visa-abuse", []),
    ((), ImmigrationContext(removal_order_date=date(2014, 1, 1)), "3", "P3-final-order", []),
]


@pytest.mark.parametrize("codes,ctx,category,rule,fired", JOHNSON_CASES)
def test_johnson_rules(codes, ctx, category, rule, fired):
    dates = [date(2010, 1, 1) + timedelta(days=100 * i) for i in range(len(codes))]
    cs = [Conviction.of(c, d) for c, d in zip(codes, dates)]
    c = JOHNSON_2014.classify(cs, ctx)
    assert (c.category, c.rule, c.priority) == (category, rule, category[0])
    if fired is not None:
        assert c.convictions == fired
    for code in c.convictions:
        assert code in c.reasons[0]
    assert c.reasons[0].startswith(f"Priority {category}")


def test_johnson_aggravated_felony_also_listed():
    c = JOHNSON_2014.classify(cv("3510"), CTX)
    assert [h.category for h in c.hits] == ["1(d)", "1(e)"]
    assert "3510" in c.hits[1].reason and c.hits[1].convictions == ("3510",)


def test_johnson_exclusions():
    # three misdemeanours on one day are one incident
    assert JOHNSON_2014.classify(cv("2303", "1313", "5311"), CTX).priority == "none"
    # minor traffic offences do not count towards 2(a)
    spread = [Conviction.of(c, date(2010, 1, 1) + timedelta(days=i * 50))
              for i, c in enumerate(("5405", "5402", "2303"))]
    assert JOHNSON_2014.classify(spread, CTX).priority == "none"
    # an immigration-status felony is not 1(d); alien smuggling is
    assert JOHNSON_2014.classify(cv("0302"), CTX).priority == "none"
    assert JOHNSON_2014.classify(cv("0303"), CTX).category == "1(d)"
    # a final order before 2014, an entry before 2014: not priorities
    assert JOHNSON_2014.classify([], ImmigrationContext(removal_order_date=date(2013, 12, 31))
                                 ).priority == "none"
    assert JOHNSON_2014.classify([], ImmigrationContext(
        last_entry=date(2013, 6, 1), entered_without_inspection=True)).priority == "none"


def test_johnson_sentence_of_90_days_makes_a_misdemeanour_significant():
    c = Conviction.of("2303", D)
    assert JOHNSON_2014.classify([c], CTX).priority == "none"
    ctx = ImmigrationContext(custody_sentences=(("2303", D, 90),))
    got = JOHNSON_2014.classify([c], ctx)
    assert got.category == "2(b)" and "sentenced to 90 days" in got.reasons[0]
    short = ImmigrationContext(custody_sentences=(("2303", D, 89),))
    assert JOHNSON_2014.classify([c], short).priority == "none"


def test_johnson_requests():
    assert allowed_requests(JOHNSON_2014.classify(cv("2202"), CTX)) == ("I-247D", "I-247N")
    assert allowed_requests(JOHNSON_2014.classify(
        [], ImmigrationContext(visa_abuse=True))) == ("I-247X",)
    assert allowed_requests(JOHNSON_2014.classify([], CTX)) == ()
    assert all(h.allows for h in JOHNSON_2014.classify(cv("2202", "5404"), CTX).hits)


# ------------------------------------------------------------------ EO 13768

def test_eo_13768():
    assert EO_13768.classify(cv("5405")).category == "5(a)"
    none = EO_13768.classify([])
    assert none.priority == "none" and "exempts no class" in none.reasons[0]
    c = EO_13768.classify([], ImmigrationContext(pending_charges=("2303",)))
    assert (c.category, c.priority) == ("5(b)", "priority") and "2303" in c.reasons[0]
    ewi = EO_13768.classify([], ImmigrationContext(entered_without_inspection=True))
    assert ewi.category == "5(c)" and "1325" in ewi.reasons[0]
    back = EO_13768.classify([], ImmigrationContext(previously_removed=True,
                                                    entered_without_inspection=True))
    assert "1326" in back.reasons[0]
    assert EO_13768.classify([], ImmigrationContext(fugitive=True)).category == "5(f)"


# ------------------------------------------------------------------ context from IDENT

def test_context_from_record():
    on = date(2016, 5, 1)
    ewi = ImmigrationContext.from_record([Encounter("border_apprehension", date(2015, 2, 1))], on)
    assert ewi.entered_without_inspection and ewi.last_entry == date(2015, 2, 1)
    assert JOHNSON_2014.classify([], ewi).category == "2(c)"
    removed = ImmigrationContext.from_record(
        [Encounter("admission", date(2005, 1, 1), date(2005, 7, 1)),
         Encounter("removal", date(2014, 6, 1))], on, pending_charges=["5404"])
    assert removed.previously_removed and removed.removal_order_date == date(2014, 6, 1)
    assert removed.pending_charges == ("5404",)
    assert [h.category for h in JOHNSON_2014.classify([], removed).hits] == ["2(c)", "3"]
    lawful = ImmigrationContext.from_record([Encounter("lpr_adjustment", date(2010, 1, 1))], on)
    assert not lawful.entered_without_inspection and lawful.last_entry is None
    future = ImmigrationContext.from_record([Encounter("removal", date(2017, 1, 1))], on)
    assert not future.previously_removed


# ------------------------------------------------------------------ properties

codes = st.sampled_from(sorted(ncic.OFFENCES) + ["9998"])
dates = st.dates(min_value=date(1990, 1, 1), max_value=date(2020, 12, 31))
conviction = st.builds(Conviction.of, codes, dates)
convictions = st.lists(conviction, max_size=8)
contexts = st.builds(
    ImmigrationContext, on=st.just(date(2016, 6, 1)), last_entry=st.none() | dates,
    entered_without_inspection=st.booleans(), previously_removed=st.booleans(),
    removal_order_date=st.none() | dates, visa_abuse=st.booleans(), gang=st.booleans(),
    national_security=st.booleans(), fugitive=st.booleans())
frameworks = st.sampled_from(FRAMEWORKS)


@given(frameworks, convictions, conviction, contexts)
def test_adding_a_conviction_never_lowers_the_priority(f, cs, extra, ctx):
    before, after = f.classify(cs, ctx), f.classify(cs + [extra], ctx)
    assert f.priorities.index(after.priority) <= f.priorities.index(before.priority)
    assert f.levels.index(after.level) <= f.levels.index(before.level)
    assert {h.rule for h in before.hits} <= {h.rule for h in after.hits} | {
        "P1-convicted-L1", "P1-convicted-L2", "P1-convicted-L3", "L1-aggravated-felony",
        "L1-two-felonies", "L2-one-felony", "L2-three-misdemeanors", "L3-misdemeanor",
        "NC-no-conviction"}


@given(frameworks, convictions, contexts, st.randoms())
def test_classification_is_deterministic_and_order_free(f, cs, ctx, rnd):
    shuffled = list(cs)
    rnd.shuffle(shuffled)
    assert f.classify(cs, ctx) == f.classify(shuffled, ctx) == f.classify(list(cs), ctx)


@given(frameworks, convictions, contexts)
def test_reasons_name_the_codes_and_level_is_sc(f, cs, ctx):
    c = f.classify(cs, ctx)
    assert c.framework == f.id and c.priority in f.priorities and c.reasons
    assert c.level == SC_2008.classify(cs).level
    for code in c.convictions:
        assert code in c.reasons[0]
    for h in c.hits:
        assert set(h.convictions) <= {x.ncic for x in cs}
    assert (c.priority == f.priorities[-1] and f.id != "SC-2008") == (not c.hits)
