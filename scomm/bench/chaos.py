"""``scomm bench chaos``: bookings through several API servers and workers on one
database while processes are killed (SIGKILL) and restarted; then an audit, from the
database, that every accepted transaction was done exactly once.

The bookings are real CARs (rendered synthetic prints, WSQ) of a seeded world's
people and of people never seen before, each booked several times, so concurrent
workers meet the same rap sheet, the same IDENT identity and the same new person
at once. Submissions go over HTTP (some waiting for the whole chain) and through
``scomm submit``; a client whose server dies sends the same bytes again (the hub
recognises them). A prober measures ``GET /health`` all along.
"""
from __future__ import annotations

import hashlib
import os
import platform
import queue
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from rich.table import Table
from sqlalchemy import select

from .. import interchange as nist
from ..application import accounts
from ..biometrics.synth import subject_tenprint
from ..bootstrap import Hub, bootstrap
from ..config import Settings
from ..domain import ncic
from ..interchange.images import encode_wsq
from ..messages import FINAL_STATES, EventKind, ResponseKind, TxState
from ..processes import wait_healthy
from ..security.principal import Role, system
from ..storage.tables import CaseRow, CriminalSubjectRow, EventRow, OutboxRow, PersonRow, ResponseRow, TransactionRow
from ..world.people import Person
from ..world.prints import parallel_map
from ..world.seed import seed_world
from ..world.stream import new_person, person_of

WORLD_SEED = 901
COUNTY = "48201"            # Harris County, TX: activated 2008-10-27, so every booking reaches IDENT
FIRST_DAY = date(2011, 1, 3)
CHARGES = ("2303", "1313", "3562", "5707", "1399")


@dataclass
class ChaosConfig:
    transactions: int = 200
    kills: int = 10
    workers: int = 2
    servers: int = 2
    database: str | None = None
    people: int = 40              # distinct people booked (a quarter never seen before)
    clients: int = 6              # concurrent HTTP submitters
    cli_share: float = 0.05       # of bookings sent with `scomm submit`
    wait_share: float = 0.1       # of HTTP bookings sent with ?wait=true
    lease_seconds: float = 5.0    # the children's step lease: a killed worker's step is retaken after this
    stall_seconds: float = 180.0  # give up waiting when nothing finishes for this long
    seed: int = 1
    workdir: Path | None = None


@dataclass
class Booking:
    index: int
    person_id: str
    raw: bytes
    sha256: str
    via: str                      # http | http-wait | cli
    answer: int | None = None     # HTTP status (or CLI exit) of the final answer
    transaction: int | None = None


@dataclass
class Child:
    role: str                     # server | worker
    index: int
    port: int | None = None
    proc: subprocess.Popen[bytes] | None = None
    up_at: float = 0.0


@dataclass
class Run:
    cfg: ChaosConfig
    url: str
    workdir: Path
    bookings: list[Booking] = field(default_factory=list)
    children: list[Child] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    health_ms: list[float] = field(default_factory=list)
    health_failures: Counter = field(default_factory=Counter)
    answers: Counter = field(default_factory=Counter)
    retries: Counter = field(default_factory=Counter)
    kills: Counter = field(default_factory=Counter)
    seen_pids: set[int] = field(default_factory=set)
    stop: threading.Event = field(default_factory=threading.Event)
    client_id: str = ""           # the livescan station's OAuth2 client credentials
    client_secret: str = ""
    token: str = ""


# ---------------------------------------------------------------- the bookings

def _render(job: tuple[int, int]) -> dict[int, tuple[Any, bytes]]:
    fingers = subject_tenprint(*job)
    return {f: (px, encode_wsq(px)) for f, px in fingers.items()}


