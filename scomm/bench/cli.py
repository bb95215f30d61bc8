"""``scomm bench``: benchmark commands (registered in :mod:`scomm.cli` as ``bench``).

Each command is a thin wrapper: parse options, call the benchmark module,
print (Rich) or write JSON.  Add a command with ``@bench_app.command(...)``.
"""
from __future__ import annotations

import json
import tempfile
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import Progress, TaskID

from ..cli_common import EXTRACTOR_HELP, Extractor
from . import (
    calibrate as bench_calibrate,
    chaos as bench_chaos,
    cluster as bench_cluster,
    fvc as bench_fvc,
    hub as bench_hub,
    index as bench_index,
    search as bench_search,
)
from .nbis_peer import NbisUnavailable
from .synth_realism import synth as _synth

bench_app = typer.Typer(no_args_is_help=True, add_completion=False,
                        help="Benchmarks: the fingerprint engine (FVC accuracy and speed, against a peer; "
                             "1:N search) and the hub under faults (chaos).")
console = Console()
err = Console(stderr=True)
DISK_ABOVE = 100_000     # `bench search` keeps larger galleries' templates in files (22 GB at 1M subjects)


@bench_app.callback()
def _bench() -> None:
    """Benchmarks of the fingerprint engine: FVC accuracy and speed, against a peer."""


class Consolidation(str, Enum):
    pairing = "pairing"
    lssr = "lssr"


class Peer(str, Enum):
    nbis = "nbis"


def write_json(result: dict, to_stdout: bool, json_out: Optional[Path]) -> None:
    """The result as one JSON object: on stdout and/or in a file."""
    text = json.dumps(result, indent=2)
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(text + "\n")
        err.print(f"wrote {json_out}")
    if to_stdout:
        typer.echo(text)


@bench_app.command("fvc")
def fvc(
    paths: Annotated[list[Path], typer.Argument(
        help="FVC folder(s) of NNN_k.tif/.iso files, or parent folder(s): every such folder beneath is run "
             "(e.g. /work/shared/data/fvc runs all six)", show_default=False)],
    iso: Annotated[bool, typer.Option("--iso", help="match the folders' NNN_k.iso templates instead of "
                                                    "extracting from the images (no extraction time)")] = False,
    peer: Annotated[Optional[Peer], typer.Option(
        "--peer", help="also run this engine on the same pairs and print the scomm/peer ratios; nbis = NIST "
                       "MINDTCT + BOZORTH3 from the optional bench extra (make bench-install); with --iso it "
                       "runs BOZORTH3 on the same .iso templates")] = None,
    extractor: Annotated[Extractor, typer.Option("--extractor", help=EXTRACTOR_HELP)] = Extractor.leader,
    anchors: Annotated[Optional[int], typer.Option(
        "--anchors", min=1, help="alignment anchors the matcher tries per comparison (default: the "
                                 "matcher's own, 12): fewer compare faster and less accurately")] = None,
    gate: Annotated[Optional[float], typer.Option(
        "--gate", min=0.0, help="skip the consolidation of a pair whose relaxed (LSS-R) similarity is below "
                                "this (score 0): faster, and fewer high-scoring impostors; default: the "
                                "matcher's own, 0 (off)")] = None,
    consolidation: Annotated[Consolidation, typer.Option(
        "--consolidation", help="the global step of a comparison: pairing (the matcher's: alignments tried "
                                "from the best local pairs) or lssr (relaxation of the best local pairs, no "
                                "alignment: faster; no fitted 1:1 threshold)")] = Consolidation.pairing,
    json_: Annotated[bool, typer.Option("--json", help="print the figures as one JSON object on stdout "
                                                       "instead of the tables (rates as fractions)")] = False,
    json_out: Annotated[Optional[Path], typer.Option(
        "--json-out", metavar="FILE", help="also write that JSON object to FILE", dir_okay=False)] = None,
) -> None:
    """Run the FVC protocol on each folder, optionally against a peer engine on the same pairs.

    Per folder: EER, FMR100, FMR1000, ZeroFMR (%), genuine/impostor pair counts, median extraction ms per
    image and 1:1 comparisons/s (CPU time, one core); then the mean EER over the folders and the worst one.
    """

    try:
        with err.status("starting") as status:
            result = bench_fvc.run(paths, iso=iso, peer=peer.value if peer else None,
                                   progress=lambda msg: status.update(msg), extractor=extractor.value,
                                   anchors=anchors, consolidation=consolidation.value, gate=gate)
    except NbisUnavailable as exc:
        err.print(f"[red]error:[/red] {exc}", soft_wrap=True)
        raise typer.Exit(2) from None
    except (FileNotFoundError, ValueError) as exc:
        err.print(f"[red]error:[/red] {exc}", soft_wrap=True)
        raise typer.Exit(1) from None
    if not json_:
        out = Console(width=max(console.width, 132))  # never cut a figure short, even in a narrow terminal
        bench_fvc.render(result, out)
    if json_ or json_out is not None:
        write_json(result, json_, json_out)


