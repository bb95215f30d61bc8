"""The policy in force as one object: schedules, entries, overrides, counterfactual files."""
from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given, settings, strategies as st

from scomm.domain import ncic
from scomm.domain.agreements import PolicyEntry, load_entries
from scomm.domain.detainer import decide_detainer
from scomm.domain.immigration import ImmigrationStatus
from scomm.domain.policyset import (
    DETAINER_SCHEDULE,
    FRAMEWORK_SCHEDULE,
    PolicyFileError,
    PolicySet,
    counterfactual_names,
    parse_entries,
)
from scomm.domain.priority import FRAMEWORKS, framework_in_force
from scomm.domain.rapsheet import Conviction

EWI = ImmigrationStatus("EWI", True, ["present without admission"])
SPAN = (date(2007, 1, 1), date(2022, 12, 31))
days = st.dates(min_value=SPAN[0], max_value=SPAN[1])
PACKAGED = PolicySet.packaged()


def cv(*codes: str, on: date = date(2009, 5, 1)) -> list[Conviction]:
    return [Conviction.of(c, on) for c in codes]


def decide(policy: PolicySet, on: date, codes=(), **kw):
    cs = cv(*codes)
    c = policy.framework_on(on).classify(cs)
    return policy.detainer(EWI, c, convictions=cs, on=on, **kw)


# ------------------------------------------------------------------ the packaged set

@given(days)
def test_packaged_schedule_is_the_registry(on):
    assert PACKAGED.framework_on(on) is framework_in_force(on)


@given(days, st.lists(st.sampled_from(sorted(ncic.OFFENCES)), max_size=4))
@settings(max_examples=60)
def test_packaged_detainer_is_decide_detainer(on, codes):
    cs = cv(*codes, on=on - timedelta(days=400))
    c = framework_in_force(on).classify(cs)
    assert PACKAGED.detainer(EWI, c, convictions=cs, on=on) == decide_detainer(
        EWI, c.level, on=on, classification=c, convictions=cs)


def test_counterfactuals_are_packaged_and_valid():
    assert set(counterfactual_names()) >= {"opt-outs-honoured-2011",
                                            "no-detainers-level3-noncriminal", "pep-2011"}
    for name in counterfactual_names():
        p = PolicySet.counterfactual(name)
        assert p.name == name and p.description
    with pytest.raises(KeyError):
        PolicySet.counterfactual("no-such-file")


# ------------------------------------------------------------------ schedules

def _periods_holding(schedule, on):
    hold = []
    for p in schedule.periods():
        if p["from"] and date.fromisoformat(p["from"]) <= on and (
                p["to"] is None or on < date.fromisoformat(p["to"])):
            hold.append(p["id"])
    return hold


@given(st.sampled_from([f.id for f in FRAMEWORKS]), days, st.lists(days, min_size=2, max_size=12))
def test_moving_a_start_keeps_order_and_one_framework_in_force(fid, start, probes):
    try:
        s = FRAMEWORK_SCHEDULE.moved({fid: start}, "test")
    except PolicyFileError as exc:
        later = FRAMEWORK_SCHEDULE.ids()[FRAMEWORK_SCHEDULE.ids().index(fid) + 1:]
        regs = {x.id: x.start for x in FRAMEWORK_SCHEDULE.items}
        assert any(regs[x] <= start for x in later), "only a move past a successor is refused"
        assert fid in str(exc) and "never be in force" in str(exc)
        return
    ids = s.ids()
    assert s.in_force(start).id == fid, "the moved framework is in force from its new start"
    first = min(x.start for x in s.items)
    for on in probes:
        holding = _periods_holding(s, on)
        if on >= first:
            assert holding == [s.in_force(on).id], "exactly one framework in force"
        else:
            earliest = next(p["id"] for p in s.periods() if not p["overtaken"])
            assert holding == [] and s.in_force(on).id == earliest
    ordered = sorted(probes)
    positions = [ids.index(s.in_force(on).id) for on in ordered]
    assert positions == sorted(positions), "in-force frameworks follow the registry order"
    live = [p["from"] for p in s.periods() if not p["overtaken"]]
    assert live == sorted(live)


