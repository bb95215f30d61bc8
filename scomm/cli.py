"""The ``scomm`` command line."""
from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
import time
from datetime import date
from pathlib import Path
from typing import Annotated, Optional, TypedDict

import typer
import uvicorn
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from .api.app import create_app
from .application import cases, transactions as use_transactions
from .application.transactions import NotFound
from .bench.cli import bench_app
from .bootstrap import Hub
from .bus import describe_failure
from .cli_common import DatabaseOpt, console, err, hub_for, loopback, operator
from .cli_engine import engine_app
from .cli_index import index_app
from .cli_policy import SUB_APPS
from .cli_report import report_app
from .cli_security import SUB_APPS as SECURITY_APPS
from .cli_simulate import register as register_simulate
from .config import Settings
from .processes import exit_with_parent as watch
from .security.keys import ensure_keys
from .storage.tables import PersonRow
from .worker import stop_on_signals, work as run_worker
from .world.booking import BookingOrder, make_car
from .world.demo import demo_accounts, print_accounts, run_demo
from .world.seed import seed_world
from .world.stream import new_person, person_of

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  help="Secure Communities, end to end: booking -> CJIS -> IDENT -> LESC -> ICE.")
def progress_bar() -> Progress:
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=err, transient=False)


@app.command()
def init(database: DatabaseOpt = None) -> None:
    """Create or migrate the database (Alembic) and the key files (mode 0600). Safe to run twice."""
    settings = Settings()
    had_master = settings.master_key_path.exists()
    made = ensure_keys(settings.key_dir)
    hub = hub_for(database)   # a new database's first migration makes the master key
    if not had_master and settings.master_key_path.exists():
        made.append(settings.master_key_path)
    console.print(f"database ready: {hub.db.engine.url.render_as_string(hide_password=True)}")
    for path in made:
        console.print(f"key file created: {path}")


@app.command()
def seed(subjects: Annotated[int, typer.Option(help="people to add to the world")] = 100,
         seed: Annotated[int, typer.Option(help="world seed")] = 1,
         database: DatabaseOpt = None) -> None:
    """Build a synthetic world: criminal master file, IDENT, and the people behind them."""

    hub = hub_for(database)
    report = _seed(hub, subjects, seed)
    console.print(f"seeded {report.persons} people: {report.cjis_subjects} in the criminal file, "
                  f"{report.ident_identities} in IDENT; profiles {report.by_profile}")


def _seed(hub: Hub, subjects: int, world_seed: int):
    with progress_bar() as bar, hub.db.session() as s:
        task = bar.add_task("rendering and enrolling tenprints", total=None)
        report = seed_world(s, hub.deps.jurisdictions, subjects, world_seed,
                            progress=lambda k: bar.advance(task, k), extractor=hub.deps.extractor)
    return report


@app.command("make-booking")
def make_booking(
    output: Annotated[Path, typer.Option("-o", "--output", help="file to write")],
    county: Annotated[str, typer.Option(help="5-digit county FIPS of the booking jail")],
    date_: Annotated[str, typer.Option("--date", help="arrest date YYYY-MM-DD")],
    charge: Annotated[list[str], typer.Option(help="NCIC offence code (repeat for more)")],
    subject: Annotated[Optional[str], typer.Option(help="person id from the world")] = None,
    new: Annotated[bool, typer.Option("--new", help="someone never seen before")] = False,
    impression: Annotated[int, typer.Option(help="which fresh impression")] = 1,
    tcn: Annotated[Optional[str], typer.Option(help="override the TCN")] = None,
    database: DatabaseOpt = None,
) -> None:
    """Write a criminal tenprint submission (EBTS CAR, WSQ images) for one person."""

    if bool(subject) == new:
        raise typer.BadParameter("give exactly one of --subject ID or --new")
    hub = hub_for(database)
    with hub.db.session() as s:
        if new:
            index = int(time.time() * 1000) % 10**9 + impression
            person = new_person(s, index)
        else:
            row = s.get(PersonRow, subject)
            if row is None:
                raise typer.BadParameter(f"no person {subject!r} in the world (run `scomm seed`)")
            person = person_of(row)
    order = BookingOrder(person, hub.deps.jurisdictions.sheriff_ori(county),
                         date.fromisoformat(date_), tuple(charge), impression, tcn or "")
    output.write_bytes(make_car(order))
    console.print(f"wrote {output} ({output.stat().st_size} bytes) for {person.id} "
                  f"({person.name}), ORI {order.ori}")


