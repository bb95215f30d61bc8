"""The access table: which role may run which use case, and which records a scoped role
sees. The whole policy is here; ``application`` asks, the entry points never decide.

Scoped roles see a transaction only inside their scope: a booking agency its own ORI, a
state bureau its state's, a field office those in its area of responsibility (from the
county-to-field-office table). A booking agency receives an IDR only where its state
bureau passes IDRs on (the ``sib_forwards_idr`` policy entry).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from .principal import Principal, Role


class UseCase(StrEnum):
    SUBMIT = "submit"
    LIST_TRANSACTIONS = "list-transactions"
    READ_TRANSACTION = "read-transaction"
    READ_RESPONSE = "read-response"
    READ_MATCH = "read-match"                  # the examiner's comparison and picture
    READ_CASE = "read-case"
    RECORD_OUTCOME = "record-outcome"
    RECORD_RELEASE = "record-release"
    RECORD_CUSTODY = "record-custody"
    SWEEP_HOLDS = "sweep-holds"
    READ_POLICIES = "read-policies"
    ADD_POLICY = "add-policy"
    RETIRE_POLICY = "retire-policy"
    READ_PUBLIC_STATISTICS = "read-public-statistics"
    READ_INTERNAL_STATISTICS = "read-internal-statistics"
    READ_AUDIT = "read-audit"
    MANAGE_ACCOUNTS = "manage-accounts"
    CHANGE_OWN_PASSWORD = "change-own-password"  # a person's own (a machine's secret: the operator)
    ROTATE_KEYS = "rotate-keys"                # the master key file is on the console's machine
    MANAGE_INDEX = "manage-index"              # the galleries' files, beside the database
    IDENTIFY = "identify"                      # the identification engine: 1:N search
    VERIFY = "verify"                          # ... and 1:1 against one reference
    INDEX_RECORD = "index-record"              # ... catching up with a record enrolled
    READ_ENGINE_STATUS = "read-engine-status"  # ... its galleries' sizes and pending jobs


R = Role
_SIGNED_IN = frozenset(set(Role) - {R.ANONYMOUS})
_TRUSTED = {R.CONSOLE, R.SYSTEM}   # the local operator and the hub's own steps

# use case -> the roles that may run it (CONSOLE and SYSTEM: every use case)
TABLE: Mapping[UseCase, frozenset[Role]] = {u: frozenset(rs | _TRUSTED) for u, rs in {
    UseCase.SUBMIT: {R.BOOKING_AGENCY, R.STATE_BUREAU},
    UseCase.LIST_TRANSACTIONS: {R.BOOKING_AGENCY, R.STATE_BUREAU, R.FIELD_OFFICE, R.EXAMINER},
    UseCase.READ_TRANSACTION: {R.BOOKING_AGENCY, R.STATE_BUREAU, R.FIELD_OFFICE, R.EXAMINER},
    UseCase.READ_RESPONSE: {R.BOOKING_AGENCY, R.STATE_BUREAU, R.FIELD_OFFICE, R.EXAMINER},
    UseCase.READ_MATCH: {R.EXAMINER},
    UseCase.READ_CASE: {R.FIELD_OFFICE},
    UseCase.RECORD_OUTCOME: {R.FIELD_OFFICE},
    UseCase.RECORD_RELEASE: {R.FIELD_OFFICE},
    UseCase.RECORD_CUSTODY: {R.FIELD_OFFICE},
    UseCase.SWEEP_HOLDS: {R.FIELD_OFFICE},
    UseCase.READ_POLICIES: set(_SIGNED_IN),
    UseCase.ADD_POLICY: {R.POLICY_ADMIN},
    UseCase.RETIRE_POLICY: {R.POLICY_ADMIN},
    UseCase.READ_PUBLIC_STATISTICS: set(Role),
    UseCase.READ_INTERNAL_STATISTICS: {R.AUDITOR},
    UseCase.READ_AUDIT: {R.AUDITOR},
    UseCase.MANAGE_ACCOUNTS: {R.ADMIN},
    UseCase.CHANGE_OWN_PASSWORD: set(_SIGNED_IN),
    UseCase.ROTATE_KEYS: set(),
    UseCase.MANAGE_INDEX: set(),
    UseCase.IDENTIFY: {R.EXAMINER},
    UseCase.VERIFY: {R.EXAMINER},
    UseCase.INDEX_RECORD: set(),
    UseCase.READ_ENGINE_STATUS: {R.AUDITOR},
}.items()}

# Use cases that disclose personal data: every one is audited, allowed or not.
PERSONAL = frozenset({UseCase.LIST_TRANSACTIONS, UseCase.READ_TRANSACTION, UseCase.READ_RESPONSE,
                      UseCase.READ_MATCH, UseCase.READ_CASE, UseCase.READ_INTERNAL_STATISTICS,
                      UseCase.READ_AUDIT, UseCase.IDENTIFY, UseCase.VERIFY})


class Forbidden(Exception):
    """The principal may not run this use case, or not on this record (the entry point
    audits the refusal: the use case's own unit of work is rolled back)."""

    def __init__(self, message: str, principal: Principal, use: UseCase, target: str = ""):
        super().__init__(message)
        self.principal, self.use, self.target = principal, use, target


class NotSignedIn(Forbidden):
    """No principal: sign in first."""


class OutOfScope(Forbidden):
    """A record outside the principal's scope: answered as if it did not exist."""


def allowed(principal: Principal, use: UseCase) -> bool:
    return principal.role in TABLE[use]


def authorise(principal: Principal, use: UseCase, target: str = "") -> None:
    if allowed(principal, use):
        return
    if principal.role == R.ANONYMOUS:
        raise NotSignedIn(f"{use}: sign in first", principal, use, target)
    raise Forbidden(f"{use}: not allowed to role {principal.role}", principal, use, target)


def authorise_on(principal: Principal, use: UseCase, where: Scope, target: str, hidden_as: str) -> None:
    """``authorise``, then the record's scope: outside it, ``OutOfScope`` whose message is
    ``hidden_as``, the answer for a record that does not exist."""
    authorise(principal, use, target)
    if not sees(principal, where):
        raise OutOfScope(hidden_as, principal, use, target)


@dataclass(frozen=True)
class Scope:
    """Where a transaction belongs: its ORI and state (only if its submitter could submit for
    them: a file refused for claiming another agency's ORI is not that agency's), its
    county's field office, and the submitter's own scope (``submission_scope``)."""
    ori: str | None
    state: str | None
    field_office: str | None
    submitted: str | None = None


def sees(principal: Principal, where: Scope) -> bool:
    """Whether a (possibly scoped) principal may see a record that belongs ``where``."""
    bound = principal.scope
    if bound is None and principal.role in (R.BOOKING_AGENCY, R.STATE_BUREAU, R.FIELD_OFFICE):
        return False
    if principal.role == R.BOOKING_AGENCY:
        return where.ori == bound or where.submitted == f"ori:{bound}"
    if principal.role == R.STATE_BUREAU:
        return where.state == bound or where.submitted == f"state:{bound}"
    if principal.role == R.FIELD_OFFICE:
        return where.field_office == bound
    return True


def receives(principal: Principal, response_kind: str, sib_forwards_idr: Callable[[], bool | None]) -> bool:
    """A booking agency gets an IDR only where its state bureau passes IDRs on (asked only then)."""
    if principal.role == R.BOOKING_AGENCY and response_kind.upper() == "IDR":
        return sib_forwards_idr() is True
    return True


def submission_scope(principal: Principal) -> str | None:
    """What a submitter may submit for, as stored with its transaction: ``ori:<ORI>`` for a
    booking agency, ``state:<ST>`` for a state bureau, None for the unscoped."""
    if principal.role == R.BOOKING_AGENCY:
        return f"ori:{principal.ori}"
    if principal.role == R.STATE_BUREAU:
        return f"state:{principal.state}"
    return None


def submits_for(scope: str | None, ori: str) -> bool:
    """Whether a submission under ``scope`` may carry the originating agency ``ori``."""
    if scope is None:
        return True
    kind, _, value = scope.partition(":")
    return ori == value if kind == "ori" else ori[:2] == value
