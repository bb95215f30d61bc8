"""What every ``scomm`` command module shares: the consoles, the common options, the hub."""
from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.console import Console

from .bootstrap import Hub, bootstrap
from .config import Settings
from .domain.policyset import PolicySet

console = Console()
err = Console(stderr=True)

DatabaseOpt = Annotated[Optional[str], typer.Option("--database", envvar="SCOMM_DATABASE_URL",
                                                    help="Database URL (default sqlite:///scomm.db)")]
JsonOpt = Annotated[bool, typer.Option("--json", help="JSON on stdout")]


def hub_for(database: str | None, init: bool = True, policy: PolicySet | None = None) -> Hub:
    """The hub on ``database`` (default: the environment's), migrated to the newest schema."""
    return bootstrap(Settings(), database_url=database, init=init, policy=policy)
