"""``scomm bench search``: ten-finger 1:N identification on a synthetic gallery.

Gallery: ``subjects`` synthetic people, ten fingers each (capture 0).  Probes:
``probes`` searches, half of them a new capture (capture 501) of a gallery
subject (mated), half of people not in the gallery (non-mated).  Two sources:

* ``images``: prints rendered by :mod:`scomm.biometrics.synth`, extracted by
  the engine (the whole pipeline, slow to build);
* ``templates``: minutiae made directly by :mod:`scomm.biometrics.synth_templates`
  (no image stage; for galleries too large to render).

Figures: build time, bytes per finger in memory, search latency (median and
95th percentile, wall clock, probe packing included), rank-1 identification
rate, FNIR at FPIR 0.1% and 1% (thresholds read off the non-mated searches;
an FPIR finer than 1/non-mated is not resolved and is flagged), and FPIR/FNIR
at the engine's stated decision threshold.
"""
from __future__ import annotations

import json
import pickle
import statistics
import tempfile
import time
from contextlib import nullcontext
from datetime import date
from pathlib import Path

import numba
import numpy as np
from rich.table import Table

from ..biometrics import (
    DEFAULT_EXTRACTOR,
    DecisionRule,
    ExtractionError,
    FingerprintImage,
    FingerprintTemplate,
    TenprintGallery,
    extract,
)
from ..biometrics.evaluation import threshold_at
from ..biometrics.index import shift_spans
from ..biometrics.packed import pack
from ..biometrics.synth import subject_tenprint
from ..biometrics.synth_templates import tenprint_templates
from ..world.prints import parallel_map
from .fvc import extractor_info, machine_info

SOURCES = ("templates", "images")
GENERATION_BLOCK = 20_000     # subjects made, and cached, at a time
PROBE_CAPTURE = 501


def extract_tenprint(seed: int, capture: int, extractor: str) -> dict:
    """{finger: template} of a synthetic capture's usable fingers."""
    return extract_fingers(subject_tenprint(seed, capture), extractor)


def extract_fingers(fingers: dict, extractor: str) -> dict:
    """{finger: template} of the usable ones among 500 ppi finger images."""
    out = {}
    for finger, pixels in fingers.items():
        try:
            out[finger] = extract(FingerprintImage(pixels, ppi=500.0), extractor)
        except ExtractionError:
            continue
    return out


def _tenprint(source: str, seed: int, capture: int, extractor: str) -> dict:
    return tenprint_templates(seed, capture) if source == "templates" else extract_tenprint(seed, capture, extractor)


def _gallery_chunk(job: tuple[str, list[int], str]) -> list[tuple[int, dict]]:
    """Worker: {finger: ISO template} of a chunk of gallery subjects."""
    source, seeds, extractor = job
    return [(s, {f: t.to_iso() for f, t in _tenprint(source, s, 0, extractor).items()}) for s in seeds]


def _pack_chunk(part: list[tuple[int, dict]]) -> tuple[list[str], dict[int, dict[str, np.ndarray]]]:
    """Worker: ISO templates -> a gallery of packed fingers (as the hub's galleries load them), exported."""
    g = TenprintGallery()
    for s, prints in part:
        g.add_packed(f"S{s}", {f: pack(FingerprintTemplate.from_iso(b)) for f, b in prints.items()})
    return g.export()


