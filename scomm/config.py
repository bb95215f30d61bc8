"""Configuration from the environment (``SCOMM_*``) with embedded defaults."""
from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SCOMM_")

    database_url: str = "sqlite:///scomm.db"
    host: str = "127.0.0.1"
    port: int = 8000
    # Fewest distinct finger positions a criminal tenprint may carry (EBTS allows
    # amputated/bandaged fingers to be declared; we accept up to two missing).
    min_fingers: int = 8
    # Lowest per-finger quality (0-100) the intake accepts as usable.
    min_finger_quality: int = 10
