"""``scomm engine serve|status``: the identification engine (abis/) as its own process, for
every API server and worker of a hub (they call it when SCOMM_ENGINE_URL is set).
Registered in :mod:`scomm.cli`."""
from __future__ import annotations

import json
import time
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Optional

import typer
import uvicorn
from rich.table import Table

from .api.engine import create_engine_app
from .bootstrap import bootstrap
from .cli_common import DatabaseOpt, JsonOpt, console, err, hub_for, loopback
from .config import Settings
from .processes import exit_with_parent as watch

engine_app = typer.Typer(no_args_is_help=True, add_completion=False,
                         help="The identification engine: the CJIS and IDENT galleries behind an ABIS interface.")


@engine_app.command("serve")
def engine_serve(host: Annotated[Optional[str], typer.Option(help="default: SCOMM_HOST")] = None,
                 port: Annotated[Optional[int], typer.Option(help="default: SCOMM_ENGINE_PORT")] = None,
                 certfile: Annotated[Optional[Path], typer.Option(help="TLS certificate (PEM)")] = None,
                 keyfile: Annotated[Optional[Path], typer.Option(help="TLS private key (PEM)")] = None,
                 ray: Annotated[Optional[str], typer.Option(
                     "--ray", help="split the galleries into shards on the Ray cluster at this address "
                                   "('local': start one here; default: SCOMM_RAY_ADDRESS)")] = None,
                 shards: Annotated[Optional[int], typer.Option(help="shards per gallery (default: "
                                                                    "SCOMM_ENGINE_SHARDS)", min=1)] = None,
                 exit_with_parent: Annotated[Optional[int], typer.Option(hidden=True)] = None,
                 database: DatabaseOpt = None) -> None:
    """Load the galleries once (from their files, then the database) and answer identify,
    verify, insert, ping and jobs (OpenAPI at /docs). Plain HTTP on loopback only."""
    if (certfile is None) != (keyfile is None):
        err.print("--certfile and --keyfile go together")
        raise typer.Exit(2)
    settings = Settings()
    settings = settings.model_copy(update={"engine_url": None,     # it is the engine
                                           "ray_address": ray or settings.ray_address,
                                           "engine_shards": shards or settings.engine_shards})
    hub = bootstrap(settings, database_url=database)
    host, port = host or settings.host, port or settings.engine_port
    if certfile is None and not loopback(host):
        err.print(f"refusing to serve plain HTTP on {host}: give --certfile and --keyfile")
        raise typer.Exit(2)
    if exit_with_parent:
        watch(exit_with_parent)
    t0 = time.perf_counter()
    galleries = hub.deps.engine.ping()    # loads both galleries before the first request
    where = f"{settings.engine_shards} shards each on Ray" if settings.ray_address else "in this process"
    console.print(f"galleries loaded in {time.perf_counter() - t0:.1f} s ({where}): "
                  + ", ".join(f"{g.name} {g.subjects} subjects" for g in galleries))
    console.print(f"engine on http{'s' if certfile else ''}://{host}:{port} (API docs: /docs; Ctrl-C to stop)")
    uvicorn.run(create_engine_app(hub), host=host, port=port, log_level="warning", timeout_graceful_shutdown=10,
                ssl_certfile=certfile and str(certfile), ssl_keyfile=keyfile and str(keyfile))


@engine_app.command("status")
def engine_status(json_: JsonOpt = False, database: DatabaseOpt = None) -> None:
    """The engine's galleries (the served one when SCOMM_ENGINE_URL is set) and its pending jobs."""
    engine = hub_for(database).deps.engine
    galleries, jobs = engine.ping(), engine.pending()
    if json_:
        console.print_json(json.dumps({"galleries": [asdict(g) for g in galleries],
                                       "jobs": [asdict(j) for j in jobs]}))
        return
    t = Table("gallery", "subjects", "fingers", "up to id", "decision rule")
    for g in galleries:
        t.add_row(g.name, str(g.subjects), str(g.fingers), str(g.high_water), g.rule)
    console.print(t)
    console.print(f"{len(jobs)} pending job(s)")
