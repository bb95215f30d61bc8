"""The audit trail's use cases: read it (itself audited), verify it, checkpoint its head."""
from __future__ import annotations

from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy.orm import Session

from ..security.access import UseCase, authorise
from ..security.audit_chain import Break, Checkpoint, sign, signature_ok
from ..security.principal import Principal
from ..storage import audit


def read(s: Session, by: Principal, *, action_prefix: str | None = None, limit: int = 500) -> list[dict]:
    authorise(by, UseCase.READ_AUDIT)
    rows = audit.audit_rows(s, action_prefix=action_prefix, limit=limit)
    audit.append(s, by, "read-audit", "audit", data={"action": action_prefix, "rows": len(rows)})
    return rows


def checkpoint(s: Session, by: Principal, key: Ed25519PrivateKey, at: datetime) -> Checkpoint:
    """Sign the chain's head (after recording that a checkpoint is taken: it is covered)."""
    authorise(by, UseCase.READ_AUDIT)
    audit.append(s, by, "audit-checkpoint", "audit")
    last, n = audit.head(s)
    assert last is not None   # the entry just appended
    return sign(last, n, key, at)


def verify(s: Session, by: Principal, public_key: Ed25519PublicKey,
           checkpoint: Checkpoint | None = None) -> Break | None:
    """The first bad entry, or None; the verification itself is then recorded."""
    authorise(by, UseCase.READ_AUDIT)
    if checkpoint is not None and not signature_ok(checkpoint, public_key):
        broken: Break | None = Break(checkpoint.id, "the checkpoint's signature does not verify with "
                                                    "this hub's audit key (forged, or another hub's)")
    else:
        broken = audit.verify(s, checkpoint)
    audit.append(s, by, "audit-verify", "audit", outcome="success" if broken is None else "failure",
                 data={"first_bad": None if broken is None else broken.id,
                       "checkpoint": None if checkpoint is None else checkpoint.id})
    return broken
