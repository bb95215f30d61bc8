"""The detainer hold clock: 48 hours "excluding Saturdays, Sundays, and holidays".

8 CFR 287.7(d): on a detainer the criminal justice agency "shall maintain
custody of the alien for a period not to exceed 48 hours, excluding Saturdays,
Sundays, and holidays". scomm counts the 48 hours on the clock, from the time
the person would otherwise be released, only during business days (not a
weekend, not an observed federal holiday, see ``holidays.py``); time on other
days does not count. Datetimes are wall-clock times in the jail's zone (naive,
or aware and left in their own zone); daylight-saving shifts are not corrected.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from .holidays import holiday_name, is_business_day

HOLD_HOURS = 48
# The holiday rules hold from 1971 (``holidays.py``); past 2199 nobody can say which
# days will be holidays, and a clock run near the end of the calendar overflows.
FIRST_YEAR, LAST_YEAR = 1971, 2199


class HoldClockError(ValueError):
    """A time the hold clock cannot count from."""


def check_clock_time(t: datetime, what: str = "time") -> None:
    if not FIRST_YEAR <= t.year <= LAST_YEAR:
        raise HoldClockError(f"{what} {t.isoformat()} is outside the years the hold clock "
                             f"counts ({FIRST_YEAR}-{LAST_YEAR})")
LAPSED_OUTCOME = "detainer-lapsed"           # field-office outcome code
LAPSED_TEXT = "released: detainer lapsed"


def _midnight_after(t: datetime) -> datetime:
    return datetime.combine(t.date() + timedelta(days=1), time(0), tzinfo=t.tzinfo)


def hold_lapses_at(release_at: datetime, hours: int = HOLD_HOURS, *,
                   excludes_weekends: bool = True) -> datetime:
    """When a hold that starts at ``release_at`` lapses.

    With ``excludes_weekends`` (the regulation), only time on business days
    counts; without it (the I-247A's wording, see ``detainer.FORMS``) the hold
    lapses exactly ``hours`` later.
    """
    if hours < 0:
        raise ValueError("hours must be >= 0")
    check_clock_time(release_at, "release time")
    if not excludes_weekends:
        return release_at + timedelta(hours=hours)
    left, t = timedelta(hours=hours), release_at
    while True:
        end_of_day = _midnight_after(t)
        if is_business_day(t.date()):
            if t + left <= end_of_day:
                return t + left
            left -= end_of_day - t
        t = end_of_day


def hold_lapsed(release_at: datetime, at: datetime, hours: int = HOLD_HOURS, *,
                excludes_weekends: bool = True) -> bool:
    """True once the hold has run out at ``at`` (at or after the lapse time)."""
    return at >= hold_lapses_at(release_at, hours, excludes_weekends=excludes_weekends)


def excluded_days(start: datetime, end: datetime) -> list[tuple[date, str]]:
    """The days between ``start`` and ``end`` that the clock skipped, with why."""
    out, d = [], start.date()
    while datetime.combine(d, time(0), tzinfo=start.tzinfo) < end:
        if not is_business_day(d):
            out.append((d, holiday_name(d) or d.strftime("%A")))
        d += timedelta(days=1)
    return out


@dataclass(frozen=True)
class HoldStatus:
    lapsed: bool
    lapses_at: datetime
    outcome: str | None              # LAPSED_OUTCOME once lapsed
    reasons: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"lapsed": self.lapsed, "lapses_at": self.lapses_at.isoformat(),
                "outcome": self.outcome, "reasons": list(self.reasons)}


def hold_status(release_at: datetime, at: datetime, hours: int = HOLD_HOURS, *,
                excludes_weekends: bool = True) -> HoldStatus:
    """Whether the hold has lapsed at ``at``; if so the person is released and the
    outcome is ``LAPSED_OUTCOME`` ("released: detainer lapsed")."""
    end = hold_lapses_at(release_at, hours, excludes_weekends=excludes_weekends)
    rule = ("8 CFR 287.7(d): " if excludes_weekends else "") + f"{hours} hours" + (
        ", excluding Saturdays, Sundays and federal holidays" if excludes_weekends else "")
    reasons = [f"would otherwise be released {release_at.isoformat()}; hold limit {rule}"]
    skipped = excluded_days(release_at, end) if excludes_weekends else []
    if skipped:
        reasons.append("not counted: " + ", ".join(f"{d.isoformat()} ({why})" for d, why in skipped))
    reasons.append(f"hold lapses {end.isoformat()}")
    if at >= end:
        return HoldStatus(True, end, LAPSED_OUTCOME, reasons + [
            f"at {at.isoformat()} ICE has not assumed custody: {LAPSED_TEXT}"])
    return HoldStatus(False, end, None, reasons + [f"at {at.isoformat()} the hold is in force"])