class _Files:
    """A gallery's finger stores appended to flat files, opened as memory maps (no copy in RAM).

    Sealed (``index.json`` written last), the files can be opened again by a later run."""

    def __init__(self, directory: Path, ids: list[str] | None = None,
                 arrays: dict[tuple[int, str], tuple[int, np.dtype, tuple]] | None = None):
        self.dir = directory
        self.ids = ids or []
        self._rows = {key: rows for key, (rows, _, _) in (arrays or {}).items()}
        self._meta = {key: (dtype, tail) for key, (_, dtype, tail) in (arrays or {}).items()}

    @classmethod
    def fresh(cls, directory: Path) -> _Files:
        """Empty files in ``directory`` (what an interrupted run left there is removed)."""
        directory.mkdir(parents=True, exist_ok=True)
        for old in directory.iterdir():
            old.unlink()
        return cls(directory)

    @classmethod
    def sealed(cls, directory: Path) -> _Files | None:
        """The files a run sealed in ``directory``, or None."""
        index = directory / "index.json"
        if not index.exists():
            return None
        doc = json.loads(index.read_text())
        arrays = {(int(key.split(".")[0]), key.split(".")[1]): (rows, np.dtype(dtype), tuple(tail))
                  for key, (rows, dtype, tail) in doc["arrays"].items()}
        return cls(directory, doc["ids"], arrays)

    def seal(self) -> None:
        arrays = {f"{f}.{name}": [rows, self._meta[(f, name)][0].str, list(self._meta[(f, name)][1])]
                  for (f, name), rows in self._rows.items()}
        tmp = self.dir / "index.json.tmp"
        tmp.write_text(json.dumps({"ids": self.ids, "arrays": arrays}))
        tmp.replace(self.dir / "index.json")

    def append(self, ids: list[str], stores: dict[int, dict[str, np.ndarray]]) -> None:
        for f, arrays in stores.items():
            n = {name: self._rows.get((f, name), 0) for name in arrays}
            for name, a in arrays.items():
                a = np.ascontiguousarray(shift_spans(a, n["xy"], n["mask"], n["hull"]) if name == "spans" else a)
                with (self.dir / f"{f}.{name}").open("ab") as fh:
                    fh.write(a.tobytes())
                self._rows[(f, name)] = n[name] + len(a)
                self._meta[(f, name)] = (a.dtype, a.shape[1:])
        self.ids += ids

    def open(self) -> dict[int, dict[str, np.ndarray]]:
        out: dict[int, dict[str, np.ndarray]] = {}
        for (f, name), rows in self._rows.items():
            dtype, tail = self._meta[(f, name)]
            out.setdefault(f, {})[name] = np.memmap(self.dir / f"{f}.{name}", dtype=dtype, mode="r",
                                                    shape=(rows, *tail)) if rows else np.zeros((0, *tail), dtype)
        return out

    @property
    def nbytes(self) -> int:
        return sum(p.stat().st_size for p in self.dir.iterdir())


def _probe(job: tuple[str, int, str]) -> dict:
    source, seed, extractor = job
    return {f: t.to_iso() for f, t in _tenprint(source, seed, PROBE_CAPTURE, extractor).items()}


def _generate(source: str, seeds: list[int], probe_seeds: list[int], workers, progress, cache: Path | None,
              extractor: str):
    """ISO templates of the gallery and of the probes (read from / written to ``cache``).

    With a cache, each block of ``GENERATION_BLOCK`` subjects is kept as it is made, so an
    interrupted run (a million subjects take an hour or more) resumes where it stopped."""
    if cache is not None and cache.exists():
        with cache.open("rb") as fh:
            return pickle.load(fh)
    chunk = 50 if source == "templates" else 2
    gallery: list[tuple[int, dict]] = []
    parts = []
    for b in range(0, len(seeds), GENERATION_BLOCK):
        part = None if cache is None else cache.with_name(f"{cache.stem}.part{b // GENERATION_BLOCK}.pkl")
        if part is not None and part.exists():
            with part.open("rb") as fh:
                gallery += pickle.load(fh)
        else:
            block: list[tuple[int, dict]] = []
            end = min(len(seeds), b + GENERATION_BLOCK)
            jobs = [(source, seeds[i:min(i + chunk, end)], extractor) for i in range(b, end, chunk)]
            for made in parallel_map(_gallery_chunk, jobs, workers):
                block += made
                progress("gallery prints", len(gallery) + len(block), len(seeds))
            if part is not None:
                _dump(block, part)
            gallery += block
        parts.append(part)
    probes = list(parallel_map(_probe, [(source, s, extractor) for s in probe_seeds], workers))
    if cache is not None:
        _dump((gallery, probes), cache)
        for part in parts:
            if part is not None:
                part.unlink()
    return gallery, probes


