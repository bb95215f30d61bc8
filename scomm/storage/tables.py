"""The relational schema. Every agency's repository and the message trail live here.

Tables are grouped by who owns them in the real system: intake (SIB), CJIS,
IDENT, the field office, and the bus (outbox) that moves a transaction along.
The synthetic world (``persons``) is kept apart: it is ground truth that no
agency sees, used to make bookings and to audit the engine's decisions.

Submissions, prints, templates, responses and personal fields are ``Sealed*``
(storage/sealed.py): encrypted at rest. Sealed columns that replaced plain ones on
tables already holding rows are nullable in SQL (migration 0006); code always fills them.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from .sealed import SealedBytes, SealedDate, SealedJSON, SealedText


class Base(DeclarativeBase):
    pass


# --- intake ---------------------------------------------------------------
class TransactionRow(Base):
    """One submitted file: raw bytes kept whatever happens to them."""

    __tablename__ = "transactions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    raw: Mapped[bytes] = mapped_column(SealedBytes("transactions.raw"))
    filename: Mapped[str | None] = mapped_column(SealedText("transactions.filename"))
    # Set only for accepted submissions, so that (ORI, TCN) is unique among them.
    submission_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    tcn: Mapped[str | None] = mapped_column(String(40), index=True)
    ori: Mapped[str | None] = mapped_column(String(20))
    tot: Mapped[str | None] = mapped_column(String(10))
    accepted: Mapped[bool] = mapped_column(Boolean)
    errors: Mapped[list] = mapped_column(SealedJSON("transactions.errors"), default=list, nullable=True)
    state: Mapped[str] = mapped_column(String(20))  # rejected | queued | done
    county_fips: Mapped[str | None] = mapped_column(String(5))
    booking_date: Mapped[date | None] = mapped_column(Date)
    booking: Mapped[dict | None] = mapped_column(SealedJSON("transactions.booking"))  # decoded Type-2 summary
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Who submitted it, and what it may submit for (security.access.submission_scope).
    submitted_by: Mapped[str | None] = mapped_column(String(80))
    submitted_scope: Mapped[str | None] = mapped_column(String(20))


class ProbeFingerRow(Base):
    """Templates extracted from a transaction's images (extracted once, at CJIS)."""

    __tablename__ = "probe_fingers"
    transaction_id: Mapped[int] = mapped_column(ForeignKey("transactions.id"), primary_key=True)
    finger: Mapped[int] = mapped_column(Integer, primary_key=True)
    template: Mapped[bytes] = mapped_column(SealedBytes("probe_fingers.template"))  # ISO/IEC 19794-2
    quality: Mapped[int] = mapped_column(Integer)