class Source(str, Enum):
    templates = "templates"
    images = "images"


@bench_app.command("search")
def search(
    subjects: Annotated[int, typer.Option("--subjects", "-n", help="gallery size (ten-print subjects)")] = 1000,
    probes: Annotated[int, typer.Option("--probes", "-m", help="searches; half mated, half not in the gallery")] = 200,
    source: Annotated[Source, typer.Option(
        "--source", help="templates: synthetic minutiae, no image stage (large galleries); images: rendered "
                         "synthetic prints extracted by the engine")] = Source.templates,
    extractor: Annotated[Extractor, typer.Option("--extractor", help=EXTRACTOR_HELP + " (with --source "
                                                                       "images)")] = Extractor.leader,
    workers: Annotated[Optional[int], typer.Option("--workers", help="processes that build the gallery")] = None,
    cache: Annotated[Optional[Path], typer.Option(
        "--cache", metavar="DIR", file_okay=False,
        help="keep the generated ISO templates in DIR and reuse them next time (rendering is the slow part)")] = None,
    store: Annotated[Optional[Path], typer.Option(
        "--store", metavar="DIR", file_okay=False,
        help="keep the packed templates in memory-mapped files under DIR, only their codes in memory "
             f"(default: under the system's temporary directory above {DISK_ABOVE:,} subjects)")] = None,
    keep_store: Annotated[bool, typer.Option(
        "--keep-store", help="leave the packed templates under --store, and open them next time instead of "
                             "packing again (10,000,000 fingers take over half an hour)")] = False,
    json_: Annotated[bool, typer.Option("--json", help="print the figures as one JSON object")] = False,
    json_out: Annotated[Optional[Path], typer.Option("--json-out", metavar="FILE", dir_okay=False,
                                                     help="also write that JSON object to FILE")] = None,
) -> None:
    """Ten-finger 1:N identification on a synthetic gallery: build time, memory, latency, accuracy."""


    with Progress(console=err, transient=True) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done)
        try:
            name = f"search-{source.value}{'-' + extractor.value if source == Source.images else ''}"
            cache_file = None if cache is None else cache / f"{name}-{subjects}-{probes}.pkl"
            disk = store if store is not None or subjects <= DISK_ABOVE else Path(tempfile.gettempdir())
            result = bench_search.run(subjects, probes, source.value, workers=workers, progress=progress,
                                      cache=cache_file, extractor=extractor.value, disk=disk,
                                      keep_store=keep_store)
        except ValueError as exc:
            err.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(1) from None
    if not json_:
        bench_search.render(result, Console(width=max(console.width, 100)))
    if json_ or json_out is not None:
        write_json(result, json_, json_out)


@bench_app.command("calibrate")
def calibrate(
    subjects: Annotated[int, typer.Option("--subjects", "-n", help="synthetic people (ten fingers, two "
                                                                  "captures each)")] = 100,
    extractor: Annotated[Extractor, typer.Option("--extractor", help=EXTRACTOR_HELP)] = Extractor.leader,
    fmr: Annotated[float, typer.Option("--fmr", help="the false match rate the threshold is for")] = 1e-4,
    workers: Annotated[Optional[int], typer.Option("--workers", help="extracting processes")] = None,
    json_out: Annotated[Optional[Path], typer.Option("--json-out", metavar="FILE", dir_okay=False,
                                                     help="also write the JSON object to FILE")] = None,
) -> None:
    """The 1:1 threshold of an extractor at a target FMR, fitted on synthetic prints (no FVC image):
    what biometrics.verification.VERIFICATION holds, and `bench fvc` reports on real sensors."""
    with err.status(f"extracting {subjects} synthetic people twice with {extractor.value}"):
        result = bench_calibrate.run(subjects, extractor.value, fmr, workers=workers)
    write_json(result, True, json_out)


@bench_app.command("index")
def index(
    subjects: Annotated[int, typer.Option("--subjects", "-n", help="ten-print subjects in the files")] = 10_000,
    workers: Annotated[int, typer.Option("--workers", help="packing processes (the rebuild's rate)")] = 2,
    json_out: Annotated[Optional[Path], typer.Option("--json-out", metavar="FILE", dir_okay=False,
                                                     help="also write the JSON object to FILE")] = None,
) -> None:
    """The galleries' sealed files: packing rate, bytes per finger on disk and in memory, and
    how long a new process takes to load them (its start-up)."""
    with Progress(console=err, transient=True) as bar:
        task = bar.add_task("packing and writing", total=subjects)
        result = bench_index.run(subjects, workers, lambda n: bar.advance(task, n))
    write_json(result, True, json_out)


