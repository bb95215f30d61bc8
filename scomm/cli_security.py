"""``scomm users``, ``scomm clients``, ``scomm audit`` and ``scomm keys``: accounts, the audit
trail and the keys at rest, from the local operator's console (recorded under the operating-system user). Registered in
:mod:`scomm.cli` (``SUB_APPS``)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, NoReturn, Optional

import typer
from rich.table import Table

from .application import accounts, audit_trail, keys
from .cli_common import DatabaseOpt, JsonOpt, console, err, hub_for, operator
from .clock import now
from .config import Settings
from .domain.jurisdictions import Jurisdictions
from .security.audit_chain import Checkpoint
from .security.keys import KeyFileError, audit_signing_key
from .security.principal import ACCOUNT_ROLES, Role

users_app = typer.Typer(no_args_is_help=True, add_completion=False,
                        help="People's accounts: password (argon2id) and TOTP, one role each.")
clients_app = typer.Typer(no_args_is_help=True, add_completion=False,
                          help="Machine clients (livescan stations, jail systems): OAuth2 client credentials.")
audit_app = typer.Typer(no_args_is_help=True, add_completion=False,
                        help="The audit trail: show it, verify its hash chain, sign a checkpoint.")
keys_app = typer.Typer(no_args_is_help=True, add_completion=False,
                       help="The keys that encrypt the database at rest (AES-256-GCM).")
SUB_APPS = {"users": users_app, "clients": clients_app, "audit": audit_app, "keys": keys_app}

ROLES = ", ".join(ACCOUNT_ROLES)
OriOpt = Annotated[Optional[str], typer.Option("--ori", help="the ORI a booking-agency account is bound to")]


def _fail(exc: Exception, code: int = 2) -> NoReturn:
    err.print(f"[red]{exc}[/]")
    raise typer.Exit(code)


def _print(obj: Any, json_: bool, text: str) -> None:
    console.print_json(json.dumps(obj)) if json_ else console.print(text)


def _role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        _fail(accounts.AccountError(f"role {role!r}: expected one of {ROLES}"))


@users_app.command("add")
def users_add(name: Annotated[str, typer.Argument(help="the account's name")],
              role: Annotated[str, typer.Option("--role", help=ROLES)],
              ori: OriOpt = None,
              state: Annotated[Optional[str], typer.Option("--state", help="a state-bureau's state")] = None,
              field_office: Annotated[Optional[str], typer.Option(
                  "--field-office", help="a field-office account's area of responsibility code")] = None,
              json_: JsonOpt = False, database: DatabaseOpt = None) -> None:
    """Add an account; prints its initial password and TOTP secret (shown once)."""
    binding = accounts.Binding(_role(role), ori, state, field_office)
    hub = hub_for(database)
    try:
        with hub.db.session() as s:
            u = accounts.add_user(s, operator(), name, binding, Jurisdictions.load_default())
    except accounts.AccountError as exc:
        _fail(exc)
    _print({"name": u.name, "role": u.role, "password": u.password, "totp_secret": u.totp_secret,
            "totp_uri": u.totp_uri}, json_,
           f"account {u.name} ({u.role})\n  password:    {u.password}\n  TOTP secret: {u.totp_secret}\n"
           f"  (authenticator app: {u.totp_uri})")


@users_app.command("list")
def users_list(json_: JsonOpt = False, database: DatabaseOpt = None) -> None:
    """Every account and machine client, with its role and binding."""
    hub = hub_for(database)
    with hub.db.session() as s:
        rows = accounts.list_accounts(s, operator())
    if json_:
        console.print_json(json.dumps(rows))
        return
    t = Table("kind", "name", "role", "bound to", "disabled")
    for r in rows:
        bound = r.get("ori") or r.get("state") or r.get("field_office") or ""
        t.add_row(r["kind"], r["name"] + (f" ({r['client_id']})" if r.get("client_id") else ""),
                  r["role"], bound, "yes" if r["disabled"] else "")
    console.print(t)


def _change(name: str, database: str | None, change: Any) -> Any:
    hub = hub_for(database)
    try:
        with hub.db.session() as s:
            return change(s, operator(), name)
    except accounts.AccountError as exc:
        _fail(exc)


@users_app.command("disable")
def users_disable(name: Annotated[str, typer.Argument(help="account name, or a client id")],
                  database: DatabaseOpt = None) -> None:
    """Disable an account or a client; its sessions end at once."""
    _change(name, database, accounts.disable)
    console.print(f"{name} disabled")


@users_app.command("reset-password")
def users_reset_password(name: str, json_: JsonOpt = False, database: DatabaseOpt = None) -> None:
    """A new password (shown once); the account's sessions end and its lock is lifted."""
    password = _change(name, database, accounts.reset_password)
    _print({"name": name, "password": password}, json_, f"new password for {name}: {password}")


