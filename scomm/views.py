"""Read models: what a user sees of a transaction (CLI ``status``, API, pages)."""
from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from .messages import EventKind, ResponseKind
from .storage.tables import CaseRow, EventRow, ResponseRow, TransactionRow

MAX_ID = 2**31 - 1   # ids are INTEGER columns: 32 bits on PostgreSQL
TCN_LENGTH: int = TransactionRow.__table__.c.tcn.type.length  # type: ignore[attr-defined]


def find_transaction(s: Session, ref: str, within: Select | None = None) -> TransactionRow | None:
    """By TCN (the accepted one first; among ``within``, a query over transactions, if given)
    or by numeric id; None for anything else."""
    if not ref or "\x00" in ref:
        return None
    row = None
    if len(ref) <= TCN_LENGTH:
        row = s.scalars((within if within is not None else select(TransactionRow)).where(TransactionRow.tcn == ref)
                        .order_by(TransactionRow.accepted.desc(), TransactionRow.id)).first()
    if row is None and ref.isascii() and ref.isdigit() and 0 < int(ref) <= MAX_ID:
        row = s.get(TransactionRow, int(ref))
    return row


def _ts(v):
    return v.isoformat() if v else None


def transaction_summary(t: TransactionRow) -> dict:
    return {"id": t.id, "tcn": t.tcn, "ori": t.ori, "tot": t.tot, "state": t.state,
            "accepted": t.accepted, "received_at": _ts(t.received_at),
            "county_fips": t.county_fips, "booking_date": _ts(t.booking_date),
            "filename": t.filename, "errors": t.errors or []}


def transaction_status(s: Session, t: TransactionRow) -> dict:
    responses = list(s.scalars(select(ResponseRow).where(ResponseRow.transaction_id == t.id)
                               .order_by(ResponseRow.id)))
    events = list(s.scalars(select(EventRow).where(EventRow.transaction_id == t.id)
                            .order_by(EventRow.id)))
    by_kind = {r.kind: r.summary for r in responses}
    case = s.scalars(select(CaseRow).where(CaseRow.transaction_id == t.id)).first()
    sre, idr, iar = (by_kind.get(k) for k in (ResponseKind.SRE, ResponseKind.IDR, ResponseKind.IAR))
    not_forwarded = next((e.data.get("reason") for e in events if e.kind == EventKind.NOT_FORWARDED), None)
    return {
        **transaction_summary(t),
        "sha256": t.sha256,
        "booking": t.booking,
        "cjis": {"ucn": sre["ucn"], "identified": sre["identified"], "score": sre["score"]}
        if sre else None,
        "ident": {"searched": idr is not None, "reason_not_searched": not_forwarded,
                  "match": idr["match"] if idr else None, "fin": idr["fin"] if idr else None,
                  "score": idr["score"] if idr else None},
        "lesc": {"status": iar["status"], "removable": iar["removable"],
                 "reasons": iar["reasons"], "most_serious_charge": iar["most_serious_charge"]}
        if iar else None,
        "level": case.level if case else None,
        "level_reasons": case.classification.get("reasons") if case else None,
        "classification": case.classification if case else None,
        "field_office": case.field_office if case else None,
        "detainer": case.detainer if case else None,
        "framework": case.framework if case else None,
        "case": {"id": case.id, "status": case.status, "outcome": case.outcome,
                 "outcome_at": _ts(case.outcome_at), "detainer_honoured": case.detainer_honoured,
                 "hold": case.hold, "custody_at": _ts(case.custody_at),
                 "agreement": case.agreement} if case else None,
        "responses": [{"kind": r.kind, "at": _ts(r.created_at), "bytes": len(r.body),
                       "summary": r.summary} for r in responses],
        "events": [{"at": _ts(e.at), "actor": e.actor, "kind": e.kind, "data": e.data,
                    "elapsed_ms": round(e.elapsed_ms, 1) if e.elapsed_ms is not None else None}
                   for e in events],
    }
