"""State Identification Bureau: takes a booking's file, keeps it, checks it, forwards it.

``receive`` commits the raw bytes and their SHA-256 before anything else
happens to them. The intake step then *examines* the file (decode, EBTS rules,
finger extraction: pure, no database) and *applies* the verdict: accept and
forward to CJIS, or reject with an ERRT naming every problem. Nothing from the
file reaches a column or a JSON field unless it can be stored as it is, so a
value the database would refuse is a named problem, never a failed step.
"""
from __future__ import annotations

import hashlib
import time
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import interchange as nist
from ..biometrics import DEFAULT_EXTRACTOR
from ..bus import Handler
from ..clock import now
from ..domain.jurisdictions import Jurisdictions
from ..interchange.ebts_rules import FINGER_NAMES
from ..messages import Actor, CriminalSearch, EventKind, ResponseKind, Step, TxState
from ..security.access import submission_scope, submits_for
from ..security.principal import Principal
from ..storage.tables import EventRow, OutboxRow, TransactionRow
from .deps import AgencyDeps, Ctx, View
from .probe import FingerMap, Unusable, extract_fingers, in_order, store as probe_store


@dataclass
class Receipt:
    transaction_id: int
    sha256: str
    duplicate: bool = False
    errors: list[dict] = field(default_factory=list)


