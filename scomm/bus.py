"""The message bus: a durable outbox of steps, each run exactly once.

A step's effects (new rows, responses, events, the next step) and the mark
that it is done are committed in one database transaction. Killing the
process at any point therefore leaves each step either wholly done or not
started; a restarted worker picks up the rest. The done-mark is a guarded
UPDATE (``done_at IS NULL``), so a second worker racing on the same step
rolls back instead of doing it twice.
"""
from __future__ import annotations

import logging
import time
import traceback
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Iterable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from .storage.db import Database
from .storage.tables import EventRow, OutboxRow, ResponseRow, TransactionRow

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 3


def now() -> datetime:
    return datetime.now(timezone.utc)


def as_utc(t: datetime) -> datetime:
    """``t`` with its zone; a naive time is UTC (SQLite drops the zone of what the hub wrote)."""
    return t if t.tzinfo is not None else t.replace(tzinfo=timezone.utc)


@dataclass
class StepContext:
    """What a handler sees: its message, the transaction, and ways to act."""

    session: Session
    tx: TransactionRow
    payload: dict
    deps: object
    _started: float = field(default_factory=time.perf_counter)

    def emit(self, actor: str, kind: str, data: dict | None = None, *, timed: bool = False) -> None:
        elapsed = (time.perf_counter() - self._started) * 1000 if timed else None
        self.session.add(EventRow(transaction_id=self.tx.id, at=now(), actor=actor, kind=kind,
                                  data=data or {}, elapsed_ms=elapsed))

    def send(self, step: str, payload: dict | None = None) -> None:
        self.session.add(OutboxRow(transaction_id=self.tx.id, step=step, payload=payload or {},
                                   created_at=now(), attempts=0))

    def respond(self, kind: str, body: bytes, summary: dict) -> None:
        self.session.add(ResponseRow(transaction_id=self.tx.id, kind=kind, created_at=now(),
                                     body=body, summary=summary))

    def finish(self, state: str = "done") -> None:
        self.tx.state = state
        self.tx.completed_at = now()


Handler = Callable[[StepContext], None]


class Bus:
    def __init__(self, db: Database, handlers: dict[str, Handler], deps: object):
        self.db = db
        self.handlers = handlers
        self.deps = deps

    def pending(self, transaction_ids: Iterable[int] | None = None, limit: int = 50,
                only_steps: set[str] | None = None) -> list[int]:
        with self.db.session() as s:
            q = (select(OutboxRow.id).where(OutboxRow.done_at.is_(None),
                                            OutboxRow.attempts < MAX_ATTEMPTS)
                 .order_by(OutboxRow.id).limit(limit))
            if transaction_ids is not None:
                q = q.where(OutboxRow.transaction_id.in_(list(transaction_ids)))
            if only_steps is not None:
                q = q.where(OutboxRow.step.in_(sorted(only_steps)))
            return list(s.scalars(q))

    def run_one(self, outbox_id: int) -> bool:
        """Run one step; True when this call did it."""
        try:
            with self.db.session() as s:
                row = s.get(OutboxRow, outbox_id)
                if row is None or row.done_at is not None:
                    return False
                tx = s.get(TransactionRow, row.transaction_id)
                ctx = StepContext(s, tx, dict(row.payload or {}), self.deps)
                self.handlers[row.step](ctx)
                done = s.execute(update(OutboxRow)
                                 .where(OutboxRow.id == outbox_id, OutboxRow.done_at.is_(None))
                                 .values(done_at=now(), attempts=OutboxRow.attempts + 1))
                if done.rowcount != 1:
                    raise _AlreadyDone()
            return True
        except _AlreadyDone:
            return False
        except Exception as exc:  # the step failed: record it, retry later, never lose it
            log.exception("step %s failed", outbox_id)
            self._record_failure(outbox_id, exc)
            return False

    def _record_failure(self, outbox_id: int, exc: Exception) -> None:
        with self.db.session() as s:
            row = s.get(OutboxRow, outbox_id)
            row.attempts += 1
            row.last_error = "".join(traceback.format_exception_only(exc)).strip()[:2000]
            s.add(EventRow(transaction_id=row.transaction_id, at=now(), actor="bus",
                           kind="step-failed", data={"step": row.step, "attempt": row.attempts,
                                                     "error": row.last_error}))
            if row.attempts >= MAX_ATTEMPTS:
                tx = s.get(TransactionRow, row.transaction_id)
                tx.state = "error"

    def drain(self, transaction_ids: Iterable[int] | None = None,
              on_step: Callable[[], None] | None = None,
              only_steps: set[str] | None = None) -> int:
        """Run steps until none is pending (for the given transactions, or all).

        A failing step is retried up to MAX_ATTEMPTS times and then parked,
        so the loop always ends.
        """
        ids = list(transaction_ids) if transaction_ids is not None else None
        count = 0
        while batch := self.pending(ids, only_steps=only_steps):
            for outbox_id in batch:
                if self.run_one(outbox_id):
                    count += 1
                    if on_step:
                        on_step()
        return count


class _AlreadyDone(Exception):
    """Another worker completed this step first; roll ours back."""
