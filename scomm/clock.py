"""The hub's clock: aware UTC times, and SQLite's zone-less times read back as UTC."""
from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)


def as_utc(t: datetime) -> datetime:
    """``t`` with its zone; a naive time is UTC (SQLite drops the zone of what the hub wrote)."""
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)
