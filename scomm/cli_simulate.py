"""``scomm simulate`` and ``scomm compare``: the rollout replay and counterfactual comparison."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from .cli_common import EXTRACTOR_HELP, Extractor, console, err
from .simulation.compare import comparison, load_run
from .simulation.parameters import CALIBRATION_NOTE, ParameterError
from .simulation.run import FIRST_MONTH, LAST_MONTH, RunConfig, RunMismatch, simulate


class _Bar:
    """Rich progress: the month being replayed and bookings per second."""

    def __init__(self, total: int):
        self.progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                                 MofNCompleteColumn(), TextColumn("{task.fields[rate]}"),
                                 TimeElapsedColumn(), TimeRemainingColumn(), console=err)
        self.task = self.progress.add_task("simulating", total=total, rate="")

    def __enter__(self):
        self.progress.__enter__()
        return self

    def __exit__(self, *exc):
        return self.progress.__exit__(*exc)

    def month(self, month: str, booked: int, seconds: float) -> None:
        rate = f"{booked / seconds:.2f} bookings/s" if seconds > 0 and booked else ""
        self.progress.update(self.task, description=f"month {month}", rate=rate)

    def advance(self, n: int) -> None:
        if n:
            self.progress.advance(self.task, n)


def _month(v: str) -> str:
    y, _, m = v.partition("-")
    if not (y.isdigit() and m.isdigit() and len(y) == 4 and 1 <= int(m) <= 12):
        raise typer.BadParameter(f"{v!r}: expected YYYY-MM")
    return f"{int(y):04d}-{int(m):02d}"


def simulate_cmd(
        from_: Annotated[str, typer.Option("--from", help="first month, YYYY-MM")] = FIRST_MONTH,
        to: Annotated[str, typer.Option("--to", help="last month, YYYY-MM")] = LAST_MONTH,
        scale: Annotated[Optional[float], typer.Option(
            help="fraction of real bookings replayed (default: the parameter file's "
                 "default_scale, 1e-5: ~740 bookings for 2008-10..2014-11)")] = None,
        policy: Annotated[Optional[Path], typer.Option(
            help="policy file for a counterfactual (scomm/data/counterfactuals/*.json)")] = None,
        out: Annotated[Path, typer.Option(help="run directory (run.json, scomm.db)")]
        = Path("runs/baseline"),
        seed: Annotated[int, typer.Option(help="random seed (same seed: same people)")] = 1,
        parameters: Annotated[Optional[Path], typer.Option(
            help="parameter file (default scomm/data/simulation.toml)")] = None,
        workers: Annotated[Optional[int], typer.Option(help="rendering processes")] = None,
        render_cache: Annotated[Optional[Path], typer.Option(
            help="directory caching rendered prints; runs with the same seed share them "
                 "(a counterfactual after its baseline skips the rendering)")] = None,
        database: Annotated[Optional[str], typer.Option(
            help="database URL (default sqlite:///DIR/scomm.db)")] = None,
        extractor: Annotated[Extractor, typer.Option(
            "--extractor", help=EXTRACTOR_HELP + "; the replay uses the classical one by default, for "
                                "speed")] = Extractor.classical,
        json_: Annotated[bool, typer.Option("--json", help="print run.json")] = False,
) -> None:
    """Replay the 2008-2014 rollout month by month through the real pipeline.

    Calibration to published aggregates, not evidence. Rerunning the same command
    continues an unfinished run.
    """
    first, last = _month(from_), _month(to)
    if first > last:
        raise typer.BadParameter(f"--from {first} is after --to {last}")
    cfg = RunConfig(first=first, last=last, scale=scale, seed=seed, out=out,
                    policy=str(policy.resolve()) if policy else None,
                    parameters=str(parameters.resolve()) if parameters else None,
                    database=database, workers=workers, extractor=extractor.value,
                    render_cache=str(render_cache) if render_cache else None)
    err.print(f"[yellow]{CALIBRATION_NOTE}[/yellow]")
    try:
        run = simulate(cfg, progress=_Bar, log=err.print)
    except (ParameterError, RunMismatch) as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    except Exception as exc:
        if type(exc).__name__ == "PolicyFileError":
            err.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(2) from None
        raise
    if json_:
        json.dump(run, sys.stdout, indent=2, default=str)
        print()
        return
    print_run(run)


def print_run(run: dict) -> None:
    t = Table(title=f"scomm simulate: national outcome table ({run['policy'].get('label')}; "
                    f"{run['identity']['from']}..{run['to']}, scale {run['identity']['scale']})")
    t.add_column("figure")
    t.add_column("run", justify="right")
    for k, v in run["national_summary"].items():
        t.add_row(k, ", ".join(f"{lv}: {n}" for lv, n in v.items()) if isinstance(v, dict) else str(v))
    console.print(t)
    for scope, rows in run.get("published_check", {}).items():
        if scope != "note":
            console.print(published_table(scope, rows))
    y = Table(title="per year")
    figures = ("bookings", "submissions", "ident_matches", "detainers", "custody", "removed",
               "removed_noncriminal_pct")
    y.add_column("year")
    for f in figures:
        y.add_column(f, justify="right")
    for year, s in run["per_year"].items():
        y.add_row(year, *(str(s[f]) for f in figures))
    console.print(y)
    tm = run["timings"]
    console.print(f"wall time {tm['wall_s']} s, {tm['bookings']} bookings, "
                  f"{tm['bookings_per_s']} bookings/s (all invocations); run.json in "
                  f"{run['database']}".replace("sqlite:///", "").replace("scomm.db", ""))
    console.print(f"[yellow]{run['note']}[/yellow]")


def published_table(scope: str, rows: list[dict]) -> Table:
    t = Table(title=f"against the published figures (ICE IDENT/IAFIS Interoperability "
                    f"Statistics, GAO-12-708: scomm/data/SOURCES.md): {scope}")
    for col in ("figure", "run", "run %", "95% interval", "published %", "consistent"):
        t.add_column(col, justify="left" if col == "figure" else "right")
    for r in rows:
        ci = r["ci95_pct"]
        t.add_row(r["label"], f"{r['numerator']} / {r['denominator']}", _s(r["run_pct"]),
                  f"{ci[0]}-{ci[1]}" if ci else "-", r["published_pct"],
                  "yes" if r["consistent"] else "[red]no[/red]")
    return t


def compare_cmd(runs: Annotated[list[Path], typer.Argument(
                    help="run directories (or run.json files): the first is A, the baseline")],
                json_: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Runs' national outcome tables side by side, each with its difference from A, and per year."""
    if len(runs) < 2:
        err.print("[red]error:[/red] give at least two runs (A, the baseline, then B ...)")
        raise typer.Exit(2)
    try:
        c = comparison([load_run(r) for r in runs])
    except (FileNotFoundError, ValueError) as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    if json_:
        json.dump(c, sys.stdout, indent=2)
        print()
        return
    names = [r["name"] for r in c["runs"]]
    console.print("\n".join(f"{r['name']}: {r['run']}" for r in c["runs"]))
    for title, rows, lead in (("national outcome table", c["national"], ()),
                              ("per year", c["per_year"], ("year",))):
        t = Table(title=title)
        for col in (*lead, "figure", names[0], *(f"{n}  ({n} - A)" for n in names[1:])):
            t.add_column(col, justify="left" if col in ("year", "figure") else "right")
        for r in rows:
            t.add_row(*(r[k] for k in lead), r["figure"], _s(r["values"][0]),
                      *(f"{_s(v)}  ({_s(d)})" for v, d in zip(r["values"][1:], r["diffs"])))
        console.print(t)
    console.print(f"[yellow]{c['note']}[/yellow]")


def _s(v) -> str:
    return "-" if v is None else str(v)


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate_cmd)
    app.command("compare")(compare_cmd)
