"""``scomm report``: the monthly interoperability table and the oversight figures.

Suppression defaults: HTML and PDF are publication formats and default to
``--public`` (small counts suppressed). CSV and JSON are analysis formats whose
cells must add up (rows to totals, months to cumulative, runs compared side by
side), so they default to ``--internal``; their header says which they are,
and ``--public`` gives the suppressed version of any format. Internal output is
recorded in the audit trail under the login name (``scomm audit show``).
"""
from __future__ import annotations

import sys
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from .application.statistics import disclose
from .cli_common import DatabaseOpt, hub_for, operator
from .statistics import render
from .statistics.facts import booking_facts
from .statistics.monthly import monthly_table, parse_month
from .statistics.oversight import oversight_figures

report_app = typer.Typer(no_args_is_help=True, add_completion=False,
                         help="Statistics reports: the monthly IDENT/IAFIS table, oversight figures.")

PublicOpt = Annotated[Optional[bool], typer.Option(
    "--public/--internal",
    help="suppress small counts (default: public for html/pdf, internal for csv/json)")]
OutOpt = Annotated[Optional[Path], typer.Option("--out", "-o", help="file to write (default stdout)")]


class MonthlyFormat(str, Enum):
    csv = "csv"
    html = "html"
    pdf = "pdf"


class OversightFormat(str, Enum):
    json = "json"
    html = "html"
    csv = "csv"


def _disclose(hub, public: bool, report: str, params: dict) -> None:
    """Internal output shows small counts: record who took it (the login name), for what."""
    disclose(hub.db, operator(), public, report, {**params, "via": "cli"})


def _facts(database: str | None, month_to: str | None = None):

    hub = hub_for(database)
    with hub.db.session() as s:
        facts = booking_facts(s, month_to=month_to)
    return hub, facts, hub.db.engine.url.render_as_string(hide_password=True)


def _write(data: str | bytes, out: Path | None) -> None:
    if out is not None:
        out.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
        typer.echo(f"wrote {out}", err=True)
    elif isinstance(data, bytes):
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        sys.stdout.write(data)


@report_app.command("monthly")
def monthly(month: Annotated[str, typer.Option("--month", help="YYYY-MM")],
            format_: Annotated[MonthlyFormat, typer.Option("--format")] = MonthlyFormat.csv,
            out: OutOpt = None, public: PublicOpt = None, database: DatabaseOpt = None) -> None:
    """The month's table in the layout of ICE's IDENT/IAFIS Interoperability Statistics."""

    try:
        parse_month(month)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--month") from None
    if public is None:
        public = format_ is not MonthlyFormat.csv
    hub, facts, source = _facts(database, month_to=month)
    table = monthly_table(facts, month, hub.deps.jurisdictions, public=public, source=source)
    _disclose(hub, public, "monthly", {"month": month, "format": format_.value})
    if format_ is MonthlyFormat.csv:
        _write(render.monthly_csv(table), out)
    elif format_ is MonthlyFormat.html:
        _write(render.monthly_html(table), out)
    else:
        _write(render.monthly_pdf(table), out)


@report_app.command("oversight")
def oversight(format_: Annotated[OversightFormat, typer.Option("--format")] = OversightFormat.json,
              out: OutOpt = None, public: PublicOpt = None, database: DatabaseOpt = None) -> None:
    """Oversight figures ICE did not publish, each with its definition and its SQL."""

    if public is None:
        public = format_ is OversightFormat.html
    hub, facts, source = _facts(database)
    figs = oversight_figures(facts, hub.deps.jurisdictions, public=public,
                               dialect=hub.db.engine.dialect.name)
    _disclose(hub, public, "oversight", {"format": format_.value})
    if format_ is OversightFormat.json:
        _write(render.oversight_json(figs, public=public, source=source) + "\n", out)
    elif format_ is OversightFormat.csv:
        _write(render.oversight_csv(figs), out)
    else:
        _write(render.oversight_html(figs, public=public, source=source,
                                     generated_at=datetime.now(UTC).isoformat(
                                         timespec="seconds")), out)
