"""``scomm bench cluster``: past this machine, by measurement and model.

Measured here: one shard's search cost, single-threaded, at two gallery sizes (a fixed
part ``a`` and a part ``b`` per subject: the pre-selection scans every subject); Ray's
fan-out cost (a probe broadcast to ``k`` actors and their answers merged, over small
shards); bytes per finger in memory. Projected from those figures, with every
assumption printed: the nodes, memory and latency for galleries of 10, 100 and 230
million subjects at IDENT's load.
"""
from __future__ import annotations

import math
import os
import statistics
import time
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

import numpy as np

from ..biometrics import FingerprintTemplate, TenprintGallery
from ..biometrics.synth_templates import tenprint_templates
from ..world.prints import parallel_map
from .fvc import machine_info
from .search import PROBE_CAPTURE, _gallery_chunk, _pack_chunk

SIZES = (10_000_000, 100_000_000, 230_000_000)


@dataclass(frozen=True)
class Assumptions:
    searches_per_day: float = 350_000      # IDENT's tenprint searches a day (DOMAIN.md)
    peak_factor: float = 3.0               # the busiest hour against the day's mean
    latency_target_s: float = 10.0         # IDENT's border answer
    node_cores: int = 32                   # each node: cores like this machine's ...
    node_memory_gb: float = 256.0          # ... and this much memory, 80% of it for shards
    memory_share: float = 0.8
    utilisation: float = 0.5               # cores kept half idle for bursts and failures
    fingers_per_subject: int = 10
    replicas: int = 1                      # copies of each shard (2 survives a node's loss)


