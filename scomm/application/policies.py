"""Jurisdiction policies as dated data: read them (any signed-in principal), add and retire
user entries (``policy-admin``; audited where stored, ``storage.policies``)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from ..domain.agreements import NATIONAL, AgreementState, PolicyEntry, history
from ..domain.jurisdictions import POSTAL_TO_FIPS, Jurisdictions
from ..domain.policyset import PolicySet, parse_entries
from ..security.access import UseCase, authorise
from ..security.principal import Principal
from ..storage.db import Database
from ..storage.policies import add_entry, policy_set, retire_entry
from .transactions import NotFound


def effective(db: Database, by: Principal, base: PolicySet) -> PolicySet:
    """``base`` with the users' entries laid over it."""
    authorise(by, UseCase.READ_POLICIES, "policies")
    with db.read() as s:
        return policy_set(s, base)


def frameworks(by: Principal, ps: PolicySet) -> dict[str, Any]:
    """Priority frameworks and detainer policies with their dates."""
    authorise(by, UseCase.READ_POLICIES, "policies")
    return {"policy": ps.label, "frameworks": ps.framework_table(),
            "detainer_policies": ps.detainer_policies.periods(),
            "pep_forms_from": ps.pep_forms_from.isoformat()}


def entries(db: Database, by: Principal, base: PolicySet, state: str | None = None,
            topic: str | None = None) -> list[PolicyEntry]:
    """Every entry in force (packaged, user, policy file), by state, date and topic."""
    es = sorted(effective(db, by, base).entries, key=lambda e: (e.state, e.effective_from, e.topic))
    return [e for e in es if (not state or e.state == state.upper()) and (not topic or e.topic == topic)]


@dataclass(frozen=True)
class Standing:
    """A state's (or county's) agreements on a day, with the policy's history there."""
    policy: str
    framework: str
    agreement: AgreementState
    history: list[PolicyEntry]

    def to_dict(self) -> dict[str, Any]:
        return {"policy": self.policy, "framework": self.framework, "agreement": self.agreement.to_dict(),
                "history": [e.to_dict() for e in self.history]}


def standing(db: Database, by: Principal, base: PolicySet, jurisdictions: Jurisdictions, state: str,
             county: str | None, day: date) -> Standing:
    state = state.upper()
    if state != NATIONAL and state not in POSTAL_TO_FIPS:
        raise NotFound(f"no state {state!r} (a postal code, or US)")
    if county is not None:
        if county[:2] != POSTAL_TO_FIPS.get(state):
            raise NotFound(f"county {county} is not in {state}")
        try:
            jurisdictions.county(county)
        except KeyError as exc:
            raise NotFound(str(exc.args[0])) from None
    ps = effective(db, by, base)
    try:
        a = ps.agreement(state, county, day)
    except KeyError as exc:
        raise NotFound(str(exc)) from None
    return Standing(ps.label, ps.framework_choice(day).reason, a, history(state, county, entries=ps.entries))


def add(db: Database, by: Principal, body: Mapping[str, Any] | list) -> list[PolicyEntry]:
    """Add or override user entries: all validate (``PolicyFileError`` names every problem)
    or none is stored."""
    authorise(by, UseCase.ADD_POLICY, "policies")
    parse_entries(body)
    rows = [body] if isinstance(body, Mapping) else body
    with db.session() as s:
        return [add_entry(s, r, by) for r in rows]


def retire(db: Database, by: Principal, entry_id: str) -> PolicyEntry:
    """Retire a user entry (``PolicyNotFound`` for a packaged or unknown one)."""
    authorise(by, UseCase.RETIRE_POLICY, f"policy/{entry_id[:60]}")
    with db.session() as s:
        return retire_entry(s, entry_id, by)