def make_bookings(hub: Hub, cfg: ChaosConfig, progress: Callable[[str], None]) -> list[Booking]:
    """``cfg.transactions`` CARs of ``cfg.people`` people, prints rendered once per person."""
    rng = random.Random(cfg.seed)
    known_n = cfg.people - cfg.people // 4
    with hub.db.session() as s:
        have = s.scalar(select(PersonRow.id).where(PersonRow.id.like(f"P{WORLD_SEED:04d}-%"))
                        .order_by(PersonRow.id.desc()).limit(1))
        count = int(have.split("-")[1]) + 1 if have else 0
        if count < known_n:
            progress(f"seeding {known_n - count} people")
            seed_world(s, hub.deps.jurisdictions, known_n - count, WORLD_SEED,
                       extractor=hub.deps.extractor)
        known = [person_of(p) for p in s.scalars(select(PersonRow).where(
            PersonRow.id.like(f"P{WORLD_SEED:04d}-%")).order_by(PersonRow.id).limit(known_n))]
        fresh = [new_person(s, 900_000 + cfg.seed * 1000 + i) for i in range(cfg.people - known_n)]
    people: list[Person] = known + fresh
    progress(f"rendering the prints of {len(people)} people")
    prints = list(parallel_map(_render, [(p.seed, 5000 + cfg.seed) for p in people]))
    ori = hub.deps.jurisdictions.sheriff_ori(COUNTY)
    bookings = []
    for i in range(cfg.transactions):
        k = rng.randrange(len(people))
        p, fp = people[k], prints[k]
        day = FIRST_DAY + timedelta(days=i % 900)
        charges = [nist.Charge(c, ncic.offence(c).description) for c in
                   rng.sample(CHARGES, rng.randint(1, 2))]
        raw = nist.encode_car(
            tcn=f"CH{cfg.seed:02d}{i:08d}", ori=ori, dai="SCOMMSIB0", date=day, name=p.name,
            dob=p.dob, sex=p.sex, race=p.race, pob=p.pob, arrest_date=day, charges=charges,
            fingers={f: px for f, (px, _) in fp.items()},
            compressed={f: data for f, (_, data) in fp.items()})
        r = rng.random()
        via = "cli" if r < cfg.cli_share else "http-wait" if r < cfg.cli_share + cfg.wait_share \
            else "http"
        bookings.append(Booking(i, p.id, raw, hashlib.sha256(raw).hexdigest(), via))
    return bookings


# ---------------------------------------------------------------- the processes

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(run: Run) -> dict[str, str]:
    return {**os.environ, "SCOMM_DATABASE_URL": run.url,
            "SCOMM_STEP_LEASE_SECONDS": str(run.cfg.lease_seconds), "PYTHONUNBUFFERED": "1"}


def start(run: Run, child: Child) -> None:
    base = [sys.executable, "-m", "scomm.cli"]
    watch = ["--exit-with-parent", str(os.getpid())]
    if child.role == "server":
        cmd = base + ["serve", "--port", str(child.port), "--workers", "0", *watch]
    else:
        cmd = base + ["work", "--follow", "--quiet", *watch]
    log = open(run.workdir / f"{child.role}{child.index}.log", "ab")
    child.up_at = float("inf")    # not probed until it answers
    child.proc = subprocess.Popen(cmd, env=_env(run), stdout=log, stderr=log)
    log.close()
    if child.role == "server":
        _wait_healthy(child)


def _wait_healthy(child: Child, timeout: float = 120) -> None:
    assert child.proc is not None and child.port is not None
    wait_healthy(child.proc, child.port, timeout, f"server {child.index}")
    child.up_at = time.monotonic()


def _alive(child: Child) -> bool:
    return child.proc is not None and child.proc.poll() is None


def descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (from /proc)."""
    parents: dict[int, int] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
                parents[int(d.name)] = int(stat.rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    out: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {p for p, pp in parents.items() if pp in frontier} - out
        out |= frontier
    return out


# ---------------------------------------------------------------- the actors

def _servers_up(run: Run) -> list[Child]:
    return [c for c in run.children if c.role == "server" and _alive(c)]


def _bearer(run: Run, client: httpx.Client, port: int | None, renew: bool = False) -> dict[str, str]:
    """The livescan station's bearer token (client credentials), asked again when refused."""
    with run.lock:
        if run.token and not renew:
            return {"Authorization": f"Bearer {run.token}"}
    r = client.post(f"http://127.0.0.1:{port}/auth/token", timeout=60, data={
        "grant_type": "client_credentials", "client_id": run.client_id, "client_secret": run.client_secret})
    r.raise_for_status()
    with run.lock:
        run.token = r.json()["access_token"]
        return {"Authorization": f"Bearer {run.token}"}


