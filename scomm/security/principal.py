"""Who acts: a principal (a person, a machine client, the local console or the hub itself)
and the role that says what it may do. Pure data."""
from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum


class Role(StrEnum):
    """The roles of the hub's accounts (the access table, ``access.py``, says what each may do)."""
    BOOKING_AGENCY = "booking-agency"   # one ORI: submits, reads its own transactions
    STATE_BUREAU = "state-bureau"       # one state's identification bureau (SIB)
    FIELD_OFFICE = "field-office"       # one ICE field office: cases in its area
    EXAMINER = "examiner"               # match details and pictures, every transaction
    POLICY_ADMIN = "policy-admin"       # jurisdiction policy entries
    AUDITOR = "auditor"                 # the audit trail and internal statistics
    ADMIN = "admin"                     # accounts only; no person data
    CONSOLE = "console"                 # the local operator at the CLI (not an account)
    SYSTEM = "system"                   # the hub's own steps and the simulation
    ANONYMOUS = "anonymous"             # not signed in


ACCOUNT_ROLES = (Role.BOOKING_AGENCY, Role.STATE_BUREAU, Role.FIELD_OFFICE, Role.EXAMINER,
                 Role.POLICY_ADMIN, Role.AUDITOR, Role.ADMIN)
# What each scoped role must be bound to.
SCOPE_OF = {Role.BOOKING_AGENCY: "ori", Role.STATE_BUREAU: "state", Role.FIELD_OFFICE: "field_office"}


@dataclass(frozen=True)
class Principal:
    """The acting party of a use case, as the audit trail records it."""
    name: str
    role: Role
    ori: str | None = None            # booking-agency
    state: str | None = None          # state-bureau (postal code)
    field_office: str | None = None   # field-office (area of responsibility code)
    source: str | None = None         # network address, or "cli"

    def at(self, source: str | None) -> Principal:
        return replace(self, source=source)

    @property
    def scope(self) -> str | None:
        """The ORI, state or field office this principal is bound to (None: unscoped)."""
        field = SCOPE_OF.get(self.role)
        return getattr(self, field) if field else None


ANONYMOUS = Principal("anonymous", Role.ANONYMOUS)


def console(user: str) -> Principal:
    """The local operator (the CLI has the database and the key files anyway)."""
    return Principal(user, Role.CONSOLE, source="cli")


def system(name: str = "hub") -> Principal:
    return Principal(name, Role.SYSTEM, source="hub")
