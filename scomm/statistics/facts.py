"""One fact per accepted booking: the row every statistic is computed from.

A fact joins what the agencies recorded about one criminal tenprint
submission (CAR): where and when the booking was, whether IDENT was searched
and matched, what LESC found, the level, the detainer, whether the jail
honoured it, custody by ICE and the recorded outcome. Reports, oversight
figures, the dashboard and run comparisons all read ``booking_facts`` so
that they cannot disagree.

Dates: ``month`` is the booking month (Type-2 date of arrest); custody and
outcome dates are those recorded on the case (a simulation records them in
simulated time). Latencies (``*_s``) are the hub's processing times from
receipt of the submission to the IDR, the IAR and the case.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..clock import as_utc
from ..domain.jurisdictions import POSTAL_TO_FIPS, STATES
from ..storage.tables import CaseRow, EventRow, ResponseRow, TransactionRow

LEVELS = ("1", "2", "3", "non-criminal")
REMOVED = ("removed", "returned")
FIPS_TO_POSTAL = {fips: postal for fips, (postal, _name) in STATES.items()}


@dataclass(frozen=True)
class BookingFact:
    transaction_id: int
    tcn: str
    state: str                 # postal code, from the county FIPS
    county_fips: str
    booking_date: date
    month: str                 # "YYYY-MM" of the booking
    identified: bool           # CJIS found a prior record
    ident_searched: bool       # county activated on the booking date
    ident_match: bool
    lesc_status: str | None    # USC | LPR | NONIMMIGRANT | OVERSTAY | EWI | PRIOR_REMOVAL | UNKNOWN
    citizen: bool              # LESC found a US citizen
    removable: bool | None
    level: str | None          # "1" | "2" | "3" | "non-criminal" for a case
    framework: str | None
    detainer_issued: bool
    detainer_form: str | None
    detainer_honoured: bool | None
    custody: bool              # booked into ICE custody
    custody_date: date | None
    outcome: str | None
    outcome_date: date | None
    idr_s: float | None        # receipt -> IDR
    iar_s: float | None        # receipt -> IAR
    case_s: float | None       # receipt -> case opened (detainer decision)

    @property
    def removed(self) -> bool:
        return self.outcome in REMOVED

    @property
    def cleared_citizen(self) -> bool:
        """A US citizen the chain treated as removable, cleared later (outcome us-citizen)."""
        return self.outcome == "us-citizen"

    def to_dict(self) -> dict:
        d = asdict(self)
        for k in ("booking_date", "custody_date", "outcome_date"):
            d[k] = d[k].isoformat() if d[k] else None
        return d


def _secs(start: datetime, end: datetime | None) -> float | None:
    if end is None:
        return None
    return round((as_utc(end) - as_utc(start)).total_seconds(), 3)


def _day(v: datetime | None) -> date | None:
    """The UTC day of a recorded time (whatever zone the database driver returns)."""
    return as_utc(v).astimezone(UTC).date() if v else None


def data_version(s: Session) -> tuple[int, ...]:
    """A value that changes whenever a booking fact can: the newest transaction, response,
    case and event ids and the number of finished transactions (every change to a case
    is evented: ``agencies.field_office``)."""
    newest = [s.scalar(select(func.max(c))) or 0
              for c in (TransactionRow.id, ResponseRow.id, CaseRow.id, EventRow.id)]
    done = s.scalar(select(func.count()).select_from(TransactionRow)
                    .where(TransactionRow.state == "done"))
    return (*newest, done or 0)


def booking_facts(s: Session, *, month_to: str | None = None) -> list[BookingFact]:
    """Every accepted CAR booking that has finished the chain, oldest booking first.

    ``month_to`` ("YYYY-MM") keeps bookings up to and including that month.
    """
    q = (select(TransactionRow).where(TransactionRow.accepted.is_(True),
                                      TransactionRow.state == "done",
                                      TransactionRow.booking_date.is_not(None))
         .order_by(TransactionRow.booking_date, TransactionRow.id))
    txs = list(s.scalars(q))
    if month_to:
        txs = [t for t in txs if t.booking_date is not None and t.booking_date.strftime("%Y-%m") <= month_to]
    ids = [t.id for t in txs]
    responses: dict[tuple[int, str], ResponseRow] = {}
    cases: dict[int, CaseRow] = {}
    forwarded: set[int] = set()
    for chunk in (ids[i:i + 5000] for i in range(0, len(ids), 5000)):
        for r in s.scalars(select(ResponseRow).where(ResponseRow.transaction_id.in_(chunk),
                                                     ResponseRow.kind.in_(("SRE", "IDR", "IAR")))):
            responses[(r.transaction_id, r.kind)] = r
        for c in s.scalars(select(CaseRow).where(CaseRow.transaction_id.in_(chunk))):
            cases[c.transaction_id] = c
        forwarded.update(s.scalars(select(EventRow.transaction_id).where(
            EventRow.transaction_id.in_(chunk), EventRow.kind == "forwarded-to-ident")))
    return [_fact(t, responses, cases.get(t.id), t.id in forwarded) for t in txs]


def _fact(t: TransactionRow, responses: dict, case: CaseRow | None, forwarded: bool) -> BookingFact:
    fips, booked = t.county_fips, t.booking_date
    if fips is None or booked is None:   # intake sets both on every accepted booking
        raise ValueError(f"transaction {t.id} is accepted but has no county or booking date")
    sre, idr, iar = (responses.get((t.id, k)) for k in ("SRE", "IDR", "IAR"))
    iar_sum = iar.summary if iar else {}
    detainer = (case.detainer or {}) if case else {}
    status = iar_sum.get("status")
    return BookingFact(
        transaction_id=t.id, tcn=t.tcn or "", state=FIPS_TO_POSTAL.get(fips[:2], "??"),
        county_fips=fips, booking_date=booked, month=booked.strftime("%Y-%m"),
        identified=bool(sre and sre.summary.get("identified")),
        ident_searched=forwarded or idr is not None,
        ident_match=bool(idr and idr.summary.get("match")),
        lesc_status=status, citizen=status == "USC",
        removable=iar_sum.get("removable") if iar else None,
        level=case.level if case else None, framework=case.framework if case else None,
        detainer_issued=bool(detainer.get("issued")), detainer_form=detainer.get("form"),
        detainer_honoured=case.detainer_honoured if case else None,
        custody=bool(case and case.custody_at), custody_date=_day(case.custody_at) if case else None,
        outcome=case.outcome if case else None,
        outcome_date=_day(case.outcome_at) if case else None,
        idr_s=_secs(t.received_at, idr.created_at) if idr else None,
        iar_s=_secs(t.received_at, iar.created_at) if iar else None,
        case_s=_secs(t.received_at, case.opened_at) if case else None)


__all__ = ["BookingFact", "booking_facts", "LEVELS", "REMOVED", "POSTAL_TO_FIPS"]
