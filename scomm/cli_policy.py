"""``scomm policy``, ``scomm case`` and ``scomm holds``: policies as dated data, the
jail's side of a detainer. Registered in :mod:`scomm.cli` (``SUB_APPS``)."""
from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn, Optional

import typer
from rich.table import Table

from .application import cases, policies
from .application.cases import OutcomeError
from .application.transactions import NotFound
from .cli_common import DatabaseOpt, JsonOpt, console, err, hub_for, operator
from .domain.policyset import PolicyFileError, PolicySet, policy_origin
from .storage.policies import PolicyNotFound

policy_app = typer.Typer(no_args_is_help=True, add_completion=False,
                         help="Policies as dated data: frameworks, agreements, user entries (audited).")
case_app = typer.Typer(no_args_is_help=True, add_completion=False,
                       help="The jail's side of a case: release (the 48-hour hold), ICE custody.")
holds_app = typer.Typer(no_args_is_help=True, add_completion=False,
                        help="Detainer holds: close those that lapsed.")
SUB_APPS = {"policy": policy_app, "case": case_app, "holds": holds_app}

PolicyOpt = Annotated[Optional[Path], typer.Option("--policy", help="a policy file (JSON) laid "
                                                   "over the record and the user entries")]


def _base(policy: Path | None) -> PolicySet:
    if policy is None:
        return PolicySet.packaged()
    try:
        return PolicySet.from_file(policy)
    except (PolicyFileError, OSError) as exc:
        _fail(exc)


def _fail(exc: Exception, code: int = 1) -> NoReturn:
    if isinstance(exc, PolicyFileError):
        err.print(f"[red]{len(exc.problems)} problem(s):[/]")
        for f, m in exc.problems:
            err.print(f"  [red]{f}[/]: {m}")
    else:
        err.print(f"[red]{exc}[/]")
    raise typer.Exit(code)


def _dump(obj: Any) -> None:
    print(json.dumps(obj, indent=2, default=str))


def _when(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"not an ISO date-time: {text!r} (e.g. 2012-03-02T17:00)") from None


# ---------------------------------------------------------------- scomm policy

@policy_app.command()
def frameworks(json_: JsonOpt = False, policy: PolicyOpt = None) -> None:
    """The priority frameworks with their dates and sources (moved by --policy)."""
    shown = policies.frameworks(operator(), _base(policy))
    if json_:
        _dump(shown)
        return
    t = Table("framework", "in force", "title", "source", title=f"priority frameworks ({shown['policy']})")
    for r in shown["frameworks"]:
        span = ("overtaken: never in force" if r["overtaken"] else
                f"{r['from']} .. {r['to'] or ''}" + (f" (moved from {r['registry_from']})"
                                                     if r["moved"] else ""))
        t.add_row(r["id"], span, r["title"], r["source"])
    console.print(t)


@policy_app.command("list")
def list_(state: Annotated[Optional[str], typer.Option(help="postal code, or US")] = None,
          topic: Annotated[Optional[str], typer.Option(help="moa, opt_out, sib_forwards_idr, "
                                                       "jail_detainer_policy, event")] = None,
          json_: JsonOpt = False, policy: PolicyOpt = None, database: DatabaseOpt = None) -> None:
    """Every jurisdiction entry in force in the record (packaged, user, policy file)."""
    es = policies.entries(hub_for(database).db, operator(), _base(policy), state, topic)
    if json_:
        _dump([e.to_dict() for e in es])
        return
    t = Table("id", "from", "topic", "value", "origin", "summary")
    for e in es:
        t.add_row(e.id, e.effective_from.isoformat(), e.topic, str(e.value), policy_origin(e),
                  e.summary[:90])
    console.print(t)