def submit_http(run: Run, work: queue.Queue[Booking], client: httpx.Client) -> None:
    renew = False
    while True:
        try:
            b = work.get_nowait()
        except queue.Empty:
            return
        while True:
            servers = _servers_up(run)
            if not servers:
                time.sleep(0.2)
                continue
            c = random.choice(servers)
            params = {"filename": f"chaos{b.index}.an2", "wait": str(b.via == "http-wait").lower()}
            try:
                headers = _bearer(run, client, c.port, renew)
                r = client.post(f"http://127.0.0.1:{c.port}/transactions", content=b.raw,
                                params=params, timeout=600, headers=headers)
            except httpx.HTTPError:
                with run.lock:
                    run.retries["connection"] += 1
                time.sleep(0.2)   # the server died mid-request: send the same bytes again
                continue
            with run.lock:
                run.answers[r.status_code] += 1
            renew = r.status_code == 401      # the token expired (15 minutes): ask again
            if renew:
                continue
            if r.status_code == 503:
                with run.lock:
                    run.retries["503"] += 1
                time.sleep(min(2.0, float(r.headers.get("Retry-After", "1"))))
                continue
            if r.status_code >= 500:
                with run.lock:
                    run.retries["5xx"] += 1
                time.sleep(0.5)
                continue
            b.answer, b.transaction = r.status_code, r.json().get("transaction")
            break


def submit_cli(run: Run, hub: Hub, batch: list[Booking]) -> None:
    """``scomm submit --no-wait`` on a few files, again until the database holds them all."""
    files = {}
    for b in batch:
        f = run.workdir / f"cli{b.index}.an2"
        f.write_bytes(b.raw)
        files[b.sha256] = str(f)
    while files:
        proc = subprocess.run([sys.executable, "-m", "scomm.cli", "submit", "--no-wait",
                               *files.values()], env=_env(run), capture_output=True, timeout=900)
        with run.lock:
            run.answers[f"cli-exit-{proc.returncode}"] += 1
        with hub.db.read() as s:
            stored = set(s.scalars(select(TransactionRow.sha256).where(
                TransactionRow.sha256.in_(list(files)))))
        for b in batch:
            if b.sha256 in stored and b.sha256 in files:
                b.answer = proc.returncode
                del files[b.sha256]
        if files:
            with run.lock:
                run.retries["cli"] += 1


def probe_health(run: Run) -> None:
    clients: dict[int, httpx.Client] = {}
    while not run.stop.is_set():
        up = [c for c in _servers_up(run) if time.monotonic() - c.up_at > 1.0]
        if up:
            c = random.choice(up)
            proc = c.proc
            client = clients.setdefault(c.port or 0, httpx.Client(timeout=10))
            t0 = time.perf_counter()
            try:
                why = None if client.get(f"http://127.0.0.1:{c.port}/health").status_code == 200 \
                    else "status"
            except httpx.HTTPError as exc:
                why = type(exc).__name__
            ms = (time.perf_counter() - t0) * 1000
            if why is not None:
                time.sleep(0.5)   # a server being killed closes its sockets before it is reaped
            with run.lock:
                if why is None:
                    run.health_ms.append(ms)
                elif c.proc is proc and proc is not None and proc.poll() is None:
                    run.health_failures[why] += 1   # not a server killed under the probe
        _track(run)
        time.sleep(0.05)
    for client in clients.values():
        client.close()


def _track(run: Run) -> None:
    if random.random() < 0.1:
        pids = descendants(os.getpid())
        with run.lock:
            run.seen_pids |= pids


def chaos_monkey(run: Run, finished: Callable[[], int]) -> None:
    """Kill a random server or worker (SIGKILL) each time another 1/(K+1) of the
    bookings is finished, and start it again."""
    cfg, done = run.cfg, 0
    rng = random.Random(cfg.seed + 7)
    while done < cfg.kills and not run.stop.is_set():
        if finished() < (done + 1) * cfg.transactions / (cfg.kills + 1):
            time.sleep(0.25)
            continue
        victim = rng.choice([c for c in run.children if _alive(c)])
        assert victim.proc is not None
        victim.proc.kill()
        victim.proc.wait()
        with run.lock:
            run.kills[victim.role] += 1
        done += 1
        time.sleep(rng.uniform(0.2, 1.5))
        start(run, victim)


