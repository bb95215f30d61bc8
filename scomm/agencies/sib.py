"""State Identification Bureau: takes a booking's file, keeps it, checks it, forwards it.

``receive`` commits the raw bytes and their SHA-256 before anything else
happens to them; ``validate`` (the first outbox step) decides accept or
reject and answers a rejection with an ERRT naming every problem.
"""
from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import interchange as nist
from ..bus import StepContext, now
from ..interchange.ebts_rules import FINGER_NAMES
from ..storage.tables import EventRow, OutboxRow, TransactionRow
from .probe import extract_fingers
from .probe import store as probe_store


@dataclass
class Receipt:
    transaction_id: int
    sha256: str
    duplicate: bool = False
    errors: list[dict] = field(default_factory=list)


def receive(s: Session, raw: bytes, filename: str | None = None) -> Receipt:
    """Store the submission durably (the caller commits) and queue its validation.

    The same bytes sent again are recognised by their hash: the first
    transaction is returned and nothing is processed again.
    """
    digest = hashlib.sha256(raw).hexdigest()
    first = s.scalars(select(TransactionRow).where(TransactionRow.sha256 == digest)
                      .order_by(TransactionRow.id).limit(1)).first()
    if first is not None:
        s.add(EventRow(transaction_id=first.id, at=now(), actor="sib", kind="duplicate-received",
                       data={"filename": filename, "note": "same bytes as the first submission; "
                             "its result stands, nothing processed again"}))
        return Receipt(first.id, digest, duplicate=True, errors=list(first.errors or []))
    tx = TransactionRow(received_at=now(), sha256=digest, raw=raw, filename=filename,
                        accepted=False, errors=[], state="received")
    s.add(tx)
    s.flush()
    s.add(EventRow(transaction_id=tx.id, at=now(), actor="sib", kind="received",
                   data={"bytes": len(raw), "sha256": digest, "filename": filename}))
    s.add(OutboxRow(transaction_id=tx.id, step="sib", payload={}, created_at=now(), attempts=0))
    return Receipt(tx.id, digest)


def _booking_summary(t: nist.Transaction) -> dict:
    return {"name": t.name, "dob": _iso(t.dob), "sex": t.sex, "race": t.race, "pob": t.pob,
            "arrest_date": _iso(t.arrest_date), "version": t.version,
            "charges": [{"ncic": c.ncic, "literal": c.literal} for c in t.charges],
            "fingers": sorted({i.position for i in t.images if 1 <= i.position <= 10})}


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def validate(ctx: StepContext) -> None:
    tx, deps = ctx.tx, ctx.deps
    problems: list[nist.Problem] = []
    try:
        t = nist.decode(tx.raw)
    except nist.DecodeError as exc:
        t, problems = None, list(exc.problems)
    if t is not None:
        tx.tcn, tx.ori, tx.tot = t.tcn or None, t.ori or None, t.tot or None
        problems = nist.validate_car(t, known_ori=deps.jurisdictions.is_known_ori,
                                     today=deps.today(), min_fingers=deps.min_fingers)
        if not problems:
            problems = _check_tcn_reuse(ctx, t)
    probe: dict = {}
    if not problems:
        probe, problems = _usable_fingers(ctx, t)
    if problems:
        _reject(ctx, t, problems)
        return
    probe_store(ctx, probe)
    county = deps.jurisdictions.by_ori(t.ori)
    tx.accepted, tx.state = True, "queued"
    tx.submission_key = f"{t.ori}|{t.tcn}"
    tx.county_fips, tx.booking_date = county.fips, t.arrest_date
    tx.booking = _booking_summary(t)
    ctx.emit("sib", "accepted", {"tot": t.tot, "ori": t.ori, "tcn": t.tcn,
                                 "county": f"{county.name}, {county.state_code}",
                                 "fingers": tx.booking["fingers"]}, timed=True)
    ctx.emit("sib", "forwarded-to-cjis", {})
    ctx.send("cjis")


def _usable_fingers(ctx: StepContext, t: nist.Transaction) -> tuple[dict, list[nist.Problem]]:
    """Extract the probe; too few usable fingers is a rejection naming each unusable one."""
    probe, unusable = extract_fingers(t)
    ctx.emit("sib", "fingers-extracted", {
        "fingers": {f: {"minutiae": len(tpl.minutiae), "quality": tpl.quality} for f, tpl in sorted(probe.items())},
        "unusable": {u.finger: u.reason for u in unusable}}, timed=True)
    if len(probe) >= ctx.deps.min_fingers:
        return probe, []
    problems = [nist.Problem(u.record, f"finger {u.finger} ({FINGER_NAMES.get(u.finger, '?')})", u.reason)
                for u in unusable]
    problems.append(nist.Problem("file", "fingers", f"only {len(probe)} usable finger(s); at least "
                                                    f"{ctx.deps.min_fingers} required"))
    return {}, problems


def _check_tcn_reuse(ctx: StepContext, t: nist.Transaction) -> list[nist.Problem]:
    first = ctx.session.scalars(select(TransactionRow).where(
        TransactionRow.submission_key == f"{t.ori}|{t.tcn}")).first()
    if first is None:
        return []
    return [nist.Problem("Type-1", "1.009 TCN",
                         f"TCN {t.tcn} already used by ORI {t.ori} for different content "
                         f"(transaction {first.id}, received {first.received_at:%Y-%m-%d %H:%M})")]


def _reject(ctx: StepContext, t: nist.Transaction | None, problems: list[nist.Problem]) -> None:
    tx, deps = ctx.tx, ctx.deps
    tx.accepted = False
    tx.errors = [asdict(p) for p in problems]
    body = nist.encode_response(
        "ERRT", tcn=f"ERRT{tx.id:010d}", tcr=(t.tcn if t else "") or "", ori=(t.ori if t else "") or "",
        dai="SCOMMSIB0", date=deps.today(),
        fields={"MSG": [f"{p.record} {p.field}: {p.reason}" for p in problems]})
    ctx.respond("ERRT", body, {"errors": tx.errors})
    ctx.emit("sib", "rejected", {"errors": tx.errors}, timed=True)
    ctx.finish("rejected")
