"""``scomm bench fvc``: the FVC protocol through the command line, and the NBIS peer when installed."""
from __future__ import annotations

import ast
import importlib.util
import json
import shutil
import sys
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scomm.bench import fvc as bench_fvc
from scomm.bench.nbis_peer import NbisUnavailable, load_nbis
from scomm.cli import app

from ..conftest import SHARED

FVC = SHARED / "fvc"
DB1 = FVC / "fvc2002" / "DB1_B"
needs_fvc = pytest.mark.skipif(
    not DB1.is_dir(), reason=f"FVC data not available at {DB1} (the shared data folder ../shared is absent)")
needs_nbis = pytest.mark.skipif(
    importlib.util.find_spec("nbis") is None,
    reason="nbis-py (the optional bench extra) is not installed: `make bench-install` to run the NBIS peer tests")

RATE_KEYS = {"EER", "FMR100", "FMR1000", "ZeroFMR"}
ENGINE_KEYS = RATE_KEYS | {"folder", "source", "extractor", "ppi", "genuine", "impostor", "extraction_median_ms",
                           "extraction_failures", "comparisons_per_second", "max_impostor_score",
                           "median_genuine_score", "mean_minutiae", "one_to_one"}
runner = CliRunner()


@pytest.fixture(autouse=True)
def _restore_threads():
    """The benchmark holds OpenCV and numba to one thread; give the other tests theirs back."""
    import cv2
    import numba
    cv, nb = cv2.getNumThreads(), numba.get_num_threads()
    yield
    cv2.setNumThreads(cv)
    numba.set_num_threads(nb)


def _subset(tmp_path: Path, fingers: int = 3, ext: str = "iso") -> Path:
    """A small FVC-like folder (``fingers`` x 8 impressions of DB1_B) under tmp_path/fvc/fvc2002/DB1_B."""
    out = tmp_path / "fvc" / "fvc2002" / "DB1_B"
    out.mkdir(parents=True)
    for f in sorted(DB1.glob(f"*.{ext}")):
        if int(f.name.split("_")[0]) < 101 + fingers:
            shutil.copy(f, out / f.name)
    return out


def _check_engine(r: dict, genuine: int, impostor: int, max_eer: float) -> None:
    assert ENGINE_KEYS <= set(r), ENGINE_KEYS - set(r)
    assert (r["genuine"], r["impostor"]) == (genuine, impostor)
    assert 0.0 <= r["EER"] <= max_eer
    assert r["EER"] <= r["ZeroFMR"] + 1e-9 and r["FMR100"] <= r["FMR1000"] <= r["ZeroFMR"]
    assert all(0.0 <= r[k] <= 1.0 for k in RATE_KEYS)
    assert r["comparisons_per_second"] > 10