@bench_app.command("cluster")
def cluster(
    subjects: Annotated[int, typer.Option("--subjects", "-n", help="subjects of the measured shard")] = 20_000,
    node_cores: Annotated[int, typer.Option("--node-cores", help="cores per projected node")] = 32,
    node_memory_gb: Annotated[float, typer.Option("--node-memory-gb", help="memory per projected node")] = 256.0,
    replicas: Annotated[int, typer.Option("--replicas", help="copies of each shard")] = 1,
    json_out: Annotated[Optional[Path], typer.Option("--json-out", metavar="FILE", dir_okay=False,
                                                     help="also write the JSON object to FILE")] = None,
) -> None:
    """One shard's search cost and Ray's fan-out cost, measured here; the nodes, memory and
    latency of 10, 100 and 230 million subjects at IDENT's load, projected (every assumption printed)."""
    assume = bench_cluster.Assumptions(node_cores=node_cores, node_memory_gb=node_memory_gb, replicas=replicas)
    with Progress(console=err, transient=True) as bar:
        task = bar.add_task("building the shard", total=subjects)
        result = bench_cluster.run(subjects, progress=lambda msg, done, total: bar.update(
            task, completed=done, total=total, description=msg), assume=assume)
    bench_cluster.render(result, console)
    write_json(result, False, json_out)


@bench_app.command("hub")
def hub(
    bookings: Annotated[int, typer.Option("--bookings", "-n", help="bookings through the chain per run")] = 40,
    workers: Annotated[int, typer.Option("--workers", help="runs with 1 .. this many worker processes")] = 2,
    people: Annotated[int, typer.Option("--people", help="people in the seeded world")] = 40,
    extractor: Annotated[Extractor, typer.Option("--extractor", help=EXTRACTOR_HELP)] = Extractor.leader,
    engine: Annotated[str, typer.Option("--engine", help="local: each worker searches its own galleries; "
                                                         "serve: one `scomm engine serve` for all")] = "local",
    ray: Annotated[Optional[str], typer.Option("--ray", help="the served engine's shards on this Ray cluster "
                                                             "('local': start one); implies --engine serve")] = None,
    json_out: Annotated[Optional[Path], typer.Option("--json-out", metavar="FILE", dir_okay=False,
                                                     help="also write the JSON object to FILE")] = None,
) -> None:
    """Bookings per second through the whole chain with 1, then 2 (..) worker processes, and each
    stage's time."""
    with Progress(console=err, transient=True) as bar:
        task = bar.add_task("preparing", total=None)
        result = bench_hub.run(bookings, tuple(range(1, workers + 1)), people, extractor.value,
                               "serve" if ray else engine, ray,
                               progress=lambda msg, done, total: bar.update(task, description=msg))
    bench_hub.render(result, console)
    write_json(result, False, json_out)


@bench_app.command("chaos")
def chaos(
    transactions: Annotated[int, typer.Option("--transactions", "-n", help="bookings to submit")] = 200,
    kills: Annotated[int, typer.Option("--kills", "-k", help="SIGKILLs of a random server or worker, "
                                                            "spread over the run (each restarted)")] = 10,
    workers: Annotated[int, typer.Option("--workers", help="`scomm work` processes")] = 2,
    servers: Annotated[int, typer.Option("--servers", help="`scomm serve` processes (no worker of their own)")] = 2,
    database: Annotated[Optional[str], typer.Option(
        "--database", help="database URL (default: a new SQLite file in a temporary folder)")] = None,
    people: Annotated[int, typer.Option("--people", help="distinct people booked, a quarter new")] = 40,
    seed: Annotated[int, typer.Option("--seed")] = 1,
    workdir: Annotated[Optional[Path], typer.Option("--workdir", file_okay=False,
                                                    help="keep logs and the database here")] = None,
    json_: Annotated[bool, typer.Option("--json", help="print the figures as one JSON object")] = False,
    json_out: Annotated[Optional[Path], typer.Option("--json-out", metavar="FILE", dir_okay=False,
                                                     help="also write that JSON object to FILE")] = None,
) -> None:
    """Bookings through several servers and workers on one database while processes are
    killed and restarted; then, from the database: lost, duplicated, stuck, in error;
    throughput and /health latency under load. Exits 1 unless every booking was done
    exactly once."""

    cfg = bench_chaos.ChaosConfig(transactions=transactions, kills=kills, workers=workers,
                                  servers=servers, database=database, people=people, seed=seed,
                                  workdir=workdir)
    with err.status("starting") as status:
        result = bench_chaos.run(cfg, progress=lambda msg: status.update(msg))
    if not json_:
        bench_chaos.render(result, Console(width=max(console.width, 110)))
    if json_ or json_out is not None:
        write_json(result, json_, json_out)
    if not result["ok"]:
        raise typer.Exit(1)



bench_app.command("synth", help="Synthetic prints against SFinGe's FVC2002/2004 DB4_B: score distributions, "
                                "KS distances and a plot.")(_synth)
