"""A small simulation end to end through the CLI: real prints, real chain, real database.

The parameter file is tilted so that a handful of bookings gives matches with
detainers (every non-citizen has an IDENT record and entered without
inspection, no prior convictions: non-criminal), so the counterfactual
"no detainers for Level 3 and non-criminal" must change the outcome.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from scomm.bootstrap import bootstrap
from scomm.cli import app
from scomm.simulation.parameters import default_path
from scomm.statistics.counts import national_summary
from scomm.statistics.facts import booking_facts
from scomm.storage.tables import PersonRow, TransactionRow

COUNTERFACTUAL = (Path(__file__).resolve().parents[2] / "scomm" / "data" / "counterfactuals"
                  / "no-detainers-level3-noncriminal.json")
TILT = {"noncitizen_multiple": "20.0", "ident_record_share": "1.0", "naturalised_share": "0.0",
        "prior_record_share": "0.0", "rearrest_share": "0.0", "lpr": "0.0", "ewi": "1.0",
        "overstay": "0.0", "prior_removal": "0.0", "non-criminal": "1.0",
        "removed.non-criminal": "1.0", "returned.non-criminal": "0.0"}


def tilted_parameters(tmp: Path) -> Path:
    text = default_path().read_text()
    for key, value in TILT.items():
        text, n = re.subn(rf"^{re.escape(key)} = [^\s#]+", f"{key} = {value}", text, flags=re.M)
        assert n == 1, key
    p = tmp / "tilted.toml"
    p.write_text(text)
    return p


def run(args: list[str], cache: Path):
    result = CliRunner().invoke(app, ["simulate", "--from", "2012-06", "--to", "2012-07",
                                      "--scale", "3e-6", "--seed", "10", "--workers", "2",
                                      "--render-cache", str(cache), *args])
    assert result.exit_code == 0, result.output
    return result


def db_summary(out: Path) -> tuple[dict, int, int]:
    hub = bootstrap(database_url=f"sqlite:///{out / 'scomm.db'}")
    with hub.db.session() as s:
        summary = national_summary(booking_facts(s))
        txs = s.scalar(select(func.count()).select_from(TransactionRow))
        people = s.scalar(select(func.count()).select_from(PersonRow))
    return summary, txs, people


@pytest.mark.slow
def test_simulation_end_to_end(tmp_path):
    params = tilted_parameters(tmp_path)
    base, alt, cache = tmp_path / "base", tmp_path / "alt", tmp_path / "prints"
    first = run(["--out", str(base), "--parameters", str(params)], cache)
    assert "not evidence" in first.output
    rj = json.loads((base / "run.json").read_text())
    summary, txs, people = db_summary(base)
    # the run's table is national_summary over the database, nothing re-counted
    assert rj["national_summary"] == summary
    checked = rj["published_check"]["whole run"]
    assert {r["key"] for r in checked} >= {"match_rate_pct", "removed_noncriminal_pct"}
    match = next(r for r in checked if r["key"] == "match_rate_pct")
    assert (match["numerator"], match["denominator"]) == (summary["ident_matches"],
                                                          summary["submissions"])
    assert rj["last_month"] == "2012-07" and rj["identity"]["seed"] == 10
    assert rj["identity"]["extractor"] == "classical"     # the replay's default, for speed
    assert summary["bookings"] == txs == 4 and summary["ident_matches"] >= 1
    assert summary["detainers"] >= 1 and summary["removed"] >= 1
    assert sum(rj["per_year"]["2012"][k] for k in ("bookings", "removed")) == \
        summary["bookings"] + summary["removed"]

    # the same command again continues (nothing left) and duplicates nothing
    run(["--out", str(base), "--parameters", str(params)], cache)
    again, txs2, people2 = db_summary(base)
    assert (again, txs2, people2) == (summary, txs, people)

    # another seed in the same directory is refused, naming what differs
    other = CliRunner().invoke(app, ["simulate", "--from", "2012-06", "--to", "2012-07",
                                     "--seed", "11", "--out", str(base),
                                     "--parameters", str(params)])
    assert other.exit_code == 2 and "seed" in other.output

    cached = sorted(cache.rglob("*.pickle"))
    assert len(cached) >= 4   # 4 CARs and the IDENT enrolments, shared with the next run
    # the counterfactual: same people, same bookings, no detainer for non-criminal matches
    run(["--out", str(alt), "--parameters", str(params), "--policy", str(COUNTERFACTUAL)], cache)
    cf, _, _ = db_summary(alt)
    assert cf["bookings"] == summary["bookings"]
    assert cf["ident_matches"] == summary["ident_matches"]
    assert cf["detainers"] == 0 and cf["custody"] == 0 and cf["removed"] == 0

    cmp = CliRunner().invoke(app, ["compare", str(base), str(alt), "--json"])
    assert cmp.exit_code == 0, cmp.output
    rows = {r["figure"]: r for r in json.loads(cmp.output)["national"]}
    assert rows["removed"]["diffs"] == [-summary["removed"]]
    assert rows["ident_matches"]["diffs"] == [0]