class Submitted(TypedDict):
    """What ``scomm submit`` says of one file (``--json``: a list of these)."""

    file: str
    tcn: str | None
    transaction: int
    accepted: bool
    state: str
    duplicate: bool
    errors: list[dict[str, str]]   # record, field, reason
    outcome: str


@app.command()
def submit(files: Annotated[list[Path], typer.Argument(help="ANSI/NIST files")],
           json_: Annotated[bool, typer.Option("--json")] = False,
           no_wait: Annotated[bool, typer.Option("--no-wait", help="store and return")] = False,
           database: DatabaseOpt = None) -> None:
    """Submit transactions; unless --no-wait, run the chain until they are done."""

    hub = hub_for(database)
    by = operator()
    receipts = [(f, hub.submit(f.read_bytes(), f.name, by)) for f in files]
    if not no_wait:
        hub.bus.drain([r.transaction_id for _, r in receipts])
    results: list[Submitted] = []
    for f, r in receipts:
        st = use_transactions.read_transaction(hub.db, by, str(r.transaction_id))
        results.append({"file": str(f), "tcn": st["tcn"], "transaction": st["id"],
                        "accepted": st["accepted"], "state": st["state"], "duplicate": r.duplicate,
                        "errors": st["errors"], "outcome": _one_line(st)})
    if json_:
        print(json.dumps(results, indent=2))
    else:
        for res in results:
            mark = "[green]accepted[/]" if res["accepted"] else "[red]rejected[/]"
            dup = " (duplicate: first result returned)" if res["duplicate"] else ""
            console.print(f"{res['file']}: TCN {res['tcn'] or '-'} {mark}{dup} {res['outcome']}")
            for e in res["errors"]:
                console.print(f"  [red]{e['record']} {e['field']}: {e['reason']}[/]")
    if any(not res["accepted"] for res in results):
        raise typer.Exit(1)


def _brief(data: dict) -> str:
    """The scalar parts of an event, short; nested detail is in ``--json``."""
    parts = [f"{k}={round(v, 2) if isinstance(v, float) else v}" for k, v in data.items()
             if not isinstance(v, (dict, list)) and k != "sha256"]
    return ", ".join(parts)[:160]


def _one_line(st: dict) -> str:
    if not st["accepted"]:
        return ""
    parts = [f"state={st['state']}"]
    if st["cjis"]:
        c = st["cjis"]
        parts.append(f"CJIS {'identified' if c['identified'] else 'new subject'} {c['ucn']}")
    i = st["ident"]
    if i["searched"]:
        parts.append(f"IDENT {'match ' + i['fin'] if i['match'] else 'no match'}")
    elif i["reason_not_searched"]:
        parts.append("IDENT not searched")
    if st["lesc"]:
        parts.append(f"status {st['lesc']['status']}")
    if st["level"]:
        parts.append(f"level {st['level']}")
    if st["detainer"]:
        parts.append("detainer" if st["detainer"]["issued"] else "no detainer")
    return "; ".join(parts)


