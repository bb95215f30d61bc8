"""LESC's status rules and the field office's detainer rule."""
from __future__ import annotations

from datetime import date

from hypothesis import given, strategies as st

from scomm.domain import ncic
from scomm.domain.detainer import decide_detainer
from scomm.domain.immigration import ENCOUNTER_KINDS, Encounter, determine_status
from scomm.domain.rapsheet import Conviction

ON = date(2011, 1, 1)


def conviction(code: str) -> Conviction:
    return Conviction(ncic=code, date=date(2005, 1, 1), offence=ncic.offence(code))


def felony_code() -> str:
    return next(c for c, o in ncic.OFFENCES.items() if o.severity == "felony" and not o.aggravated_felony)


def aggravated_code() -> str:
    return next(c for c, o in ncic.OFFENCES.items() if o.aggravated_felony)


def test_naturalised_citizen_is_not_removable_even_with_old_record():
    enc = [Encounter("admission", date(1995, 1, 1), stay_until=date(1995, 7, 1)),
           Encounter("lpr_adjustment", date(1997, 1, 1)), Encounter("naturalisation", date(2003, 1, 1))]
    s = determine_status(enc, ON, [conviction(aggravated_code())])
    assert s.status == "USC" and not s.removable and s.citizen
    d = decide_detainer(s, "1")
    assert not d.issued and "citizen" in d.reasons[0]


def test_encounters_after_the_booking_date_are_ignored():
    enc = [Encounter("border_apprehension", date(2000, 1, 1)), Encounter("naturalisation", date(2012, 1, 1))]
    assert determine_status(enc, ON, []).status == "EWI"


def test_lpr_removable_only_with_aggravated_felony():
    enc = [Encounter("lpr_adjustment", date(2000, 1, 1))]
    assert not determine_status(enc, ON, [conviction(felony_code())]).removable
    s = determine_status(enc, ON, [conviction(aggravated_code())])
    assert s.removable and aggravated_code() in s.reasons[-1]


def test_overstay_and_in_status():
    adm = Encounter("admission", date(2009, 1, 1), stay_until=date(2010, 1, 1))
    assert determine_status([adm], ON, []).status == "OVERSTAY"
    ok = Encounter("admission", date(2009, 1, 1), stay_until=date(2019, 1, 1))
    assert not determine_status([ok], ON, []).removable
    assert determine_status([ok], ON, [conviction(felony_code())]).removable


def test_no_record_is_unknown_and_no_detainer():
    s = determine_status([], ON, [])
    assert s.status == "UNKNOWN" and not decide_detainer(s, "non-criminal").issued


encounter = st.builds(Encounter, st.sampled_from(sorted(ENCOUNTER_KINDS)),
                      st.dates(date(1980, 1, 1), date(2015, 1, 1)),
                      st.none() | st.dates(date(1980, 1, 1), date(2020, 1, 1)))


@given(st.lists(encounter, max_size=6), st.dates(date(1990, 1, 1), date(2015, 1, 1)))
def test_status_always_has_reasons_and_citizens_are_never_detained(encs, on):
    s = determine_status(encs, on, [])
    assert s.reasons
    d = decide_detainer(s, "non-criminal")
    assert d.reasons
    if s.citizen:
        assert not s.removable and not d.issued
    assert d.issued == s.removable
    # Round trip through the stored form.
    assert [Encounter.from_dict(e.to_dict()) for e in encs] == encs
