"""Workers: the loop that drains the outbox, and the ways to run it beside an API server.

``scomm work`` runs :func:`work` in the foreground; ``scomm serve`` starts worker
processes (:class:`WorkerProcesses`) that exit when the server does, however it
ends; tests run the loop in a thread (:class:`WorkerThread`).
"""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

from .bus import Bus

log = logging.getLogger(__name__)
POLL_S = 0.25


def work(bus: Bus[Any], stop: threading.Event, *, follow: bool = True,
         on_steps: Callable[[int], None] | None = None, poll_s: float = POLL_S) -> int:
    """Run due steps until ``stop`` is set; without ``follow``, until no step is owed (a
    step claimed by a worker that died is taken over when its lease runs out)."""
    total = 0
    while not stop.is_set():
        done = bus.drain(stop=stop)
        total += done
        if done and on_steps:
            on_steps(done)
        if not done:
            if not follow and not bus.backlog():
                break
            stop.wait(poll_s)
    return total


def stop_on_signals(stop: threading.Event) -> None:
    """SIGTERM and SIGINT set ``stop``: the current step finishes or is abandoned whole
    (its claim lapses), then the loop ends. A second signal exits at once."""
    def handle(signum: int, _frame: FrameType | None) -> None:
        if stop.is_set():
            os._exit(128 + signum)
        stop.set()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, handle)


class WorkerThread:
    """The loop in a thread of this process (tests; a small embedded hub)."""

    def __init__(self, bus: Bus[Any]):
        self._stop = threading.Event()
        self._thread = threading.Thread(target=work, args=(bus, self._stop), name="scomm-worker",
                                        daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 30) -> None:
        self._stop.set()
        self._thread.join(timeout=timeout)


class WorkerProcesses:
    """``count`` child processes running ``scomm work --follow`` on ``database_url``.

    Each watches this process and exits when it goes (even by SIGKILL); :meth:`stop`
    sends SIGTERM and waits, then kills what is left."""

    def __init__(self, database_url: str, count: int):
        self.database_url, self.count = database_url, count
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self) -> None:
        cmd = [sys.executable, "-m", "scomm.cli", "work", "--follow", "--quiet",
               "--exit-with-parent", str(os.getpid())]
        env = {**os.environ, "SCOMM_DATABASE_URL": self.database_url}
        self.procs = [subprocess.Popen(cmd, env=env) for _ in range(self.count)]

    def stop(self, timeout: float = 30) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
