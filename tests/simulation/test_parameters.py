"""The simulation's parameter file: loads, validates, and names the bad key."""
from __future__ import annotations

import copy
import tomllib

import pytest

from scomm.simulation.parameters import ParameterError, default_path, load_parameters, parse_parameters


@pytest.fixture(scope="module")
def raw() -> dict:
    return tomllib.loads(default_path().read_text())


def test_packaged_file_loads_and_says_it_is_calibration():
    p = load_parameters()
    assert "not evidence" in p.note
    assert 3.0 < p.bookings_per_1000_per_month < 3.5     # ~12M arrests / 309M / 12
    assert abs(sum(p.profiles.values()) - 1) < 1e-9
    assert set(p.custody_rate) == {"level1", "level2", "level3", "non-criminal"}
    assert "not evidence" in default_path().read_text()


def _broken(raw: dict, path: str, value=None, delete: bool = False) -> dict:
    d = copy.deepcopy(raw)
    *parents, last = path.split(".")
    node = d
    for k in parents:
        node = node[k]
    if delete:
        del node[last]
    else:
        node[last] = value
    return d


@pytest.mark.parametrize("path,value,delete,message", [
    ("custody.level1", 1.5, False, "custody.level1: 1.5 outside"),
    ("arrestees.prior_record_share", "half", False, "arrestees.prior_record_share: expected a number"),
    ("bookings.per_1000_residents_per_month", None, True,
     "bookings.per_1000_residents_per_month: missing"),
    ("profiles.ewi", 0.9, False, "profiles: weights"),
    ("jail.typo_rate", 0.1, False, "jail.typo_rate: unknown key"),
    ("profiles.asylee", 0.0, False, "profiles.asylee: unknown key"),
    ("arrestees.enrol_citizen_priors", 1, False, "arrestees.enrol_citizen_priors: expected true"),
    ("removal.returned.level1", 0.5, False, "removal.removed.level1 + removal.returned.level1"),
    ("bookings.default_scale", 0, False, "bookings.default_scale: 0 outside"),
])
def test_bad_values_name_the_key(raw, path, value, delete, message):
    with pytest.raises(ParameterError) as exc:
        parse_parameters(_broken(raw, path, value, delete))
    assert str(exc.value).startswith(message)


def test_invalid_toml_is_reported(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text("[bookings\nx = 1")
    with pytest.raises(ParameterError, match="not valid TOML"):
        load_parameters(p)