@needs_fvc
def test_fvc_json_on_one_real_folder():
    # the whole folder (280 + 2,880 comparisons) from its .iso templates: the image path is
    # test_fvc_images_json_out below, on part of the folder, to keep this suite fast
    res = runner.invoke(app, ["bench", "fvc", str(DB1), "--iso", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert {"benchmark", "date", "machine", "engines", "source", "peer", "timing", "folders", "summary"} <= set(out)
    assert out["benchmark"] == "fvc" and out["source"] == "iso" and out["peer"] is None
    datetime.fromisoformat(out["date"])
    assert {"cpu", "cores", "python"} <= set(out["machine"]) and out["machine"]["cores"] >= 1
    [row] = out["folders"]
    assert row["name"] == "fvc2002/DB1_B" and row["ppi"] == 500
    r = row["scomm"]
    assert set(r) == ENGINE_KEYS
    _check_engine(r, 280, 2880, max_eer=0.10)
    assert r["extraction_median_ms"] is None and r["extraction_failures"] == 0
    assert 10 < r["mean_minutiae"] < 150
    s = out["summary"]
    assert s["folders"] == 1 and s["scomm"]["worst_folder"] == "fvc2002/DB1_B"
    assert s["scomm"]["mean_EER"] == pytest.approx(r["EER"])


@needs_fvc
def test_fvc_images_json_out(tmp_path):
    folder = _subset(tmp_path, fingers=2, ext="tif")
    out_file = tmp_path / "fvc.json"
    res = runner.invoke(app, ["bench", "fvc", str(folder), "--extractor", "classical", "--json-out", str(out_file)])
    assert res.exit_code == 0, res.output
    assert "extract ms" in res.stdout and "mean EER" in res.stdout  # the tables
    assert "1:1 decision at score >=" in res.stdout
    out = json.loads(out_file.read_text())
    r = out["folders"][0]["scomm"]
    assert out["source"] == "image" and r["source"] == "image"
    _check_engine(r, 2 * 28, 16 * 15 // 2 - 2 * 28, max_eer=0.25)
    assert 1.0 < r["extraction_median_ms"] < 5000 and r["extraction_failures"] == 0


@needs_fvc
def test_parent_folder_runs_every_fvc_folder_beneath(tmp_path):
    names = [bench_fvc.folder_label(f) for f in bench_fvc.find_folders([FVC])]
    assert "fvc2002/DB1_B" in names and "fvc2004/DB3_B" in names
    assert not any("invalid" in n for n in names)
    assert len(names) == len(set(names)) >= 6
    _subset(tmp_path)
    out_file = tmp_path / "out" / "fvc.json"
    res = runner.invoke(app, ["bench", "fvc", str(tmp_path / "fvc"), "--iso", "--json-out", str(out_file)])
    assert res.exit_code == 0, res.output
    assert "fvc2002/DB1_B" in res.stdout and "mean EER" in res.stdout and "worst fvc2002/DB1_B" in res.stdout
    out = json.loads(out_file.read_text())
    [row] = out["folders"]
    assert out["source"] == "iso" and row["scomm"]["extraction_median_ms"] is None
    _check_engine(row["scomm"], 3 * 28, 24 * 23 // 2 - 3 * 28, max_eer=0.25)


def test_no_fvc_folder_is_a_clear_error(tmp_path):
    res = runner.invoke(app, ["bench", "fvc", str(tmp_path)])
    assert res.exit_code == 1
    assert "no FVC folder (NNN_k.tif files)" in res.output


def test_missing_nbis_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "nbis", None)  # import nbis -> ImportError
    with pytest.raises(NbisUnavailable, match=r"make bench-install.*requirements-bench\.lock"):
        load_nbis()
    res = runner.invoke(app, ["bench", "fvc", str(tmp_path), "--peer", "nbis"])
    assert res.exit_code == 2
    assert "make bench-install" in res.output


def test_only_the_peer_module_imports_nbis():
    root = Path(bench_fvc.__file__).resolve().parents[1]
    offenders = []
    for f in root.rglob("*.py"):
        if f.name == "nbis_peer.py" and f.parent.name == "bench":
            continue
        for node in ast.walk(ast.parse(f.read_text(), str(f))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
            if any(n == "nbis" or n.startswith("nbis.") for n in names):
                offenders.append(str(f.relative_to(root)))
    assert offenders == []


@needs_fvc
@needs_nbis
def test_nbis_peer_same_keys_and_pairs(tmp_path):
    from scomm.bench.nbis_peer import evaluate_folder_nbis, nbis_available

    assert nbis_available()
    folder = _subset(tmp_path, fingers=2, ext="tif")
    theirs = evaluate_folder_nbis(folder)  # MINDTCT on the images
    # evaluate_folder's keys (checked against it in test_fvc_json_on_one_real_folder)
    assert set(theirs) == ENGINE_KEYS | {"genuine_scores", "impostor_scores"}
    _check_engine(theirs, 56, 64, max_eer=0.25)
    assert theirs["source"] == "image" and theirs["extraction_failures"] == 0
    assert 1.0 < theirs["extraction_median_ms"] < 5000
    assert max(theirs["genuine_scores"]) > max(theirs["impostor_scores"])


@needs_fvc
@needs_nbis
def test_nbis_peer_through_the_cli_with_iso(tmp_path):
    _subset(tmp_path)
    res = runner.invoke(app, ["bench", "fvc", str(tmp_path / "fvc"), "--iso", "--peer", "nbis", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    [row] = out["folders"]
    assert out["peer"] == "nbis" and out["engines"]["nbis"]["version"]
    _check_engine(row["nbis"], 84, 192, max_eer=0.5)
    assert row["nbis"]["mean_minutiae"] == pytest.approx(row["scomm"]["mean_minutiae"])  # same templates
    assert set(row["ratio"]) == {"EER", "extraction_ms", "comparisons_per_second"}
    assert row["ratio"]["comparisons_per_second"] > 0
    assert set(out["summary"]) >= {"scomm", "nbis", "ratio"}


@needs_fvc
def test_the_learned_extractor_through_the_cli(tmp_path):
    folder = _subset(tmp_path, fingers=2, ext="tif")
    res = runner.invoke(app, ["bench", "fvc", str(folder), "--extractor", "leader", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    r = out["folders"][0]["scomm"]
    assert r["extractor"] == "leader" and r["extraction_failures"] == 0
    _check_engine(r, 2 * 28, 16 * 15 // 2 - 2 * 28, max_eer=0.10)
    engine = out["engines"]["scomm"]
    assert engine["extractor"] == "leader" and len(engine["leader"]["sha256"]) == 64
    from scomm.biometrics.verification import VERIFICATION
    one = r["one_to_one"]
    assert one["threshold"] == VERIFICATION["leader"].threshold and 0 <= one["FMR"] <= one["fmr_target"] * 100
    assert 0 <= one["FNMR"] < 0.5


@needs_fvc
def test_fewer_anchors_are_recorded_and_change_the_scores(tmp_path):
    folder = _subset(tmp_path, fingers=4)
    runs = {}
    for anchors in (None, 1):
        extra = [] if anchors is None else ["--anchors", str(anchors)]
        res = runner.invoke(app, ["bench", "fvc", str(folder), "--iso", "--json", *extra])
        assert res.exit_code == 0, res.output
        runs[anchors] = json.loads(res.stdout)
    assert [runs[a]["engines"]["scomm"]["anchors"] for a in (None, 1)] == [12, 1]
    mine, one = (runs[a]["folders"][0]["scomm"] for a in (None, 1))
    assert (mine["median_genuine_score"], mine["max_impostor_score"]) != (one["median_genuine_score"],
                                                                          one["max_impostor_score"])
    assert runner.invoke(app, ["bench", "fvc", str(folder), "--iso", "--anchors", "0"]).exit_code != 0


@needs_fvc
def test_lssr_consolidation_is_recorded_and_scores_otherwise(tmp_path):
    folder = _subset(tmp_path, fingers=4)
    runs = {}
    for c in ("pairing", "lssr"):
        res = runner.invoke(app, ["bench", "fvc", str(folder), "--iso", "--json", "--consolidation", c])
        assert res.exit_code == 0, res.output
        runs[c] = json.loads(res.stdout)
        assert runs[c]["engines"]["scomm"]["consolidation"] == c
    mine, lssr = (runs[c]["folders"][0]["scomm"] for c in ("pairing", "lssr"))
    assert lssr["max_impostor_score"] < 1 < mine["max_impostor_score"]   # LSS-R scores are similarities in [0, 1]
    assert lssr["EER"] <= 0.25
    # a gate no pair passes: nothing is consolidated, every score is 0
    res = runner.invoke(app, ["bench", "fvc", str(folder), "--iso", "--json", "--gate", "1"])
    assert res.exit_code == 0, res.output
    shut = json.loads(res.stdout)
    assert shut["engines"]["scomm"]["lssr_gate"] == 1.0 and runs["pairing"]["engines"]["scomm"]["lssr_gate"] == 0
    assert shut["folders"][0]["scomm"]["median_genuine_score"] == 0 == shut["folders"][0]["scomm"]["max_impostor_score"]
