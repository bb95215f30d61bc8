"""The audit trail as a hash chain (AU-9): each entry's hash covers its content and the
hash of the entry before it, so an update, a deletion or an insertion anywhere breaks the
chain from that entry on; a signed checkpoint of the head (Ed25519, kept outside the
database) also catches a truncated tail or a chain rewritten after the checkpoint.

Pure: entries and keys come in as values. Version ``v1`` of the hashed form is frozen:
a change to it is a new version, never an edit (old entries must keep verifying).
"""
from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

GENESIS = "0" * 64
VERSION = "v1"


def hundredths(t: datetime) -> datetime:
    """UTC, to the hundredth of a second (AU-3's time stamp), without tzinfo."""
    if t.tzinfo is not None:
        t = t.astimezone(UTC).replace(tzinfo=None)
    return t.replace(microsecond=t.microsecond // 10_000 * 10_000)


@dataclass(frozen=True)
class Entry:
    """One audit record's content (AU-3): when, who (name, role, ORI), what, on what,
    with what outcome, from where; ``data`` holds the details (never a secret)."""
    at: datetime
    principal: str
    role: str
    action: str
    target: str
    outcome: str = "success"
    ori: str | None = None
    source: str | None = None
    data: dict = field(default_factory=dict)

    def canonical(self) -> bytes:
        d = asdict(self)
        d["at"] = hundredths(self.at).isoformat(timespec="microseconds")
        return json.dumps([VERSION, d], sort_keys=True, separators=(",", ":"),
                          ensure_ascii=False, default=str).encode()


def link(prev_hash: str, entry: Entry) -> str:
    """The hash of ``entry`` following ``prev_hash``."""
    return hashlib.sha256(prev_hash.encode() + b"\n" + entry.canonical()).hexdigest()


@dataclass(frozen=True)
class Stored:
    """An entry as read back: its id and the two hashes stored with it."""
    id: int
    entry: Entry
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class Break:
    id: int | None
    reason: str


def first_break(rows: Iterable[Stored]) -> tuple[Break | None, Stored | None, int]:
    """Walk the chain oldest first: the first bad entry (or None), the last good one, and
    how many entries were read."""
    prev, last, n = GENESIS, None, 0
    for r in rows:
        n += 1
        if r.prev_hash != prev:
            return Break(r.id, "does not follow the entry before it (an entry was deleted or "
                               "inserted before it)"), last, n
        if link(prev, r.entry) != r.hash:
            return Break(r.id, "its content does not match its hash (it was changed)"), last, n
        prev, last = r.hash, r
    return None, last, n


# ---------------------------------------------------------------- checkpoints

@dataclass(frozen=True)
class Checkpoint:
    """The chain's head at a moment, signed: entry ``id`` had hash ``hash``."""
    id: int
    hash: str
    entries: int
    at: str
    public_key: str     # base64 raw Ed25519 key, to name the signer (trust comes from the key file)
    signature: str = ""

    def signed_bytes(self) -> bytes:
        return json.dumps([VERSION, self.id, self.hash, self.entries, self.at, self.public_key],
                          separators=(",", ":")).encode()

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Checkpoint:
        return cls(**json.loads(text))


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def public_key_text(key: Ed25519PublicKey) -> str:
    return _b64(key.public_bytes(Encoding.Raw, PublicFormat.Raw))


def sign(head: Stored, entries: int, key: Ed25519PrivateKey, at: datetime) -> Checkpoint:
    c = Checkpoint(head.id, head.hash, entries, hundredths(at).isoformat(), public_key_text(key.public_key()))
    return Checkpoint(**{**asdict(c), "signature": _b64(key.sign(c.signed_bytes()))})


def signature_ok(c: Checkpoint, key: Ed25519PublicKey) -> bool:
    if c.public_key != public_key_text(key):
        return False
    try:
        key.verify(base64.b64decode(c.signature), c.signed_bytes())
    except (InvalidSignature, ValueError):
        return False
    return True
