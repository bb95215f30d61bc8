"""The in-process search engine: CJIS and IDENT galleries kept in step with the database.

The database is the record; each gallery is a cache loaded from it and
topped up with rows enrolled since the last look (by increasing id), so a
restarted process, or a second one, sees every committed enrolment.
"""
from __future__ import annotations

import threading
from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..biometrics import FingerprintTemplate, TenprintGallery
from ..storage.tables import (CriminalFingerRow, CriminalSubjectRow, IdentityFingerRow,
                              IdentityRow)


class _SyncedGallery:
    def __init__(self, owner, finger_row, key_attr: str, fk_attr: str):
        self.gallery = TenprintGallery()
        self._owner, self._finger_row = owner, finger_row
        self._key_attr, self._fk_attr = key_attr, fk_attr
        self._last_id = 0
        self._lock = threading.Lock()

    def sync(self, s: Session) -> None:
        with self._lock:
            owner, fr = self._owner, self._finger_row
            fk = getattr(fr, self._fk_attr)
            rows = s.execute(select(owner.id, getattr(owner, self._key_attr), fr.finger, fr.template)
                             .join(fr, fk == owner.id).where(owner.id > self._last_id)
                             .order_by(owner.id)).all()
            fingers: dict[tuple[int, str], dict[int, FingerprintTemplate]] = defaultdict(dict)
            for oid, key, finger, blob in rows:
                fingers[(oid, key)][finger] = FingerprintTemplate.from_iso(blob)
            for (oid, key), prints in fingers.items():
                self.gallery.add(key, prints)
                self._last_id = max(self._last_id, oid)

    def search(self, s: Session, probe: dict[int, FingerprintTemplate]):
        self.sync(s)
        return self.gallery.search(probe)


class Galleries:
    def __init__(self):
        self.cjis = _SyncedGallery(CriminalSubjectRow, CriminalFingerRow, "ucn", "subject_id")
        self.ident = _SyncedGallery(IdentityRow, IdentityFingerRow, "fin", "identity_id")
