"""The outbox: claimed steps run once, failures are retried then parked, never lost."""
from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
from sqlalchemy import select

from scomm.bus import Bus, Handler
from scomm.clock import now
from scomm.messages import (
    Actor,
    CriminalSearch,
    EventKind,
    ImmigrationSearch,
    Intake,
    MessageError,
    Step,
    TxState,
    read,
)
from scomm.storage.db import Database, migrate
from scomm.storage.tables import EventRow, OutboxRow, TransactionRow

from ..conftest import fresh_postgres_url


def make_db(url: str, transactions: int = 1) -> tuple[Database, list[int]]:
    db = Database(url)
    migrate(db.engine)
    ids = []
    with db.session() as s:
        for i in range(transactions):
            tx = TransactionRow(received_at=now(), sha256=f"{i:064d}", raw=b"x", accepted=True,
                                errors=[], state=TxState.RECEIVED)
            s.add(tx)
            s.flush()
            s.add(OutboxRow(transaction_id=tx.id, step=Step.SIB, payload={}, created_at=now(),
                            attempts=0))
            ids.append(tx.id)
    return db, ids


def sqlite_db(tmp_path, transactions: int = 1):
    return make_db(f"sqlite:///{tmp_path / 'bus.db'}", transactions)


def two_steps(calls: list) -> dict:
    def intake(ctx, plan):
        calls.append((Step.SIB, ctx.tx.id, plan))
        ctx.send(CriminalSearch())

    def search(ctx, _plan):
        calls.append((Step.CJIS, ctx.tx.id, None))
        ctx.finish()
    return {Step.SIB: Handler(apply=intake, prepare=lambda view: f"prepared {view.tx.id}"),
            Step.CJIS: Handler(apply=search)}


def test_each_step_runs_once_and_sends_the_next(tmp_path):
    calls: list = []
    db, (tx_id,) = sqlite_db(tmp_path)
    bus = Bus(db, two_steps(calls), deps=None)
    assert bus.drain() == 2
    assert bus.drain() == 0
    assert calls == [(Step.SIB, tx_id, f"prepared {tx_id}"), (Step.CJIS, tx_id, None)]
    with db.read() as s:
        assert s.get(TransactionRow, tx_id).state == TxState.DONE
        first = s.scalars(select(OutboxRow).order_by(OutboxRow.id)).first()
        assert first.claim is None and first.done_at is not None
    assert bus.run_one(first.id) is False  # a done step is never run again


def test_a_timed_event_counts_the_prepare_phase(tmp_path):
    """Stage times include the heavy part (extraction, search), which runs in prepare."""
    def slow(_view):
        time.sleep(0.05)

    def done(ctx, _plan):
        ctx.emit(Actor.SIB, EventKind.ACCEPTED, timed=True)
        ctx.finish()

    db, (tx_id,) = sqlite_db(tmp_path)
    Bus(db, {Step.SIB: Handler(apply=done, prepare=slow)}, deps=None).drain()
    with db.read() as s:
        event = s.scalars(select(EventRow).where(EventRow.kind == EventKind.ACCEPTED)).one()
    assert event.elapsed_ms >= 50


def test_a_failing_step_is_retried_then_parked_with_its_error_and_retried_on_demand(tmp_path):
    fail = [True]

    def boom(ctx, _plan):
        if fail[0]:
            ctx.send(CriminalSearch())  # rolled back with the failure
            raise RuntimeError("engine exploded")
        ctx.finish()

    db, (tx_id,) = sqlite_db(tmp_path)
    bus = Bus(db, {Step.SIB: Handler(apply=boom)}, deps=None, backoff_s=(0.0,))
    assert bus.drain() == 0  # the loop ends
    with db.read() as s:
        row = s.scalars(select(OutboxRow)).one()
        assert row.attempts == bus.max_attempts and row.done_at is None and row.parked_at
        assert "engine exploded" in row.last_error
        assert s.get(TransactionRow, tx_id).state == TxState.ERROR
        kinds = Counter(e.kind for e in s.scalars(select(EventRow)))
        assert kinds == {EventKind.STEP_FAILED: bus.max_attempts - 1, EventKind.STEP_PARKED: 1}
    assert bus.drain() == 0, "a parked step waits for retry_errors"
    fail[0] = False
    assert bus.retry_errors() == [tx_id]
    assert bus.drain() == 1
    with db.read() as s:
        assert s.get(TransactionRow, tx_id).state == TxState.DONE


def test_a_claimed_step_is_not_taken_until_its_lease_runs_out(tmp_path):
    db, (tx_id,) = sqlite_db(tmp_path)
    calls: list = []
    bus = Bus(db, two_steps(calls), deps=None)
    claim = bus.claim_next()
    assert claim is not None and bus.claim_next() is None, "claimed: nobody else takes it"
    with db.session() as s:  # the worker died: its lease runs out
        s.get(OutboxRow, claim.id).claimed_until = now()
    second = bus.claim_next()
    assert second is not None and second.id == claim.id
    assert bus.run(claim) is False, "the first worker lost its claim: its work is discarded"
    assert bus.run(second) is True and calls[0][0] == Step.SIB and len(calls) == 1


def test_a_failure_reported_after_another_worker_finished_does_not_mark_an_error(tmp_path):
    db, (tx_id,) = sqlite_db(tmp_path)
    bus = Bus(db, two_steps([]), deps=None)
    stale = bus.claim_next()
    with db.session() as s:
        s.get(OutboxRow, stale.id).claimed_until = now()
    assert bus.run(bus.claim_next())
    bus._fail(stale, RuntimeError("late"))
    with db.read() as s:
        row = s.get(OutboxRow, stale.id)
        assert row.done_at and row.attempts == 1 and row.last_error is None
        assert s.get(TransactionRow, tx_id).state != TxState.ERROR


def test_messages_are_typed_and_checked():
    assert read(Step.IDENT, {"ucn": "U1"}) == ImmigrationSearch(ucn="U1")
    assert read("sib", {}) == Intake()
    with pytest.raises(MessageError, match="missing"):
        read(Step.IDENT, {})
    with pytest.raises(MessageError, match="unknown step"):
        read("nope", {})


def _race(url: str, workers: int, transactions: int) -> None:
    """Several buses (as in several processes) drain one database at once."""
    db, ids = make_db(url, transactions)
    lock = threading.Lock()
    applied: Counter = Counter()

    def count(step):
        def apply(ctx, _plan):
            with lock:
                applied[(ctx.tx.id, step)] += 1
            if step == Step.SIB:
                ctx.send(CriminalSearch())
            else:
                ctx.finish()
        return Handler(apply=apply)
    handlers = {Step.SIB: count(Step.SIB), Step.CJIS: count(Step.CJIS)}
    buses = [Bus(Database(url), handlers, deps=None) for _ in range(workers)]
    threads = [threading.Thread(target=b.drain) for b in buses]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for b in buses:
        b.db.engine.dispose()
    assert applied == {(i, st): 1 for i in ids for st in (Step.SIB, Step.CJIS)}
    with db.read() as s:
        states = Counter(s.get(TransactionRow, i).state for i in ids)
    assert states == {TxState.DONE: transactions}
    db.engine.dispose()


def test_many_workers_complete_each_step_exactly_once_on_sqlite(tmp_path):
    _race(f"sqlite:///{tmp_path / 'race.db'}", workers=4, transactions=40)


@pytest.mark.postgres
def test_many_workers_complete_each_step_exactly_once_on_postgres():
    _race(fresh_postgres_url("scomm_bus_race"), workers=4, transactions=40)