def test_pep_2011_schedule():
    p = PolicySet.counterfactual("pep-2011")
    assert p.framework_on(date(2011, 6, 16)).id == "MORTON-2011"
    assert p.framework_on(date(2011, 6, 17)).id == "JOHNSON-2014"
    assert p.framework_on(date(2016, 1, 1)).id == "JOHNSON-2014"
    assert p.framework_on(date(2017, 2, 1)).id == "EO-13768"
    pols = {x["id"]: x for x in p.detainer_policies.periods()}
    assert pols["ICE-DETAINER-GUIDANCE-2012"]["overtaken"]
    assert p.detainer_policies.in_force(date(2013, 1, 1)).id == "PEP"
    assert "moved from 2015-01-05" in p.framework_choice(date(2012, 1, 1)).reason


def test_moving_a_framework_moves_its_detainer_policy():
    p = PolicySet.from_dict({"name": "x", "frameworks": {"JOHNSON-2014": "2013-01-01"}})
    assert p.detainer_policies.in_force(date(2013, 1, 1)).id == "PEP"
    assert p.detainer_policies.in_force(date(2012, 12, 31)).id == "ICE-DETAINER-GUIDANCE-2012"
    assert p.pep_forms_from == date(2015, 7, 1)   # forms stay unless the file moves them
    assert DETAINER_SCHEDULE.in_force(date(2013, 1, 1)).id == "ICE-DETAINER-GUIDANCE-2012"


# ------------------------------------------------------------------ detainers under a file

def test_pep_2011_decides_by_pep_rules_and_forms_naming_the_file():
    p = PolicySet.counterfactual("pep-2011")
    on = date(2012, 3, 1)
    felony = decide(p, on, ("1314",))                      # aggravated assault: 1(d)
    assert (felony.issued, felony.form, felony.request, felony.policy) == (
        True, "I-247D", "hold", "PEP")
    assert any("pep-2011" in r and "rules applied as of" in r for r in felony.reasons)
    refused = decide(p, on, ("1314",), jail_honours=False)
    assert (refused.form, refused.request) == ("I-247N", "notification")
    minor = decide(p, on, ("5499",))                       # a moving violation only
    assert not minor.issued or minor.form == "I-247X"
    history = decide(PACKAGED, on, ("5499",))
    assert (history.issued, history.form) == (True, "I-247")   # SC practice in 2012


def test_pep_forms_follow_the_file_date():
    early = PolicySet.from_dict({"name": "late-forms", "frameworks": {"JOHNSON-2014": "2012-01-01"},
                                 "detainer": {"pep_forms_from": "2013-01-01"}})
    before = decide(early, date(2012, 6, 1), ("1314",))
    after = decide(early, date(2013, 6, 1), ("1314",))
    assert before.form == "I-247" and any("from 2013-01-01 under policy file" in r
                                          for r in before.reasons)
    assert after.form == "I-247D"


levels_off = PolicySet.counterfactual("no-detainers-level3-noncriminal")


@given(days, st.lists(st.sampled_from(sorted(ncic.OFFENCES)), max_size=4),
       st.sampled_from([None, True, False]))
@settings(max_examples=80)
def test_no_detainer_levels_override(on, codes, jail):
    cs = cv(*codes, on=on - timedelta(days=400))
    c = framework_in_force(on).classify(cs)
    got = levels_off.detainer(EWI, c, convictions=cs, on=on, jail_honours=jail)
    base = PACKAGED.detainer(EWI, c, convictions=cs, on=on, jail_honours=jail)
    if c.level in ("3", "non-criminal"):
        assert not got.issued
        if base.issued:
            assert "no-detainers-level3-noncriminal" in got.reasons[-1]
    else:
        assert got == base


# ------------------------------------------------------------------ entries and forwarding

