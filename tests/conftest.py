"""Shared fixtures: paths to ../shared, database URLs for SQLite and (if set) PostgreSQL."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"


def shared_path(*parts: str) -> Path:
    """A file under ../shared/data, or skip the test saying what is missing."""
    p = SHARED.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"../shared/data/{'/'.join(parts)} is absent (tests on shared data need it)")
    return p


def postgres_url() -> str | None:
    return os.environ.get("SCOMM_TEST_POSTGRES_URL")
