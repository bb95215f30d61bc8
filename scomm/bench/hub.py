"""``scomm bench hub``: bookings per second through the whole chain (intake's extraction,
CJIS, IDENT, LESC, the field office), with 1 and then 2 worker processes.

A world of ``people`` is seeded once; ``bookings`` tenprint submissions of them (and of
people never seen) are made before any timing. For each worker count the seeded
database is copied, every submission is stored (as the API stores it), and then
``scomm work`` processes run the chain until every transaction is finished. The rate
counts from the workers' start (their start-up included) to the last transaction done
(workers take intake first, so transactions finish late and together). Stage times are
the steps' own (median ms, from the events). With ``--engine serve`` the workers call one
``scomm engine serve`` instead of each searching its own galleries; with ``--ray`` its
shards are Ray actors and the workers extract each booking's fingers as Ray tasks.
"""
from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from ..bootstrap import bootstrap
from ..config import Settings
from ..messages import TxState
from ..processes import ray_connect, wait_healthy
from ..storage.tables import EventRow, TransactionRow
from ..worker import WorkerProcesses
from ..world.booking import make_car
from ..world.prints import parallel_map
from ..world.seed import seed_world
from ..world.stream import booking_stream
from .chaos import _free_port
from .fvc import machine_info

FINISHED = (TxState.DONE, TxState.REJECTED, TxState.ERROR)


def _seeded(folder: Path, people: int, extractor: str, progress) -> Path:
    path = folder / "world.db"
    hub = bootstrap(Settings(database_url=f"sqlite:///{path}", extractor=extractor, key_dir=folder / "keys"))
    with hub.db.session() as s:
        seed_world(s, hub.deps.jurisdictions, people, 11, progress=lambda k: progress("seeding", k, people),
                   extractor=extractor)
    hub.db.engine.dispose()
    return path


def _bookings(path: Path, n: int, folder: Path) -> list[bytes]:
    hub = bootstrap(Settings(database_url=f"sqlite:///{path}", key_dir=folder / "keys"))
    with hub.db.session() as s:
        orders = booking_stream(s, hub.deps.jurisdictions, n, seed=11)
    hub.db.engine.dispose()
    return list(parallel_map(make_car, orders))


def _engine_server(env: dict[str, str], port: int, ray: str | None) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "scomm.cli", "engine", "serve", "--port", str(port)]
    proc = subprocess.Popen(cmd + (["--ray", ray] if ray else []), env=env, stdout=subprocess.DEVNULL)
    try:
        wait_healthy(proc, port, 300, "the engine")
    except RuntimeError:
        proc.kill()
        raise
    return proc


