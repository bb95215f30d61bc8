"""``scomm bench fvc``: the FVC protocol on FVC folders, optionally against a peer engine.

For each folder (``NNN_k.tif`` images and ``NNN_k.iso`` templates, e.g.
``/work/shared/data/fvc/fvc2002/DB1_B``) the engine extracts every image (or
reads every ``.iso`` with ``iso=True``), scores every genuine pair (all pairs
of impressions of a finger: 280 in a B set) and every impostor pair (all pairs
of impressions of different fingers: 2,880), and reports EER, FMR100, FMR1000
and ZeroFMR, the median extraction time per image and 1:1 comparisons per
second.  A peer (``nbis``) is run on the same files and pairs.

Timings are CPU time of this process, with OpenCV and numba held to one
thread, so they read as "on one core" and are robust to other load on the
host.  Rates are fractions in the JSON (0.0123) and percent in the tables.
"""
from __future__ import annotations

import os
import platform
import statistics
import subprocess
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import cv2
import numba
from rich.console import Console
from rich.table import Table

from ..biometrics import DEFAULT_EXTRACTOR, leader
from ..biometrics.evaluation import evaluate_folder, list_impressions
from ..biometrics.parameters import DEFAULT, Parameters
from . import nbis_peer

__all__ = ["PEERS", "single_core", "machine_info", "find_folders", "folder_label", "run", "render"]

ENGINE = "scomm"
PEERS = ("nbis",)
RATES = ("EER", "FMR100", "FMR1000", "ZeroFMR")
TIMING_NOTE = ("CPU time of this process on one thread (OpenCV, numba set to 1): "
               "median ms per image extracted, 1:1 comparisons per CPU second")
_DROP = ("genuine_scores", "impostor_scores")


def single_core() -> None:
    """Hold OpenCV and numba to one thread, so CPU times are per core and fair to a peer."""
    cv2.setNumThreads(1)
    try:
        numba.set_num_threads(1)
    except (ImportError, ValueError, RuntimeError):  # pragma: no cover - numba without threading layer
        pass


