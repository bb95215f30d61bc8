"""Test data for the statistics without the fingerprint pipeline.

``insert_bookings`` writes the rows ``facts.booking_facts`` reads (transactions,
SRE/IDR/IAR responses, the forwarded-to-ident event, cases) exactly as the
agencies would; ``fact`` builds a ``BookingFact`` directly for pure tests.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from hypothesis import strategies as st

from scomm.messages import ResponseKind, finding_of
from scomm.statistics.facts import FIPS_TO_POSTAL, LEVELS, BookingFact
from scomm.storage.db import Database, migrate
from scomm.storage.tables import CaseRow, EventRow, ResponseRow, TransactionRow

from ..conftest import fresh_postgres_url

# A handful of real counties in a few states, activated early (see county_activations.csv).
COUNTIES = ("48201", "48029", "48113", "06037", "06073", "04013", "17031", "36047", "25025")
OUTCOMES = (None, "removed", "returned", "released", "proceedings-terminated", "us-citizen",
            "detainer-lapsed")
STATUSES = ("USC", "LPR", "OVERSTAY", "EWI", "PRIOR_REMOVAL", "UNKNOWN")


@dataclass(frozen=True)
class Booking:
    county_fips: str
    booking_date: date
    searched: bool = True
    matched: bool = False
    status: str = "EWI"
    level: str = "non-criminal"
    detainer: bool = False
    honoured: bool | None = None
    custody: bool = False
    outcome: str | None = None
    idr_s: float = 60.0
    iar_s: float = 120.0
    case_s: float = 180.0
    outcome_days: int = 30    # booking date -> recorded outcome


def fact(b: Booking, i: int = 0) -> BookingFact:
    """The fact ``booking_facts`` makes of ``insert_bookings([b])``."""
    case = b.searched and b.matched and b.status != "USC"
    return BookingFact(
        transaction_id=i, tcn=f"T{i}", state=FIPS_TO_POSTAL[b.county_fips[:2]],
        county_fips=b.county_fips, booking_date=b.booking_date,
        month=b.booking_date.strftime("%Y-%m"), identified=False,
        ident_searched=b.searched, ident_match=b.searched and b.matched,
        lesc_status=b.status if b.searched and b.matched else None,
        citizen=b.searched and b.matched and b.status == "USC",
        removable=(b.status != "USC") if b.searched and b.matched else None,
        level=b.level if case else None, framework="SC-2008" if case else None,
        detainer_issued=bool(case and b.detainer), detainer_form=None,
        detainer_honoured=b.honoured if case else None,
        custody=bool(case and b.custody), custody_date=b.booking_date if case and b.custody else None,
        outcome=b.outcome if case else None,
        outcome_date=_outcome_day(b) if case and b.outcome else None,
        idr_s=b.idr_s if b.searched else None,
        iar_s=b.iar_s if b.searched and b.matched else None,
        case_s=b.case_s if case else None)


def _outcome_day(b: Booking) -> date:
    return b.booking_date + timedelta(days=b.outcome_days)


def bookings(max_size: int = 60, months: tuple[str, ...] = ("2010-01", "2010-02", "2010-03")):
    """A hypothesis strategy for lists of bookings in a few counties and months."""
    day = st.builds(lambda m, d: date(int(m[:4]), int(m[5:]), d), st.sampled_from(months),
                    st.integers(1, 28))
    one = st.builds(Booking, county_fips=st.sampled_from(COUNTIES), booking_date=day,
                    searched=st.booleans(), matched=st.booleans(),
                    status=st.sampled_from(STATUSES), level=st.sampled_from(LEVELS),
                    detainer=st.booleans(), honoured=st.sampled_from((None, True, False)),
                    custody=st.booleans(), outcome=st.sampled_from(OUTCOMES),
                    idr_s=st.floats(1, 1e5).map(lambda x: round(x, 3)),
                    iar_s=st.floats(1, 1e5).map(lambda x: round(x, 3)),
                    case_s=st.floats(1, 1e5).map(lambda x: round(x, 3)),
                    outcome_days=st.integers(0, 400))
    return st.lists(one, max_size=max_size)


def facts_strategy(**kw):
    return bookings(**kw).map(lambda bs: [fact(b, i) for i, b in enumerate(bs)])


def new_database(path) -> Database:
    db = Database(f"sqlite:///{path}")
    migrate(db.engine)
    return db


def new_postgres_database(name: str) -> Database:
    """A fresh database ``name`` on the test server (beside the one the e2e tests share)."""
    db = Database(fresh_postgres_url(name))
    migrate(db.engine)
    return db


def insert_bookings(db: Database, items: list[Booking], start: int = 0) -> None:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    with db.session() as s:
        for n, b in enumerate(items, start=start):
            received = t0 + timedelta(minutes=n)
            tx = TransactionRow(received_at=received, sha256=f"{n:064d}", raw=b"", tcn=f"T{n}",
                                submission_key=f"K{n}", ori="XX", tot="CAR", accepted=True,
                                errors=[], state="done", county_fips=b.county_fips,
                                booking_date=b.booking_date, booking={}, completed_at=received)
            s.add(tx)
            s.flush()
            s.add(ResponseRow(transaction_id=tx.id, kind="SRE", created_at=received, body=b"",
                              finding="enrolled", summary={"identified": False}))
            if not b.searched:
                continue
            s.add(EventRow(transaction_id=tx.id, at=received, actor="cjis",
                           kind="forwarded-to-ident", data={}))
            s.add(ResponseRow(transaction_id=tx.id, kind="IDR", body=b"",
                              created_at=received + timedelta(seconds=b.idr_s),
                              finding=finding_of(ResponseKind.IDR, {"match": b.matched}),
                              summary={"match": b.matched}))
            if not b.matched:
                continue
            s.add(ResponseRow(transaction_id=tx.id, kind="IAR", body=b"",
                              created_at=received + timedelta(seconds=b.iar_s),
                              finding=b.status, summary={"status": b.status, "removable": b.status != "USC"}))
            if b.status == "USC":
                continue
            s.add(CaseRow(transaction_id=tx.id, field_office="HOU",
                          opened_at=received + timedelta(seconds=b.case_s), level=b.level,
                          classification={}, removable=True, status="open",
                          detainer={"issued": b.detainer, "form": "I-247" if b.detainer else None},
                          outcome=b.outcome, framework="SC-2008",
                          outcome_at=datetime.combine(_outcome_day(b), time(9), tzinfo=UTC)
                          if b.outcome else None,
                          detainer_honoured=b.honoured,
                          custody_at=received + timedelta(days=2) if b.custody else None))
