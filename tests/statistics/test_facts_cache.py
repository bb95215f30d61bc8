"""The API's facts cache: facts are reloaded exactly when the database's data changes."""
from __future__ import annotations

from datetime import date

from scomm.api.facts_cache import FactsCache
from scomm.statistics.facts import data_version

from .factory import Booking, insert_bookings, new_database


def test_cache_follows_the_data(tmp_path):
    db = new_database(tmp_path / "s.db")
    insert_bookings(db, [Booking("48201", date(2010, 1, 5), matched=True, level="1"),
                         Booking("06037", date(2010, 2, 5))])
    cache, calls = FactsCache(), []

    def removed(facts):
        calls.append(1)
        return sum(f.outcome == "removed" for f in facts)

    with db.session() as s:
        assert len(cache.facts(s)) == 2 and len(cache.facts(s, month_to="2010-01")) == 1
        assert cache.derived(s, "removed", removed) == 0
        assert cache.derived(s, "removed", removed) == 0 and len(calls) == 1   # kept
        before = data_version(s)
    insert_bookings(db, [Booking("48201", date(2010, 3, 5), matched=True, level="2",
                                 outcome="removed")], start=2)
    with db.session() as s:
        assert data_version(s) != before
        assert len(cache.facts(s)) == 3
        assert cache.derived(s, "removed", removed) == 1 and len(calls) == 2    # recomputed
