"""Federal holidays and the 48-hour detainer hold clock."""
from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, strategies as st

from scomm.domain.hold import LAPSED_OUTCOME, LAPSED_TEXT, hold_lapsed, hold_lapses_at, hold_status
from scomm.domain.holidays import federal_holidays, holiday_name, is_business_day, is_federal_holiday, nth_weekday

H48 = timedelta(hours=48)


# ------------------------------------------------------------------ holidays

def test_known_years():
    assert sorted(federal_holidays(2015)) == [
        date(2015, 1, 1), date(2015, 1, 19), date(2015, 2, 16), date(2015, 5, 25),
        date(2015, 7, 3), date(2015, 9, 7), date(2015, 10, 12), date(2015, 11, 11),
        date(2015, 11, 26), date(2015, 12, 25)]
    h21 = federal_holidays(2021)
    assert h21[date(2021, 6, 18)].startswith("Juneteenth")          # Saturday 19th -> Friday
    assert h21[date(2021, 7, 5)] == "Independence Day (observed)"    # Sunday -> Monday
    assert h21[date(2021, 12, 31)] == "New Year's Day (observed)"    # 2022-01-01 is a Saturday
    assert date(2022, 1, 1) not in federal_holidays(2022) and len(federal_holidays(2022)) == 10
    assert not any("Juneteenth" in n for n in federal_holidays(2020).values())
    assert holiday_name(date(2018, 11, 22)) == "Thanksgiving Day"
    assert holiday_name(date(2012, 1, 2)) == "New Year's Day (observed)"    # Sunday 1st
    assert holiday_name(date(2017, 11, 10)) == "Veterans Day (observed)"    # Saturday 11th


def test_historical_rules():
    assert not any("King" in n for n in federal_holidays(1985).values())
    assert any("King" in n for n in federal_holidays(1986).values())
    assert federal_holidays(1975)[date(1975, 10, 27)] == "Veterans Day"     # 4th Monday Oct
    assert date(1978, 11, 10) in federal_holidays(1978)                     # Sat 11th -> Fri
    with pytest.raises(ValueError):
        federal_holidays(1970)
    assert holiday_name(date(1960, 1, 1)) is None


def test_nth_weekday():
    assert nth_weekday(2015, 5, 0, -1) == date(2015, 5, 25)
    assert nth_weekday(2020, 11, 3, 4) == date(2020, 11, 26)
    assert nth_weekday(2024, 12, 1, -1) == date(2024, 12, 31)


@given(st.integers(min_value=1971, max_value=2100))
def test_every_year_has_weekday_holidays(year):
    h = federal_holidays(year)
    assert 8 <= len(h) <= 12   # 8: 1972 (no MLK Day yet, New Year observed in 1971)
    assert all(d.weekday() < 5 and d.year == year for d in h)
    assert all(is_federal_holiday(d) and not is_business_day(d) for d in h)


# ------------------------------------------------------------------ the 48-hour clock

@pytest.mark.parametrize("release,lapse", [
    (datetime(2015, 11, 25, 10), datetime(2015, 11, 30, 10)),   # Wed before Thanksgiving
    (datetime(2015, 7, 2, 9), datetime(2015, 7, 7, 9)),         # July 4 observed on Friday 3rd
    (datetime(2010, 7, 2, 9), datetime(2010, 7, 7, 9)),         # July 4 observed on Monday 5th
    (datetime(2015, 7, 4, 12), datetime(2015, 7, 8, 0)),        # released on the holiday itself
    (datetime(2016, 3, 7, 9), datetime(2016, 3, 9, 9)),         # plain Monday: 48 hours
    (datetime(2016, 3, 11, 17), datetime(2016, 3, 15, 17)),     # Friday evening -> Tuesday
    (datetime(2016, 3, 12, 8), datetime(2016, 3, 16, 0)),       # Saturday: Mon + Tue count
    (datetime(2016, 3, 10, 0), datetime(2016, 3, 12, 0)),       # Thu midnight -> Sat midnight
])
def test_known_examples(release, lapse):
    assert hold_lapses_at(release) == lapse
    assert not hold_lapsed(release, lapse - timedelta(seconds=1))
    assert hold_lapsed(release, lapse)


def test_status_and_outcome():
    r = datetime(2015, 11, 25, 10)
    s = hold_status(r, datetime(2015, 11, 27, 12))
    assert not s.lapsed and s.outcome is None and "in force" in s.reasons[-1]
    s = hold_status(r, datetime(2015, 11, 30, 10))
    assert s.lapsed and s.outcome == LAPSED_OUTCOME == "detainer-lapsed"
    assert LAPSED_TEXT == "released: detainer lapsed" and LAPSED_TEXT in s.reasons[-1]
    assert "2015-11-26 (Thanksgiving Day)" in s.reasons[1] and "Saturday" in s.reasons[1]
    assert set(s.to_dict()) == {"lapsed", "lapses_at", "outcome", "reasons"}


def test_form_without_the_weekend_exclusion_and_aware_times():
    r = datetime(2017, 11, 22, 10)
    assert hold_lapses_at(r, excludes_weekends=False) == r + H48
    aware = datetime(2015, 11, 25, 10, tzinfo=UTC)
    assert hold_lapses_at(aware) == datetime(2015, 11, 30, 10, tzinfo=UTC)
    with pytest.raises(ValueError):
        hold_lapses_at(r, -1)


def counted(start: datetime, end: datetime) -> timedelta:
    """Business time between two instants, day by day (independent of the clock)."""
    total, d = timedelta(0), start.date()
    while datetime.combine(d, time(0)) < end:
        lo = max(start, datetime.combine(d, time(0)))
        hi = min(end, datetime.combine(d + timedelta(days=1), time(0)))
        if is_business_day(d) and hi > lo:
            total += hi - lo
        d += timedelta(days=1)
    return total


releases = st.datetimes(min_value=datetime(2008, 1, 1), max_value=datetime(2030, 12, 31))


@given(releases)
def test_clock_properties(release):
    lapse = hold_lapses_at(release)
    assert lapse >= release + H48
    assert counted(release, lapse) == H48                  # exactly 48 business hours
    assert is_business_day((lapse - timedelta(microseconds=1)).date())  # ends on a counted day
    plain = all(is_business_day(release.date() + timedelta(days=i))
                for i in range(((release + H48).date() - release.date()).days + 1))
    if plain:
        assert lapse == release + H48


@given(releases, st.integers(min_value=0, max_value=200))
def test_lapse_is_monotone_in_release_and_hours(release, hours):
    assert hold_lapses_at(release, hours) <= hold_lapses_at(release, hours + 1)
    assert hold_lapses_at(release) <= hold_lapses_at(release + timedelta(hours=1))
