"""The bus's vocabulary: every step, actor, event kind and response kind, and each
step's message as a dataclass.

A transaction travels ``SIB -> CJIS -> IDENT -> LESC -> FIELD_OFFICE``; each arrow is
an outbox row whose ``step`` is a :class:`Step` and whose ``payload`` is that step's
message (:data:`MESSAGES`), stored as JSON and read back typed with :func:`read`.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from enum import StrEnum
from typing import Any, TypeVar, Union


class Step(StrEnum):
    """An outbox step: one agency's handling of one transaction."""

    SIB = "sib"
    CJIS = "cjis"
    IDENT = "ident"
    LESC = "lesc"
    FIELD_OFFICE = "field_office"


class Actor(StrEnum):
    """Who an event is from: the agencies, and the bus itself."""

    SIB = "sib"
    CJIS = "cjis"
    IDENT = "ident"
    LESC = "lesc"
    FIELD_OFFICE = "field_office"
    BUS = "bus"


class EventKind(StrEnum):
    """Everything that can happen to a transaction (``events.kind``)."""

    # SIB: intake
    RECEIVED = "received"
    DUPLICATE_RECEIVED = "duplicate-received"
    FINGERS_EXTRACTED = "fingers-extracted"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    FORWARDED_TO_CJIS = "forwarded-to-cjis"
    # CJIS
    IDENTIFIED = "identified"
    ENROLLED = "enrolled"
    FORWARDED_TO_IDENT = "forwarded-to-ident"
    NOT_FORWARDED = "not-forwarded"
    IDR_NOT_PASSED_ON = "idr-not-passed-to-local-agency"
    # IDENT
    MATCH = "match"
    NO_MATCH = "no-match"
    # LESC
    IAQ_RECEIVED = "iaq-received"
    IAR_SENT = "iar-sent"
    # field office and the jail's side
    CASE_OPENED = "case-opened"
    HOLD_STARTED = "hold-started"
    RELEASED_BY_JAIL = "released-by-jail"
    ICE_CUSTODY = "ice-custody"
    OUTCOME_RECORDED = "outcome-recorded"
    # the bus
    STEP_FAILED = "step-failed"
    STEP_PARKED = "step-parked"
    STEP_RETRIED = "step-retried"


class ResponseKind(StrEnum):
    """Messages sent back as ANSI/NIST-ITL transactions (``responses.kind``)."""

    SRE = "SRE"
    ERRT = "ERRT"
    IDR = "IDR"
    IAR = "IAR"


def finding_of(kind: ResponseKind, summary: dict) -> str:
    """The one word of a response that statistics read in SQL (``responses.finding``; the
    response and its summary are sealed): IDR match | no-match, IAR the LESC status,
    SRE identified | enrolled, ERRT rejected."""
    if kind == ResponseKind.IDR:
        return "match" if summary.get("match") else "no-match"
    if kind == ResponseKind.IAR:
        return str(summary.get("status"))
    if kind == ResponseKind.SRE:
        return "identified" if summary.get("identified") else "enrolled"
    return "rejected"


class TxState(StrEnum):
    """Where a transaction stands (``transactions.state``)."""

    RECEIVED = "received"    # stored, intake not yet run
    QUEUED = "queued"        # accepted, the chain is running
    DONE = "done"
    REJECTED = "rejected"    # answered with an ERRT
    ERROR = "error"          # a step failed for good (``scomm work --retry-errors``)


FINAL_STATES = frozenset({TxState.DONE, TxState.REJECTED, TxState.ERROR})


# ---------------------------------------------------------------- the messages

@dataclass(frozen=True)
class Intake:
    """SIB: validate the stored submission and extract its fingers."""


@dataclass(frozen=True)
class CriminalSearch:
    """CJIS: search the accepted probe against the criminal master file."""


@dataclass(frozen=True)
class ImmigrationSearch:
    """IDENT: search the probe against immigration encounters (interoperability)."""

    ucn: str


@dataclass(frozen=True)
class StatusQuery:
    """LESC: an IAQ on an IDENT match."""

    fin: str
    ucn: str


@dataclass(frozen=True)
class CaseReferral:
    """Field office: the IAR's status check, for a case and a detainer decision."""

    fin: str
    ucn: str
    status: dict[str, Any]


Message = Union[Intake, CriminalSearch, ImmigrationSearch, StatusQuery, CaseReferral]
M = TypeVar("M", Intake, CriminalSearch, ImmigrationSearch, StatusQuery, CaseReferral)

MESSAGES: dict[Step, type] = {
    Step.SIB: Intake,
    Step.CJIS: CriminalSearch,
    Step.IDENT: ImmigrationSearch,
    Step.LESC: StatusQuery,
    Step.FIELD_OFFICE: CaseReferral,
}
STEP_OF: dict[type, Step] = {cls: step for step, cls in MESSAGES.items()}


class MessageError(ValueError):
    """A stored payload does not fit its step's message."""


def step_of(message: Message) -> Step:
    return STEP_OF[type(message)]


def payload(message: Message) -> dict[str, Any]:
    return asdict(message)


def read(step: Step | str, data: dict[str, Any] | None) -> Message:
    """The typed message of ``step`` from its stored JSON payload."""
    try:
        cls = MESSAGES[Step(step)]
    except ValueError:
        raise MessageError(f"unknown step {step!r}") from None
    names = {f.name for f in fields(cls)}
    data = dict(data or {})
    missing, extra = names - set(data), set(data) - names
    if missing or extra:
        raise MessageError(f"{step} payload: missing {sorted(missing)}, unexpected {sorted(extra)}")
    return cls(**data)