# ---------------------------------------------------------------- the audit

def finished_count(hub: Hub, shas: list[str]) -> int:
    with hub.db.read() as s:
        return len(set(s.scalars(select(TransactionRow.sha256).where(
            TransactionRow.sha256.in_(shas), TransactionRow.state.in_(sorted(FINAL_STATES))))))


def audit(hub: Hub, bookings: list[Booking]) -> dict[str, Any]:
    """From the database: was every booking stored once and done exactly once?"""
    by_sha = {b.sha256: b for b in bookings}
    with hub.db.read() as s:
        txs = list(s.scalars(select(TransactionRow).where(TransactionRow.sha256.in_(list(by_sha)))))
        ids = [t.id for t in txs]
        responses = Counter((r.transaction_id, r.kind) for r in s.scalars(
            select(ResponseRow).where(ResponseRow.transaction_id.in_(ids))))
        sre_ucn = {r.transaction_id: r.summary.get("ucn") for r in s.scalars(
            select(ResponseRow).where(ResponseRow.transaction_id.in_(ids),
                                      ResponseRow.kind == ResponseKind.SRE))}
        idr_match = {r.transaction_id: r.summary.get("match") for r in s.scalars(
            select(ResponseRow).where(ResponseRow.transaction_id.in_(ids),
                                      ResponseRow.kind == ResponseKind.IDR))}
        events = Counter((e.transaction_id, e.kind) for e in s.scalars(
            select(EventRow).where(EventRow.transaction_id.in_(ids))))
        cases = Counter(c.transaction_id for c in s.scalars(
            select(CaseRow).where(CaseRow.transaction_id.in_(ids))))
        outbox = list(s.scalars(select(OutboxRow).where(OutboxRow.transaction_id.in_(ids))))
        arrests = Counter((a["ori"], a["tcn"]) for sheet in s.scalars(select(CriminalSubjectRow.rapsheet))
                          for a in sheet.get("arrests", []))
    stored = Counter(t.sha256 for t in txs)
    steps_open = defaultdict(list)
    for o in outbox:
        if o.done_at is None:
            steps_open[o.transaction_id].append(o)
    duplicated: Counter = Counter()
    incomplete: Counter = Counter()
    for t in txs:
        if not t.accepted:
            continue
        for kind in ResponseKind:
            if responses[(t.id, kind)] > 1:
                duplicated[f"{kind} responses"] += 1
        if cases[t.id] > 1:
            duplicated["cases"] += 1
        if events[(t.id, EventKind.IDENTIFIED)] + events[(t.id, EventKind.ENROLLED)] > 1:
            duplicated["CJIS decisions"] += 1
        if events[(t.id, EventKind.MATCH)] + events[(t.id, EventKind.NO_MATCH)] > 1:
            duplicated["IDENT decisions"] += 1
        if arrests[(t.ori, t.tcn)] > 1:
            duplicated["rap-sheet arrests"] += 1
        if t.state == TxState.DONE:
            if responses[(t.id, ResponseKind.SRE)] != 1 or arrests[(t.ori, t.tcn)] != 1:
                incomplete["no SRE or no arrest on the rap sheet"] += 1
            forwarded = events[(t.id, EventKind.FORWARDED_TO_IDENT)] > 0
            if forwarded != (responses[(t.id, ResponseKind.IDR)] == 1):
                incomplete["forwarded without an IDR"] += 1
            if idr_match.get(t.id) and (responses[(t.id, ResponseKind.IAR)] != 1 or cases[t.id] != 1):
                incomplete["IDENT match without IAR or case"] += 1
    errors = [t for t in txs if t.state == TxState.ERROR]
    ucns_of: dict[str, set[str | None]] = defaultdict(set)
    for t in txs:
        if t.id in sre_ucn:
            ucns_of[by_sha[t.sha256].person_id].add(sre_ucn[t.id])
    states = Counter(str(t.state) for t in txs)
    return {
        "submitted": len(bookings),
        "stored": len(stored),
        "lost": sum(1 for b in bookings if b.sha256 not in stored),
        "stored_twice": sum(1 for n in stored.values() if n > 1),
        "states": dict(states),
        "duplicated": sum(duplicated.values()),
        "duplicated_detail": dict(duplicated),
        "incomplete": sum(incomplete.values()),
        "incomplete_detail": dict(incomplete),
        "stuck": sum(1 for t in txs if t.state not in FINAL_STATES),
        "error": len(errors),
        "wrongly_in_error": sum(1 for t in errors if not steps_open[t.id]),
        "error_reasons": dict(Counter(o.last_error or "" for t in errors for o in steps_open[t.id])),
        "rejected": states.get(TxState.REJECTED, 0),
        "people_with_two_ucns": sum(1 for u in ucns_of.values() if len(u) > 1),
    }


