"""US federal legal public holidays, computed by rule for any year from 1971.

Source: 5 U.S.C. 6103(a) (the Uniform Monday Holiday Act of 1968, in force from
1971; Martin Luther King Jr. Day from 1986; Juneteenth from 2021, Pub. L.
117-17) and the observance rule of 5 U.S.C. 6103(b) / Executive Order 11582:
a holiday on a Saturday is observed the Friday before, on a Sunday the Monday
after. Veterans Day was the fourth Monday of October from 1971 to 1977 and is
11 November from 1978. Inauguration Day (a holiday only around Washington,
D.C.) is not included.
"""
from __future__ import annotations

import functools
from datetime import date, timedelta

FIRST_YEAR = 1971


def nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The ``n``-th ``weekday`` (Monday=0) of the month; ``n=-1`` for the last."""
    if n > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    last = (date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1))
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def observed(d: date) -> date:
    """The day a fixed-date holiday is observed (Saturday -> Friday, Sunday -> Monday)."""
    if d.weekday() == 5:
        return d - timedelta(days=1)
    if d.weekday() == 6:
        return d + timedelta(days=1)
    return d


def _legal_holidays(year: int) -> list[tuple[date, str]]:
    """The holidays of ``year`` on their legal dates (before the observance shift)."""
    MON, THU = 0, 3
    out = [(date(year, 1, 1), "New Year's Day")]
    if year >= 1986:
        out.append((nth_weekday(year, 1, MON, 3), "Birthday of Martin Luther King, Jr."))
    out += [(nth_weekday(year, 2, MON, 3), "Washington's Birthday"),
            (nth_weekday(year, 5, MON, -1), "Memorial Day")]
    if year >= 2021:
        out.append((date(year, 6, 19), "Juneteenth National Independence Day"))
    out += [(date(year, 7, 4), "Independence Day"),
            (nth_weekday(year, 9, MON, 1), "Labor Day"),
            (nth_weekday(year, 10, MON, 2), "Columbus Day")]
    out.append((nth_weekday(year, 10, MON, 4), "Veterans Day") if year < 1978
               else (date(year, 11, 11), "Veterans Day"))
    out += [(nth_weekday(year, 11, THU, 4), "Thanksgiving Day"),
            (date(year, 12, 25), "Christmas Day")]
    return out


@functools.lru_cache(maxsize=256)
def federal_holidays(year: int) -> dict[date, str]:
    """Observed federal holidays falling in ``year`` (date -> name, in date order).

    Includes 31 December when the next New Year's Day is a Saturday (observed
    then), and excludes this year's 1 January observance when it falls in the
    previous year.
    """
    if year < FIRST_YEAR:
        raise ValueError(f"federal holidays are computed from {FIRST_YEAR} (Uniform Monday "
                         f"Holiday Act); got {year}")
    days = [(observed(d), name + ("" if observed(d) == d else " (observed)"))
            for y in (year, year + 1) for d, name in _legal_holidays(y)]
    return dict(sorted((d, n) for d, n in days if d.year == year))


def holiday_name(d: date) -> str | None:
    """The federal holiday observed on ``d``, or None."""
    return federal_holidays(d.year).get(d) if d.year >= FIRST_YEAR else None


def is_federal_holiday(d: date) -> bool:
    return holiday_name(d) is not None


def is_business_day(d: date) -> bool:
    """Not a Saturday, Sunday or observed federal holiday."""
    return d.weekday() < 5 and not is_federal_holiday(d)
