"""`scomm bench search` end to end on a small synthetic-template gallery."""
from __future__ import annotations

import json

from typer.testing import CliRunner

from scomm.cli import app


def test_bench_search_prints_and_writes_json(tmp_path):
    out = tmp_path / "search.json"
    r = CliRunner().invoke(app, ["bench", "search", "--subjects", "40", "--probes", "10", "--workers", "1",
                                 "--json-out", str(out)])
    assert r.exit_code == 0, r.output
    assert "rank-1" in r.output and "synthetic minutiae templates" in r.output
    res = json.loads(out.read_text())
    assert res["subjects"] == 40 and res["mated_probes"] == 5 and res["nonmated_probes"] == 5
    assert res["fingers"] == 400
    assert res["rank1"] == 1.0
    assert 500 < res["bytes_per_finger"] < 2600
    assert res["latency_median_s"] > 0 and res["latency_p95_s"] >= res["latency_median_s"]
    assert not res["fnir_at_fpir"][0]["resolved"]   # 5 non-mated searches cannot resolve FPIR 0.1%
    assert {"a", "beta"} <= set(res["impostor_tail"]) and "ln(N=40" in res["decision_rule"]


def test_bench_search_rejects_bad_sizes():
    r = CliRunner().invoke(app, ["bench", "search", "--subjects", "0"])
    assert r.exit_code == 1 and "need at least" in r.output
