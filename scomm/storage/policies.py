"""User policy entries in ``policy_entries``, laid over the packaged record; audited.

Rows are never edited: adding an entry with the key (scope, topic, date) or the
id of an active user entry retires that row and adds a new one, so the policy's
own history stays readable. Every change is audited (action
``policy-add``, ``policy-override`` or ``policy-retire``, target
``policy/<entry id>``, data ``{"before", "after"}``).
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..clock import now
from ..domain.agreements import PolicyEntry, load_entries
from ..domain.policyset import MAX_ID, MAX_KEY, PolicySet, parse_entry, stored_key
from ..security.principal import Principal
from . import audit
from .tables import AuditRow, PolicyEntryRow

TARGET = "policy/"
# The domain refuses (naming the field) what these columns cannot hold, so that SQLite
# (which does not check lengths) and PostgreSQL (which does) store the same entries.


def _length(column: Any) -> int:
    return column.type.length


assert MAX_KEY <= _length(PolicyEntryRow.__table__.c.entry_key)
assert len(TARGET) + MAX_ID <= _length(AuditRow.__table__.c.target)


class PolicyNotFound(LookupError):
    pass


def entry_key(e: PolicyEntry) -> str:
    return stored_key(e.state, e.counties, e.topic, e.effective_from)


def _active(s: Session) -> list[PolicyEntryRow]:
    return list(s.scalars(select(PolicyEntryRow).where(PolicyEntryRow.retired_at.is_(None))
                          .order_by(PolicyEntryRow.id)))


def add_entry(s: Session, entry: Mapping[str, Any], by: Principal,
              at: datetime | None = None) -> PolicyEntry:
    """Validate and store one user entry (``PolicyFileError`` names every problem).

    It overrides an active user entry with the same key or id (retired), or a
    packaged entry with the same key (laid over it); otherwise it is added."""
    e = parse_entry(entry, origin="user")
    at = at or now()
    key = entry_key(e)
    replaced = [r for r in _active(s) if r.entry_key == key or r.entry.get("id") == e.id]
    packaged = next((p for p in load_entries() if entry_key(p) == key), None)
    before = replaced[-1].entry if replaced else packaged.to_dict() if packaged else None
    for r in replaced:
        r.retired_at = at
    s.add(PolicyEntryRow(entry=e.to_dict(), entry_key=key, created_at=at, created_by=by.name))
    audit.append(s, by, "policy-override" if before else "policy-add", f"{TARGET}{e.id}",
                 data={"before": before, "after": e.to_dict()})
    return e


def retire_entry(s: Session, entry_id: str, by: Principal, at: datetime | None = None) -> PolicyEntry:
    """Retire the active user entry ``entry_id`` (packaged entries are overridden, not
    retired: add an entry with the same key)."""
    rows = [r for r in _active(s) if r.entry.get("id") == entry_id]
    if not rows:
        packaged = any(p.id == entry_id for p in load_entries())
        raise PolicyNotFound(
            f"{entry_id!r} is a packaged entry: override it with an entry of the same state, "
            "counties, topic and date" if packaged else f"no active user entry {entry_id!r}")
    at = at or now()
    for r in rows:
        r.retired_at = at
    before = rows[-1].entry
    audit.append(s, by, "policy-retire", f"{TARGET}{entry_id}", data={"before": before, "after": None})
    return PolicyEntry.from_dict(before, origin="user")


def user_entries(s: Session) -> list[PolicyEntry]:
    return [PolicyEntry.from_dict(r.entry, origin="user") for r in _active(s)]


def user_entry_rows(s: Session, *, include_retired: bool = False) -> list[dict]:
    q = select(PolicyEntryRow).order_by(PolicyEntryRow.id)
    if not include_retired:
        q = q.where(PolicyEntryRow.retired_at.is_(None))
    return [{"row": r.id, "entry": r.entry, "created_at": r.created_at.isoformat(),
             "created_by": r.created_by,
             "retired_at": r.retired_at.isoformat() if r.retired_at else None}
            for r in s.scalars(q)]


def policy_set(s: Session, base: PolicySet | None = None) -> PolicySet:
    """``base`` (default: the packaged record) with the active user entries laid
    over its packaged entries and under its policy file's entries."""
    base = base or PolicySet.packaged()
    rows = _active(s)
    if not rows:
        return base if not base.user_entries else base.with_user_entries(())
    return base.with_user_entries(PolicyEntry.from_dict(r.entry, origin="user") for r in rows)
