"""The one place that wires configuration to storage, engine, agencies and bus."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from .abis import Engine, LocalEngine
from .abis.client import RemoteEngine
from .abis.galleries import Galleries
from .agencies import cjis, field_office, ident, lesc, sib
from .agencies.deps import AgencyDeps
from .agencies.probe import FingerMap, in_order
from .application.sign_in import ServiceTokens
from .biometrics import DecisionRule
from .bus import Bus, Handler
from .config import Settings
from .domain.jurisdictions import Jurisdictions
from .domain.policyset import PolicySet
from .messages import Step
from .processes import ray_connect, ray_map
from .security.principal import Principal, system
from .storage import audit
from .storage.db import Database, migrate

HUB = system()
HANDLERS: Mapping[Step, Handler[AgencyDeps, Any]] = {
    Step.SIB: sib.INTAKE,
    Step.CJIS: cjis.SEARCH,
    Step.IDENT: ident.SEARCH,
    Step.LESC: lesc.CHECK,
    Step.FIELD_OFFICE: field_office.OPEN_CASE,
}


@dataclass
class Hub:
    settings: Settings
    db: Database
    deps: AgencyDeps
    bus: Bus[AgencyDeps]
    galleries: Galleries    # this process's (the engine's when it runs here; ``scomm index``)

    def receive(self, raw: bytes, filename: str | None = None, by: Principal = HUB) -> sib.Receipt:
        """Store the submission durably and queue its intake (a worker runs it); audited."""
        digest = sib.digest_of(raw)
        with self.db.session() as s:
            self.db.lock(s, f"receive:{digest}")   # the same bytes twice at once: one transaction
            receipt = sib.receive(s, raw, filename, digest, by)
            audit.append(s, by, "submit", f"transaction/{receipt.transaction_id}",
                         data={"bytes": len(raw), "duplicate": receipt.duplicate})
            return receipt

    def submit(self, raw: bytes, filename: str | None = None, by: Principal = HUB) -> sib.Receipt:
        """Store durably, then run intake at once in this process (CLI, demo, simulation)."""
        receipt = self.receive(raw, filename, by)
        if not receipt.duplicate:
            self.bus.drain([receipt.transaction_id], only_steps={Step.SIB})
        return receipt


def index_folder(settings: Settings) -> Path | None:
    """Where the galleries' files are (None: kept in memory only)."""
    if not settings.gallery_files:
        return None
    if settings.index_dir is not None:
        return settings.index_dir
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database:
        return Path(f"{url.database}.index")
    return Path("scomm-index") / f"{url.host}-{url.port}-{url.database}"


def bootstrap(settings: Settings | None = None, *, database_url: str | None = None,
              init: bool = True, policy: PolicySet | None = None) -> Hub:
    settings = settings or Settings()
    if database_url:
        settings = settings.model_copy(update={"database_url": database_url})
    db = Database(settings.database_url, settings.master_key_path)
    if init:
        migrate(db.engine)
    galleries = Galleries(DecisionRule.for_extractor(settings.extractor), index_folder(settings), db.sealer)
    deps = AgencyDeps(jurisdictions=Jurisdictions.load_default(), engine=engine_for(settings, db, galleries),
                      min_fingers=settings.min_fingers, extractor=settings.extractor,
                      map_fingers=fingers_map(settings), policy=policy or PolicySet.packaged())
    return Hub(settings, db, deps, Bus(db, HANDLERS, deps, lease=timedelta(seconds=settings.step_lease_seconds)),
               galleries)


def fingers_map(settings: Settings) -> FingerMap:
    """Where intake extracts a booking's fingers: as Ray tasks when asked for, else here."""
    if settings.ray_extraction:
        if not settings.ray_address:
            raise ValueError("SCOMM_RAY_EXTRACTION needs SCOMM_RAY_ADDRESS")
        ray_connect(settings.ray_address)
        return ray_map
    return in_order


def engine_for(settings: Settings, db: Database, galleries: Galleries) -> Engine:
    """The served engine at ``settings.engine_url``, the galleries in shards on Ray
    (``settings.ray_address``), or the galleries in this process."""
    if settings.engine_url:
        return RemoteEngine(settings.engine_url, ServiceTokens(db).get, settings.engine_timeout_seconds)
    if settings.ray_address:
        from .abis.shards import on_ray  # imports Ray: only when asked for
        return on_ray(settings, db, galleries.cjis.gallery.rule, index_folder(settings))
    return LocalEngine(db, galleries)
