"""Parameters shared by the routers, with the bounds the database and the domain accept."""
from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import AfterValidator, BeforeValidator, Field

from ..domain.hold import FIRST_YEAR, LAST_YEAR, check_clock_time
from ..views import TCN_LENGTH

# Printable text: no control characters (they cannot be stored, nor shown safely). (A lone
# surrogate is not Unicode: a JSON body holding one is refused whole, ``guards``.)
TEXT = r"^[^\x00-\x1f\x7f]*$"
# The same, with tabs and line breaks (notes).
NOTE = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
# A month "YYYY-MM" (years 1000-9999: what the calendar and the statistics count).
MONTH = r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])$"
# The years of a time the hold clock counts, FIRST_YEAR-LAST_YEAR (as written, zone and all).
CLOCK_YEARS = r"^(197[1-9]|19[89][0-9]|20[0-9][0-9]|21[0-9][0-9])-"
assert (FIRST_YEAR, LAST_YEAR) == (1971, 2199), "CLOCK_YEARS follows the hold clock's years"

Ref = Annotated[str, Path(min_length=1, max_length=TCN_LENGTH, pattern=r"^[ -~]+$",
                          description="TCN (as sent in 1.009) or transaction id",
                          examples=["1", "TX11030424305392"])]
Filename = Annotated[str | None, Query(max_length=255, pattern=TEXT,
                                       description="the file's name, kept with it")]


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ISO_DATETIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}")


def _iso_date(v: Any) -> Any:
    """ISO 8601 text only: pydantic would also take a number as a Unix time."""
    if isinstance(v, str) and not _ISO_DATE.fullmatch(v):
        raise ValueError("a date is written YYYY-MM-DD")
    if not isinstance(v, (str, date)):
        raise ValueError("a date is written YYYY-MM-DD (text)")
    return v


def _iso_datetime(v: Any) -> Any:
    if isinstance(v, str) and not _ISO_DATETIME.match(v):
        raise ValueError("a date-time is written YYYY-MM-DDTHH:MM[:SS][zone]")
    if not isinstance(v, (str, datetime)):
        raise ValueError("a date-time is written YYYY-MM-DDTHH:MM[:SS][zone] (text)")
    return v


def _countable(t: datetime) -> datetime:
    check_clock_time(t)
    return t


# A calendar date "YYYY-MM-DD".
Day = Annotated[date, BeforeValidator(_iso_date)]
# A date-time "YYYY-MM-DDTHH:MM[:SS][zone]" in the years the hold clock counts.
ClockTime = Annotated[datetime, BeforeValidator(_iso_datetime), AfterValidator(_countable),
                      Field(json_schema_extra={"pattern": CLOCK_YEARS})]
