"""``scomm index status|verify|rebuild``: the search galleries' files (storage/gallery_files.py),
from the operator's console. Registered in :mod:`scomm.cli`."""
from __future__ import annotations

import json
import os
from dataclasses import asdict
from typing import Annotated

import typer
from rich.table import Table

from .application import index
from .cli_common import DatabaseOpt, JsonOpt, console, err, hub_for, operator

index_app = typer.Typer(no_args_is_help=True, add_completion=False,
                        help="The search galleries kept in sealed files beside the database.")


@index_app.command("status")
def index_status(json_: JsonOpt = False, database: DatabaseOpt = None) -> None:
    """Per gallery: segments, subjects and fingers in the files, their high-water mark
    against the database's, bytes on disk."""
    hub = hub_for(database)
    rows = index.status(hub.db, hub.galleries, operator())
    if json_:
        console.print_json(json.dumps([asdict(r) for r in rows]))
        return
    t = Table("gallery", "segments", "subjects", "fingers", "files up to id", "database up to id", "bytes", "folder")
    for r in rows:
        t.add_row(r.gallery, str(r.segments), f"{r.subjects:,}", f"{r.fingers:,}", str(r.files_high_water),
                  str(r.database_high_water), f"{r.bytes_on_disk:,}", r.folder)
    console.print(t)


@index_app.command("verify")
def index_verify(database: DatabaseOpt = None) -> None:
    """Every subject and finger in the files against the database; exit 1 naming what differs."""
    hub = hub_for(database)
    problems = index.verify(hub.db, hub.galleries, operator())
    for p in problems:
        err.print(f"[red]{p}[/]")
    if problems:
        raise typer.Exit(1)
    console.print("the galleries' files hold what the database does")


@index_app.command("rebuild")
def index_rebuild(workers: Annotated[int, typer.Option(help="packing processes")] = os.cpu_count() or 1,
                  json_: JsonOpt = False, database: DatabaseOpt = None) -> None:
    """Pack every subject afresh into new files (the searches of running processes go on)."""
    hub = hub_for(database)
    out = index.rebuild(hub.db, hub.galleries, operator(), workers=workers)
    if json_:
        console.print_json(json.dumps(out))
        return
    for name, r in out.items():
        console.print(f"{name}: {r['subjects']:,} subjects, {r['fingers']:,} fingers in {r['seconds']} s "
                      f"({r['fingers_per_second']} fingers/s)")
