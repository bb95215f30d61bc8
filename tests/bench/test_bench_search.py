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
    assert res["nonmated_searches"] == 10          # each mated probe again, its mate left out
    assert len(res["nonmate_top_scores"]) == 10 and max(res["nonmate_top_scores"]) < min(res["mate_scores"])
    assert res["fingers"] == 400
    assert res["rank1"] == 1.0
    assert 500 < res["bytes_per_finger"] < 2600
    assert res["latency_median_s"] > 0 and res["latency_p95_s"] >= res["latency_median_s"]
    assert not res["fnir_at_fpir"][0]["resolved"]   # 5 non-mated searches cannot resolve FPIR 0.1%
    assert {"a", "beta"} <= set(res["impostor_tail"]) and "ln(N=40" in res["decision_rule"]


def test_bench_search_rejects_bad_sizes():
    r = CliRunner().invoke(app, ["bench", "search", "--subjects", "0"])
    assert r.exit_code == 1 and "need at least" in r.output


def test_leaving_the_mate_out_is_a_search_of_someone_absent():
    """rank(without=mate) scores the gallery as if the mate had never been enrolled."""
    from scomm.biometrics import TenprintGallery
    from scomm.biometrics.synth_templates import tenprint_templates

    g = TenprintGallery()
    for s in range(30):
        g.add(f"S{s}", tenprint_templates(s, 0))
    probe = g.pack_probe(tenprint_templates(7, 501))
    rows, scores = g.rank(probe)
    assert rows[scores.argmax()] == 7
    rows_out, scores_out = g.rank(probe, without="S7")
    assert 7 not in rows_out and len(rows_out) == len(rows) and scores_out.max() < scores.max()