def machine_info() -> dict[str, Any]:
    """CPU model (from /proc/cpuinfo), cores, Python, OS."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    usable: int | None
    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        usable = os.cpu_count()
    return {"cpu": cpu, "cores": os.cpu_count(), "usable_cores": usable,
            "python": f"{platform.python_implementation()} {platform.python_version()}",
            "platform": platform.platform(terse=True)}


def _engine_info(peer: str | None, extractor: str | None, params: Parameters, consolidation: str
                 ) -> dict[str, Any]:
    try:
        scomm_version = version("scomm")
    except PackageNotFoundError:  # pragma: no cover - run from a source tree
        scomm_version = None
    commit = None
    try:
        out = subprocess.run(["git", "describe", "--always", "--dirty"], capture_output=True, text=True,
                             timeout=5, cwd=Path(__file__).resolve().parent)
        commit = out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        pass
    info: dict[str, Any] = {ENGINE: {"version": scomm_version, "commit": commit, **extractor_info(extractor),
                                     "consolidation": consolidation, "anchors": params.anchors,
                                     "lssr_gate": params.lssr_gate}}
    if peer == "nbis":
        info["nbis"] = {"package": nbis_peer.NBIS_PY_REQUIREMENT.split("==")[0],
                        "version": nbis_peer.nbis_version(), "extractor": "MINDTCT", "matcher": "BOZORTH3"}
    return info


def extractor_info(extractor: str | None) -> dict[str, Any]:
    """Which extractor ran and, for LEADER, which network on which runtime and precision."""
    return {"extractor": extractor, **({"leader": leader.provenance()} if extractor == "leader" else {})}


def _has_impressions(folder: Path, ext: str) -> bool:
    return bool(list_impressions(folder, ext))


def find_folders(paths: Iterable[str | Path], iso: bool = False) -> list[Path]:
    """FVC folders named by ``paths``: each one itself if it holds ``NNN_k`` files,
    else every folder beneath it that does (sorted).  Raises FileNotFoundError."""
    ext = "iso" if iso else "tif"
    found: list[Path] = []
    for p in map(Path, paths):
        if not p.is_dir():
            raise FileNotFoundError(f"{p} is not a folder")
        if _has_impressions(p, ext):
            hits = [p]
        else:
            hits = sorted(d for d in p.rglob("*") if d.is_dir() and not d.name.startswith(".")
                          and _has_impressions(d, ext))
        if not hits:
            raise FileNotFoundError(f"no FVC folder (NNN_k.{ext} files) in or beneath {p}")
        found += [h for h in hits if h not in found]
    return found


def folder_label(folder: str | Path) -> str:
    """``fvc2002/DB1_B`` for ``/.../fvc/fvc2002/DB1_B``."""
    parts = Path(folder).resolve().parts
    return "/".join(parts[-2:]) if len(parts) >= 2 else str(folder)


def _peer_fn(peer: str) -> Callable[..., dict]:
    if peer == "nbis":
        nbis_peer.load_nbis()  # fail before any work when the extra is missing
        return nbis_peer.evaluate_folder_nbis
    raise ValueError(f"unknown peer {peer!r} (known: {', '.join(PEERS)})")


def _ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return a / b


def _summary(rows: list[dict], engine: str) -> dict[str, Any]:
    eers = [r[engine]["EER"] for r in rows]
    worst = max(rows, key=lambda r: r[engine]["EER"])
    ext = [r[engine]["extraction_median_ms"] for r in rows if r[engine]["extraction_median_ms"] is not None]
    return {"mean_EER": statistics.fmean(eers), "worst_folder": worst["name"], "worst_EER": worst[engine]["EER"],
            "mean_extraction_median_ms": statistics.fmean(ext) if ext else None,
            "mean_comparisons_per_second": statistics.fmean(r[engine]["comparisons_per_second"] or 0.0
                                                            for r in rows)}


def run(paths: Iterable[str | Path], iso: bool = False, peer: str | None = None,
        progress: Callable[[str], None] | None = None, extractor: str = DEFAULT_EXTRACTOR,
        anchors: int | None = None, consolidation: str = "pairing", gate: float | None = None) -> dict[str, Any]:
    """Run the benchmark; returns the JSON-ready result (see the module docstring).

    ``anchors``: alignment anchors the matcher tries (the speed/accuracy trade; None: its own).
    ``consolidation``: ``pairing`` (the matcher's) or ``lssr`` (relaxation, no alignment).
    ``gate``: the relaxation's gate before the consolidation (None: the matcher's own, off).

    ``progress`` is called with a short message before each engine/folder step.
    """
    started = datetime.now().astimezone()
    single_core()
    peer_fn = _peer_fn(peer) if peer else None
    folders = find_folders(paths, iso=iso)
    say = progress or (lambda _msg: None)
    rows: list[dict[str, Any]] = []
    source = "iso" if iso else "image"
    params = replace(DEFAULT, anchors=DEFAULT.anchors if anchors is None else anchors,
                     lssr_gate=DEFAULT.lssr_gate if gate is None else gate)
    for folder in folders:
        name = folder_label(folder)
        say(f"{name}: {ENGINE} ({source if iso else extractor})")
        mine = {k: v for k, v in evaluate_folder(folder, iso=iso, extractor=extractor, p=params,
                                                             consolidation=consolidation).items()
                if k not in _DROP}
        row: dict[str, Any] = {"name": name, "folder": str(folder), "ppi": mine["ppi"], ENGINE: mine}
        if peer is not None and peer_fn is not None:
            say(f"{name}: {peer} ({source})")
            theirs = {k: v for k, v in peer_fn(folder, iso=iso).items() if k not in _DROP}
            if (theirs["genuine"], theirs["impostor"]) != (mine["genuine"], mine["impostor"]):
                raise RuntimeError(f"{name}: {peer} scored {theirs['genuine']}/{theirs['impostor']} pairs, "
                                   f"{ENGINE} {mine['genuine']}/{mine['impostor']}")
            row[peer] = theirs
            row["ratio"] = {
                "EER": _ratio(mine["EER"], theirs["EER"]),
                "extraction_ms": _ratio(mine["extraction_median_ms"], theirs["extraction_median_ms"]),
                "comparisons_per_second": _ratio(mine["comparisons_per_second"], theirs["comparisons_per_second"]),
            }
        rows.append(row)
    summary: dict[str, Any] = {"folders": len(rows), ENGINE: _summary(rows, ENGINE)}
    if peer:
        summary[peer] = _summary(rows, peer)
        s, p = summary[ENGINE], summary[peer]
        summary["ratio"] = {
            "mean_EER": _ratio(s["mean_EER"], p["mean_EER"]),
            "extraction_ms": _ratio(s["mean_extraction_median_ms"], p["mean_extraction_median_ms"]),
            "comparisons_per_second": _ratio(s["mean_comparisons_per_second"], p["mean_comparisons_per_second"]),
        }
    return {
        "benchmark": "fvc",
        "date": started.isoformat(timespec="seconds"),  # when the run started
        "machine": machine_info(),
        "engines": _engine_info(peer, None if iso else extractor, params, consolidation),
        "source": source,
        "peer": peer,
        "protocol": "FVC: genuine = every pair of impressions of a finger, "
                    "impostor = every pair of impressions of different fingers",
        "rates": "fractions (0.0123 = 1.23%)",
        "timing": TIMING_NOTE,
        "folders": rows,
        "summary": summary,
    }


# ---------------------------------------------------------------- printing
def _render_one_to_one(result: dict[str, Any], console: Console) -> None:
    """What the API's 1:1 threshold (fitted on synthetic prints) means on each real sensor."""
    rows = [(row["name"], row[ENGINE]["one_to_one"]) for row in result["folders"] if row[ENGINE].get("one_to_one")]
    if not rows:
        return
    t = rows[0][1]
    table = Table(title=f"1:1 decision at score >= {t['threshold']:.2f} (target FMR {t['fmr_target']:g} "
                        "on synthetic prints)", title_justify="left", caption=f"fitted on {t['fitted_on']}")
    for name in ("folder", "FMR %", "FNMR %"):
        table.add_column(name, justify="left" if name == "folder" else "right")
    for name, r in rows:
        table.add_row(name, _pct(r["FMR"]), _pct(r["FNMR"]))
    console.print(table)


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.2f}"