class ResponseRow(Base):
    """A message sent back (SRE, ERRT, IDR, IAR) as ANSI/NIST bytes plus a typed summary;
    at most one of each kind per transaction."""

    __tablename__ = "responses"
    __table_args__ = (UniqueConstraint("transaction_id", "kind", name="uq_responses_transaction_id_kind"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("transactions.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finding: Mapped[str | None] = mapped_column(String(20))   # messages.finding_of: for SQL statistics
    body: Mapped[bytes] = mapped_column(SealedBytes("responses.body"))
    summary: Mapped[dict] = mapped_column(SealedJSON("responses.summary"), nullable=True)


class EventRow(Base):
    """Everything that happened, in order: the path a transaction took."""

    __tablename__ = "events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    transaction_id: Mapped[int | None] = mapped_column(ForeignKey("transactions.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict] = mapped_column(SealedJSON("events.data"), default=dict, nullable=True)  # names values
    elapsed_ms: Mapped[float | None] = mapped_column(Float)


# --- the bus ----------------------------------------------------------------
class OutboxRow(Base):
    """A step owed to a transaction. (transaction, step) is unique: a step runs once.

    A worker *claims* a step (``claim``, ``claimed_until``: a lease it renews while it
    works) so that no other worker runs it meanwhile; a claim whose lease ran out (its
    worker died) may be taken by another. ``parked_at`` is set when the step has
    failed ``attempts`` times for good; ``scomm work --retry-errors`` clears it.
    """

    __tablename__ = "outbox"
    __table_args__ = (UniqueConstraint("transaction_id", "step"),
                      Index("ix_outbox_pending", "done_at", "id"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("transactions.id"))
    step: Mapped[str] = mapped_column(String(20))
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    claim: Mapped[str | None] = mapped_column(String(40))
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    not_before: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    parked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


# --- CJIS: the criminal master file ----------------------------------------
class CriminalSubjectRow(Base):
    __tablename__ = "cjis_subjects"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # enrolment order, for gallery sync
    ucn: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(SealedText("cjis_subjects.name"), nullable=True)
    dob: Mapped[date | None] = mapped_column(SealedDate("cjis_subjects.dob"))
    sex: Mapped[str | None] = mapped_column(String(1))
    race: Mapped[str | None] = mapped_column(String(1))
    pob: Mapped[str | None] = mapped_column(SealedText("cjis_subjects.pob"))
    enrolled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    rapsheet: Mapped[dict] = mapped_column(SealedJSON("cjis_subjects.rapsheet"), nullable=True)


class CriminalFingerRow(Base):
    __tablename__ = "cjis_fingers"
    subject_id: Mapped[int] = mapped_column(ForeignKey("cjis_subjects.id"), primary_key=True)
    finger: Mapped[int] = mapped_column(Integer, primary_key=True)
    template: Mapped[bytes] = mapped_column(SealedBytes("cjis_fingers.template"))
    quality: Mapped[int] = mapped_column(Integer)
    # the enrolled impression, WSQ at 500 ppi (what the template was made from); none for
    # records enrolled before images were kept
    image: Mapped[bytes | None] = mapped_column(SealedBytes("cjis_fingers.image"), nullable=True)


# --- IDENT: immigration encounters -----------------------------------------
class IdentityRow(Base):
    __tablename__ = "ident_identities"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fin: Mapped[str] = mapped_column(String(20), unique=True)  # fingerprint identification number
    name: Mapped[str] = mapped_column(SealedText("ident_identities.name"), nullable=True)
    dob: Mapped[date | None] = mapped_column(SealedDate("ident_identities.dob"))
    country_of_birth: Mapped[str | None] = mapped_column(SealedText("ident_identities.country_of_birth"))
    encounters: Mapped[list] = mapped_column(SealedJSON("ident_identities.encounters"), nullable=True)


class IdentityFingerRow(Base):
    __tablename__ = "ident_fingers"
    identity_id: Mapped[int] = mapped_column(ForeignKey("ident_identities.id"), primary_key=True)
    finger: Mapped[int] = mapped_column(Integer, primary_key=True)
    template: Mapped[bytes] = mapped_column(SealedBytes("ident_fingers.template"))
    quality: Mapped[int] = mapped_column(Integer)
    # the enrolled impression, WSQ at 500 ppi (what the template was made from); none for
    # records enrolled before images were kept
    image: Mapped[bytes | None] = mapped_column(SealedBytes("ident_fingers.image"), nullable=True)


# --- ICE field office -------------------------------------------------------
class CaseRow(Base):
    __tablename__ = "cases"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("transactions.id"), unique=True)
    field_office: Mapped[str | None] = mapped_column(String(8), index=True)
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    level: Mapped[str] = mapped_column(String(16))
    classification: Mapped[dict] = mapped_column(JSON)
    removable: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(40))
    detainer: Mapped[dict] = mapped_column(JSON)
    outcome: Mapped[str | None] = mapped_column(String(40))
    outcome_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Policy in force when the case opened (framework id, the state's agreements, the jail).
    framework: Mapped[str | None] = mapped_column(String(24))
    agreement: Mapped[dict | None] = mapped_column(JSON)
    # The jail's side of a detainer: did it honour the hold, when the person was due
    # for release, when the 48-hour hold lapses, and when ICE took custody.
    detainer_honoured: Mapped[bool | None] = mapped_column(Boolean)
    hold: Mapped[dict | None] = mapped_column(JSON)
    custody_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AuditRow(Base):
    """Who did or saw what, when, from where, with what outcome (AU-3); each entry chained
    to the one before by its hash (``security/audit_chain.py``). Only ever inserted."""

    __tablename__ = "audit"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))   # UTC, to 1/100 s
    actor: Mapped[str] = mapped_column(String(80))                  # the principal's name
    role: Mapped[str | None] = mapped_column(String(20))
    ori: Mapped[str | None] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(80))
    outcome: Mapped[str | None] = mapped_column(String(20))         # success | denied | failure
    source: Mapped[str | None] = mapped_column(String(64))          # network address, or cli
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64), unique=True)


