"""`scomm bench calibrate`: the 1:1 threshold of an extractor, fitted on synthetic prints."""
from __future__ import annotations

import json

from typer.testing import CliRunner

from scomm.cli import app


def test_calibrate_fits_a_threshold_on_synthetic_prints(tmp_path):
    out = tmp_path / "cal.json"
    r = CliRunner().invoke(app, ["bench", "calibrate", "--subjects", "3", "--extractor", "classical",
                                 "--fmr", "0.01", "--workers", "1", "--json-out", str(out)])
    assert r.exit_code == 0, r.output
    res = json.loads(out.read_text())
    assert res["genuine"] >= 25 and res["impostor"] >= 500 and res["resolved"]
    assert res["observed_fmr"] <= 0.01 and res["impostor_max"] >= res["threshold"] - 1e-3
    assert res["genuine_median"] > res["threshold"] and 0 <= res["fnmr"] < 0.5
    assert 0 < res["tenprint_extraction_cpu_s"]["median"] <= res["tenprint_extraction_cpu_s"]["p95"]
