"""The reports on a database the real chain filled: bookings through SIB, CJIS, IDENT, LESC
and the field office (the e2e world fixtures), then the monthly table and the oversight SQL,
on SQLite and on PostgreSQL."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import text

from scomm.agencies.field_office import case_for, record_outcome
from scomm.security.principal import system
from scomm.statistics.counts import tally
from scomm.statistics.facts import booking_facts
from scomm.statistics.monthly import COLUMNS, monthly_table
from scomm.statistics.oversight import oversight_figures
from scomm.world.booking import BookingOrder, make_car
from scomm.world.stream import person_of

from ..e2e.conftest import ACTIVE_2008, LATE_COUNTY, hub, person, seeded_sqlite, world_url  # noqa: F401
from .test_oversight import _close

pytestmark = pytest.mark.slow
ON = date(2012, 2, 14)   # a month no other end-to-end test books in


@pytest.fixture(scope="module")
def booked(hub):  # noqa: F811 - the e2e fixture
    j = hub.deps.jurisdictions
    orders = [(person(hub, "noncitizen"), ACTIVE_2008), (person(hub, "citizen"), ACTIVE_2008),
              (person(hub, "noncitizen"), LATE_COUNTY)]
    ids = []
    for n, (p, county) in enumerate(orders):
        raw = make_car(BookingOrder(person_of(p), j.sheriff_ori(county), ON, ("1313",),
                                    impression=700 + n))
        ids.append(hub.submit(raw, f"stats{n}.an2").transaction_id)
    hub.bus.drain(ids)
    with hub.db.session() as s:
        case = case_for(s, ids[0])
        assert case is not None, "the noncitizen in Harris County is matched and gets a case"
        record_outcome(s, case, "removed", system("stats.test"))
    return ids


def test_monthly_table_of_real_bookings(hub, booked):  # noqa: F811
    with hub.db.session() as s:
        facts = booking_facts(s, month_to="2012-02")
    mine = [f for f in facts if f.transaction_id in booked]
    assert len(mine) == 3
    t = monthly_table(facts, "2012-02", hub.deps.jurisdictions, public=False)
    harris = next(r for r in t.rows if r.fips == ACTIVE_2008)
    assert harris.value("month", "submissions") == 2          # the late county is not searched
    assert harris.value("month", "ident_matches") >= 1
    assert harris.value("month", "removed") == 1
    level = mine[0].level
    assert harris.value("month", "removed", level) == 1
    assert LATE_COUNTY not in {r.fips for r in t.rows}       # activated 2013: no row, no count
    assert t.national.cells == monthly_table(facts, "2012-02", hub.deps.jurisdictions,
                                             public=False).national.cells
    for key in COLUMNS:
        assert t.national.cells[key] == sum(r.cells[key] for r in t.rows)
    assert t.national.value("cumulative", "ident_matches") == tally(facts).ident_matches


def test_oversight_sql_on_the_real_schema(hub, booked):  # noqa: F811
    with hub.db.session() as s:
        facts = booking_facts(s)
    figs = oversight_figures(facts, hub.deps.jurisdictions, public=False,
                             dialect=hub.db.engine.dialect.name)
    assert any(f.rows and f.rows[0].get("removed") for f in figs), "a removal to check against"
    with hub.db.engine.connect() as con:
        for f in figs:
            result = con.execute(text(f.sql))
            cols = list(result.keys())
            got = [{c: float(v) if isinstance(v, Decimal) else v for c, v in zip(cols, r)}
                   for r in result]
            want = [{c: r[c] for c in cols} for r in f.rows]
            if f.id == "citizens-cleared":
                want = [r for r in want if r["people"]]
            assert len(got) == len(want), f.id
            for g, w in zip(got, want):
                assert all(_close(g[c], w[c]) for c in cols), (f.id, g, w)
    lat = {f.id: f for f in figs}["time-to-idr"]
    assert lat.rows[0]["n"] >= 2 and lat.value > 0