def _gallery(subjects: int, workers: int, progress) -> tuple[TenprintGallery, list[dict]]:
    seeds = list(range(7_000_000, 7_000_000 + subjects))
    chunks = [("templates", seeds[i:i + 50], "leader") for i in range(0, subjects, 50)]
    g = TenprintGallery()
    done = 0
    for ids, stores in parallel_map(_pack_chunk, list(parallel_map(_gallery_chunk, chunks, workers)), workers):
        g.extend(ids, stores)
        done += len(ids)
        progress("gallery", done, subjects)
    probes = [tenprint_templates(seeds[i], PROBE_CAPTURE) for i in range(0, subjects, max(1, subjects // 40))]
    return g, probes


def _median_search(g: TenprintGallery, probes: list[dict], among: list[str] | None = None) -> float:
    times = []
    for p in probes:
        t0 = time.perf_counter()
        g.search(p, 1, among=among)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


class _Shard:
    """A Ray actor holding a small gallery (the fan-out measurement)."""

    def __init__(self, isos: list[tuple[str, dict[int, bytes]]]):
        self.g = TenprintGallery()
        for key, prints in isos:
            self.g.add(key, {f: FingerprintTemplate.from_iso(b) for f, b in prints.items()})

    def search(self, probe: dict[int, bytes]) -> list:
        return self.g.search({f: FingerprintTemplate.from_iso(b) for f, b in probe.items()}, 5)


def _fan_out(actors_counts: tuple[int, ...], repeats: int = 30) -> dict[str, Any]:
    """Median round trip of a search broadcast to k actors holding 200 subjects each,
    less the median search of one such shard in this process."""
    import ray
    started = not ray.is_initialized()
    if started:
        ray.init(num_cpus=os.cpu_count() or 2, include_dashboard=False, log_to_driver=False,
                 configure_logging=False)
    try:
        isos = [(f"S{s}", {f: t.to_iso() for f, t in tenprint_templates(s, 0).items()}) for s in range(200)]
        probe = {f: t.to_iso() for f, t in tenprint_templates(3, PROBE_CAPTURE).items()}
        local = _Shard(isos)
        local_s = _median_search(local.g, [{f: FingerprintTemplate.from_iso(b) for f, b in probe.items()}] * 20)
        # one thread per actor, as one shard per core
        remote: Any = ray.remote(num_cpus=0, runtime_env={"env_vars": {"NUMBA_NUM_THREADS": "1"}})(_Shard)
        out: dict[str, Any] = {"subjects_per_actor": 200, "one_shard_search_s": local_s, "round_trip_s": {}}
        for k in actors_counts:
            actors = [remote.remote(isos) for _ in range(k)]
            ray.get([a.search.remote(probe) for a in actors])    # started and compiled
            times = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                parts = ray.get([a.search.remote(probe) for a in actors])
                sorted((c for p in parts for c in p), key=lambda c: -c.score)
                times.append(time.perf_counter() - t0)
            out["round_trip_s"][str(k)] = statistics.median(times)
            for a in actors:
                ray.kill(a)
        # each actor searches on its own core: beyond the cores, round trips also queue
        ks = [k for k in actors_counts if k <= (os.cpu_count() or 2)]
        over = [out["round_trip_s"][str(k)] - local_s for k in ks]
        slope, base = np.polyfit(ks, over, 1) if len(ks) > 1 else (0.0, over[0])
        out["overhead_s"] = {"base": float(base), "per_actor": float(max(0.0, slope)),
                             "fitted_on_actors": ks}
        return out
    finally:
        if started:
            ray.shutdown()


def project(a: float, b: float, bytes_per_finger: float, overhead: dict[str, float],
            assume: Assumptions) -> list[dict[str, Any]]:
    """For each gallery size, the number of shards that needs the fewest nodes and answers
    within the latency target.

    A search goes to one copy of every shard: ``a`` per shard plus ``b`` per subject of
    core time, ``a + b x subjects / shards`` of latency plus the fan-out, in two levels
    (the engine to a coordinator per node, each to its node's shards). Each copy of a
    shard holds it in memory (as the engine's processes do today; ``memory_tb_shared``:
    if a node's copies of a shard shared one, e.g. in Ray's object store); a core serves
    one copy; copies are added until the cores carry the peak load at the target
    utilisation.
    """
    rate = assume.searches_per_day / 86_400 * assume.peak_factor
    node_bytes = assume.node_memory_gb * 1e9 * assume.memory_share
    rows = []
    for n in SIZES:
        options = []
        for shards in (2 ** k for k in range(26)):
            core_s = a * shards + b * n
            cores = max(shards * assume.replicas, math.ceil(rate * core_s / assume.utilisation))
            copies = math.ceil(cores / shards)
            memory = n * assume.fingers_per_subject * bytes_per_finger * copies
            nodes = max(math.ceil(cores / assume.node_cores), math.ceil(memory / node_bytes))
            fan = 2 * overhead["base"] + overhead["per_actor"] * (min(shards, assume.node_cores)
                                                                  + math.ceil(shards / assume.node_cores))
            latency = a + b * n / shards + fan
            options.append({"subjects": n, "shards": shards, "copies_per_shard": copies, "cores": cores,
                            "memory_tb": memory / 1e12,
                            "memory_tb_shared": n * assume.fingers_per_subject * bytes_per_finger
                            * assume.replicas / 1e12, "nodes": nodes, "core_seconds_per_search": core_s,
                            "peak_searches_per_s": rate, "latency_s": latency,
                            "meets_latency": latency <= assume.latency_target_s})
        meeting = [o for o in options if o["meets_latency"]]
        rows.append(min(meeting, key=lambda o: (o["nodes"], o["latency_s"])) if meeting
                    else min(options, key=lambda o: o["latency_s"]))
    return rows


def run(subjects: int = 20_000, workers: int | None = None, actors: tuple[int, ...] = (1, 2, 4, 8),
        progress=lambda msg, done, total: None, assume: Assumptions = Assumptions()) -> dict[str, Any]:
    from numba import get_num_threads, set_num_threads
    t0 = time.perf_counter()
    g, probes = _gallery(subjects, workers or os.cpu_count() or 2, progress)
    build_s = time.perf_counter() - t0
    threads = get_num_threads()
    set_num_threads(1)                  # per core: the projection counts cores
    try:
        g.search(probes[0], 1)
        quarter = [f"S{s}" for s in range(7_000_000, 7_000_000 + subjects // 4)]
        t_full, t_quarter = _median_search(g, probes), _median_search(g, probes, among=quarter)
    finally:
        set_num_threads(threads)
    b = (t_full - t_quarter) / (subjects - subjects // 4)
    a = max(0.0, t_full - b * subjects)
    progress("fan-out", 0, 1)
    fan = _fan_out(actors)
    bpf = g.nbytes / max(1, g.fingers())
    return {
        "benchmark": "cluster", "subjects": subjects, "gallery_build_seconds": build_s,
        "one_core_search_s": {"subjects": subjects, "median": t_full, "quarter_subjects": subjects // 4,
                              "quarter_median": t_quarter, "probes": len(probes)},
        "model": {"a_fixed_s": a, "b_per_subject_s": b,
                  "note": "one shard's search on one core = a + b x its subjects (fitted on two sizes)"},
        "bytes_per_finger": bpf, "fan_out": fan, "assumptions": asdict(assume),
        "projection": project(a, b, bpf, fan["overhead_s"], assume),
        "machine": {**machine_info(), "date": date.today().isoformat()},
    }


def render(r: dict[str, Any], console) -> None:
    from rich.table import Table
    m, f = r["model"], r["fan_out"]
    console.print(f"one shard, one core: {r['one_core_search_s']['median']:.3f} s at {r['subjects']:,} subjects "
                  f"({r['one_core_search_s']['quarter_median']:.3f} s at a quarter): a = {m['a_fixed_s']:.4f} s, "
                  f"b = {m['b_per_subject_s'] * 1e6:.2f} us per subject; {r['bytes_per_finger']:.0f} bytes per finger")
    console.print("Ray fan-out round trip (k actors of 200 subjects): " + ", ".join(
        f"k={k}: {v * 1000:.1f} ms" for k, v in f["round_trip_s"].items())
        + f"; overhead {f['overhead_s']['base'] * 1000:.1f} ms + {f['overhead_s']['per_actor'] * 1000:.2f} ms/actor")
    console.print("assumptions: " + ", ".join(f"{k}={v}" for k, v in r["assumptions"].items()))
    t = Table("subjects", "shards", "copies each", "cores", "memory (TB)", "shared (TB)", "nodes",
              "core-s per search",
              "latency (s)", "meets target", title="projection (today's pre-selection: a linear scan)")
    for p in r["projection"]:
        t.add_row(f"{p['subjects']:,}", str(p["shards"]), str(p["copies_per_shard"]), str(p["cores"]),
                  f"{p['memory_tb']:.1f}", f"{p['memory_tb_shared']:.1f}", str(p["nodes"]),
                  f"{p['core_seconds_per_search']:.0f}",
                  f"{p['latency_s']:.2f}", "yes" if p["meets_latency"] else "no")
    console.print(t)
