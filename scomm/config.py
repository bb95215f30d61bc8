"""Configuration from the environment (``SCOMM_*``) with embedded defaults."""
from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from .security.keys import MASTER_KEY


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SCOMM_")

    database_url: str = "sqlite:///scomm.db"
    # The hub's key files (mode 0600, created by `scomm init`): the audit signing key and,
    # unless master_key_file says elsewhere, the master key (security/keys.py).
    key_dir: Path = Path("scomm-keys")
    # The master key file that wraps the data keys (at rest: storage/data_keys.py). Keep it
    # off the database's disk and out of its backups.
    master_key_file: Path | None = None
    # The search galleries are kept in sealed files (storage/gallery_files.py), so a process
    # starts searching without re-packing every template: in index_dir, by default beside
    # a SQLite file (<file>.index) or in scomm-index/<host>-<port>-<database>.
    gallery_files: bool = True
    index_dir: Path | None = None
    # The identification engine (`scomm engine serve`) the hub's CJIS and IDENT steps call,
    # e.g. http://127.0.0.1:8100; unset: the galleries are searched in each process.
    engine_url: str | None = None
    engine_timeout_seconds: float = 60.0
    engine_port: int = 8100
    # The engine's galleries split into shards held by Ray actors: the address of a Ray
    # cluster ("auto": the one this machine joined; "local": start one here), unset: no Ray.
    ray_address: str | None = None
    engine_shards: int = Field(2, ge=1, le=256)
    # Intake extracts a booking's fingers as Ray tasks across that cluster (one CPU each).
    ray_extraction: bool = False
    # The system use notification (AC-8) shown before sign-in: the deploying agency's own text.
    use_notice: str = ("This system holds criminal justice information. It is for authorised use only; every "
                       "sign-in, read and change is recorded and audited. Unauthorised use may be prosecuted. "
                       "By signing in you consent to this monitoring.")
    host: str = "127.0.0.1"
    # The proxies whose X-Forwarded-For/-Proto are believed (a TLS-terminating proxy on
    # another host: its address), so that the audit names the client and cookies are Secure.
    forwarded_allow_ips: str = "127.0.0.1"
    port: int = 8000
    # Fewest distinct finger positions a criminal tenprint may carry (EBTS allows
    # amputated/bandaged fingers to be declared; we accept up to two missing).
    min_fingers: int = 8
    # The minutiae extractor of intake and seeding: "leader" (learned, the default) or
    # "classical" (about 4 times faster, less accurate).
    extractor: Literal["leader", "classical"] = "leader"
    # Where LEADER runs (biometrics/leader_runtime.py, which reads SCOMM_LEADER_RUNTIME
    # itself: one network per process; declared here so that a wrong value stops the start).
    leader_runtime: Literal["auto", "onnxruntime", "openvino-bf16", "openvino-f32"] = "auto"
    # A worker's claim on a step lasts this long unless renewed (it is, every third of
    # it, while the worker lives): a killed worker's step is taken over after at most this.
    step_lease_seconds: float = 15.0
    # Worker processes `scomm serve` starts beside the API (0: run `scomm work` apart).
    workers: int = 1
    # A submission larger than this is refused (413) before it is read whole. The
    # largest real EBTS tenprint (14 finger records at 1000 ppi, WSQ) is a few MB.
    max_submission_bytes: int = 32 * 1024 * 1024
    # Any other request body (JSON) larger than this is refused (413).
    max_request_bytes: int = 1024 * 1024
    # Steps owed (not done, not parked) beyond which new submissions get 503 and are
    # not stored; the answer's Retry-After says when to try again.
    max_backlog: int = 200
    # Submissions being received at once (each body is held in memory until stored).
    max_submissions_in_flight: int = 16
    retry_after_seconds: int = 30
    # How long POST /transactions waits for intake (the ERRT or the acceptance), and
    # with ?wait=true for the whole chain, before answering 202 with the state so far.
    intake_wait_seconds: float = 60.0
    chain_wait_seconds: float = 300.0

    @property
    def master_key_path(self) -> Path:
        return self.master_key_file or self.key_dir / MASTER_KEY