def _one_run(seeded: Path, raws: list[bytes], workers: int, folder: Path, extractor: str,
             engine: str, ray: str | None) -> dict[str, Any]:
    run_dir = folder / f"w{workers}"
    run_dir.mkdir()
    db_path = run_dir / "scomm.db"
    shutil.copy(seeded, db_path)
    env = {"SCOMM_DATABASE_URL": f"sqlite:///{db_path}", "SCOMM_EXTRACTOR": extractor,
           "SCOMM_KEY_DIR": str(folder / "keys"), "SCOMM_STEP_LEASE_SECONDS": "30"}
    if ray:     # the workers extract on the cluster, the engine's shards live there
        env |= {"SCOMM_RAY_ADDRESS": ray, "SCOMM_RAY_EXTRACTION": "true"}
    saved = {k: os.environ.get(k) for k in [*env, "SCOMM_ENGINE_URL"]}
    os.environ.update(env)
    server = None
    try:
        if engine == "serve":
            port = _free_port()
            server = _engine_server({**os.environ, "SCOMM_RAY_EXTRACTION": "false"}, port, ray)
            os.environ["SCOMM_ENGINE_URL"] = f"http://127.0.0.1:{port}"
        hub = bootstrap(Settings(ray_extraction=False))
        ids = [hub.receive(raw, f"bench-{k}.an2").transaction_id for k, raw in enumerate(raws)]
        procs = WorkerProcesses(env["SCOMM_DATABASE_URL"], workers)
        t0, wall0 = time.perf_counter(), time.time()
        procs.start()
        try:
            while True:
                with hub.db.read() as s:
                    left = s.scalar(select(func.count()).select_from(TransactionRow).where(
                        TransactionRow.id.in_(ids), TransactionRow.state.not_in(FINISHED)))
                if not left:
                    break
                time.sleep(0.5)
            wall = time.perf_counter() - t0
        finally:
            procs.stop()
        return {"workers": workers, **_figures(hub, ids, wall, wall0)}
    finally:
        if server is not None:
            server.terminate()
            server.wait(60)
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _figures(hub, ids: list[int], wall: float, wall0: float) -> dict[str, Any]:
    with hub.db.read() as s:
        states = dict(s.execute(select(TransactionRow.state, func.count()).where(TransactionRow.id.in_(ids))
                                .group_by(TransactionRow.state)).all())
        first = s.scalar(select(func.min(EventRow.at)).where(EventRow.transaction_id.in_(ids),
                                                             EventRow.elapsed_ms.is_not(None)))
        stages: dict[str, list[float]] = defaultdict(list)
        for actor, ms in s.execute(select(EventRow.actor, EventRow.elapsed_ms).where(
                EventRow.transaction_id.in_(ids), EventRow.elapsed_ms.is_not(None))):
            stages[str(actor)].append(ms)
    return {"bookings": len(ids), "states": {str(k): v for k, v in states.items()}, "wall_seconds": wall,
            "bookings_per_second": len(ids) / wall,
            "first_step_done_after_s": first.timestamp() - wall0 if first else None,
            "stage_median_ms": {a: statistics.median(v) for a, v in sorted(stages.items())}}


def run(bookings: int = 40, workers: tuple[int, ...] = (1, 2), people: int = 40, extractor: str = "leader",
        engine: str = "local", ray: str | None = None, progress=lambda msg, done, total: None) -> dict[str, Any]:
    if engine not in ("local", "serve"):
        raise ValueError("engine: local (each worker searches its own galleries) or serve")
    if ray:     # one cluster for the engine's shards and the workers' extraction tasks
        import ray as ray_module
        ray_connect(ray)
        ray = ray_module.get_runtime_context().gcs_address
    with tempfile.TemporaryDirectory(prefix="scomm-bench-hub-") as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        seeded = _seeded(folder, people, extractor, progress)
        raws = _bookings(seeded, bookings, folder)
        prepare_s = time.perf_counter() - t0
        runs = []
        for w in workers:
            progress(f"{w} worker(s)", 0, 1)
            runs.append(_one_run(seeded, raws, w, folder, extractor, engine, ray))
    base = runs[0]["bookings_per_second"]
    return {
        "benchmark": "hub", "extractor": extractor, "engine": engine, "ray": ray, "people": people,
        "bookings": bookings, "prepare_seconds": prepare_s, "runs": runs,
        "growth": {str(r["workers"]): r["bookings_per_second"] / base for r in runs},
        "note": "rate from the workers' start (their start-up included) to the last transaction finished",
        "machine": {**machine_info(), "date": date.today().isoformat()},
    }


def render(r: dict[str, Any], console) -> None:
    from rich.table import Table
    t = Table("workers", "bookings", "wall (s)", "bookings/s", "growth", "first step (s)", "stage medians (ms)",
              title=f"the hub's throughput ({r['extractor']} extractor, engine {r['engine']})")
    for run in r["runs"]:
        first = run["first_step_done_after_s"]
        t.add_row(str(run["workers"]), str(run["bookings"]), f"{run['wall_seconds']:.1f}",
                  f"{run['bookings_per_second']:.2f}", f"{r['growth'][str(run['workers'])]:.2f}",
                  f"{first:.1f}" if first is not None else "-",
                  ", ".join(f"{a} {v:.0f}" for a, v in run["stage_median_ms"].items()))
    console.print(t)
