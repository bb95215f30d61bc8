"""``scomm simulate``: replay the rollout month by month through the real pipeline.

Every booking is a real CAR file with rendered prints, submitted with
``hub.submit`` and carried by the bus through CJIS, IDENT, LESC and the field
office into a real database (``DIR/scomm.db`` by default). Rendering (booking
images and enrolment prints) runs in a process pool on every core; the chain
itself runs serially in this process, as the hub's worker would.

A run is resumable: ``DIR/run.json`` records its identity (period start, seed,
scale, policy and parameter files) and the last finished month; running the
same command again continues after that month. A month interrupted halfway is
replayed from its deterministic plan, skipping bookings already submitted
(the hub's exactly-once intake would also refuse them).
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from ..bootstrap import Hub, bootstrap
from ..config import Settings
from ..domain.policyset import PolicySet
from ..processes import process_pool
from ..statistics.counts import national_summary
from ..statistics.facts import booking_facts
from ..storage.tables import TransactionRow
from ..world.booking import tcn_for
from . import published
from .aftermath import run_aftermath
from .bookings import earlier_people, enrol, month_count, months, plan_month, render_cached
from .parameters import CALIBRATION_NOTE, default_path, load_parameters

CITIZEN_PROFILES = {"citizen", "naturalised", "naturalised-unrecorded"}
FIRST_MONTH, LAST_MONTH = "2008-10", "2014-11"


class RunMismatch(ValueError):
    """DIR holds a different run (another seed, scale, policy or parameter file)."""


@dataclass(frozen=True)
class RunConfig:
    first: str = FIRST_MONTH
    last: str = LAST_MONTH
    scale: float | None = None        # None: the parameter file's default_scale
    seed: int = 1
    out: Path = Path("runs/baseline")
    policy: str | None = None         # a policy file (counterfactual), or the packaged record
    parameters: str | None = None     # a parameter file, or the packaged one
    database: str | None = None       # default sqlite:///DIR/scomm.db
    workers: int | None = None        # rendering processes (default: every core)
    # seeding and intake extraction: the classical extractor by default, for speed (about
    # 4 times faster than LEADER, the hub's default; run.json says which ran)
    extractor: str = "classical"
    render_cache: str | None = None   # directory of rendered prints shared between runs


def _sha(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def run_file(out: Path) -> Path:
    return Path(out) / "run.json"


def load_state(out: Path) -> dict | None:
    p = run_file(out)
    return json.loads(p.read_text()) if p.exists() else None


def _write_state(out: Path, state: dict) -> None:
    tmp = run_file(out).with_suffix(".json.tmp")
    tmp.write_text(json.dumps(state, indent=2, default=str))
    tmp.replace(run_file(out))   # atomic: a crash never leaves half a run.json


@contextmanager
def render_pool(workers: int, cache: str | None = None
                ) -> Iterator[Callable[[Iterable], Iterator]]:
    """An ordered map of ``render`` over one process pool kept for the whole run."""
    if workers <= 1:
        yield lambda jobs: map(render_cached, [(cache, j) for j in jobs])
        return
    pool = process_pool(workers)
    try:
        yield lambda jobs: pool.map(render_cached, [(cache, j) for j in jobs], chunksize=1)
    except BaseException:
        # Interrupted (Ctrl-C) or failed: stop rendering now rather than wait for the queue;
        # the run resumes from the last finished month.
        for proc in list(getattr(pool, "_processes", {}).values()):
            proc.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _identity(cfg: RunConfig, scale: float) -> dict:
    params_path = cfg.parameters or str(default_path())
    return {"from": cfg.first, "seed": cfg.seed, "scale": scale,
            "extractor": cfg.extractor, "parameters_file": params_path, "parameters_sha256": _sha(params_path),
            "policy_file": cfg.policy, "policy_sha256": _sha(cfg.policy) if cfg.policy else None}


def _hub(cfg: RunConfig, database: str) -> Hub:
    policy = None
    if cfg.policy:
        policy = PolicySet.from_file(cfg.policy)
    return bootstrap(Settings(extractor=cfg.extractor), database_url=database, policy=policy)


def simulate(cfg: RunConfig, *, progress=None, log: Callable[[str], None] = print) -> dict:
    """Run (or continue) a simulation; returns the final run.json content."""
    params = load_parameters(cfg.parameters)
    scale = cfg.scale if cfg.scale is not None else params.default_scale
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    database = cfg.database or f"sqlite:///{(out / 'scomm.db').resolve()}"
    identity = _identity(cfg, scale)
    state = load_state(out)
    if state is not None:
        differs = [k for k, v in identity.items() if state["identity"].get(k) != v]
        if differs:
            raise RunMismatch(f"{run_file(out)} holds another run (differs in "
                              f"{', '.join(differs)}); use another --out")
    else:
        state = {"kind": "scomm-simulation", "note": CALIBRATION_NOTE, "identity": identity,
                 "last_month": None, "timings": {"wall_s": 0.0, "bookings": 0,
                                                 "invocations": []}}
    state.update(to=cfg.last, database=database, parameters=params.to_dict())
    hub = _hub(cfg, database)
    state["policy"] = {"file": cfg.policy, "label": hub.deps.policy.label} \
        if hasattr(hub.deps, "policy") else {"file": cfg.policy}
    j = hub.deps.jurisdictions
    counties = [c for c in j.counties() if c.population > 0]
    population = sum(c.population for c in counties)
    todo = [m for m in months(cfg.first, cfg.last)
            if state["last_month"] is None or m > state["last_month"]]
    expected = sum(month_count(cfg.seed, m, population, params, scale) for m in todo)
    if state["last_month"]:
        log(f"continuing after {state['last_month']} ({len(todo)} months left)")
    started, booked = time.perf_counter(), 0
    base = (state["timings"]["wall_s"], state["timings"]["bookings"])
    workers = cfg.workers or int(os.environ.get("SCOMM_WORKERS", os.cpu_count() or 1))
    hub.bus.drain()   # anything a killed run left half-way through the chain
    with render_pool(workers, cfg.render_cache) as pmap, (progress or _NoProgress())(expected) as bar:
        for month in todo:
            with hub.db.session() as s:
                earlier = earlier_people(s, cfg.seed, month)
            plan = plan_month(cfg.seed, month, counties, params, scale, earlier, j.sheriff_ori)
            tcns = {tcn_for(b.order): b for b in plan}
            with hub.db.session() as s:
                done = set(s.scalars(select(TransactionRow.tcn)
                                     .where(TransactionRow.tcn.in_(list(tcns)))))
            fresh = [b for t, b in tcns.items() if t not in done]
            bar.month(month, booked, time.perf_counter() - started)
            bar.advance(len(plan) - len(fresh))
            jobs = []
            for b in fresh:
                jobs += [("enrol", *e, cfg.extractor) for e in b.enrolments(params)] + [("car", b.order)]
            results = iter(pmap(jobs))
            for b in fresh:
                prints = {e: next(results) for e in b.enrolments(params)}
                raw = next(results)
                with hub.db.session() as s:
                    enrol(s, b, prints, cfg.seed)
                receipt = hub.submit(raw, f"{tcn_for(b.order)}.an2")
                hub.bus.drain([receipt.transaction_id])
                booked += 1
                bar.advance(1)
                bar.month(month, booked, time.perf_counter() - started)
            citizens = {t for t, b in tcns.items() if b.person.profile in CITIZEN_PROFILES}
            with hub.db.session() as s:
                run_aftermath(s, month, cfg.seed, params, citizens)
            state["last_month"] = month
            _account(state, base, started, booked)
            _write_state(out, state)
    wall = time.perf_counter() - started
    state["timings"]["invocations"].append({
        "finished_at": datetime.now(UTC).isoformat(), "wall_s": round(wall, 1),
        "bookings": booked, "bookings_per_s": round(booked / wall, 3) if wall else None,
        "workers": workers})
    _account(state, base, started, booked)
    state.update(summarise(hub))
    _write_state(out, state)
    return state


def _account(state: dict, base: tuple[float, int], started: float, booked: int) -> None:
    """Cumulative timings over every invocation of the run (resumes included)."""
    t = state["timings"]
    t["wall_s"] = round(base[0] + time.perf_counter() - started, 1)
    t["bookings"] = base[1] + booked
    t["bookings_per_s"] = round(t["bookings"] / t["wall_s"], 3) if t["wall_s"] else None


PUBLISHED_TO = "2011-03"   # most published national figures run to March 2011


def summarise(hub: Hub) -> dict:
    """The national outcome table of the run, one per year (statistics.counts), and both the
    whole run and its bookings to March 2011 against the published figures."""
    with hub.db.session() as s:
        facts = booking_facts(s)
    years: dict[str, list] = {}
    for f in facts:
        years.setdefault(f.month[:4], []).append(f)
    national = national_summary(facts)
    return {"national_summary": national,
            "per_year": {y: national_summary(fs) for y, fs in sorted(years.items())},
            "published_check": {
                "note": published.__doc__.split("\n\n", 1)[1].replace("\n", " ").strip(),
                "whole run": published.check(national),
                f"bookings to {PUBLISHED_TO}": published.check(national_summary(
                    [f for f in facts if f.month <= PUBLISHED_TO]))}}


class _NoProgress:
    def __call__(self, total: int):
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def month(self, month: str, booked: int, seconds: float) -> None:
        pass

    def advance(self, n: int) -> None:
        pass