@app.command()
def status(tcn: Annotated[str, typer.Argument(help="TCN or transaction id")],
           json_: Annotated[bool, typer.Option("--json")] = False,
           database: DatabaseOpt = None) -> None:
    """Everything that happened to one transaction."""

    hub = hub_for(database)
    try:
        st = use_transactions.read_transaction(hub.db, operator(), tcn)
    except NotFound as exc:
        err.print(str(exc))
        raise typer.Exit(2) from None
    if json_:
        print(json.dumps(st, indent=2, default=str))
        return
    console.print(f"[bold]TCN {st['tcn']}[/] (transaction {st['id']}) state [bold]{st['state']}[/]"
                  f"  {_one_line(st)}")
    for e in st["errors"]:
        console.print(f"  [red]{e['record']} {e['field']}: {e['reason']}[/]")
    table = Table("at", "actor", "event", "ms", "detail (full: --json)")
    for e in st["events"]:
        table.add_row(e["at"][11:19], e["actor"], e["kind"], str(e["elapsed_ms"] or ""),
                      _brief(e["data"]))
    console.print(table)
    if st["level"]:
        console.print(f"level {st['level']}: " + "; ".join(st["level_reasons"] or []))


@app.command()
def transactions(json_: Annotated[bool, typer.Option("--json")] = False,
                 limit: Annotated[int, typer.Option(min=1, help="the newest N")] = 1000,
                 database: DatabaseOpt = None) -> None:
    """List the stored transactions, accepted or rejected, newest first."""

    hub = hub_for(database)
    rows = use_transactions.list_transactions(hub.db, operator(), limit)
    if json_:
        print(json.dumps(rows, indent=2))
        return
    table = Table("id", "TCN", "ORI", "TOT", "state", "received", "errors")
    for r in rows:
        table.add_row(str(r["id"]), r["tcn"] or "-", r["ori"] or "-", r["tot"] or "-", r["state"],
                      r["received_at"][:19], str(len(r["errors"])))
    console.print(table)


@app.command()
def outcome(tcn: Annotated[str, typer.Argument(help="TCN or transaction id")],
            result: Annotated[str, typer.Argument(help="removed|returned|released|"
                                                  "proceedings-terminated|us-citizen|detainer-lapsed")],
            note: Annotated[str, typer.Option()] = "",
            database: DatabaseOpt = None) -> None:
    """Record the outcome of a field-office case (audited under your login name)."""

    hub = hub_for(database)
    try:
        out = cases.record_outcome(hub.db, operator(), tcn, result, note)
    except (NotFound, cases.OutcomeError) as exc:
        err.print(str(exc))
        raise typer.Exit(2) from None
    console.print(f"case {out['case']}: outcome {result} recorded")


@app.command()
def work(follow: Annotated[bool, typer.Option("--follow", help="keep polling for new steps")] = False,
         retry_errors: Annotated[bool, typer.Option(
             "--retry-errors", help="first give the steps parked in error new attempts")] = False,
         quiet: Annotated[bool, typer.Option("--quiet", help="print nothing")] = False,
         exit_with_parent: Annotated[Optional[int], typer.Option(
             hidden=True, help="exit when this process is no longer our parent")] = None,
         database: DatabaseOpt = None) -> None:
    """Run the outbox worker: finish every pending step (after a crash, too). Any number
    may run at once, in any number of processes; SIGTERM or Ctrl-C stops it cleanly."""

    if exit_with_parent:
        watch(exit_with_parent)
    stop = threading.Event()
    stop_on_signals(stop)
    hub = hub_for(database)
    if retry_errors:
        retried = hub.bus.retry_errors()
        if not quiet:
            console.print(f"{len(retried)} parked step(s) retried")
    report = None if quiet else (lambda n: console.print(f"{n} steps done"))
    run_worker(hub.bus, stop, follow=follow, on_steps=report)


