"""``scomm compare``: runs' national outcome tables side by side, with differences from the first.

Both tables come from each run's ``run.json`` (written by ``simulate`` from
``statistics.counts.national_summary``), so nothing is counted again here.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

# Rows of the per-year comparison (the national table shows every figure).
YEAR_FIGURES = ("submissions", "ident_matches", "detainers", "custody", "removed",
                "removed_by_level.non-criminal", "removed_noncriminal_pct")


@dataclass(frozen=True)
class Row:
    """One figure across runs; differences are from the first run (A)."""
    figure: str
    values: tuple[float | int | None, ...]

    @property
    def diffs(self) -> list[float | int | None]:
        a = self.values[0]
        return [None if a is None or v is None else _round(v - a) for v in self.values[1:]]

    def to_dict(self) -> dict:
        return {"figure": self.figure, "values": list(self.values), "diffs": self.diffs}


def _round(d: float | int) -> float | int:
    return round(d, 2) if isinstance(d, float) else d


def load_run(path: str | Path) -> dict:
    """A run's ``run.json``, given the run directory or the file."""
    p = Path(path)
    p = p / "run.json" if p.is_dir() else p
    if not p.exists():
        raise FileNotFoundError(f"no run.json at {p}")
    run = json.loads(p.read_text())
    if "national_summary" not in run:
        raise ValueError(f"{p}: the run has not finished (no national_summary yet)")
    return run


def flatten(summary: dict) -> dict[str, float | int | None]:
    out: dict = {}
    for k, v in summary.items():
        if isinstance(v, dict):
            out.update({f"{k}.{lv}": n for lv, n in v.items()})
        else:
            out[k] = v
    return out


def national_rows(runs: list[dict]) -> list[Row]:
    flat = [flatten(r["national_summary"]) for r in runs]
    keys = dict.fromkeys(k for f in flat for k in f)
    return [Row(k, tuple(f.get(k) for f in flat)) for k in keys]


def year_rows(runs: list[dict]) -> list[tuple[str, Row]]:
    years = sorted({y for r in runs for y in r.get("per_year", {})})
    out = []
    for year in years:
        flat = [flatten(r.get("per_year", {}).get(year, {})) for r in runs]
        out += [(year, Row(k, tuple(f.get(k) for f in flat))) for k in YEAR_FIGURES]
    return out


def describe(run: dict) -> str:
    ident, policy = run.get("identity", {}), run.get("policy", {})
    return (f"{policy.get('label') or policy.get('file') or 'packaged record'}; "
            f"{ident.get('from')}..{run.get('to')}, scale {ident.get('scale')}, "
            f"seed {ident.get('seed')}")


def comparison(runs: list[dict]) -> dict:
    """The national and per-year tables of ``runs`` side by side (the first is A)."""
    names = [chr(ord("A") + i) for i in range(len(runs))]
    return {"runs": [{"name": n, "run": describe(r)} for n, r in zip(names, runs)],
            "note": "Simulated under calibrated parameters: a difference is what this model "
                    "says the policy changes, not evidence of what it changed.",
            "national": [r.to_dict() for r in national_rows(runs)],
            "per_year": [{"year": y, **r.to_dict()} for y, r in year_rows(runs)]}
