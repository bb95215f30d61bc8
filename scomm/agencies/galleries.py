"""The in-process search engine: CJIS and IDENT galleries kept in step with the database.

The database is the record; each gallery is a cache loaded from it and
topped up with rows enrolled since the last look (by increasing id), so a
restarted process, or a second one, sees every committed enrolment. A search
reports the high-water mark it saw, so that a step can later search just the
subjects enrolled after it (CJIS does, before enrolling someone as new).
"""
from __future__ import annotations

import bisect
import threading
from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..biometrics import DEFAULT_RULE, Candidate, DecisionRule, FingerprintTemplate, TenprintGallery
from ..storage.tables import CriminalFingerRow, CriminalSubjectRow, IdentityFingerRow, IdentityRow


class SyncedGallery:
    def __init__(self, owner: Any, finger_row: Any, key_attr: str, fk_attr: str,
                 rule: DecisionRule = DEFAULT_RULE):
        self.gallery = TenprintGallery(rule=rule)
        self._owner, self._finger_row = owner, finger_row
        self._key_attr, self._fk_attr = key_attr, fk_attr
        self._ids: list[int] = []        # owner ids in the gallery, ascending
        self._keys: list[str] = []
        self._lock = threading.RLock()   # the gallery's arrays are not safe to grow mid-search

    @property
    def high_water(self) -> int:
        return self._ids[-1] if self._ids else 0

    def sync(self, s: Session) -> int:
        """Add what was enrolled since the last look; the new high-water mark."""
        with self._lock:
            owner, fr = self._owner, self._finger_row
            fk = getattr(fr, self._fk_attr)
            rows = s.execute(select(owner.id, getattr(owner, self._key_attr), fr.finger, fr.template)
                             .join(fr, fk == owner.id).where(owner.id > self.high_water)
                             .order_by(owner.id)).all()
            fingers: dict[tuple[int, str], dict[int, FingerprintTemplate]] = defaultdict(dict)
            for oid, key, finger, blob in rows:
                fingers[(oid, key)][finger] = FingerprintTemplate.from_iso(blob)
            for (oid, key), prints in fingers.items():
                self.gallery.add(key, prints)
                self._ids.append(oid)
                self._keys.append(key)
            return self.high_water

    def search(self, s: Session, probe: dict[int, FingerprintTemplate]) -> tuple[list[Candidate], int]:
        """(candidates, the high-water mark they were searched through)."""
        with self._lock:
            mark = self.sync(s)
            return self.gallery.search(probe), mark

    def search_after(self, s: Session, probe: dict[int, FingerprintTemplate],
                     mark: int) -> list[Candidate]:
        """Search only the subjects enrolled after ``mark`` (none: [])."""
        with self._lock:
            self.sync(s)
            newer = self._keys[bisect.bisect_right(self._ids, mark):]
            return self.gallery.search(probe, among=newer) if newer else []


class Galleries:
    def __init__(self, rule: DecisionRule = DEFAULT_RULE) -> None:
        """Both repositories, deciding by ``rule`` (the one fitted for the hub's extractor)."""
        self.cjis = SyncedGallery(CriminalSubjectRow, CriminalFingerRow, "ucn", "subject_id", rule)
        self.ident = SyncedGallery(IdentityRow, IdentityFingerRow, "fin", "identity_id", rule)
