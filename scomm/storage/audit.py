"""The audit trail, stored: entries appended to the hash chain, read back, verified.

Appends are serialised (a PostgreSQL advisory lock; SQLite's write units already run
one at a time) so that the chain never forks; an entry is committed with the change it
records, or not at all. Nothing here updates or deletes an entry.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ..security.audit_chain import GENESIS, Break, Checkpoint, Entry, Stored, first_break, hundredths, link
from ..security.principal import Principal
from .tables import AuditRow

DISCLOSE_INTERNAL = "disclose-internal"
_CHAIN_LOCK = "audit-chain"


def append(s: Session, by: Principal, action: str, target: str, *, outcome: str = "success",
           data: dict | None = None, at: datetime | None = None) -> AuditRow:
    """Add one entry at the head of the chain (the caller commits)."""
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text("SELECT pg_advisory_xact_lock(hashtext(:n))"), {"n": _CHAIN_LOCK})
    entry = Entry(at=hundredths(at or datetime.now(UTC)), principal=by.name, role=str(by.role),
                  ori=by.ori, action=action, target=target, outcome=outcome, source=by.source,
                  # stored as JSON: hash what will be read back
                  data=json.loads(json.dumps(data or {}, default=str)))
    prev = s.scalar(select(AuditRow.hash).order_by(AuditRow.id.desc()).limit(1)) or GENESIS
    row = AuditRow(at=entry.at.replace(tzinfo=UTC), actor=entry.principal, role=entry.role,
                   ori=entry.ori, action=action, target=target, outcome=outcome,
                   source=entry.source, data=entry.data, prev_hash=prev, hash=link(prev, entry))
    s.add(row)
    s.flush()
    return row


def record_disclosure(s: Session, by: Principal, report: str, params: dict) -> None:
    """An internal (unsuppressed) report left the hub: who asked, for what (the caller commits)."""
    append(s, by, DISCLOSE_INTERNAL, f"statistics/{report}", data=params)


def _stored(r: AuditRow) -> Stored:
    return Stored(r.id, Entry(at=r.at, principal=r.actor, role=r.role or "", ori=r.ori,
                              action=r.action, target=r.target, outcome=r.outcome or "success",
                              source=r.source, data=r.data or {}),
                  r.prev_hash or "", r.hash or "")


def _all(s: Session, batch: int = 1000) -> Iterator[Stored]:
    after = 0
    while True:
        rows = list(s.scalars(select(AuditRow).where(AuditRow.id > after)
                              .order_by(AuditRow.id).limit(batch)))
        if not rows:
            return
        yield from (_stored(r) for r in rows)
        after = rows[-1].id


def head(s: Session) -> tuple[Stored | None, int]:
    """The last entry and the number of entries (for a checkpoint), after a full check."""
    broken, last, n = first_break(_all(s))
    if broken:
        raise ValueError(f"audit entry {broken.id}: {broken.reason}")
    return last, n


def verify(s: Session, checkpoint: Checkpoint | None = None) -> Break | None:
    """The first bad entry of the trail, or None when it verifies (against the checkpoint,
    if one is given: its entry must still be there, with the same hash and count)."""
    seen: dict[int, tuple[str, int]] = {}
    n = 0

    def watched() -> Iterator[Stored]:
        nonlocal n
        for r in _all(s):
            n += 1
            if checkpoint and r.id == checkpoint.id:
                seen[r.id] = (r.hash, n)
            yield r
    broken, _, _ = first_break(watched())
    if broken or checkpoint is None:
        return broken
    if checkpoint.id not in seen:
        return Break(checkpoint.id, "the checkpoint's entry is gone (the trail was truncated or "
                                    "rewritten)")
    h, count = seen[checkpoint.id]
    if h != checkpoint.hash or count != checkpoint.entries:
        return Break(checkpoint.id, "the trail up to the checkpoint was rewritten (its hash or "
                                    "the number of entries before it differs)")
    return None


def audit_rows(s: Session, *, action_prefix: str | None = None, limit: int = 500) -> list[dict]:
    """The audit trail, oldest first (the last ``limit`` rows)."""
    q = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
    if action_prefix:
        q = q.where(AuditRow.action.startswith(action_prefix))
    rows = list(s.scalars(q))[::-1]
    return [{"id": r.id, "at": r.at.isoformat(), "actor": r.actor, "role": r.role, "ori": r.ori,
             "action": r.action, "target": r.target, "outcome": r.outcome, "source": r.source,
             "data": r.data, "hash": r.hash} for r in rows]