def _num(x: float | None, fmt: str = "{:.1f}") -> str:
    return "-" if x is None else fmt.format(x)


def _times(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}x"


def render(result: dict[str, Any], console: Console) -> None:
    """Print ``result`` (from :func:`run`) as Rich tables."""
    m = result["machine"]
    peer = result.get("peer")
    engines = [ENGINE] + ([peer] if peer else [])
    console.print(f"[bold]FVC benchmark[/bold] ({result['source']}) {result['date']}")
    console.print(f"machine: {m['cpu']}, {m['cores']} cores ({m['usable_cores']} usable), "
                  f"{m['python']}, {m['platform']}")
    versions = []
    for name, info in result["engines"].items():
        bits = [info.get("version"), info.get("commit")]
        if info.get("extractor"):
            bits.append(f"{info['extractor']} + {info.get('matcher', 'MCC')}")
        if info.get("leader"):
            bits.append(f"({info['leader']['package']}, model sha256 {info['leader']['sha256'][:12]}...)")
        if info.get("consolidation"):
            bits.append(f"[{info['consolidation']}, {info['anchors']} anchors, gate {info['lssr_gate']:g}]")
        versions.append(f"{name} " + " ".join(str(b) for b in bits if b))
    console.print("engines: " + "; ".join(versions))
    console.print(f"timing: {result['timing']}")

    table = Table(title=f"FVC protocol, {result['source']}", title_justify="left")
    table.add_column("folder", no_wrap=True)
    table.add_column("engine", no_wrap=True)
    table.add_column("ppi", justify="right", no_wrap=True)
    for rate in RATES:
        table.add_column(f"{rate} %", justify="right", no_wrap=True)
    for name in ("genuine", "impostor", "extract ms", "cmp/s", "minutiae"):
        table.add_column(name, justify="right", no_wrap=True)
    for row in result["folders"]:
        for i, eng in enumerate(engines):
            r = row[eng]
            table.add_row(row["name"] if i == 0 else "", eng, f"{r['ppi']:.0f}", *(_pct(r[k]) for k in RATES),
                          str(r["genuine"]), str(r["impostor"]), _num(r["extraction_median_ms"]),
                          _num(r["comparisons_per_second"], "{:.0f}"), _num(r["mean_minutiae"]),
                          end_section=(i == len(engines) - 1 and len(engines) > 1))
    console.print(table)
    _render_one_to_one(result, console)

    if peer:
        ratios = Table(title=f"{ENGINE} / {peer}", title_justify="left")
        ratios.add_column("folder")
        ratios.add_column("EER", justify="right")
        ratios.add_column("extraction time", justify="right")
        ratios.add_column("comparisons/s", justify="right")
        for row in result["folders"]:
            q = row["ratio"]
            ratios.add_row(row["name"], _times(q["EER"]), _times(q["extraction_ms"]),
                           _times(q["comparisons_per_second"]))
        q = result["summary"]["ratio"]
        ratios.add_row("[bold]mean[/bold]", _times(q["mean_EER"]), _times(q["extraction_ms"]),
                       _times(q["comparisons_per_second"]), end_section=False)
        console.print(ratios)
        console.print("(EER and extraction time: below 1 is better for "
                      f"{ENGINE}; comparisons/s: above 1 is better for {ENGINE})")

    s = result["summary"]
    for eng in engines:
        e = s[eng]
        console.print(f"{eng}: mean EER {_pct(e['mean_EER'])}% over {s['folders']} folder(s); "
                      f"worst {e['worst_folder']} (EER {_pct(e['worst_EER'])}%)")