@app.command()
def serve(host: Annotated[Optional[str], typer.Option()] = None,
          port: Annotated[Optional[int], typer.Option()] = None,
          workers: Annotated[Optional[int], typer.Option(
              help="worker processes to start beside the API (default SCOMM_WORKERS or 1; "
                   "0: run `scomm work` apart)")] = None,
          certfile: Annotated[Optional[Path], typer.Option(
              help="TLS certificate chain (PEM): serve HTTPS")] = None,
          keyfile: Annotated[Optional[Path], typer.Option(help="the certificate's private key (PEM)")] = None,
          insecure_http: Annotated[bool, typer.Option(
              "--insecure-http", help="serve plain HTTP on an address other than loopback (behind a "
                                      "TLS-terminating proxy only)")] = False,
          exit_with_parent: Annotated[Optional[int], typer.Option(
              hidden=True, help="exit when this process is no longer our parent")] = None,
          database: DatabaseOpt = None) -> None:
    """Serve the HTTP API (OpenAPI at /docs) and the pages, with worker processes. Plain
    HTTP only on loopback unless --insecure-http: tokens and personal data travel here."""
    if (certfile is None) != (keyfile is None):
        err.print("--certfile and --keyfile go together")
        raise typer.Exit(2)
    if exit_with_parent:
        watch(exit_with_parent)
    _serve(hub_for(database), host, port, workers, tls=(certfile, keyfile) if certfile and keyfile else None,
           insecure_http=insecure_http)


def _serve(hub: Hub, host: str | None, port: int | None, workers: int | None = None,
           tls: tuple[Path, Path] | None = None, insecure_http: bool = False) -> None:
    host, port = host or hub.settings.host, port or hub.settings.port
    if tls is None and not insecure_http and not loopback(host):
        err.print(f"refusing to serve plain HTTP on {host}: give --certfile and --keyfile, or "
                  "--insecure-http behind a TLS-terminating proxy")
        raise typer.Exit(2)
    workers = hub.settings.workers if workers is None else workers
    console.print(f"serving on http{'s' if tls else ''}://{host}:{port} with {workers} worker process(es) "
                  "(API docs: /docs; Ctrl-C to stop)")
    uvicorn.run(create_app(hub, workers=workers), host=host, port=port, log_level="warning",
                timeout_graceful_shutdown=10, ssl_certfile=tls and str(tls[0]), ssl_keyfile=tls and str(tls[1]),
                forwarded_allow_ips=hub.settings.forwarded_allow_ips)


@app.command()
def demo(subjects: Annotated[int, typer.Option(help="people in the seeded world")] = 50,
         bookings: Annotated[int, typer.Option(help="bookings to send through the chain")] = 40,
         seed: Annotated[int, typer.Option(help="world seed")] = 1,
         no_serve: Annotated[bool, typer.Option("--no-serve", help="exit after the summary")] = False,
         database: DatabaseOpt = None) -> None:
    """Initialise, seed, send bookings across the 2008-2014 rollout, summarise, serve."""

    started = time.perf_counter()
    hub = hub_for(database)
    run_demo(hub, subjects=subjects, bookings=bookings, world_seed=seed, console=console,
             progress=progress_bar, started=started)
    print_accounts(console, demo_accounts(hub), f"http://{hub.settings.host}:{hub.settings.port}")
    if not no_serve:
        _serve(hub, None, None)


app.add_typer(bench_app, name="bench")
for _name, _sub in {**SUB_APPS, **SECURITY_APPS}.items():   # policy, case, holds; users, clients, audit
    app.add_typer(_sub, name=_name)
app.add_typer(report_app, name="report")
app.add_typer(index_app, name="index")
app.add_typer(engine_app, name="engine")
register_simulate(app)                   # simulate, compare


def main() -> int:
    """The ``scomm`` command: any failure is one line naming its reason, never a traceback
    (``SCOMM_DEBUG=1`` shows it); SIGTERM ends a command as Ctrl-C does."""

    signal.signal(signal.SIGTERM, _terminated)
    logging.basicConfig(level=logging.DEBUG if os.environ.get("SCOMM_DEBUG") else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        app()   # usage errors, Exit and Abort end here with their codes (SystemExit)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except KeyboardInterrupt:
        err.print("interrupted")
        return 130
    except Exception as exc:  # noqa: BLE001 - the last word: a reason, not a traceback
        if os.environ.get("SCOMM_DEBUG"):
            raise
        err.print(f"[red]scomm: {describe_failure(exc)}[/]")
        return 1
    return 0


def _terminated(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
