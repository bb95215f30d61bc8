"""The message bus: a durable outbox of steps, each completed exactly once by any
number of workers in any number of processes.

A step runs in three moves:

1. **claim**: one statement marks the next pending step as this worker's, with a
   lease (``claimed_until``) renewed while the worker lives. PostgreSQL picks it
   ``FOR UPDATE SKIP LOCKED``; SQLite's single writer makes the guarded update
   atomic. A dead worker's lease runs out and another worker takes the step.
2. **prepare** (a read, no lock held): the heavy part (decoding, extraction,
   search), producing a plan of plain data.
3. **apply** (one short write): check the claim is still ours and the step not
   done, write the step's effects (rows, responses, events, the next step) and
   mark it done, all in one database transaction.

Killing a process at any point leaves each step wholly done or not done. A step
that raises is retried after a backoff; after ``max_attempts`` it is *parked* with
its reason and its transaction is in ``error`` until ``retry_errors``.
"""
from __future__ import annotations

import logging
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Generic, TypeVar, cast

from sqlalchemy import CursorResult, case, func, or_, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

from .clock import now
from .messages import Actor, EventKind, Message, ResponseKind, Step, TxState, finding_of, payload, read, step_of
from .storage.db import Database
from .storage.tables import EventRow, OutboxRow, ResponseRow, TransactionRow

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 3
LEASE = timedelta(seconds=30)
BACKOFF_S = (1.0, 5.0, 30.0)   # wait before attempt 2, 3, ...

D = TypeVar("D")
P = TypeVar("P")


@dataclass
class StepView(Generic[D]):
    """What a step's prepare phase sees: its message and transaction, read-only."""

    session: Session
    tx: TransactionRow
    message: Any
    deps: D


@dataclass
class StepContext(StepView[D]):
    """What a step's apply phase sees, and the ways it acts (all in one database transaction)."""

    _started: float = field(default_factory=time.perf_counter)

    def emit(self, actor: Actor, kind: EventKind, data: dict | None = None, *,
             timed: bool = False) -> None:
        elapsed = (time.perf_counter() - self._started) * 1000 if timed else None
        self.session.add(EventRow(transaction_id=self.tx.id, at=now(), actor=actor, kind=kind,
                                  data=data or {}, elapsed_ms=elapsed))

    def send(self, message: Message) -> None:
        self.session.add(OutboxRow(transaction_id=self.tx.id, step=step_of(message),
                                   payload=payload(message), created_at=now(), attempts=0))

    def respond(self, kind: ResponseKind, body: bytes, summary: dict) -> None:
        self.session.add(ResponseRow(transaction_id=self.tx.id, kind=kind, created_at=now(),
                                     finding=finding_of(kind, summary), body=body, summary=summary))

    def finish(self, state: TxState = TxState.DONE) -> None:
        self.tx.state = state
        self.tx.completed_at = now()


def _no_plan(view: StepView[Any]) -> None:
    return None


@dataclass(frozen=True)
class Handler(Generic[D, P]):
    """A step's handling: ``prepare`` (heavy, read-only) then ``apply`` (short write)."""

    apply: Callable[[StepContext[D], P], None]
    prepare: Callable[[StepView[D]], P] = _no_plan  # type: ignore[assignment]
    # Taken by apply (before reading what it changes) where two transactions' steps
    # may change the same records, e.g. CJIS enrolment. None: no lock needed.
    lock: str | None = None


@dataclass(frozen=True)
class Claim:
    id: int
    token: str
    transaction_id: int
    step: Step
    payload: dict


class _LostClaim(Exception):
    """The step is done, or its lease ran out and another worker took it."""


def _transaction(s: Session, transaction_id: int, *, for_update: bool = False) -> TransactionRow:
    """The transaction a step or an outbox row belongs to (a foreign key: it exists)."""
    tx = s.get(TransactionRow, transaction_id, with_for_update=True if for_update else None)
    if tx is None:
        raise LookupError(f"no transaction {transaction_id}")
    return tx


def describe_failure(exc: BaseException) -> str:
    """The reason a step failed, without SQL parameters (they can hold personal data)."""
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        first = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else ""
        return f"{type(exc.orig).__name__}: {first}"[:500]
    return f"{type(exc).__name__}: {exc}"[:500]


