"""Account lockout (CJIS AC-7): five failed sign-ins within 15 minutes lock the account
for 10 minutes from the fifth. Pure: the failures are given, oldest first.

Attempts made while locked are refused without being checked or counted, so only the
last five failures can hold a lock.
"""
from __future__ import annotations

from datetime import datetime, timedelta

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)
LOCK = timedelta(minutes=10)


def remembered(failures: list[datetime], now: datetime) -> list[datetime]:
    """The failures that can still matter at ``now`` (at most the last five)."""
    return [f for f in failures if now - f < WINDOW + LOCK][-MAX_FAILURES:]


def locked_until(failures: list[datetime], now: datetime) -> datetime | None:
    """When the lock ends, if the account is locked at ``now``."""
    last = failures[-MAX_FAILURES:]
    if len(last) == MAX_FAILURES and last[-1] - last[0] < WINDOW and now < last[-1] + LOCK:
        return last[-1] + LOCK
    return None
