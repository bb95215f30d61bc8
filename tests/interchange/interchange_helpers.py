"""Fixtures for the interchange tests (synthetic fingers, shared files)."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from scomm.interchange import Charge, encode_car

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "ansi-nist"
TODAY = dt.date(2024, 5, 2)
KNOWN_ORIS = {"VA0010000"}


def shared_file(name: str) -> bytes:
    path = SHARED / name
    if not path.exists():
        pytest.skip(f"shared test data not available: {path} (needs /work/shared/data/ansi-nist)")
    return path.read_bytes()


def ridge(seed: int, h: int = 400, w: int = 400) -> np.ndarray:
    """A sinusoidal ridge-like pattern (period ~9 px at 500 ppi), with a whorl-ish bend."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    angle = 0.3 * seed + 0.002 * (x - w / 2) + 0.001 * (y - h / 2)
    phase = (x * np.cos(angle) + y * np.sin(angle)) * (2 * np.pi / 9.0)
    return np.clip(128 + 90 * np.sin(phase), 0, 255).astype(np.uint8)


_FINGERS = {pos: ridge(pos) for pos in range(1, 11)}


def car_args(**over):
    args = dict(
        tcn="VA20240501000001", ori="VA0010000", dai="WVIAFIS0Z", date=dt.date(2024, 5, 1),
        name="DOE,JOHN QUINCY", dob=dt.date(1980, 1, 2), sex="M", race="W", pob="MX",
        arrest_date=dt.date(2024, 4, 30),
        charges=[Charge("1313", "SIMPLE ASSAULT", dt.date(2024, 4, 29)), Charge("3599", "DANGEROUS DRUGS")],
        fingers=dict(_FINGERS),
    )
    args.update(over)
    return args


@pytest.fixture(scope="session")
def good_car() -> bytes:
    return encode_car(**car_args())


def known_ori(ori: str) -> bool:
    return ori in KNOWN_ORIS