@policy_app.command()
def show(state: Annotated[str, typer.Argument(help="postal code, e.g. IL")],
         county: Annotated[Optional[str], typer.Option(help="5-digit county FIPS")] = None,
         on: Annotated[Optional[str], typer.Option(help="date YYYY-MM-DD (default today)")] = None,
         json_: JsonOpt = False, policy: PolicyOpt = None, database: DatabaseOpt = None) -> None:
    """A state's (or county's) agreements on a date, with reasons and sources, and history."""
    try:
        day = date.fromisoformat(on) if on else date.today()
    except ValueError:
        raise typer.BadParameter(f"not a date YYYY-MM-DD: {on!r}") from None
    hub = hub_for(database)
    try:
        st = policies.standing(hub.db, operator(), _base(policy), hub.deps.jurisdictions, state, county, day)
    except NotFound as exc:
        _fail(exc, 2)
    a, hist = st.agreement, st.history
    if json_:
        _dump(st.to_dict())
        return
    where = f"{state.upper()}{' county ' + county if county else ''}"
    console.print(f"[bold]{where} on {day.isoformat()}[/] ({st.policy}); {st.framework}")
    t = Table("question", "answer", "why", "entries (sources)")
    for label, f in (("MOA in force", a.moa_in_force), ("opt-out requested", a.opt_out_requested),
                     ("opt-out effective", a.opt_out_effective),
                     ("SIB passes IDRs", a.sib_forwards_idr),
                     ("jail honours detainers", a.jail_honours_detainer)):
        t.add_row(label, str(f.value), f.reason,
                  "\n".join(f"{e.cite()} [{policy_origin(e)}]" for e in f.entries))
    console.print(t)
    h = Table("from", "scope", "topic", "value", "id", "origin", title="history")
    for e in hist:
        h.add_row(e.effective_from.isoformat(), e.scope, e.topic, str(e.value), e.id,
                  policy_origin(e))
    console.print(h)


@policy_app.command()
def add(file: Annotated[Path, typer.Argument(help="JSON: one entry, a list, or {\"entries\": [...]}")],
        database: DatabaseOpt = None) -> None:
    """Add or override user entries (validated; every problem named; audited)."""
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        _fail(exc)
    rows = data["entries"] if isinstance(data, dict) and "entries" in data else data
    hub, by = hub_for(database), operator()
    try:
        added = policies.add(hub.db, by, rows)
    except PolicyFileError as exc:
        _fail(exc)
    for e in added:
        console.print(f"policy entry {e.id} ({e.topic}, {e.state}, from "
                      f"{e.effective_from.isoformat()}) recorded by {by.name}")


@policy_app.command()
def retire(entry_id: Annotated[str, typer.Argument(help="id of an active user entry")],
           database: DatabaseOpt = None) -> None:
    """Retire a user entry (audited); the record underneath applies again."""
    hub = hub_for(database)
    try:
        policies.retire(hub.db, operator(), entry_id)
    except PolicyNotFound as exc:
        _fail(exc, 2)
    console.print(f"policy entry {entry_id} retired")


# ---------------------------------------------------------------- scomm case / holds

def _on_case(record, tcn: str, when: datetime, database: str | None) -> dict:
    """Run a case recorder as the local operator; a missing or closed case exits 2."""
    hub = hub_for(database)
    try:
        return record(hub.db, operator(), tcn, when)
    except (NotFound, OutcomeError) as exc:
        _fail(exc, 2)


@case_app.command()
def release(tcn: Annotated[str, typer.Argument(help="TCN or transaction id")],
            at: Annotated[str, typer.Option("--at", help="when the jail was due to release "
                                            "the person (ISO date-time)")],
            json_: JsonOpt = False, database: DatabaseOpt = None) -> None:
    """The jail was due to release the person: start the 48-hour hold, or release."""
    out = _on_case(cases.record_release, tcn, _when(at), database)
    held = out["hold"]
    if json_:
        _dump(out)
    elif held["lapses_at"]:
        console.print(f"case {out['case']}: held on the detainer until {held['lapses_at']}"
                      + (f" (not counted: {', '.join(d for d, _ in held['excluded_days'])})"
                         if held["excluded_days"] else ""))
    else:
        console.print(f"case {out['case']}: released ({held['reasons'][0]})")


@case_app.command()
def custody(tcn: Annotated[str, typer.Argument(help="TCN or transaction id")],
            at: Annotated[str, typer.Option("--at", help="when ICE took custody (ISO)")],
            database: DatabaseOpt = None) -> None:
    """ICE took custody of the person."""
    when = _when(at)
    out = _on_case(cases.record_custody, tcn, when, database)
    console.print(f"case {out['case']}: in ICE custody from {when.isoformat()}")


@holds_app.command()
def sweep(at: Annotated[Optional[str], typer.Option("--at", help="as of (ISO; default now)")] = None,
          json_: JsonOpt = False, database: DatabaseOpt = None) -> None:
    """Release everyone whose hold lapsed with no ICE custody (outcome detainer-lapsed)."""
    out = cases.sweep_holds(hub_for(database).db, operator(), _when(at) if at else None)
    if json_:
        _dump(out)
    else:
        closed = out["lapsed"]
        console.print(f"{len(closed)} hold(s) lapsed as of {out['at']}"
                      + (f": cases {', '.join(map(str, closed))}" if closed else ""))
