"""The outbox: steps run once, failures are retried then parked, never lost."""
from __future__ import annotations

from sqlalchemy import select

from scomm.bus import MAX_ATTEMPTS, Bus, now
from scomm.storage.db import Database, migrate
from scomm.storage.tables import EventRow, OutboxRow, TransactionRow


def make_bus(tmp_path, handlers):
    db = Database(f"sqlite:///{tmp_path / 'bus.db'}")
    migrate(db.engine)
    with db.session() as s:
        tx = TransactionRow(received_at=now(), sha256="0" * 64, raw=b"x", accepted=True,
                            errors=[], state="queued")
        s.add(tx)
        s.flush()
        s.add(OutboxRow(transaction_id=tx.id, step="a", payload={"n": 1}, created_at=now(),
                        attempts=0))
        tx_id = tx.id
    return db, Bus(db, handlers, deps=None), tx_id


def test_each_step_runs_once_and_sends_the_next(tmp_path):
    calls = []

    def a(ctx):
        calls.append(("a", ctx.payload["n"]))
        ctx.send("b", {"n": ctx.payload["n"] + 1})

    def b(ctx):
        calls.append(("b", ctx.payload["n"]))
        ctx.finish()

    db, bus, tx_id = make_bus(tmp_path, {"a": a, "b": b})
    assert bus.drain() == 2
    assert bus.drain() == 0
    assert calls == [("a", 1), ("b", 2)]
    with db.session() as s:
        assert s.get(TransactionRow, tx_id).state == "done"
        first = s.scalars(select(OutboxRow).order_by(OutboxRow.id)).first()
    assert bus.run_one(first.id) is False  # a done step is never run again


def test_a_failing_step_is_retried_then_parked_with_its_error(tmp_path):
    def boom(ctx):
        ctx.send("never")  # rolled back with the failure
        raise RuntimeError("engine exploded")

    db, bus, tx_id = make_bus(tmp_path, {"a": boom})
    assert bus.drain() == 0  # the loop ends
    with db.session() as s:
        row = s.scalars(select(OutboxRow)).one()
        assert row.attempts == MAX_ATTEMPTS and row.done_at is None
        assert "engine exploded" in row.last_error
        assert s.get(TransactionRow, tx_id).state == "error"
        failures = s.scalars(select(EventRow).where(EventRow.kind == "step-failed")).all()
        assert len(failures) == MAX_ATTEMPTS
