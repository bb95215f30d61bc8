"""Key management's use case: rotate the master key (the console's, who holds the key file)."""
from __future__ import annotations

from ..security.access import UseCase, authorise
from ..security.principal import Principal
from ..storage import audit
from ..storage.data_keys import Rotation
from ..storage.db import Database


def rotate(db: Database, by: Principal) -> Rotation:
    """A new master key re-wraps every data key; a new data key seals from now on. Audited
    in the transaction that re-wraps; running processes need no restart."""
    authorise(by, UseCase.ROTATE_KEYS)
    old, new = db.sealer.stage_master()
    with db.session() as s:
        db.lock(s, "data-keys")
        rotation = db.sealer.rewrap(s.connection(), old, new)
        audit.append(s, by, "keys-rotate", f"master-key/{new.id}",
                     data={"before": rotation.master_before, "rewrapped": rotation.rewrapped,
                           "data_key": rotation.data_key})
    db.sealer.retire(old, new, rotation)
    return rotation
