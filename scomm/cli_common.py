"""What every ``scomm`` command module shares: the consoles, the common options, the hub."""
from __future__ import annotations

import getpass
import ipaddress
from enum import Enum
from typing import Annotated, Optional

import typer
from rich.console import Console

from .bootstrap import Hub, bootstrap
from .config import Settings
from .domain.policyset import PolicySet
from .security.principal import Principal, console as console_principal

console = Console()
err = Console(stderr=True)

DatabaseOpt = Annotated[Optional[str], typer.Option("--database", envvar="SCOMM_DATABASE_URL",
                                                    help="Database URL (default sqlite:///scomm.db)")]
JsonOpt = Annotated[bool, typer.Option("--json", help="JSON on stdout")]


class Extractor(str, Enum):
    """The minutiae extractors (``biometrics.EXTRACTORS``) a command may be told to use."""
    leader = "leader"
    classical = "classical"


EXTRACTOR_HELP = ("minutiae from LEADER, a learned network (on OpenVINO or ONNX Runtime: SCOMM_LEADER_RUNTIME), "
                  "or from the classical pipeline (about 4 times faster, less accurate)")


def hub_for(database: str | None, init: bool = True, policy: PolicySet | None = None) -> Hub:
    """The hub on ``database`` (default: the environment's), migrated to the newest schema."""
    return bootstrap(Settings(), database_url=database, init=init, policy=policy)


def loopback(host: str) -> bool:
    """Whether ``host`` is this machine only (plain HTTP is served there and nowhere else)."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def operator() -> Principal:
    """The local operator: the CLI records the operating-system user as the actor of
    everything it does (it has the database and the key files anyway)."""
    try:
        return console_principal(getpass.getuser())
    except Exception:  # no USER variable and no passwd entry (some containers)
        return console_principal("unknown (no login name)")