def digest_of(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def receive(s: Session, raw: bytes, filename: str | None = None,
            digest: str | None = None, by: Principal | None = None) -> Receipt:
    """Store the submission durably (the caller commits) and queue its intake.

    The same bytes sent again by a submitter of the same scope are recognised by their
    hash: the first transaction is returned and nothing is processed again (the caller
    keeps two receipts of the same bytes from running at once: ``Hub.receive``). The
    submitter's scope is kept: intake refuses a file for an agency outside it.
    """
    digest = digest or digest_of(raw)
    filename = _storable_name(filename)
    scope = submission_scope(by) if by else None
    same_scope = (TransactionRow.submitted_scope == scope if scope is not None
                  else TransactionRow.submitted_scope.is_(None))
    first = s.scalars(select(TransactionRow).where(TransactionRow.sha256 == digest, same_scope)
                      .order_by(TransactionRow.id).limit(1)).first()
    if first is not None:
        s.add(EventRow(transaction_id=first.id, at=now(), actor=Actor.SIB,
                       kind=EventKind.DUPLICATE_RECEIVED,
                       data={"filename": filename, "note": "same bytes as the first submission; "
                             "its result stands, nothing processed again"}))
        return Receipt(first.id, digest, duplicate=True, errors=list(first.errors or []))
    tx = TransactionRow(received_at=now(), sha256=digest, raw=raw, filename=filename,
                        accepted=False, errors=[], state=TxState.RECEIVED,
                        submitted_by=by.name if by else None, submitted_scope=scope)
    s.add(tx)
    s.flush()
    s.add(EventRow(transaction_id=tx.id, at=now(), actor=Actor.SIB, kind=EventKind.RECEIVED,
                   data={"bytes": len(raw), "sha256": digest, "filename": filename}))
    s.add(OutboxRow(transaction_id=tx.id, step=Step.SIB, payload={}, created_at=now(), attempts=0))
    return Receipt(tx.id, digest)


# ---------------------------------------------------------------- storable values

def _storable_name(filename: str | None) -> str | None:
    """The file's name as metadata: what cannot be stored becomes "?", cut to its column."""
    if not filename:
        return None
    name = "".join("?" if unstorable(ch) else ch for ch in filename)
    return name[:_column_len("filename") or 255]


def unstorable(value: str, max_len: int | None = None) -> str | None:
    """Why ``value`` cannot be kept as text (control characters, lone surrogates,
    longer than its column), or None."""
    if max_len is not None and len(value) > max_len:
        return f"{len(value)} characters; at most {max_len} can be stored"
    for ch in value:
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Cs"):
            return f"contains the character U+{ord(ch):04X}, which cannot be stored"
    return None


def _column_len(name: str) -> int | None:
    return getattr(TransactionRow.__table__.c[name].type, "length", None)


IDENTIFIERS = (("tcn", "Type-1", "1.009 TCN"), ("ori", "Type-1", "1.008 ORI"),
               ("tot", "Type-1", "1.004 TOT"))
SUMMARY_FIELDS = {"name": ("Type-2", "2.018 NAM"), "sex": ("Type-2", "2.024 SEX"),
                  "race": ("Type-2", "2.025 RAC"), "pob": ("Type-2", "2.020 POB"),
                  "charges": ("Type-2", "2.047 ASL"), "version": ("Type-1", "1.002 VER")}


def storage_problems(t: nist.Transaction, summary: dict[str, Any]) -> list[nist.Problem]:
    """Every value of the file that the hub would store but cannot."""
    problems = []
    for attr, record, label in IDENTIFIERS:
        why = unstorable(getattr(t, attr) or "", _column_len(attr))
        if why:
            problems.append(nist.Problem(record, label, why))
    for key, (record, label) in SUMMARY_FIELDS.items():
        for text in _strings(summary.get(key)):
            why = unstorable(text)
            if why:
                problems.append(nist.Problem(record, label, why))
                break
    return problems


def _strings(v: Any) -> list[str]:
    if isinstance(v, str):
        return [v]
    if isinstance(v, dict):
        return [x for item in v.values() for x in _strings(item)]
    if isinstance(v, list):
        return [x for item in v for x in _strings(item)]
    return []


def _booking_summary(t: nist.Transaction) -> dict[str, Any]:
    return {"name": t.name, "dob": _iso(t.dob), "sex": t.sex, "race": t.race, "pob": t.pob,
            "arrest_date": _iso(t.arrest_date), "version": t.version,
            "charges": [{"ncic": c.ncic, "literal": c.literal} for c in t.charges],
            "fingers": sorted({i.position for i in t.images if 1 <= i.position <= 10})}


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


# ---------------------------------------------------------------- the intake step

@dataclass
class Examination:
    """What intake found in one file, before anything is written."""

    transaction: nist.Transaction | None
    problems: list[nist.Problem]
    probe: dict = field(default_factory=dict)          # finger -> FingerprintTemplate
    unusable: list[Unusable] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    extraction_ms: float | None = None

    @property
    def accepted(self) -> bool:
        return self.transaction is not None and not self.problems


def examine(raw: bytes, *, jurisdictions: Jurisdictions, today: date,
            min_fingers: int = 8, extractor: str = DEFAULT_EXTRACTOR,
            submitted_scope: str | None = None, run: FingerMap = in_order) -> Examination:
    """Decode, check and extract one submission (pure: no database); ``run`` spreads the
    fingers' extraction (Ray tasks) or not."""
    try:
        t = nist.decode(raw)
    except nist.DecodeError as exc:
        return Examination(None, list(exc.problems))
    summary = _booking_summary(t)
    problems = nist.validate_car(t, known_ori=jurisdictions.is_known_ori, today=today,
                                 min_fingers=min_fingers)
    if t.ori and not submits_for(submitted_scope, t.ori):
        allowed = (submitted_scope or "").replace(":", " ")
        problems.append(nist.Problem("Type-1", "1.008 ORI",
                                     f"the submitter may submit only for {allowed}, not for ORI {t.ori}"))
    problems += [p for p in storage_problems(t, summary) if p not in problems]
    if problems:
        return Examination(t, problems, summary=summary)
    started = time.perf_counter()
    probe, unusable = extract_fingers(t, extractor, run)
    exam = Examination(t, [], probe, unusable, summary,
                       extraction_ms=(time.perf_counter() - started) * 1000)
    if len(probe) < min_fingers:
        exam.problems = [nist.Problem(u.record, f"finger {u.finger} ({FINGER_NAMES.get(u.finger, '?')})",
                                      u.reason) for u in unusable]
        exam.problems.append(nist.Problem("file", "fingers", f"only {len(probe)} usable finger(s); "
                                          f"at least {min_fingers} required"))
    return exam


def _examine(view: View) -> Examination:
    deps = view.deps
    return examine(view.tx.raw, jurisdictions=deps.jurisdictions, today=deps.today(),
                   min_fingers=deps.min_fingers, extractor=deps.extractor,
                   submitted_scope=view.tx.submitted_scope, run=deps.map_fingers)


def _apply(ctx: Ctx, exam: Examination) -> None:
    tx, t = ctx.tx, exam.transaction
    if t is not None:
        for attr, _, _ in IDENTIFIERS:    # only what can be stored; the rest is a named problem
            value = getattr(t, attr) or None
            setattr(tx, attr, value if value and not unstorable(value, _column_len(attr)) else None)
    if exam.extraction_ms is not None:
        ctx.emit(Actor.SIB, EventKind.FINGERS_EXTRACTED, {
            "fingers": {f: {"minutiae": len(tpl.minutiae), "quality": tpl.quality}
                        for f, tpl in sorted(exam.probe.items())},
            "unusable": {u.finger: u.reason for u in exam.unusable},
            "ms": round(exam.extraction_ms, 1)})
    problems = exam.problems or (_tcn_reuse(ctx, t) if t is not None else [])
    if problems or t is None:
        _reject(ctx, problems)
        return
    probe_store(ctx, exam.probe)
    county = ctx.deps.jurisdictions.by_ori(t.ori)
    if county is None:   # validate_car accepts only ORIs the jurisdictions know
        raise ValueError(f"ORI {t.ori!r} of an accepted file is not in the jurisdictions table")
    tx.accepted, tx.state = True, TxState.QUEUED
    tx.submission_key = f"{t.ori}|{t.tcn}"
    tx.county_fips, tx.booking_date = county.fips, t.arrest_date
    tx.booking = exam.summary
    ctx.emit(Actor.SIB, EventKind.ACCEPTED, {"tot": t.tot, "ori": t.ori, "tcn": t.tcn,
                                            "county": f"{county.name}, {county.state_code}",
                                            "fingers": exam.summary["fingers"]}, timed=True)
    ctx.emit(Actor.SIB, EventKind.FORWARDED_TO_CJIS, {})
    ctx.send(CriminalSearch())


def _tcn_reuse(ctx: Ctx, t: nist.Transaction) -> list[nist.Problem]:
    first = ctx.session.scalars(select(TransactionRow).where(
        TransactionRow.submission_key == f"{t.ori}|{t.tcn}")).first()
    if first is None:
        return []
    what = ("this file was already submitted by another submitter" if first.sha256 == ctx.tx.sha256
            else "for different content")
    return [nist.Problem("Type-1", "1.009 TCN",
                         f"TCN {t.tcn} already used by ORI {t.ori}: {what} "
                         f"(transaction {first.id}, received {first.received_at:%Y-%m-%d %H:%M})")]


def _reject(ctx: Ctx, problems: list[nist.Problem]) -> None:
    tx = ctx.tx
    tx.accepted = False
    tx.errors = [asdict(p) for p in problems]
    body = nist.encode_response(
        "ERRT", tcn=f"ERRT{tx.id:010d}", tcr=tx.tcn or "", ori=tx.ori or "",
        dai="SCOMMSIB0", date=ctx.deps.today(),
        # One MSG subfield per problem: encode_response takes a list of lines for 2.060 (as
        # its docstring says and it does), though its annotation says str only.
        fields={"MSG": [f"{p.record} {p.field}: {p.reason}" for p in problems]})
    ctx.respond(ResponseKind.ERRT, body, {"errors": tx.errors})
    ctx.emit(Actor.SIB, EventKind.REJECTED, {"errors": tx.errors}, timed=True)
    ctx.finish(TxState.REJECTED)


INTAKE: Handler[AgencyDeps, Examination] = Handler(apply=_apply, prepare=_examine)