@users_app.command("reset-mfa")
def users_reset_mfa(name: str, json_: JsonOpt = False, database: DatabaseOpt = None) -> None:
    """A new TOTP secret (shown once); the account's sessions end."""
    secret, uri = _change(name, database, accounts.reset_mfa)
    _print({"name": name, "totp_secret": secret, "totp_uri": uri}, json_,
           f"new TOTP secret for {name}: {secret}\n  (authenticator app: {uri})")


@clients_app.command("add")
def clients_add(name: Annotated[str, typer.Argument(help="what the client is, e.g. livescan-3")],
                role: Annotated[str, typer.Option("--role", help="booking-agency")],
                ori: OriOpt = None, json_: JsonOpt = False, database: DatabaseOpt = None) -> None:
    """Add a machine client bound to one ORI; prints its client id and secret (shown once)."""
    binding = accounts.Binding(_role(role), ori)
    hub = hub_for(database)
    try:
        with hub.db.session() as s:
            c = accounts.add_client(s, operator(), name, binding, Jurisdictions.load_default())
    except accounts.AccountError as exc:
        _fail(exc)
    _print({"name": c.name, "client_id": c.client_id, "client_secret": c.client_secret}, json_,
           f"client {c.name}\n  client_id:     {c.client_id}\n  client_secret: {c.client_secret}")


# ---------------------------------------------------------------- scomm audit

def _key_dir() -> Path:
    return Settings().key_dir


def _default_checkpoint() -> Path:
    return _key_dir() / "audit-checkpoint.json"


@audit_app.command("show")
def audit_show(json_: JsonOpt = False,
               action: Annotated[Optional[str], typer.Option(help="action prefix, e.g. policy-")] = None,
               limit: Annotated[int, typer.Option(help="the last N entries")] = 500,
               database: DatabaseOpt = None) -> None:
    """The audit trail (oldest first): who did or saw what, when, from where, with what outcome."""
    hub = hub_for(database)
    with hub.db.session() as s:
        rows = audit_trail.read(s, operator(), action_prefix=action, limit=limit)
    if json_:
        console.print_json(json.dumps(rows, default=str))
        return
    t = Table("id", "at (UTC)", "principal", "role", "action", "target", "outcome", "from", "what")
    for r in rows:
        d = r["data"] or {}
        what = (f"{(d.get('before') or {}).get('value', '-')} -> {(d.get('after') or {}).get('value', '-')}"
                if "after" in d else json.dumps(d, default=str)[:60])
        t.add_row(str(r["id"]), r["at"][:22], r["actor"], r["role"] or "", r["action"], r["target"],
                  r["outcome"] or "", r["source"] or "", what)
    console.print(t)


@audit_app.command("checkpoint")
def audit_checkpoint(out: Annotated[Optional[Path], typer.Option(
                         "--out", help="file to write (default: audit-checkpoint.json in the key folder)")] = None,
                     database: DatabaseOpt = None) -> None:
    """Sign the chain's head (Ed25519) into a file outside the database."""
    hub = hub_for(database)
    try:
        key = audit_signing_key(_key_dir())
    except KeyFileError as exc:
        _fail(exc)
    with hub.db.session() as s:
        c = audit_trail.checkpoint(s, operator(), key, now())
    path = out or _default_checkpoint()
    path.write_text(c.to_json(), encoding="utf-8")
    console.print(f"checkpoint of entry {c.id} ({c.entries} entries) written to {path}")


@audit_app.command("verify")
def audit_verify(checkpoint: Annotated[Optional[Path], typer.Option(
                     "--checkpoint", help="a checkpoint file (default: the key folder's, if any)")] = None,
                 database: DatabaseOpt = None) -> None:
    """Check the hash chain (and the checkpoint): exits 1 naming the first bad entry."""
    path = checkpoint or (_default_checkpoint() if _default_checkpoint().exists() else None)
    try:
        key = audit_signing_key(_key_dir()).public_key()
        c = Checkpoint.from_json(path.read_text(encoding="utf-8")) if path else None
    except (KeyFileError, OSError, ValueError, TypeError) as exc:
        _fail(exc)
    hub = hub_for(database)
    with hub.db.session() as s:
        broken = audit_trail.verify(s, operator(), key, c)
    if broken is not None:
        err.print(f"[red]audit entry {broken.id}: {broken.reason}[/]")
        raise typer.Exit(1)
    console.print("audit trail verified" + (f" (checkpoint: entry {c.id})" if c else " (no checkpoint)"))


# ---------------------------------------------------------------- scomm keys

@keys_app.command("rotate")
def keys_rotate(database: DatabaseOpt = None) -> None:
    """A new master key re-wraps every data key (no restart anywhere); the old one is set
    aside beside the key file, for backups taken before: keep it with them, or destroy it."""
    hub = hub_for(database)
    try:
        r = keys.rotate(hub.db, operator())
    except KeyFileError as exc:
        _fail(exc)
    console.print(f"master key {r.master_before} -> {r.master_after}: {r.rewrapped} data keys re-wrapped; "
                  f"data key {r.data_key} seals from now on\nthe old master key is in {r.retired_file}")
