"""Oversight figures: each figure's SQL, run on the database, gives the figure's numbers."""
from __future__ import annotations

import math
import random
from datetime import date
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, strategies as st
from sqlalchemy import text

from scomm.domain.jurisdictions import Jurisdictions
from scomm.statistics.facts import booking_facts
from scomm.statistics.oversight import CLEARED_STAGES, nearest_rank, oversight_figures
from scomm.statistics.suppression import is_small

from .factory import COUNTIES, OUTCOMES, STATUSES, Booking, fact, insert_bookings, new_database, new_postgres_database

J = Jurisdictions.load_default()


def random_bookings(n: int, seed: int) -> list[Booking]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        m = rng.random() < 0.5
        out.append(Booking(
            rng.choice(COUNTIES), date(2010, rng.randint(1, 6), rng.randint(1, 28)),
            searched=rng.random() < 0.9, matched=m, status=rng.choice(STATUSES),
            level=rng.choice(("1", "2", "3", "non-criminal")), detainer=rng.random() < 0.7,
            honoured=rng.choice((None, True, False)), custody=rng.random() < 0.5,
            outcome=rng.choice(OUTCOMES), idr_s=round(rng.uniform(1, 9000), 3),
            iar_s=round(rng.uniform(1, 9000), 3), case_s=round(rng.uniform(1, 9000), 3),
            outcome_days=rng.randint(0, 400)))
    return out


@pytest.fixture(scope="module")
def db_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("oversight") / "facts.db"
    db = new_database(path)
    insert_bookings(db, random_bookings(400, seed=4))
    db.engine.dispose()
    return path


@pytest.fixture(scope="module")
def facts(db_path):
    db = new_database(db_path)
    with db.session() as s:
        out = booking_facts(s)
    db.engine.dispose()
    return out


def test_the_factory_writes_what_booking_facts_reads(facts):
    expected = [fact(b) for b in random_bookings(400, seed=4)]
    got = sorted(facts, key=lambda f: int(f.tcn[1:]))
    fields = ("county_fips", "booking_date", "ident_searched", "ident_match", "lesc_status",
              "citizen", "level", "detainer_issued", "detainer_honoured", "custody", "outcome",
              "idr_s", "iar_s", "case_s", "outcome_date")
    for g, e in zip(got, expected, strict=True):
        assert {k: getattr(g, k) for k in fields} == {k: getattr(e, k) for k in fields}


def _close(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and math.isclose(a, b, abs_tol=0.011)
    return a == b


def _check_sql(db, facts) -> None:
    figs = oversight_figures(facts, J, public=False, dialect=db.engine.dialect.name)
    assert len({f.id for f in figs}) == len(figs) >= 11
    cleared = next(f for f in figs if f.id == "citizens-cleared")
    assert cleared.value and any(r["median_days_held"] for r in cleared.rows)
    with db.engine.connect() as con:
        for f in figs:
            assert f.definition and f.numerator and f.denominator and f.title
            result = con.execute(text(f.sql))
            cols = list(result.keys())
            got = [{c: float(v) if isinstance(v, Decimal) else v for c, v in zip(cols, r)}
                   for r in result]
            assert set(cols) <= set(f.columns), f.id
            want = [{c: r[c] for c in cols} for r in f.rows]
            if f.id == "citizens-cleared":   # the Python breakdown lists zero stages too
                want = [r for r in want if r["people"]]
                got.sort(key=lambda r: CLEARED_STAGES.index(r["stage"]))
            assert len(got) == len(want), f.id
            for g, w in zip(got, want):
                for c in cols:
                    assert _close(g[c], w[c]), (f.id, c, g, w)


def test_every_figure_sql_gives_the_python_numbers(db_path, facts):
    db = new_database(db_path)
    _check_sql(db, facts)
    db.engine.dispose()


@pytest.mark.postgres
def test_every_figure_sql_gives_the_python_numbers_on_postgresql():
    db = new_postgres_database("scomm_test_oversight")
    insert_bookings(db, random_bookings(400, seed=4))
    with db.session() as s:
        facts = booking_facts(s)
    _check_sql(db, facts)
    db.engine.dispose()


def test_headlines_match_their_definitions(facts):
    figs = {f.id: f for f in oversight_figures(facts, J, public=False)}
    matched = [f for f in facts if f.ident_searched and f.ident_match]
    removed = [f for f in matched if f.removed]
    nc = sum((f.level or "non-criminal") == "non-criminal" for f in removed)
    assert figs["removals-noncriminal-share"].value == round(100 * nc / len(removed), 2)
    assert figs["citizens-matched"].value == sum(f.citizen for f in matched)
    assert figs["citizens-cleared"].value == sum(f.outcome == "us-citizen" for f in matched)
    assert figs["time-to-idr"].value == nearest_rank([f.idr_s for f in facts if f.idr_s], 50)
    assert figs["removals-by-month"].value == len(removed)
    assert sum(r["total"] for r in figs["removals-by-month"].rows) == len(removed)


def test_public_figures_show_no_small_count(facts):
    internal = {f.id: f for f in oversight_figures(facts, J, public=False)}
    for f in oversight_figures(facts, J, public=True):
        for i, row in enumerate(f.rows):
            for col in f.columns:
                v = row[col]
                if f"{i}:{col}" in f.suppressed:
                    assert v is None and f.shown(i, col) in ("<10", "(s)")
                elif col in ("issued", "honoured", "ident_matches", "removed", "people", "n",
                             "citizens", "removed_at_level", "level_1", "level_2", "level_3",
                             "non_criminal", "total"):
                    assert not is_small(v), (f.id, i, col, v)
                    assert v == internal[f.id].rows[i][col]
        f.to_dict()   # JSON-ready


def test_a_small_count_hides_the_share_that_reveals_it():
    bs = [Booking("48201", date(2010, 1, 5), matched=True, status="USC")] + \
         [Booking("48201", date(2010, 1, 5), matched=True, status="EWI", level="1")] * 30
    figs = {f.id: f for f in oversight_figures([fact(b) for b in bs], J, public=True)}
    cm = figs["citizens-matched"]
    assert cm.value is None and cm.value_suppressed and cm.rows[0]["pct"] is None
    assert cm.rows[0]["ident_matches"] == 31          # the large count stays
    assert cm.value_shown.startswith("suppressed")


@given(st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=50),
       st.sampled_from([50, 90]))
def test_nearest_rank_is_numpys_inverted_cdf(xs, p):
    assert nearest_rank(xs, p) == np.percentile(xs, p, method="inverted_cdf")
