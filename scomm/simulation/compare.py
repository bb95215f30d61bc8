"""``scomm compare``: two runs' national outcome tables side by side, with differences.

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
    figure: str
    a: float | int | None
    b: float | int | None

    @property
    def diff(self) -> float | int | None:
        if self.a is None or self.b is None:
            return None
        d = self.b - self.a
        return round(d, 2) if isinstance(d, float) else d

    def to_dict(self) -> dict:
        return {"figure": self.figure, "a": self.a, "b": self.b, "diff": self.diff}


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


def national_rows(a: dict, b: dict) -> list[Row]:
    fa, fb = flatten(a["national_summary"]), flatten(b["national_summary"])
    return [Row(k, fa.get(k), fb.get(k)) for k in dict.fromkeys([*fa, *fb])]


def year_rows(a: dict, b: dict) -> list[tuple[str, Row]]:
    ya, yb = a.get("per_year", {}), b.get("per_year", {})
    out = []
    for year in sorted(set(ya) | set(yb)):
        fa, fb = flatten(ya.get(year, {})), flatten(yb.get(year, {}))
        out += [(year, Row(k, fa.get(k), fb.get(k))) for k in YEAR_FIGURES]
    return out


def describe(run: dict) -> str:
    ident, policy = run.get("identity", {}), run.get("policy", {})
    return (f"{policy.get('label') or policy.get('file') or 'packaged record'}; "
            f"{ident.get('from')}..{run.get('to')}, scale {ident.get('scale')}, "
            f"seed {ident.get('seed')}")


def comparison(a: dict, b: dict) -> dict:
    return {"a": describe(a), "b": describe(b),
            "note": "Simulated under calibrated parameters: a difference is what this model "
                    "says the policy changes, not evidence of what it changed.",
            "national": [r.to_dict() for r in national_rows(a, b)],
            "per_year": [{"year": y, **r.to_dict()} for y, r in year_rows(a, b)]}
