"""The audit trail: who changed or disclosed what, and when.

Changes (outcomes, holds, policy entries) are written where they happen; this
module records disclosures (statistics that leave the hub without small-count
suppression) and reads the trail back.
"""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from .tables import AuditRow

DISCLOSE_INTERNAL = "disclose-internal"


def record_disclosure(s: Session, actor: str, report: str, params: dict) -> None:
    """An internal (unsuppressed) report left the hub: who asked, for what (the caller commits)."""
    s.add(AuditRow(at=datetime.now(UTC), actor=actor, action=DISCLOSE_INTERNAL,
                   target=f"statistics/{report}", data=params))


def audit_rows(s: Session, *, action_prefix: str | None = None, limit: int = 500) -> list[dict]:
    """The audit trail, oldest first (the last ``limit`` rows)."""
    q = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
    if action_prefix:
        q = q.where(AuditRow.action.startswith(action_prefix))
    rows = list(s.scalars(q))[::-1]
    return [{"id": r.id, "at": r.at.isoformat(), "actor": r.actor, "action": r.action,
             "target": r.target, "data": r.data} for r in rows]
