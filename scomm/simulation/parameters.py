"""The simulation's parameters: one documented TOML file, loaded and checked here.

``scomm/data/simulation.toml`` is the packaged default; every number there is
explained beside it. Loading validates names, types and ranges, and every error
names the offending key (``custody.level1``), so a hand-edited file fails
clearly. The values are calibration to published aggregates, not evidence.
"""
from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path

from ..domain.jurisdictions import data_file

LEVELS = ("level1", "level2", "level3", "non-criminal")
LEVEL_OF = {"1": "level1", "2": "level2", "3": "level3", "non-criminal": "non-criminal"}
PROFILES = ("lpr", "ewi", "overstay", "prior_removal")
CALIBRATION_NOTE = ("Calibration to published aggregates, not evidence: the parameters were "
                    "tuned to reproduce the shape of ICE's national totals (ICE's IDENT/IAFIS "
                    "Interoperability Statistics, the Warren Institute 2011, GAO-12-708; "
                    "scomm/data/SOURCES.md).")


class ParameterError(ValueError):
    """A parameter file is missing a key, has an unknown one, or a value out of range."""


@dataclass(frozen=True)
class Parameters:
    note: str
    bookings_per_1000_per_month: float
    default_scale: float
    rearrest_share: float
    noncitizen_multiple: float
    ident_record_share: float
    naturalised_share: float
    naturalised_unrecorded_share: float
    prior_record_share: float
    enrol_citizen_priors: bool
    profiles: dict[str, float]
    convicted_share: float
    conviction_levels: dict[str, float]      # level1/level2/level3 weights
    release_median_days: float
    release_sigma: float
    release_max_days: int
    default_honour_rate: float
    custody_rate: dict[str, float]           # by level key
    pickup_hours: tuple[float, float]
    removed_rate: dict[str, float]
    returned_rate: dict[str, float]
    outcome_delay_days: dict[str, float]
    citizen_cleared_days: float

    def to_dict(self) -> dict:
        return asdict(self)


def default_path() -> Path:
    return Path(str(data_file("simulation.toml")))


def load_parameters(path: str | Path | None = None) -> Parameters:
    """Read and validate a parameter file (the packaged one when ``path`` is None)."""
    p = Path(path) if path else default_path()
    try:
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ParameterError(f"{p}: not valid TOML: {exc}") from None
    return parse_parameters(raw)


def parse_parameters(raw: dict) -> Parameters:
    r = _Reader(raw)
    b, a, c = "bookings", "arrestees", "convictions"
    params = Parameters(
        note=r.text("note"),
        bookings_per_1000_per_month=r.number(f"{b}.per_1000_residents_per_month", lo=0, hi=1000),
        default_scale=r.number(f"{b}.default_scale", lo=0, hi=1, open_lo=True),
        rearrest_share=r.rate(f"{b}.rearrest_share"),
        noncitizen_multiple=r.number(f"{a}.noncitizen_multiple", lo=0, hi=20),
        ident_record_share=r.rate(f"{a}.ident_record_share"),
        naturalised_share=r.rate(f"{a}.naturalised_share"),
        naturalised_unrecorded_share=r.rate(f"{a}.naturalised_unrecorded_share"),
        prior_record_share=r.rate(f"{a}.prior_record_share"),
        enrol_citizen_priors=r.flag(f"{a}.enrol_citizen_priors"),
        profiles=r.weights("profiles", PROFILES),
        convicted_share=r.rate(f"{c}.convicted_share"),
        conviction_levels=r.weights(c, LEVELS[:3], extra=("convicted_share",)),
        release_median_days=r.number("jail.release_delay_median_days", lo=0, hi=3650),
        release_sigma=r.number("jail.release_delay_sigma", lo=0, hi=10),
        release_max_days=int(r.number("jail.release_delay_max_days", lo=0, hi=3650)),
        default_honour_rate=r.rate("jail.default_honour_rate"),
        custody_rate={lv: r.rate(f"custody.{lv}") for lv in LEVELS},
        pickup_hours=(r.number("custody.pickup_hours_min", lo=0, hi=48),
                      r.number("custody.pickup_hours_max", lo=0, hi=48)),
        removed_rate={lv: r.rate(f"removal.removed.{lv}") for lv in LEVELS},
        returned_rate={lv: r.rate(f"removal.returned.{lv}") for lv in LEVELS},
        outcome_delay_days={lv: r.number(f"removal.delay_days.{lv}", lo=0, hi=3650)
                            for lv in LEVELS},
        citizen_cleared_days=r.number("removal.citizen_cleared_days", lo=0, hi=3650),
    )
    if params.pickup_hours[0] > params.pickup_hours[1]:
        raise ParameterError("custody.pickup_hours_min: greater than custody.pickup_hours_max")
    for lv in LEVELS:
        if params.removed_rate[lv] + params.returned_rate[lv] > 1 + 1e-9:
            raise ParameterError(f"removal.removed.{lv} + removal.returned.{lv}: sum above 1")
    r.no_unknown_keys()
    return params


class _Reader:
    """Typed access to a nested dict by dotted key, remembering which keys were read."""

    def __init__(self, raw: dict):
        self.raw = raw
        self.seen: set[str] = set()

    def _get(self, key: str):
        node = self.raw
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                raise ParameterError(f"{key}: missing")
            node = node[part]
        self.seen.add(key)
        return node

    def text(self, key: str) -> str:
        v = self._get(key)
        if not isinstance(v, str):
            raise ParameterError(f"{key}: expected text, got {v!r}")
        return v

    def flag(self, key: str) -> bool:
        v = self._get(key)
        if not isinstance(v, bool):
            raise ParameterError(f"{key}: expected true or false, got {v!r}")
        return v

    def number(self, key: str, *, lo: float, hi: float, open_lo: bool = False) -> float:
        v = self._get(key)
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ParameterError(f"{key}: expected a number, got {v!r}")
        if v < lo or v > hi or (open_lo and v == lo):
            raise ParameterError(f"{key}: {v} outside {'(' if open_lo else '['}{lo}, {hi}]")
        return float(v)

    def rate(self, key: str) -> float:
        return self.number(key, lo=0.0, hi=1.0)

    def weights(self, table: str, names: tuple[str, ...], extra: tuple[str, ...] = ()) -> dict:
        w = {n: self.rate(f"{table}.{n}") for n in names}
        node = self._get(table)
        unknown = sorted(set(node) - set(names) - set(extra))
        if unknown:
            raise ParameterError(f"{table}.{unknown[0]}: unknown key (expected "
                                 f"{', '.join(names + extra)})")
        total = sum(w.values())
        if abs(total - 1.0) > 1e-6:
            raise ParameterError(f"{table}: weights {', '.join(names)} sum to {total:g}, not 1")
        return w

    def no_unknown_keys(self) -> None:
        for key in _leaf_keys(self.raw):
            if key not in self.seen and not any(s.startswith(key + ".") for s in self.seen):
                raise ParameterError(f"{key}: unknown key")


def _leaf_keys(d: dict, prefix: str = "") -> list[str]:
    out = []
    for k, v in d.items():
        key = f"{prefix}{k}"
        out.extend(_leaf_keys(v, key + ".") if isinstance(v, dict) else [key])
    return out