def _dump(value, path: Path) -> None:
    """Pickle to ``path`` through a temporary name, so a file there is always whole."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as fh:
        pickle.dump(value, fh)
    tmp.replace(path)


def _fnir_at(fpir: float, mate_scores: np.ndarray, nonmate_top: np.ndarray) -> dict:
    """FNIR at the lowest threshold whose FPIR on the non-mated searches is <= ``fpir``."""
    n = len(nonmate_top)
    resolved = int(np.floor(fpir * n)) >= 1      # at least one non-mated search allowed above
    t = threshold_at(nonmate_top, fpir)
    fnir = float(np.mean(mate_scores < t)) if len(mate_scores) else float("nan")
    return {"fpir_target": fpir, "threshold": t, "fnir": fnir,
            "observed_fpir": float(np.mean(nonmate_top >= t)) if n else float("nan"),
            "resolved": resolved,
            "note": "" if resolved else f"FPIR {fpir:.1%} needs >= {int(np.ceil(1 / fpir))} non-mated "
                                        f"searches; threshold set above every non-mated score"}


def _fit_tail(scores: list[np.ndarray], subjects: int) -> dict:
    """Fit P(fused non-mate score >= t) = exp(-(t - a) / beta) to the upper tail.

    Each non-mated search scored (in full) the subjects kept by the
    pre-selection; pooled over searches, the k-th highest score estimates the
    (k / (searches * subjects)) upper quantile.  Only the 50 highest pooled
    scores are fitted: the FPIR is decided by the extreme tail, which is
    heavier than the body, and the pre-selection keeps every such non-mate.
    """
    if not scores:
        return {"a": float("nan"), "beta": float("nan"), "points": 0}
    pooled = np.sort(np.concatenate(scores))[::-1]
    total = len(scores) * subjects
    k = 50                                             # the extreme tail decides the FPIR
    top = pooled[:min(k, len(pooled))]
    x = np.log(total / np.arange(1, len(top) + 1))     # ln(1 / P)
    beta, a = np.polyfit(x, top, 1)                     # t = a + beta * ln(1/P)
    return {"a": float(a), "beta": float(beta), "points": int(len(top)), "pooled_scores": int(len(pooled)),
            "comparisons": int(total)}


def run(subjects: int, probes: int = 200, source: str = "templates", seed: int = 20261123,
        workers: int | None = None, progress=lambda msg, done, total: None, cache: Path | None = None,
        extractor: str = DEFAULT_EXTRACTOR, disk: Path | None = None, keep_store: bool = False) -> dict:
    """Build the gallery, run the probes, return the figures.

    With ``disk`` (a directory), the packed templates go to files there and are
    searched as memory maps: only their codes are held in memory.  With
    ``keep_store`` they stay there, and a later run of the same gallery opens
    them instead of packing again.

    Every probe is also a non-mated search: a mated probe's best non-mate (its mate
    left out, as if never enrolled) scores what a search of someone absent would."""
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}, got {source!r}")
    if subjects < 1 or probes < 2:
        raise ValueError("need at least 1 subject and 2 probes")
    rng = np.random.default_rng(seed)
    seeds = [seed * 1000 + i for i in range(subjects)]
    mates = rng.choice(subjects, size=min(probes // 2, subjects), replace=False)
    probe_seeds = [seeds[i] for i in mates] + [seed * 1000 + subjects + i for i in range(probes - len(mates))]
    cached = cache is not None and cache.exists()
    t0 = time.perf_counter()
    prints, probe_isos = _generate(source, seeds, probe_seeds, workers, progress, cache, extractor)
    generate_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    gallery = TenprintGallery(rule=DecisionRule.for_extractor(extractor))
    chunks = [prints[i:i + 200] for i in range(0, len(prints), 200)]
    kept = None if disk is None or not keep_store else disk / (
        f"search-{source}{'-' + extractor if source == 'images' else ''}-{subjects}-{seed}.store")
    spill = (nullcontext(str(kept)) if kept is not None else
             tempfile.TemporaryDirectory(prefix="scomm-search-", dir=disk) if disk is not None else nullcontext(None))
    with spill as tmp:
        files = None if tmp is None else _Files.sealed(Path(tmp))
        reused = files is not None
        if not reused:
            files = None if tmp is None else _Files.fresh(Path(tmp))
            for k, (ids, stores) in enumerate(parallel_map(_pack_chunk, chunks, workers)):
                if files is not None:
                    files.append(ids, stores)
                else:
                    gallery.extend(ids, stores)
                progress("index", min(subjects, (k + 1) * 200), subjects)
            if files is not None and kept is not None:
                files.seal()
        del prints, chunks
        load_s = float("nan")
        if files is not None:
            t1 = time.perf_counter()       # a new process's start: map the files, derive the codes
            gallery.extend(files.ids, files.open(), copy=False)
            load_s = time.perf_counter() - t1
        build_s = time.perf_counter() - t0
        figures = _search(gallery, probe_seeds, probe_isos, mates, progress)
        disk_bytes = files.nbytes if files is not None else 0
    return {
        "benchmark": "search", "source": source, **extractor_info(None if source == "templates" else extractor),
        "source_note": ("synthetic minutiae templates, no image stage" if source == "templates"
                        else "synthetic prints rendered as 500-ppi images and extracted by the engine"),
        "subjects": subjects, "fingers": gallery.fingers(), "probes": len(probe_seeds),
        "mated_probes": len(mates), "nonmated_probes": len(probe_seeds) - len(mates),
        "nonmated_searches": len(probe_seeds),
        "nonmated_note": "every probe: the absent ones, and each mated one with its mate left out",
        "generation_seconds": generate_s, "generation_cached": cached,
        "index_build_seconds": build_s, "index_reused": reused,
        "store": "disk" if disk is not None else "memory",
        "load_seconds": load_s,
        "bytes_per_finger": gallery.nbytes / max(1, gallery.fingers()),
        "bytes_per_finger_in_memory": (gallery.code_nbytes if disk is not None else gallery.nbytes)
        / max(1, gallery.fingers()),
        "bytes_per_finger_on_disk": disk_bytes / max(1, gallery.fingers()),
        **figures,
        "decision_rule": gallery.rule_text(),
        "prefilter_keep": gallery.params.prefilter_keep, "rescore_keep": gallery.params.rescore_keep,
        "codes": _codes_info(gallery, subjects),
        "threads": _threads(), "machine": {**machine_info(), "date": date.today().isoformat()},
    }


def _codes_info(gallery: TenprintGallery, subjects: int) -> dict:
    p = gallery.params
    return {"used": subjects > p.code_min_gallery, "min_gallery": p.code_min_gallery,
            "scan_keep": p.code_scan_keep, "keep": p.code_keep, "cylinders": p.code_cylinders,
            "scan_cylinders": p.code_scan_cylinders, "probe_cylinders": p.code_probe_cylinders,
            "scan_fingers": p.code_fingers,
            "chosen_on": "10,000 subjects and 400 probes of other seeds; the pass on every finger after the "
                         "scan was added after the first 100,000-subject run missed 2 of 500 mates"}


def _search(gallery: TenprintGallery, probe_seeds: list[int], probe_isos: list[dict], mates, progress) -> dict:
    """Run the probes: latency, rank-1, FNIR at FPIR, the impostor tail and the raw scores."""
    subjects = len(gallery)
    probe_prints = [{f: FingerprintTemplate.from_iso(b) for f, b in p.items()} for p in probe_isos]
    gallery.search(probe_prints[0], max_candidates=1)   # compile the kernels outside the timing
    latencies, mate_scores, rank1, nonmate_top, nonmate_all = [], [], [], [], []
    for k, (s, prints) in enumerate(zip(probe_seeds, probe_prints)):
        t1 = time.perf_counter()
        cands = gallery.search(prints, max_candidates=gallery.params.rescore_keep)   # every one scored in full
        latencies.append(time.perf_counter() - t1)
        mate_id = f"S{s}" if k < len(mates) else None
        if mate_id is None:            # someone absent: this search is the non-mated one
            scores = np.array([c.score for c in cands])
        else:
            found = [c.score for c in cands if c.subject_id == mate_id]
            mate_scores.append(found[0] if found else 0.0)
            rank1.append(bool(cands) and cands[0].subject_id == mate_id)
            _, scores = gallery.rank(gallery.pack_probe(prints), without=mate_id)
        nonmate_top.append(float(scores.max()) if len(scores) else 0.0)
        nonmate_all.append(scores)
        progress("probes", k + 1, len(probe_seeds))
    mate, nonmate = np.array(mate_scores), np.array(nonmate_top)
    thr = gallery.threshold
    return {
        "latency_median_s": statistics.median(latencies),
        "latency_p95_s": float(np.percentile(latencies, 95)),
        "rank1": float(np.mean(rank1)) if rank1 else float("nan"),
        "fnir_at_fpir": [_fnir_at(0.001, mate, nonmate), _fnir_at(0.01, mate, nonmate)],
        "decision_threshold": thr,
        "at_decision_threshold": {"fpir": float(np.mean(nonmate >= thr)) if len(nonmate) else float("nan"),
                                  "fnir": float(np.mean(mate < thr)) if len(mate) else float("nan")},
        "mate_score_median": float(np.median(mate)) if len(mate) else float("nan"),
        "nonmate_top_score_max": float(nonmate.max()) if len(nonmate) else float("nan"),
        "impostor_tail": _fit_tail(nonmate_all, subjects),
        # the raw scores, so FNIR/FPIR can be recomputed at any other threshold
        "mate_scores": [round(float(v), 3) for v in mate],
        "nonmate_top_scores": [round(float(v), 3) for v in nonmate],
    }


def _threads() -> int:
    return int(numba.get_num_threads())


def render(r: dict, console) -> None:
    t = Table(title=f"scomm bench search: {r['subjects']:,} subjects ({r['source_note']})")
    t.add_column("figure")
    t.add_column("value", justify="right")
    rows = [
        ("fingers in gallery", f"{r['fingers']:,}"),
        ("prints made (s, wall; rendering + extraction for images)",
         "read from cache" if r["generation_cached"] else f"{r['generation_seconds']:.1f}"),
        ("index built from ISO templates (s, wall)",
         "opened from the files a run kept" if r.get("index_reused") else f"{r['index_build_seconds']:.1f}"),
        ("start-up: map the files, derive the codes (s, wall)",
         f"{r['load_seconds']:.1f}" if r["store"] == "disk" else "in memory, no files"),
        ("bytes per finger in memory / on disk",
         f"{r['bytes_per_finger_in_memory']:.0f} / {r['bytes_per_finger_on_disk']:.0f}"),
        ("pre-selection", (f"cylinder codes, then LSS-free rescoring (gallery > {r['codes']['min_gallery']:,})"
                           if r["codes"]["used"] else "LSS over every subject")),
        ("probes (mated / non-mated)", f"{r['mated_probes']} / {r['nonmated_probes']}"),
        ("search latency median (s)", f"{r['latency_median_s']:.3f}"),
        ("search latency p95 (s)", f"{r['latency_p95_s']:.3f}"),
        ("rank-1 identification rate", f"{100 * r['rank1']:.1f}%"),
    ]
    for x in r["fnir_at_fpir"]:
        flag = "" if x["resolved"] else " *"
        rows.append((f"FNIR at FPIR {100 * x['fpir_target']:.1f}%{flag}",
                     f"{100 * x['fnir']:.1f}% (t={x['threshold']:.2f})"))
    a = r["at_decision_threshold"]
    rows.append((f"at decision threshold {r['decision_threshold']:.1f}: FPIR / FNIR",
                 f"{100 * a['fpir']:.1f}% / {100 * a['fnir']:.1f}%"))
    rows.append(("mate score median / top non-mate max",
                 f"{r['mate_score_median']:.1f} / {r['nonmate_top_score_max']:.1f}"))
    tail = r["impostor_tail"]
    rows.append(("impostor tail fit: a, beta (points)", f"{tail['a']:.2f}, {tail['beta']:.3f} ({tail['points']})"))
    rows.append(("decision rule", r["decision_rule"]))
    m = r["machine"]
    rows.append(("machine", f"{m['cpu']}, {m['cores']} cores, {r['threads']} threads, {m['date']}"))
    for k, v in rows:
        t.add_row(k, v)
    console.print(t)
    for x in r["fnir_at_fpir"]:
        if x["note"]:
            console.print(f"* {x['note']}")
