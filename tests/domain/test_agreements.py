"""Jurisdiction agreements and choices: the packaged record, the answers, overrides."""
from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given, strategies as st

from scomm.domain import ncic
from scomm.domain.agreements import (
    TOPICS,
    PolicyDataError,
    PolicyEntry,
    agreement_state,
    entries_from_dicts,
    history,
    load_entries,
    merge_entries,
)
from scomm.domain.jail_conditions import ConditionError, PersonFacts, evaluate, parse_condition
from scomm.domain.jurisdictions import Jurisdictions
from scomm.domain.rapsheet import Conviction

NYC = ("36005", "36047", "36061", "36081", "36085")


def cv(*codes: str, on: date = date(2012, 1, 1)) -> list[Conviction]:
    return [Conviction.of(c, on) for c in codes]


def honours(state, county, on, **kw):
    return agreement_state(state, county, on, **kw).jail_honours_detainer


# ------------------------------------------------------------------ the record

def test_record_loads_with_sources():
    es = load_entries()
    assert load_entries() is es
    assert {e.state for e in es} == {"US", "IL", "NY", "MA", "CA"}
    assert len({e.id for e in es}) == len(es) == len({e.key for e in es})
    for e in es:
        assert e.topic in TOPICS and e.source and e.summary and e.effect and e.origin == "scomm"
        assert not e.uncertain or e.note, f"{e.id}: an uncertain entry says why"
    for state in ("IL", "NY", "MA", "CA"):
        topics = {e.topic for e in history(state)}
        assert {"opt_out", "jail_detainer_policy", "moa"} <= topics, state


def test_history_is_in_date_order():
    h = history("IL", "17031")
    assert h == sorted(h, key=lambda e: e.effective_from)
    assert "IL-17031-2011-09-07-jail" in {e.id for e in h}
    assert "IL-17031-2011-09-07-jail" not in {e.id for e in history("IL", "17001")}


# ------------------------------------------------------------------ MOAs and opt-outs

def moa(state, on):
    return agreement_state(state, None, on).moa_in_force


def test_moa_dates():
    assert moa("IL", date(2009, 11, 19)).value is False
    assert moa("IL", date(2009, 11, 20)).value is True
    assert moa("IL", date(2011, 5, 4)).value is False
    assert moa("CA", date(2011, 8, 4)).value is True
    f = moa("CA", date(2011, 8, 5))
    assert f.value is False and f.entries[0].id == "US-2011-08-05-moa"
    assert "Morton" in f.entries[0].source
    assert moa("NY", date(2010, 6, 1)).value is True
    assert not any(moa("MA", date(y, 6, 1)).value for y in range(2008, 2020))


def test_illinois_opt_out_in_may_2011_had_no_legal_effect_on_activation():
    s = agreement_state("IL", "17031", date(2011, 5, 20))
    assert s.opt_out_requested.value is True
    assert s.opt_out_requested.entries[0].id == "IL-2011-05-04-opt-out"
    assert s.opt_out_effective.value is False
    assert "None" in s.opt_out_effective.reason
    # ... and indeed counties not yet active then were activated later, without consent
    j = Jurisdictions.load_default()
    later = [c for c in j.counties() if c.state_code == "IL" and c.activation_date
             and c.activation_date > date(2011, 5, 4)]
    assert len(later) == 76 and {c.activation_date for c in later} == {date(2013, 1, 22)}
    after = agreement_state("IL", "17031", date(2013, 1, 22))
    assert after.opt_out_effective.value is False
    assert "US-2011-08-05-moa" in {e.id for e in after.opt_out_effective.entries}
    assert "US-2013-01-22-event" in {e.id for e in after.events}


def test_other_opt_outs():
    ny = agreement_state("NY", "36061", date(2011, 7, 1))
    assert ny.opt_out_requested.value and not ny.opt_out_effective.value
    ma = agreement_state("MA", "25017", date(2012, 1, 1))
    assert ma.opt_out_requested.value and not ma.opt_out_effective.value
    sf = agreement_state("CA", "06075", date(2010, 6, 1))
    assert sf.opt_out_requested.value and sf.opt_out_requested.entries[0].counties == ("06075",)
    assert not agreement_state("CA", "06037", date(2010, 6, 1)).opt_out_requested.value
    assert not agreement_state("IL", None, date(2010, 11, 8)).opt_out_requested.value


