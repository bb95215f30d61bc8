"""Real processes on one database (issue 9): an API server with its worker beside
`scomm work`, parallel submissions waiting for the chain, kills and restarts, and
shutdowns that leave no process behind. SQLite and PostgreSQL.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from scomm.bench import chaos
from scomm.bootstrap import bootstrap
from scomm.messages import EventKind, TxState
from scomm.processes import wait_healthy
from scomm.statistics.facts import booking_facts
from scomm.statistics.monthly import monthly_table
from scomm.storage.tables import EventRow, PersonRow
from scomm.world.booking import BookingOrder, make_car
from scomm.world.prints import parallel_map
from scomm.world.stream import person_of

from ..accounts import bearer
from .conftest import ACTIVE_2008, world_of_its_own

pytestmark = pytest.mark.slow


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh_url(request, seeded_sqlite, tmp_path):
    """A database of its own holding the seeded world."""
    return world_of_its_own(request.param, seeded_sqlite, tmp_path, "scomm_procs")


def scomm(*args: str, url: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "scomm.cli", *args],
                            env={**os.environ, "SCOMM_DATABASE_URL": url,
                                 "SCOMM_STEP_LEASE_SECONDS": "4"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def serve(url: str, port: int, workers: int = 1) -> subprocess.Popen[bytes]:
    proc = scomm("serve", "--port", str(port), "--workers", str(workers), url=url)
    try:
        wait_healthy(proc, port, 90)
    except RuntimeError as exc:
        raise AssertionError(proc.stderr.read().decode() if proc.stderr else str(exc)) from exc
    return proc


def submitter(url: str) -> dict[str, str]:
    """Bearer headers of the booking agency (Harris County's sheriff) on this database."""
    hub = bootstrap(database_url=url)
    try:
        return bearer(hub, "booking-agency", ori=hub.deps.jurisdictions.sheriff_ori(ACTIVE_2008))
    finally:
        hub.db.engine.dispose()


def bookings(url: str, n: int, first_impression: int) -> list[bytes]:
    hub = bootstrap(database_url=url)
    with hub.db.read() as s:
        people = [person_of(p) for p in s.scalars(select(PersonRow).order_by(PersonRow.id))]
    ori = hub.deps.jurisdictions.sheriff_ori(ACTIVE_2008)
    hub.db.engine.dispose()
    orders = [BookingOrder(people[i % len(people)], ori, date(2012, 2, 1 + i % 27), ("2303",),
                           impression=first_impression + i) for i in range(n)]
    return list(parallel_map(make_car, orders))


def test_a_server_with_its_worker_beside_scomm_work_completes_parallel_bookings_once(fresh_url):
    """Observation 1 and 2: four, then eight, parallel ?wait=true bookings with two
    workers racing; all done, counted, no step failed; /health answers meanwhile.
    (`scomm bench chaos` runs the same at any scale.)"""
    port = chaos._free_port()
    server, worker = serve(fresh_url, port), scomm("work", "--follow", url=fresh_url)
    raws = bookings(fresh_url, 12, 4100)
    agency = submitter(fresh_url)
    health: list[float] = []
    stop = threading.Event()

    def probe() -> None:
        with httpx.Client() as c:
            while not stop.is_set():
                t0 = time.perf_counter()
                c.get(f"http://127.0.0.1:{port}/health", timeout=30)
                health.append(time.perf_counter() - t0)
                time.sleep(0.05)
    prober = threading.Thread(target=probe)
    prober.start()
    answers: list[httpx.Response] = []
    try:
        with httpx.Client(timeout=600) as c, ThreadPoolExecutor(20) as pool:
            post = lambda raw: c.post(f"http://127.0.0.1:{port}/transactions?wait=true",  # noqa: E731
                                      content=raw, headers=agency)
            answers = list(pool.map(post, raws[:4])) + list(pool.map(post, raws[4:]))
    finally:
        stop.set()
        prober.join()
        for p in (server, worker):
            p.send_signal(signal.SIGTERM)
        codes = [p.wait(timeout=60) for p in (server, worker)]
    assert codes == [0, 0], "SIGTERM stops the server (and its worker) and `scomm work` cleanly"
    assert [a.status_code for a in answers] == [202] * 12
    assert {a.json()["state"] for a in answers} == {TxState.DONE}
    hub = bootstrap(database_url=fresh_url)
    with hub.db.read() as s:
        failed = s.scalar(select(func.count()).select_from(EventRow).where(
            EventRow.kind.in_([EventKind.STEP_FAILED, EventKind.STEP_PARKED])))
        facts = booking_facts(s)
    assert failed == 0
    table = monthly_table(facts, "2012-02", hub.deps.jurisdictions, public=False)
    assert table.national.cells["month.submissions.total"] == 12, "every booking counted once"
    assert max(health) < 2.0, f"/health took {max(health):.2f} s while the chain ran"
    hub.db.engine.dispose()


def test_chaos_kills_lose_and_duplicate_nothing(fresh_url, tmp_path):
    cfg = chaos.ChaosConfig(transactions=10, kills=3, workers=2, servers=2, database=fresh_url,
                            people=6, clients=4, lease_seconds=3, stall_seconds=120,
                            workdir=tmp_path / "chaos")
    result = chaos.run(cfg)
    assert result["ok"], result
    assert result["states"] == {TxState.DONE: 10}
    assert sum(result["kills_done"].values()) >= 1


def _tree(pid: int) -> set[int]:
    return chaos.descendants(pid)


def _wait_for_children(pid: int, at_least: int, timeout: float = 120) -> set[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        kids = _tree(pid)
        if len(kids) >= at_least:
            return kids
        time.sleep(0.2)
    raise AssertionError(f"process {pid} did not start {at_least} children")


def _gone(pids: set[int], timeout: float = 10) -> set[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive = {p for p in pids if Path(f"/proc/{p}").exists()
                 and "zombie" not in _state(p)}
        if not alive:
            return set()
        time.sleep(0.2)
    return alive


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/status").read_text().split("State:")[1].split("\n")[0].lower()
    except (OSError, IndexError):
        return "zombie"


@pytest.fixture(scope="module")
def three_bookings(seeded_sqlite) -> list[bytes]:
    return bookings(f"sqlite:///{seeded_sqlite}", 3, 4300)


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
@pytest.mark.parametrize("command", ["serve", "work", "submit"])
def test_no_process_outlives_its_parent(seeded_sqlite, three_bookings, tmp_path, command, how):
    """Observation 5: the WSQ decoders (and a server's workers) end with their parent."""
    shutil.copy(seeded_sqlite, tmp_path / "orphans.db")
    url = f"sqlite:///{tmp_path / 'orphans.db'}"
    raws = three_bookings
    files = []
    for i, raw in enumerate(raws):
        files.append(tmp_path / f"o{i}.an2")
        files[-1].write_bytes(raw)
    if command == "work":
        hub = bootstrap(database_url=url)
        for raw in raws:
            hub.receive(raw)
        hub.db.engine.dispose()
    family: set[int] = set()
    proc = None
    try:
        if command == "serve":
            port = chaos._free_port()
            proc = serve(url, port, workers=1)
            httpx.post(f"http://127.0.0.1:{port}/transactions", content=raws[0], timeout=120,
                       headers=submitter(url))
            expected = 2    # the worker and its WSQ decoder
        elif command == "work":
            proc = scomm("work", url=url)
            expected = 1    # the WSQ decoder
        else:
            proc = scomm("submit", *map(str, files), url=url)
            expected = 1
        family = _wait_for_children(proc.pid, expected)
        proc.send_signal(how)
        proc.wait(timeout=60)
        assert not _gone(family), f"left running after {how.name} of `scomm {command}`"
    finally:   # whatever failed above, leave nothing behind for the next test
        for pid in family | ({proc.pid} if proc else set()):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