# ---------------------------------------------------------------- the run

def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    v = sorted(values)
    return round(v[min(len(v) - 1, int(q * len(v)))], 2)


def _drive(r: Run, hub: Hub, progress: Callable[[str], None]) -> float:
    """Start the processes, submit every booking while the monkey kills, wait until all
    are finished (or nothing moves for ``stall_seconds``); the seconds it took."""
    for c in r.children:
        start(r, c)
    shas = [b.sha256 for b in r.bookings]
    started = time.monotonic()
    http: queue.Queue[Booking] = queue.Queue()
    for b in r.bookings:
        if b.via != "cli":
            http.put(b)
    cli = [b for b in r.bookings if b.via == "cli"]
    clients = [httpx.Client() for _ in range(r.cfg.clients)]
    helpers = [threading.Thread(target=probe_health, args=(r,), daemon=True),
               threading.Thread(target=chaos_monkey, args=(r, lambda: finished_count(hub, shas)),
                                daemon=True)]
    submitters = [threading.Thread(target=submit_http, args=(r, http, c), daemon=True)
                  for c in clients]
    submitters += [threading.Thread(target=submit_cli, args=(r, hub, cli[i:i + 5]), daemon=True)
                   for i in range(0, len(cli), 5)]
    for t in helpers + submitters:
        t.start()
    last, last_change = -1, time.monotonic()
    while True:
        n = finished_count(hub, shas)
        if n != last:
            progress(f"{n}/{len(shas)} finished, {sum(r.kills.values())} kill(s)")
            last, last_change = n, time.monotonic()
        if n == len(shas) and not any(t.is_alive() for t in submitters):
            break
        if time.monotonic() - last_change > r.cfg.stall_seconds:
            progress("nothing finished for a while: stopping")
            break
        time.sleep(1)
    elapsed = time.monotonic() - started
    r.stop.set()
    for t in submitters + helpers:
        t.join(timeout=60)
    for client in clients:
        client.close()
    return elapsed


def _stop_children(r: Run) -> None:
    for c in r.children:
        if _alive(c) and c.proc is not None:
            c.proc.send_signal(signal.SIGTERM)
    for c in r.children:
        if c.proc is not None:
            try:
                c.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                c.proc.kill()
                c.proc.wait()