def test_sib_forwarding():
    assert agreement_state("IL", None, date(2012, 1, 1)).sib_forwards_idr.value is False
    unknown = agreement_state("NY", None, date(2012, 1, 1)).sib_forwards_idr
    assert unknown.value is None and "no record" in unknown.reason


# ------------------------------------------------------------------ jails

def test_california_level_3_person_in_2015_is_not_held_under_the_trust_act():
    f = honours("CA", "06037", date(2015, 6, 1), level="3")
    assert f.value is False and f.entries[0].id == "CA-2014-01-01-jail"
    assert "TRUST Act" in f.entries[0].source and "TRUST Act" in f.reason
    assert honours("CA", "06037", date(2015, 6, 1), convictions=cv("2303")).value is False
    assert honours("CA", "06037", date(2015, 6, 1), convictions=cv("2202")).value is True
    assert honours("CA", "06037", date(2013, 12, 31), level="3").value is True
    f = honours("CA", "06037", date(2018, 1, 1), convictions=cv("0911"))
    assert f.value is False and f.entries[0].id == "CA-2018-01-01-jail"
    assert honours("CA", "06037", date(2018, 1, 1), judicial_warrant=True).value is True
    assert honours("CA", "06037", date(2015, 6, 1)).value is None          # record unknown


def test_county_and_state_rules_both_apply():
    # Santa Clara: no reimbursement agreement, so nothing is held, even before the TRUST Act
    f = honours("CA", "06085", date(2012, 1, 1), convictions=cv("2202"))
    assert f.value is False and f.entries[0].id == "CA-06085-2011-10-18-jail"
    # Cook County from 2011-09-07; the rest of Illinois until the TRUST Act of 2017
    assert honours("IL", "17031", date(2011, 9, 6), level="1").value is True
    assert honours("IL", "17031", date(2011, 9, 7), level="1").value is False
    assert honours("IL", "17043", date(2015, 1, 1), level="non-criminal").value is True
    assert honours("IL", "17043", date(2017, 8, 27), level="1").value is True
    f = honours("IL", "17043", date(2017, 8, 28), level="1")
    assert f.value is False and f.entries[0].id == "IL-2017-08-28-jail"


def test_new_york():
    on = date(2015, 6, 1)
    recent_felony = cv("2202", on=date(2013, 1, 1))
    for county in NYC:
        assert honours("NY", county, on, convictions=recent_felony).value is False
    assert honours("NY", "36061", on, convictions=recent_felony, judicial_warrant=True).value
    assert not honours("NY", "36061", on, convictions=cv("2202", on=date(2005, 1, 1)),
                       judicial_warrant=True).value
    assert honours("NY", "36061", date(2013, 1, 1), convictions=[]).value is False
    assert honours("NY", "36061", date(2013, 1, 1), convictions=[], pending_charge=True).value
    assert honours("NY", "36001", on, convictions=[]).value is True        # Albany: no local rule
    assert honours("NY", "36001", date(2018, 11, 14), level="1").value is False


def test_massachusetts_lunn():
    assert honours("MA", "25025", date(2017, 7, 23), level="non-criminal").value is True
    f = honours("MA", "25025", date(2017, 7, 24), level="1")
    assert f.value is False and "477 Mass. 517" in f.entries[0].source


# ------------------------------------------------------------------ conditions

def test_conditions():
    assert parse_condition("judicial_warrant+felony_5y|watchlist") == [
        ["judicial_warrant", "felony_5y"], ["watchlist"]]
    with pytest.raises(ConditionError):
        parse_condition("felony|sometimes")
    on = date(2016, 1, 1)
    facts = PersonFacts(on, cv("2202", on=date(2008, 1, 1)))
    assert evaluate("felony", facts) is True
    assert evaluate("felony_5y", facts) is False and evaluate("felony_10y", facts) is True
    unknown = PersonFacts(on)
    assert evaluate("felony", unknown) is None
    assert evaluate("felony|all", unknown) is True and evaluate("felony+none", unknown) is False
    level2 = PersonFacts(on, level="2")
    assert evaluate("conviction", level2) is True and evaluate("felony", level2) is None
    assert evaluate("conviction_10y", PersonFacts(on, level="non-criminal")) is False