@pytest.mark.parametrize("state,county,asked", [("IL", "17031", date(2011, 5, 4)),
                                                  ("NY", "36061", date(2011, 6, 1)),
                                                  ("MA", "25025", date(2011, 6, 6))])
def test_opt_outs_honoured_stop_forwarding_from_their_dates(state, county, asked):
    p = PolicySet.counterfactual("opt-outs-honoured-2011")
    assert not p.forwarding(state, county, asked - timedelta(days=1)).stopped
    f = p.forwarding(state, county, asked)
    assert f.stopped and f.entry_ids() == [f"{state}-{asked.isoformat()}-opt-out"]
    assert "opt-outs-honoured-2011" in f.reason
    assert p.forwarding(state, county, date(2014, 1, 1)).stopped
    assert not PACKAGED.forwarding(state, county, date(2014, 1, 1)).stopped
    assert not replace(p, opt_out_honoured=False).forwarding(state, county, asked).stopped
    assert not p.forwarding("CA", "06075", date(2014, 1, 1)).stopped


def test_file_entries_win_over_user_entries_over_packaged():
    row = {"state": "TX", "counties": ["48201"], "topic": "jail_detainer_policy",
           "effective_from": "2008-10-27", "source": "test"}
    user = parse_entries({**row, "value": "none"})
    p = PolicySet.from_dict({"name": "f", "entries": [{**row, "value": "felony"}]})
    assert p.with_user_entries(user).agreement(
        "TX", "48201", date(2010, 1, 1), convictions=[]).jail_honours_detainer.value is False
    assert p.agreement("TX", "48201", date(2010, 1, 1),
                       convictions=cv("1314")).jail_honours_detainer.value is True
    q = PACKAGED.with_user_entries(user)
    j = q.agreement("TX", "48201", date(2010, 1, 1), convictions=cv("1314")).jail_honours_detainer
    assert j.value is False and j.entries[0].origin == "user"
    assert len(q.entries) == len(load_entries()) + 1


def test_a_bad_file_names_every_problem():
    with pytest.raises(PolicyFileError) as exc:
        PolicySet.from_dict({"description": 3, "colour": "red",
                             "entries": [{"state": "ZZ", "topic": "opt_out", "value": "maybe",
                                          "effective_from": "2011-13-01"}],
                             "frameworks": {"NOPE": "2011-01-01", "SC-2008": "soon"},
                             "detainer": {"no_detainer_levels": ["4"], "extra": 1}})
    fields = {f for f, _ in exc.value.problems}
    assert {"name", "colour", "entries[0].state", "entries[0].value", "entries[0].source",
            "entries[0].effective_from", "frameworks.SC-2008", "detainer.extra",
            "detainer.no_detainer_levels"} <= fields
    with pytest.raises(PolicyFileError) as late:
        PolicySet.from_dict({"name": "x", "frameworks": {"MORTON-2010": "2016-01-01"}})
    assert late.value.problems[0][0] == "frameworks.MORTON-2010"
    assert "never be in force" in late.value.problems[0][1]
    with pytest.raises(PolicyFileError):
        PolicySet.from_dict({"name": "x", "frameworks": {"NOPE": "2011-01-01"}})


def test_parse_entries_takes_one_or_many_and_names_each():
    one = parse_entries({"state": "IL", "topic": "moa", "effective_from": "2012-01-01",
                         "value": True, "source": "s"})
    assert isinstance(one[0], PolicyEntry) and one[0].origin == "user" and one[0].id
    with pytest.raises(PolicyFileError) as exc:
        parse_entries([{"state": "IL", "topic": "moa", "effective_from": "2012-01-01",
                        "value": "yes", "source": "s"},
                       {"state": "CA", "counties": ["17031"], "topic": "jail_detainer_policy",
                        "effective_from": "2012-01-01", "value": "sometimes", "source": "s"}])
    assert [f for f, _ in exc.value.problems] == ["[0].value", "[1].counties", "[1].value"]