def run(cfg: ChaosConfig, progress: Callable[[str], None] = lambda _m: None) -> dict[str, Any]:
    workdir = cfg.workdir or Path(tempfile.mkdtemp(prefix="scomm-chaos-"))
    workdir.mkdir(parents=True, exist_ok=True)
    url = cfg.database or f"sqlite:///{workdir / 'chaos.db'}"
    hub = bootstrap(Settings(database_url=url))
    bookings = make_bookings(hub, cfg, progress)
    with hub.db.session() as s:
        station = accounts.add_client(s, system("chaos"), "chaos-livescan", accounts.Binding(
            Role.BOOKING_AGENCY, ori=hub.deps.jurisdictions.sheriff_ori(COUNTY)), hub.deps.jurisdictions)
    r = Run(cfg, url, workdir, bookings, client_id=station.client_id, client_secret=station.client_secret)
    r.children = ([Child("server", i, _free_port()) for i in range(cfg.servers)]
                  + [Child("worker", i) for i in range(cfg.workers)])
    progress(f"starting {cfg.servers} server(s) and {cfg.workers} worker(s) on "
             f"{hub.db.dialect}")
    try:
        elapsed = _drive(r, hub, progress)
    finally:   # finished, failed or interrupted: stop every process we started
        r.stop.set()
        _track(r)
        _stop_children(r)
    time.sleep(2.0)   # children of killed processes notice within half a second
    ours = descendants(os.getpid())
    orphans = sorted(p for p in r.seen_pids if Path(f"/proc/{p}").exists() and p not in ours)
    result = audit(hub, bookings)
    done = result["states"].get(TxState.DONE, 0)
    result.update({
        "benchmark": "chaos",
        "database": hub.db.dialect,
        "config": {"transactions": cfg.transactions, "kills": cfg.kills, "workers": cfg.workers,
                   "servers": cfg.servers, "people": cfg.people, "clients": cfg.clients,
                   "cli_share": cfg.cli_share, "wait_share": cfg.wait_share,
                   "lease_seconds": cfg.lease_seconds, "seed": cfg.seed},
        "kills_done": dict(r.kills),
        "elapsed_s": round(elapsed, 1),
        "done_per_s": round(done / elapsed, 3) if elapsed else None,
        "answers": {str(k): v for k, v in r.answers.items()},
        "retries": dict(r.retries),
        "health": {"n": len(r.health_ms), "failures": dict(r.health_failures),
                   "p50_ms": _percentile(r.health_ms, 0.5), "p95_ms": _percentile(r.health_ms, 0.95),
                   "p99_ms": _percentile(r.health_ms, 0.99),
                   "max_ms": round(max(r.health_ms), 2) if r.health_ms else None,
                   "mean_ms": round(statistics.fmean(r.health_ms), 2) if r.health_ms else None},
        "orphans": len(orphans),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "processor": platform.processor() or platform.machine(),
                    "python": platform.python_version()},
        "workdir": str(workdir),
    })
    result["ok"] = all(result[k] == 0 for k in ("lost", "stored_twice", "duplicated", "incomplete",
                                                 "stuck", "wrongly_in_error", "orphans"))
    hub.db.engine.dispose()
    if cfg.workdir is None and result["ok"] and cfg.database:
        shutil.rmtree(workdir, ignore_errors=True)
    return result


def render(result: dict[str, Any], out: Any) -> None:
    t = Table(title=f"chaos on {result['database']}: {result['config']['transactions']} bookings, "
                    f"{sum(result['kills_done'].values())} kills", show_header=False)
    h = result["health"]
    for k, v in [
        ("servers / workers", f"{result['config']['servers']} / {result['config']['workers']}"),
        ("kills (SIGKILL, then restart)", ", ".join(f"{k} {v}" for k, v in result["kills_done"].items())),
        ("stored / submitted", f"{result['stored']} / {result['submitted']}"),
        ("states", ", ".join(f"{k} {v}" for k, v in sorted(result["states"].items()))),
        ("lost / stored twice", f"{result['lost']} / {result['stored_twice']}"),
        ("duplicated / incomplete", f"{result['duplicated']} / {result['incomplete']}"),
        ("stuck / in error (wrongly)", f"{result['stuck']} / {result['error']} ({result['wrongly_in_error']})"),
        ("people given two UCNs", str(result["people_with_two_ucns"])),
        ("orphan processes", str(result["orphans"])),
        ("elapsed, done per second", f"{result['elapsed_s']} s, {result['done_per_s']}"),
        ("/health ms p50 / p95 / p99 / max (n)",
         f"{h['p50_ms']} / {h['p95_ms']} / {h['p99_ms']} / {h['max_ms']} ({h['n']}; failed: "
         f"{sum(h['failures'].values())})"),
        ("answers", ", ".join(f"{k}: {v}" for k, v in sorted(result["answers"].items()))),
        ("client retries", ", ".join(f"{k}: {v}" for k, v in result["retries"].items()) or "-"),
        ("verdict", "exactly once" if result["ok"] else "FAILED"),
    ]:
        t.add_row(k, str(v))
    out.print(t)