states_and_counties = st.sampled_from([("CA", "06037"), ("CA", "06085"), ("IL", "17031"),
                                       ("IL", "17043"), ("NY", "36061"), ("NY", "36001"),
                                       ("MA", "25025")])
days = st.dates(min_value=date(2008, 10, 27), max_value=date(2020, 12, 31))
conviction = st.builds(Conviction.of, st.sampled_from(sorted(ncic.OFFENCES)),
                       st.dates(min_value=date(1995, 1, 1), max_value=date(2008, 10, 1)))


@given(states_and_counties, days, st.lists(conviction, max_size=5), conviction, st.booleans())
def test_more_record_or_a_warrant_never_turns_a_hold_into_a_release(where, on, cs, extra, warrant):
    state, county = where
    before = honours(state, county, on, convictions=cs, judicial_warrant=warrant).value
    after = honours(state, county, on, convictions=cs + [extra], judicial_warrant=warrant).value
    with_warrant = honours(state, county, on, convictions=cs, judicial_warrant=True).value
    assert before in (True, False)
    assert after >= before and with_warrant >= before


# ------------------------------------------------------------------ user overrides

def test_override_replaces_an_entry_with_the_same_key():
    base = load_entries()
    trust = next(e for e in base if e.id == "CA-2014-01-01-jail")
    mine = replace(trust, value="all", origin="user", source="my reading")
    merged = merge_entries(base, [mine])
    assert len(merged) == len(base)
    f = honours("CA", "06037", date(2015, 6, 1), level="3", entries=merged)
    assert f.value is True and any(e.origin == "user" for e in f.entries)
    assert honours("CA", "06037", date(2015, 6, 1), level="3").value is False   # base untouched


def test_user_entries_from_dicts_are_dated_and_validated():
    rows = [{"state": "tx", "counties": [48201], "topic": "jail_detainer_policy",
             "effective_from": "2012-01-01", "value": "felony", "source": "county memo"},
            {"state": "TX", "counties": ["48201"], "topic": "jail_detainer_policy",
             "effective_from": "2012-01-01", "value": "none", "source": "corrected memo"}]
    users = entries_from_dicts(rows)
    assert users[0].id == "TX-48201-2012-01-01-jail_detainer_policy" and users[0].origin == "user"
    merged = merge_entries(load_entries(), users)
    assert len(merged) == len(load_entries()) + 1                   # the later one won
    assert honours("TX", "48201", date(2013, 1, 1), level="1", entries=merged).value is False
    assert honours("TX", "48201", date(2011, 1, 1), level="1", entries=merged).value is True
    later = entries_from_dicts([{**rows[0], "effective_from": "2014-01-01", "value": "all"}])
    merged = merge_entries(merged, later)
    assert honours("TX", "48201", date(2014, 1, 1), level="1", entries=merged).value is True


@pytest.mark.parametrize("bad", [
    {"topic": "jail_detainer_policy", "value": "sometimes"},
    {"topic": "moa", "value": "yes"},
    {"topic": "opt_out", "value": True},
    {"topic": "unknown"},
    {"source": ""},
    {"counties": ["06037"]},
    {"state": "XX"},
    {"effective_from": "2012-13-01"},
])
def test_bad_entries_are_refused(bad):
    row = {"state": "TX", "topic": "moa", "effective_from": "2012-01-01", "value": True,
           "source": "x", **bad}
    with pytest.raises(PolicyDataError):
        entries_from_dicts([row])


def test_round_trip_and_to_dict():
    for e in load_entries():
        assert PolicyEntry.from_dict(e.to_dict()) == e
    s = agreement_state("IL", "17031", date(2012, 1, 1), level="1")
    d = s.to_dict()
    assert d["jail_honours_detainer"]["entries"][0]["source"].startswith("Cook County")
    assert d["moa_in_force"]["value"] is False and d["on"] == "2012-01-01"
