"""What the agencies need from outside: the identification engine, the jurisdictions, the
policy, the clock."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..abis import Engine
from ..biometrics import DEFAULT_EXTRACTOR
from ..bus import StepContext, StepView
from ..domain.jurisdictions import Jurisdictions
from ..domain.policyset import PolicySet
from ..storage.tables import TransactionRow
from .probe import FingerMap, in_order


@dataclass
class AgencyDeps:
    jurisdictions: Jurisdictions
    engine: Engine      # the CJIS and IDENT galleries (abis: in this process or served)
    today: Callable[[], date] = date.today
    min_fingers: int = 8
    extractor: str = DEFAULT_EXTRACTOR     # intake's minutiae extractor (biometrics.EXTRACTORS)
    map_fingers: FingerMap = in_order      # where intake extracts a booking's fingers (here, or Ray tasks)
    policy: PolicySet = field(default_factory=PolicySet.packaged)  # user entries: storage.policies


View = StepView[AgencyDeps]
"""A step's prepare phase (read-only)."""
Ctx = StepContext[AgencyDeps]
"""A step's apply phase (one write)."""


@dataclass(frozen=True)
class Booking:
    """What intake recorded on an accepted transaction (``sib``), for the steps after it."""

    tcn: str
    ori: str
    county_fips: str
    booking_date: date
    summary: dict[str, Any]   # the decoded Type-2 summary (``TransactionRow.booking``)


def booking_of(tx: TransactionRow) -> Booking:
    """The accepted booking of ``tx``; ValueError if intake did not accept it (only an
    accepted transaction has a step after intake)."""
    if (tx.tcn is None or tx.ori is None or tx.county_fips is None or tx.booking_date is None
            or tx.booking is None):
        raise ValueError(f"transaction {tx.id} has no accepted booking (state {tx.state})")
    return Booking(tx.tcn, tx.ori, tx.county_fips, tx.booking_date, tx.booking)
