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
    assert 500 < res["bytes_per_finger"] < 3100 and res["store"] == "memory"     # templates and their codes
    assert res["latency_median_s"] > 0 and res["latency_p95_s"] >= res["latency_median_s"]
    assert not res["fnir_at_fpir"][0]["resolved"]   # 5 non-mated searches cannot resolve FPIR 0.1%
    assert {"a", "beta"} <= set(res["impostor_tail"]) and "ln(N=40" in res["decision_rule"]


def test_bench_search_with_its_templates_on_disk_holds_only_their_codes(tmp_path):
    out = tmp_path / "search.json"
    r = CliRunner().invoke(app, ["bench", "search", "--subjects", "30", "--probes", "6", "--workers", "1",
                                 "--store", str(tmp_path), "--json-out", str(out)])
    assert r.exit_code == 0, r.output
    res = json.loads(out.read_text())
    assert res["store"] == "disk" and res["load_seconds"] > 0 and res["rank1"] == 1.0
    assert res["bytes_per_finger_in_memory"] == 424 and 1000 < res["bytes_per_finger_on_disk"] < 2600
    assert [p.name for p in tmp_path.iterdir()] == ["search.json"], "the files go when the run ends"


def test_a_kept_store_is_opened_again_instead_of_packed(tmp_path):
    runs = []
    for k in range(2):
        out = tmp_path / f"run{k}.json"
        r = CliRunner().invoke(app, ["bench", "search", "--subjects", "25", "--probes", "4", "--workers", "1",
                                     "--store", str(tmp_path), "--keep-store", "--json-out", str(out)])
        assert r.exit_code == 0, r.output
        runs.append(json.loads(out.read_text()))
    assert [x["index_reused"] for x in runs] == [False, True]
    assert runs[0]["mate_scores"] == runs[1]["mate_scores"] and runs[1]["fingers"] == 250
    assert (tmp_path / "search-templates-25-20261123.store" / "index.json").exists()


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



def test_an_interrupted_generation_resumes_from_its_blocks(tmp_path, monkeypatch):
    import pytest

    from scomm.bench import search

    monkeypatch.setattr(search, "GENERATION_BLOCK", 10)
    cache, seeds, probes = tmp_path / "c.pkl", list(range(100, 125)), [100, 999]

    class Stop(Exception):
        pass

    def stop_in_the_second_block(stage, done, total):
        if done > 10:
            raise Stop

    with pytest.raises(Stop):
        search._generate("templates", seeds, probes, 1, stop_in_the_second_block, cache, "leader")
    assert (tmp_path / "c.part0.pkl").exists() and not cache.exists()
    made: list[int] = []
    gallery, probe_isos = search._generate("templates", seeds, probes, 1, lambda s, done, t: made.append(done),
                                           cache, "leader")
    assert [s for s, _ in gallery] == seeds and len(probe_isos) == 2
    assert min(made) > 10, "the first block is read back, not made again"
    assert cache.exists() and not list(tmp_path.glob("*.part*"))
    whole, _ = search._generate("templates", seeds, probes, 1, lambda *a: None, tmp_path / "fresh.pkl", "leader")
    assert whole == gallery
