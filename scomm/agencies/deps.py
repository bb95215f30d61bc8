"""What the agencies need from outside: the galleries, the jurisdictions, the policy, the clock."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Callable

from ..bus import StepContext, StepView
from ..domain.jurisdictions import Jurisdictions
from ..domain.policyset import PolicySet
from .galleries import Galleries


@dataclass
class AgencyDeps:
    jurisdictions: Jurisdictions
    galleries: Galleries = field(default_factory=Galleries)
    today: Callable[[], date] = date.today
    min_fingers: int = 8
    policy: PolicySet = field(default_factory=PolicySet.packaged)  # user entries: storage.policies


View = StepView[AgencyDeps]
"""A step's prepare phase (read-only)."""
Ctx = StepContext[AgencyDeps]
"""A step's apply phase (one write)."""
