"""The database's data keys: stored wrapped (``data_keys``), unwrapped in memory only.

The newest data key seals what is written; any key opens what it sealed. The master key
file is read when a key must be unwrapped: at the first use, and again whenever a data
key appears that this process has not seen (one made, or re-wrapped, by another process
since), so a rotation needs no restart anywhere.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Connection, Engine, Table, insert, select, update

from ..security.keys import KeyFileError, MasterKey, ensure_master_key, read_master_keys, write_master_keys
from ..security.sealing import SealError, key_id_of, new_data_key, open_sealed, seal, unwrap, wrap
from .tables import DataKeyRow

_KEYS = cast(Table, DataKeyRow.__table__)


@dataclass(frozen=True)
class Rotation:
    master_before: str
    master_after: str
    rewrapped: int
    data_key: int        # the new data key that seals from now on
    retired_file: Path   # the replaced master key, kept aside for backups made before


class Sealer:
    """Seals and opens the values of one database (storage/sealed.py calls it)."""

    def __init__(self, master_file: Path, engine: Engine):
        self.master_file = master_file
        self._engine = engine
        self._keys: dict[int, AESGCM] = {}
        self._current: int | None = None
        self._lock = threading.Lock()

    def seal(self, plaintext: bytes, column: str) -> bytes:
        if self._current is None:
            self.reload()
        assert self._current is not None
        return seal(self._current, self._keys[self._current], plaintext, column)

    def open(self, blob: bytes, column: str) -> bytes:
        key_id = key_id_of(blob, column)
        if key_id not in self._keys:
            self.reload()
        if key_id not in self._keys:
            raise SealError(f"{column}: sealed under data key {key_id}, which this database does not hold")
        return open_sealed(self._keys[key_id], blob, column)

    def reload(self) -> None:
        """Read every data key afresh (on a connection of its own)."""
        with self._engine.connect() as conn:
            self.load(conn)

    def load(self, conn: Connection) -> None:
        rows = conn.execute(select(_KEYS).order_by(_KEYS.c.created_at, _KEYS.c.id)).all()
        if not rows:
            raise KeyFileError("the database has no data key yet: run `scomm init`")
        with self._lock:
            masters = self._masters()
            for r in rows:
                self._keys[r.id] = AESGCM(unwrap(self._master(masters, r.master_id, r.id), r.id, r.wrapped))
            self._current = rows[-1].id

    def ensure_data_key(self, conn: Connection) -> bool:
        """Give a database its first data key (and, if there is none, make the master key
        file); whether one was made. Runs inside the migration, under its lock."""
        if conn.execute(select(_KEYS.c.id).limit(1)).first() is not None:
            self.load(conn)
            return False
        ensure_master_key(self.master_file)
        # adopted at once: the migration seals the rows already there with it (if it rolls
        # back, the process stops there)
        self._add_data_key(conn, read_master_keys(self.master_file)[0], adopt=True)
        return True

    # A rotation, in three steps: a new master key joins the file (current, the old one
    # behind it), every data key is re-wrapped under it and a new data key made (in the
    # caller's transaction), then the old master key leaves the file. Every process finds,
    # at every moment, the master key of whatever data key it reads: no restart anywhere.

    def stage_master(self) -> tuple[list[MasterKey], MasterKey]:
        old = read_master_keys(self.master_file)
        new = MasterKey.new()
        write_master_keys(self.master_file, [new, *old], replace=True)
        return old, new

    def rewrap(self, conn: Connection, old: list[MasterKey], new: MasterKey) -> Rotation:
        masters = {m.id: m for m in old}
        rows = conn.execute(select(_KEYS).with_for_update()).all()
        for r in rows:
            key = unwrap(self._master(masters, r.master_id, r.id), r.id, r.wrapped)
            conn.execute(update(_KEYS).where(_KEYS.c.id == r.id)
                         .values(master_id=new.id, wrapped=wrap(new, r.id, key)))
        retired = self.master_file.with_name(f"{self.master_file.name}.{old[0].id}.retired")
        # adopted at the reload after the commit: never seal under a key that may roll back
        return Rotation(old[0].id, new.id, len(rows), self._add_data_key(conn, new, adopt=False), retired)

    def retire(self, old: list[MasterKey], new: MasterKey, rotation: Rotation) -> None:
        """Set the old master keys aside (for backups taken before), and leave the new one alone
        in the file."""
        write_master_keys(rotation.retired_file, old, replace=True)
        write_master_keys(self.master_file, [new], replace=True)
        self.reload()

    def _add_data_key(self, conn: Connection, master: MasterKey, *, adopt: bool) -> int:
        key_id, key = new_data_key()
        conn.execute(insert(_KEYS).values(id=key_id, master_id=master.id, wrapped=wrap(master, key_id, key),
                                          created_at=datetime.now(UTC)))
        if adopt:
            with self._lock:
                self._keys[key_id] = AESGCM(key)
                self._current = key_id
        return key_id

    def _masters(self) -> dict[str, MasterKey]:
        if not self.master_file.exists():
            raise KeyFileError(f"{self.master_file} is missing, and it wraps this database's data keys: "
                               "restore it (or point SCOMM_MASTER_KEY_FILE at it); nothing here can be read without it")
        return {m.id: m for m in read_master_keys(self.master_file)}

    def _master(self, masters: dict[str, MasterKey], master_id: str, key_id: int) -> MasterKey:
        if master_id not in masters:
            raise KeyFileError(f"data key {key_id} is wrapped by master key {master_id}, which "
                               f"{self.master_file} does not hold (wrong SCOMM_MASTER_KEY_FILE?)")
        return masters[master_id]
