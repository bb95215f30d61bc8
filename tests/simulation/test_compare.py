"""``scomm compare``: side by side, differences from A, per-year rows, clear errors."""
from __future__ import annotations

import json

from typer.testing import CliRunner

from scomm.cli import app
from scomm.simulation.compare import comparison, flatten
from scomm.statistics.counts import national_summary


def _run(removed_nc: int, year_removed: int) -> dict:
    s = national_summary([])
    s.update(submissions=100, ident_matches=7, removed=4 + removed_nc, match_rate_pct=7.0)
    s["removed_by_level"] = {**s["removed_by_level"], "non-criminal": removed_nc}
    y = {**national_summary([]), "removed": year_removed}
    return {"identity": {"from": "2008-10", "seed": 1, "scale": 1e-5}, "to": "2014-11",
            "policy": {"label": "x"}, "national_summary": s, "per_year": {"2011": y}}


def test_rows_pair_every_figure_with_its_difference_from_a():
    c = comparison([_run(2, 3), _run(0, 1), _run(5, 4)])
    assert [r["name"] for r in c["runs"]] == ["A", "B", "C"]
    rows = {r["figure"]: r for r in c["national"]}
    assert set(rows) == set(flatten(national_summary([])))
    assert rows["removed"] == {"figure": "removed", "values": [6, 4, 9], "diffs": [-2, 3]}
    assert rows["removed_by_level.non-criminal"]["diffs"] == [-2, 3]
    assert rows["ident_matches"]["diffs"] == [0, 0]
    year = [r for r in c["per_year"] if r["figure"] == "removed"]
    assert year == [{"year": "2011", "figure": "removed", "values": [3, 1, 4], "diffs": [-2, 1]}]
    assert "not evidence" in c["note"]


def test_cli_compare_prints_and_fails_clearly(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for d, run in ((a, _run(2, 3)), (b, _run(0, 1))):
        d.mkdir()
        (d / "run.json").write_text(json.dumps(run))
    out = CliRunner().invoke(app, ["compare", str(a), str(b)])
    assert out.exit_code == 0, out.output
    assert "removed" in out.output and "(-2)" in out.output
    one = CliRunner().invoke(app, ["compare", str(a)])
    assert one.exit_code == 2 and "at least two runs" in one.output
    missing = CliRunner().invoke(app, ["compare", str(a), str(tmp_path / "nope")])
    assert missing.exit_code == 2 and "no run.json" in missing.output
    unfinished = tmp_path / "u"
    unfinished.mkdir()
    (unfinished / "run.json").write_text(json.dumps({"identity": {}}))
    r = CliRunner().invoke(app, ["compare", str(a), str(unfinished)])
    assert r.exit_code == 2 and "not finished" in r.output
