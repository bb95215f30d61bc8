"""Child processes that never outlive their parent.

A process killed with SIGKILL cannot stop its children, and a pool's workers
blocked on their queue do not notice that the parent is gone. So every child
the hub starts watches its parent: when it is re-parented (the parent died), it
exits at once.

Pool workers come from a fork server (a fresh interpreter started on first use),
never from a fork of the hub: a fork copies native thread pools mid-use (OpenVINO's,
running LEADER for another thread) and the child deadlocks or crashes. The server
exits when the hub dies, and its children, re-parented, follow. Children see the
environment the server started with: pass a worker what it needs in its job.
"""
from __future__ import annotations

import multiprocessing
import os
import subprocess
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

WATCH_INTERVAL_S = 0.5


def exit_with_parent(parent_pid: int | None = None, interval: float = WATCH_INTERVAL_S) -> None:
    """Start a daemon thread that ends this process when ``parent_pid`` is no longer its parent."""
    parent = parent_pid or os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        os._exit(1)   # nothing to flush that matters: the parent's work is lost with it

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()


# imported once by the fork server, so that its children start with them (no OpenVINO state:
# LEADER's network is built on first use, in the child)
PRELOAD = ["scomm.world.prints", "scomm.simulation.bookings"]


def process_pool(max_workers: int) -> ProcessPoolExecutor:
    """A process pool (from the fork server) whose workers exit when this process dies."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    return ProcessPoolExecutor(max_workers=max_workers, mp_context=ctx, initializer=exit_with_parent)


def ray_connect(address: str) -> None:
    """Join the Ray cluster at ``address`` ("local": start one on this machine) once per process."""
    import ray
    if not ray.is_initialized():
        ray.init(address=None if address == "local" else address, include_dashboard=False, log_to_driver=False,
                 configure_logging=False)


_REMOTE: dict[Callable[..., Any], Any] = {}


def ray_map(fn: Callable[..., Any], jobs: list[tuple[Any, ...]]) -> list[Any]:
    """``fn`` over the argument tuples as Ray tasks (one CPU each), answers in order."""
    import ray
    if fn not in _REMOTE:
        _REMOTE[fn] = ray.remote(num_cpus=1)(fn)
    return ray.get([_REMOTE[fn].remote(*job) for job in jobs])


def wait_healthy(proc: subprocess.Popen[bytes], port: int, timeout: float = 120, what: str = "server") -> None:
    """Wait until the server ``proc`` started answers ``GET /health`` on ``port``; RuntimeError
    if it exits first or does not answer within ``timeout`` seconds."""
    import httpx
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not answer /health in {timeout:.0f} s")
