"""``scomm policy``, ``scomm case`` and ``scomm holds``: policies as dated data, the
jail's side of a detainer. Registered in :mod:`scomm.cli` (``SUB_APPS``)."""
from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn, Optional

import typer
from rich.table import Table

from .agencies.field_office import OutcomeError, case_for, record_custody, record_release, sweep_lapsed_holds
from .bootstrap import Hub
from .cli_common import DatabaseOpt, JsonOpt, console, err, hub_for
from .clock import now
from .domain.agreements import history
from .domain.policyset import PolicyFileError, PolicySet, parse_entries, policy_origin
from .storage.audit import audit_rows
from .storage.policies import PolicyNotFound, add_entry, policy_set, retire_entry
from .views import find_transaction

policy_app = typer.Typer(no_args_is_help=True, add_completion=False,
                         help="Policies as dated data: frameworks, agreements, user entries, audit.")
case_app = typer.Typer(no_args_is_help=True, add_completion=False,
                       help="The jail's side of a case: release (the 48-hour hold), ICE custody.")
holds_app = typer.Typer(no_args_is_help=True, add_completion=False,
                        help="Detainer holds: close those that lapsed.")
SUB_APPS = {"policy": policy_app, "case": case_app, "holds": holds_app}

PolicyOpt = Annotated[Optional[Path], typer.Option("--policy", help="a policy file (JSON) laid "
                                                   "over the record and the user entries")]
ActorOpt = Annotated[str, typer.Option("--actor", help="who makes the change (audited)")]


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


def _effective(hub: Hub, policy: Path | None) -> PolicySet:
    with hub.db.session() as s:
        return policy_set(s, _base(policy))


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
    ps = _base(policy)
    rows = ps.framework_table()
    if json_:
        _dump({"policy": ps.label, "frameworks": rows,
               "detainer_policies": ps.detainer_policies.periods(),
               "pep_forms_from": ps.pep_forms_from.isoformat()})
        return
    t = Table("framework", "in force", "title", "source", title=f"priority frameworks ({ps.label})")
    for r in rows:
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
    ps = _effective(hub_for(database), policy)
    es = [e for e in sorted(ps.entries, key=lambda e: (e.state, e.effective_from, e.topic))
          if (not state or e.state == state.upper()) and (not topic or e.topic == topic)]
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
    ps = _effective(hub_for(database), policy)
    a = ps.agreement(state, county, day)
    hist = history(state, county, entries=ps.entries)
    if json_:
        _dump({"policy": ps.label, "framework": ps.framework_choice(day).reason,
               "agreement": a.to_dict(), "history": [e.to_dict() for e in hist]})
        return
    where = f"{state.upper()}{' county ' + county if county else ''}"
    console.print(f"[bold]{where} on {day.isoformat()}[/] ({ps.label}); "
                  f"{ps.framework_choice(day).reason}")
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
        actor: ActorOpt, database: DatabaseOpt = None) -> None:
    """Add or override user entries (validated; every problem named; audited)."""
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        _fail(exc)
    rows = data["entries"] if isinstance(data, dict) and "entries" in data else data
    try:
        parse_entries(rows)
    except PolicyFileError as exc:
        _fail(exc)
    rows = [rows] if isinstance(rows, dict) else rows
    hub = hub_for(database)
    with hub.db.session() as s:
        added = [add_entry(s, r, actor) for r in rows]
    for e in added:
        console.print(f"policy entry {e.id} ({e.topic}, {e.state}, from "
                      f"{e.effective_from.isoformat()}) recorded by {actor}")


@policy_app.command()
def retire(entry_id: Annotated[str, typer.Argument(help="id of an active user entry")],
           actor: ActorOpt, database: DatabaseOpt = None) -> None:
    """Retire a user entry (audited); the record underneath applies again."""
    hub = hub_for(database)
    try:
        with hub.db.session() as s:
            retire_entry(s, entry_id, actor)
    except PolicyNotFound as exc:
        _fail(exc, 2)
    console.print(f"policy entry {entry_id} retired by {actor}")


@policy_app.command()
def audit(json_: JsonOpt = False,
          action: Annotated[Optional[str], typer.Option(help="action prefix, e.g. policy-")] = None,
          database: DatabaseOpt = None) -> None:
    """The audit trail: who changed what, when (policies, outcomes, holds), and who took
    internal (unsuppressed) statistics."""
    hub = hub_for(database)
    with hub.db.session() as s:
        rows = audit_rows(s, action_prefix=action)
    if json_:
        _dump(rows)
        return
    t = Table("at", "actor", "action", "target", "what")
    for r in rows:
        d = r["data"] or {}
        what = (f"{(d.get('before') or {}).get('value', '-')} -> {(d.get('after') or {}).get('value', '-')}"
                if "after" in d else json.dumps(d, default=str)[:80])
        t.add_row(r["at"][:19], r["actor"], r["action"], r["target"], what)
    console.print(t)


# ---------------------------------------------------------------- scomm case / holds

def _case(s, ref: str):
    t = find_transaction(s, ref)
    case = case_for(s, t.id) if t else None
    if case is None:
        err.print(f"no field-office case for {ref!r}")
        raise typer.Exit(2)
    return case


@case_app.command()
def release(tcn: Annotated[str, typer.Argument(help="TCN or transaction id")],
            at: Annotated[str, typer.Option("--at", help="when the jail was due to release "
                                            "the person (ISO date-time)")],
            actor: Annotated[str, typer.Option("--actor")] = "cli",
            json_: JsonOpt = False, database: DatabaseOpt = None) -> None:
    """The jail was due to release the person: start the 48-hour hold, or release."""
    when = _when(at)
    hub = hub_for(database)
    try:
        with hub.db.session() as s:
            case = _case(s, tcn)
            held = record_release(s, case, when, actor)
            out = {"case": case.id, "status": case.status, "outcome": case.outcome, "hold": held}
    except OutcomeError as exc:
        _fail(exc, 2)
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
            actor: Annotated[str, typer.Option("--actor")] = "cli",
            database: DatabaseOpt = None) -> None:
    """ICE took custody of the person."""
    when = _when(at)
    hub = hub_for(database)
    try:
        with hub.db.session() as s:
            case = _case(s, tcn)
            record_custody(s, case, when, actor)
            cid = case.id
    except OutcomeError as exc:
        _fail(exc, 2)
    console.print(f"case {cid}: in ICE custody from {when.isoformat()}")


@holds_app.command()
def sweep(at: Annotated[Optional[str], typer.Option("--at", help="as of (ISO; default now)")] = None,
          actor: Annotated[str, typer.Option("--actor")] = "cli",
          json_: JsonOpt = False, database: DatabaseOpt = None) -> None:
    """Release everyone whose hold lapsed with no ICE custody (outcome detainer-lapsed)."""
    when = _when(at) if at else now()
    hub = hub_for(database)
    with hub.db.session() as s:
        closed = sweep_lapsed_holds(s, when, actor)
    if json_:
        _dump({"at": when.isoformat(), "lapsed": closed})
    else:
        console.print(f"{len(closed)} hold(s) lapsed as of {when.isoformat()}"
                      + (f": cases {', '.join(map(str, closed))}" if closed else ""))