class Bus(Generic[D]):
    def __init__(self, db: Database, handlers: Mapping[Step, Handler[D, Any]], deps: D, *,
                 max_attempts: int = MAX_ATTEMPTS, lease: timedelta = LEASE,
                 backoff_s: tuple[float, ...] = BACKOFF_S, poll_s: float = 0.05):
        self.db, self.handlers, self.deps = db, dict(handlers), deps
        self.max_attempts, self.lease, self.backoff_s, self.poll_s = max_attempts, lease, backoff_s, poll_s
        self.worker = f"{socket.gethostname()}:{threading.get_native_id()}"

    # ------------------------------------------------------------ queue state

    def _pending(self):
        return (OutboxRow.done_at.is_(None), OutboxRow.parked_at.is_(None))

    def backlog(self) -> int:
        """Steps not yet done and not parked (claimed or waiting)."""
        with self.db.read() as s:
            return s.scalar(select(func.count()).select_from(OutboxRow).where(*self._pending())) or 0

    def outstanding(self, transaction_ids: Iterable[int], steps: set[Step] | None = None) -> int:
        with self.db.read() as s:
            q = select(func.count()).select_from(OutboxRow).where(
                *self._pending(), OutboxRow.transaction_id.in_(list(transaction_ids)))
            if steps is not None:
                q = q.where(OutboxRow.step.in_(sorted(steps)))
            return s.scalar(q) or 0

    # ------------------------------------------------------------ claims

    def claim_next(self, transaction_ids: Iterable[int] | None = None,
                   steps: set[Step] | None = None, outbox_id: int | None = None) -> Claim | None:
        """Claim the next step that is due (intake first, then the oldest transaction)."""
        t = now()
        q = (select(OutboxRow.id)
             .where(*self._pending(),
                    or_(OutboxRow.claimed_until.is_(None), OutboxRow.claimed_until < t),
                    or_(OutboxRow.not_before.is_(None), OutboxRow.not_before <= t))
             .order_by(case((OutboxRow.step == Step.SIB, 0), else_=1),
                       OutboxRow.transaction_id, OutboxRow.id)
             .limit(1).with_for_update(skip_locked=True))
        if transaction_ids is not None:
            q = q.where(OutboxRow.transaction_id.in_(list(transaction_ids)))
        if steps is not None:
            q = q.where(OutboxRow.step.in_(sorted(steps)))
        if outbox_id is not None:
            q = q.where(OutboxRow.id == outbox_id)
        token = f"{self.worker}:{uuid.uuid4().hex[:12]}"
        with self.db.session() as s:
            row = s.execute(update(OutboxRow).where(OutboxRow.id == q.scalar_subquery())
                            .values(claim=token, claimed_until=t + self.lease)
                            .returning(OutboxRow.id, OutboxRow.transaction_id, OutboxRow.step,
                                       OutboxRow.payload)
                            .execution_options(synchronize_session=False)).first()
        if row is None:
            return None
        return Claim(row.id, token, row.transaction_id, Step(row.step), dict(row.payload or {}))

    def _renew(self, claim: Claim) -> bool:
        with self.db.session() as s:
            # An UPDATE's result is a CursorResult (Session.execute is typed for any statement).
            done = cast("CursorResult[Any]", s.execute(update(OutboxRow).where(
                OutboxRow.id == claim.id, OutboxRow.claim == claim.token, OutboxRow.done_at.is_(None))
                .values(claimed_until=now() + self.lease)
                .execution_options(synchronize_session=False)))
            return done.rowcount == 1

    @contextmanager
    def _leased(self, claim: Claim) -> Iterator[None]:
        """Renew the claim's lease every third of it while the step runs."""
        stop = threading.Event()

        def renew() -> None:
            while not stop.wait(self.lease.total_seconds() / 3):
                try:
                    if not self._renew(claim):
                        return
                except Exception as exc:  # the apply's own check decides; just say so
                    log.warning("could not renew the lease of step %s: %s", claim.id,
                                describe_failure(exc))
        t = threading.Thread(target=renew, name=f"lease-{claim.id}", daemon=True)
        t.start()
        try:
            yield
        finally:
            stop.set()
            t.join()

    # ------------------------------------------------------------ running a step

    def run(self, claim: Claim) -> bool:
        """Prepare and apply a claimed step; True when this call completed it."""
        try:
            handler = self.handlers.get(claim.step)
            if handler is None:
                raise LookupError(f"no handler for step {claim.step}")
            with self._leased(claim):
                started = time.perf_counter()   # a step's time counts its prepare phase too
                message = read(claim.step, claim.payload)
                with self.db.read() as s:
                    tx = _transaction(s, claim.transaction_id)
                    plan = handler.prepare(StepView(s, tx, message, self.deps))
                self._apply(claim, handler, message, plan, started)
            return True
        except _LostClaim:
            return False
        except Exception as exc:  # the step failed: record it, retry later, never lose it
            self._fail(claim, exc)
            return False

    def _apply(self, claim: Claim, handler: Handler[D, Any], message: Message, plan: Any,
               started: float) -> None:
        with self.db.session() as s:
            if handler.lock:
                self.db.lock(s, handler.lock)
            row = s.get(OutboxRow, claim.id, with_for_update=True)
            if row is None or row.done_at is not None or row.claim != claim.token:
                raise _LostClaim()
            tx = _transaction(s, claim.transaction_id, for_update=True)
            handler.apply(StepContext(s, tx, message, self.deps, started), plan)
            row.done_at, row.attempts = now(), row.attempts + 1
            row.claim, row.claimed_until, row.last_error = None, None, None

    def _fail(self, claim: Claim, exc: Exception) -> None:
        reason = describe_failure(exc)
        # A lost database, a lock that outlasted the busy timeout, a race on a unique
        # key: the next attempt sees the committed state, so these wait briefly and
        # do not count towards parking.
        transient = isinstance(exc, (OperationalError, IntegrityError))
        log.warning("step %s (%s) of transaction %s failed: %s", claim.id, claim.step,
                    claim.transaction_id, reason)
        log.debug("step %s failure", claim.id, exc_info=exc)
        try:
            with self.db.session() as s:
                row = s.get(OutboxRow, claim.id, with_for_update=True)
                if row is None or row.done_at is not None or row.claim != claim.token:
                    return   # another worker owns it now: its outcome stands
                row.claim, row.claimed_until, row.last_error = None, None, reason
                if not transient:
                    row.attempts += 1
                parked = row.attempts >= self.max_attempts
                data = {"step": row.step, "attempt": row.attempts, "error": reason,
                        "transient": transient}
                if parked:
                    row.parked_at = now()
                    tx = _transaction(s, row.transaction_id, for_update=True)
                    tx.state = TxState.ERROR
                else:
                    wait = 0.5 if transient else self.backoff_s[min(row.attempts, len(self.backoff_s)) - 1]
                    row.not_before = now() + timedelta(seconds=wait)
                s.add(EventRow(transaction_id=row.transaction_id, at=now(), actor=Actor.BUS,
                               kind=EventKind.STEP_PARKED if parked else EventKind.STEP_FAILED,
                               data=data))
        except Exception as again:  # the database is gone too: the lease will run out
            log.warning("could not record the failure of step %s: %s", claim.id,
                        describe_failure(again))

    def run_one(self, outbox_id: int) -> bool:
        """Claim and run one given step; False if it is done, parked or claimed elsewhere."""
        claim = self.claim_next(outbox_id=outbox_id)
        return self.run(claim) if claim else False

    def drain(self, transaction_ids: Iterable[int] | None = None,
              on_step: Callable[[], None] | None = None,
              only_steps: set[Step] | None = None, stop: threading.Event | None = None) -> int:
        """Run due steps until none is left (for the given transactions, or all).

        For given transactions it also waits for steps that other workers hold, so
        that on return each is finished or parked. A failing step is parked after
        ``max_attempts``, so the loop always ends."""
        ids = list(transaction_ids) if transaction_ids is not None else None
        count = 0
        while stop is None or not stop.is_set():
            claim = self.claim_next(ids, only_steps)
            if claim is not None:
                if self.run(claim):
                    count += 1
                    if on_step:
                        on_step()
                continue
            if ids is None or not self.outstanding(ids, only_steps):
                break
            time.sleep(self.poll_s)  # held by another worker, or backing off
        return count

    def retry_errors(self, transaction_ids: Iterable[int] | None = None) -> list[int]:
        """Give parked steps new attempts; their transactions leave ``error``. Returns
        the transaction ids."""
        with self.db.session() as s:
            q = select(OutboxRow).where(OutboxRow.done_at.is_(None), OutboxRow.parked_at.is_not(None))
            if transaction_ids is not None:
                q = q.where(OutboxRow.transaction_id.in_(list(transaction_ids)))
            rows = list(s.scalars(q.with_for_update()))
            for row in rows:
                tx = _transaction(s, row.transaction_id)
                row.parked_at, row.attempts, row.not_before = None, 0, None
                if tx.state == TxState.ERROR:
                    tx.state = TxState.RECEIVED if row.step == Step.SIB else TxState.QUEUED
                s.add(EventRow(transaction_id=row.transaction_id, at=now(), actor=Actor.BUS,
                               kind=EventKind.STEP_RETRIED,
                               data={"step": row.step, "last_error": row.last_error}))
            return [r.transaction_id for r in rows]
