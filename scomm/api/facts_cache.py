"""The booking facts the statistics pages and the dashboard read, kept between requests.

Loading every fact costs about a millisecond per booking, and the dashboard asks
once per slider move; the facts (and what is computed from them) are kept until
``facts.data_version`` of the database changes.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from ..statistics.facts import BookingFact, booking_facts, data_version

MAX_DERIVED = 64   # computed values (a month's table, the dashboard of a month) kept per version


class FactsCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._version: tuple[int, ...] | None = None
        self._facts: list[BookingFact] = []
        self._derived: dict[Any, Any] = {}

    def _current(self, s: Session) -> tuple[tuple[int, ...], list[BookingFact]]:
        version = data_version(s)
        with self._lock:
            if version != self._version:
                self._facts, self._derived, self._version = booking_facts(s), {}, version
            return version, self._facts

    def facts(self, s: Session, month_to: str | None = None) -> list[BookingFact]:
        """Every fact (or those booked up to ``month_to``, "YYYY-MM"), fresh for ``s``'s data."""
        facts = self._current(s)[1]
        return facts if month_to is None else [f for f in facts if f.month <= month_to]

    def derived(self, s: Session, key: Any, compute: Callable[[list[BookingFact]], Any]) -> Any:
        """``compute(facts)`` for the current data, remembered under ``key`` until it changes."""
        version, facts = self._current(s)
        with self._lock:
            if key in self._derived:
                return self._derived[key]
        value = compute(facts)
        with self._lock:
            if self._version == version:
                if len(self._derived) >= MAX_DERIVED:
                    self._derived.pop(next(iter(self._derived)))
                self._derived[key] = value
        return value
