"""The one place that wires configuration to storage, engine, agencies and bus."""
from __future__ import annotations

from dataclasses import dataclass

from .agencies import cjis, field_office, ident, lesc, sib
from .agencies.deps import AgencyDeps
from .bus import Bus
from .config import Settings
from .domain.jurisdictions import Jurisdictions
from .domain.policyset import PolicySet
from .storage.db import Database, migrate

HANDLERS = {
    "sib": sib.validate,
    "cjis": cjis.search,
    "ident": ident.search,
    "lesc": lesc.check,
    "field_office": field_office.open_case,
}


@dataclass
class Hub:
    settings: Settings
    db: Database
    deps: AgencyDeps
    bus: Bus

    def submit(self, raw: bytes, filename: str | None = None) -> sib.Receipt:
        """Store durably, then run intake validation at once (the worker would otherwise)."""
        with self.db.session() as s:
            receipt = sib.receive(s, raw, filename)
        if not receipt.duplicate:
            self.bus.drain([receipt.transaction_id], only_steps={"sib"})
        return receipt


def bootstrap(settings: Settings | None = None, *, database_url: str | None = None,
              init: bool = True, policy: PolicySet | None = None) -> Hub:
    settings = settings or Settings()
    if database_url:
        settings = settings.model_copy(update={"database_url": database_url})
    db = Database(settings.database_url)
    if init:
        migrate(db.engine)
    deps = AgencyDeps(jurisdictions=Jurisdictions.load_default(), min_fingers=settings.min_fingers,
                      policy=policy or PolicySet.packaged())
    return Hub(settings, db, deps, Bus(db, HANDLERS, deps))