# --- accounts ---------------------------------------------------------------
class AccountRow(Base):
    """A person's account: one role, bound to an ORI, a state or a field office if the role
    is scoped; argon2id password and TOTP enforced for every account."""

    __tablename__ = "accounts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    ori: Mapped[str | None] = mapped_column(String(20))
    state: Mapped[str | None] = mapped_column(String(2))
    field_office: Mapped[str | None] = mapped_column(String(8))
    password_hash: Mapped[str] = mapped_column(String(200))
    totp_secret: Mapped[str] = mapped_column(String(64))
    totp_last_step: Mapped[int | None] = mapped_column(Integer)     # a code is good once
    failures: Mapped[list] = mapped_column(JSON, default=list)      # recent failed sign-ins (ISO)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(80))
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ClientRow(Base):
    """A machine client (a livescan station, a jail system): OAuth2 client credentials,
    bound to one ORI; the secret is stored as its SHA-256."""

    __tablename__ = "clients"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    role: Mapped[str] = mapped_column(String(20))
    ori: Mapped[str | None] = mapped_column(String(20))
    secret_digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(80))
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class TokenRow(Base):
    """A bearer token issued at sign-in, stored as its SHA-256: it ends at ``expires_at``,
    after ``idle_until`` passes unused (people), or when revoked."""

    __tablename__ = "tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id"), index=True)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    idle_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class DataKeyRow(Base):
    """A data key (AES-256), wrapped by the master key named by ``master_id``
    (storage/data_keys.py); the newest seals what is written."""

    __tablename__ = "data_keys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    master_id: Mapped[str] = mapped_column(String(16))
    wrapped: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PolicyEntryRow(Base):
    """A user's jurisdiction-policy entry laid over the packaged record (agreements.py).

    Rows are never updated in place: a change adds a row and retires the old one
    (``retired_at``), so the history of the policy itself stays readable.
    """

    __tablename__ = "policy_entries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry: Mapped[dict] = mapped_column(JSON)  # PolicyEntry.to_dict()
    entry_key: Mapped[str] = mapped_column(String(120), index=True)  # scope|topic|date
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(80))
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


# --- the synthetic world (ground truth; no agency reads it) ----------------
class PersonRow(Base):
    __tablename__ = "persons"
    id: Mapped[str] = mapped_column(String(20), primary_key=True)
    seed: Mapped[int] = mapped_column(Integer)
    profile: Mapped[str] = mapped_column(String(30))  # citizen | noncitizen | naturalised | ...
    name: Mapped[str] = mapped_column(SealedText("persons.name"), nullable=True)
    dob: Mapped[date] = mapped_column(SealedDate("persons.dob"), nullable=True)
    sex: Mapped[str] = mapped_column(String(1))
    race: Mapped[str] = mapped_column(String(1))
    pob: Mapped[str] = mapped_column(SealedText("persons.pob"), nullable=True)
    ucn: Mapped[str | None] = mapped_column(String(20))
    fin: Mapped[str | None] = mapped_column(String(20))
