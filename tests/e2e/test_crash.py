"""Kill the worker mid-chain (SIGKILL), restart it: every transaction done exactly once, and
the galleries' files still hold what the database does."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import date

import pytest
from sqlalchemy import func, select

from scomm.application import index
from scomm.biometrics import FingerprintTemplate
from scomm.bootstrap import bootstrap
from scomm.storage.tables import (
    CriminalFingerRow,
    CriminalSubjectRow,
    EventRow,
    OutboxRow,
    PersonRow,
    ResponseRow,
    TransactionRow,
)
from scomm.world.booking import BookingOrder, make_car
from scomm.world.stream import new_person, person_of

from ..accounts import OPERATOR
from .conftest import ACTIVE_2008

pytestmark = pytest.mark.slow


def worker(url: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "scomm.cli", "work", "--database", url],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONUNBUFFERED": "1",
                                 "SCOMM_STEP_LEASE_SECONDS": "3"})


def steps_done(hub) -> int:
    with hub.db.session() as s:
        return s.scalar(select(func.count()).select_from(OutboxRow)
                        .where(OutboxRow.done_at.is_not(None)))


def test_kill_and_restart_completes_each_transaction_exactly_once(seeded_sqlite, tmp_path):
    db = tmp_path / "crash.db"
    shutil.copy(seeded_sqlite, db)
    url = f"sqlite:///{db}"
    hub = bootstrap(database_url=url)
    ori = hub.deps.jurisdictions.sheriff_ori(ACTIVE_2008)
    with hub.db.session() as s:
        people = [person_of(p) for p in s.scalars(select(PersonRow).order_by(PersonRow.id))][:4]
        people += [new_person(s, 777000 + i) for i in range(2)]
    ids = []
    for i, p in enumerate(people):
        raw = make_car(BookingOrder(p, ori, date(2012, 5, 1 + i), ("2303",), impression=900 + i))
        ids.append(hub.submit(raw, f"crash{i}.an2").transaction_id)
    enrolled_before = _count(hub, CriminalSubjectRow)

    kills = 0
    for target in (len(ids) + 2, len(ids) + 6):  # beyond the intake steps, mid-chain
        proc = worker(url)
        deadline = time.time() + 300
        while steps_done(hub) < target and proc.poll() is None and time.time() < deadline:
            time.sleep(0.05)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
    assert kills >= 1, "the worker finished before it could be killed"
    final = worker(url)
    assert final.wait(timeout=600) == 0, final.stderr.read().decode()

    with hub.db.session() as s:
        states = Counter(s.get(TransactionRow, i).state for i in ids)
        assert states == {"done": len(ids)}, states
        outbox = list(s.scalars(select(OutboxRow).where(OutboxRow.transaction_id.in_(ids))))
        assert all(o.done_at is not None for o in outbox)
        per_step = Counter((o.transaction_id, o.step) for o in outbox)
        assert max(per_step.values()) == 1
        sre = Counter(r.transaction_id for r in s.scalars(
            select(ResponseRow).where(ResponseRow.kind == "SRE", ResponseRow.transaction_id.in_(ids))))
        assert sre == {i: 1 for i in ids}
        decisions = Counter(e.transaction_id for e in s.scalars(
            select(EventRow).where(EventRow.kind.in_(["identified", "enrolled"]),
                                   EventRow.transaction_id.in_(ids))))
        assert decisions == {i: 1 for i in ids}
        enrolments = s.scalar(select(func.count()).select_from(EventRow).where(
            EventRow.kind == "enrolled", EventRow.transaction_id.in_(ids)))
    # Each "enrolled" decision created exactly one subject: nobody enrolled twice.
    assert _count(hub, CriminalSubjectRow) - enrolled_before == enrolments
    # The galleries' files, written by the killed workers as they searched, hold what the
    # database does; a new process finds every subject enrolled during the run.
    fresh = bootstrap(database_url=url)
    assert index.verify(fresh.db, fresh.galleries, OPERATOR) == []
    with fresh.db.read() as s:
        new = s.execute(select(CriminalSubjectRow.id, CriminalSubjectRow.ucn)
                        .order_by(CriminalSubjectRow.id).offset(enrolled_before)).all()
        probes = {ucn: {f: FingerprintTemplate.from_iso(b) for f, b in s.execute(
            select(CriminalFingerRow.finger, CriminalFingerRow.template)
            .where(CriminalFingerRow.subject_id == sid))} for sid, ucn in new}
    assert len(probes) == enrolments
    for ucn, probe in probes.items():
        assert fresh.deps.engine.identify("cjis", probe).hit.subject_id == ucn


def _count(hub, table) -> int:
    with hub.db.session() as s:
        return s.scalar(select(func.count()).select_from(table))
