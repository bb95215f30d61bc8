"""Synthetic-vs-SFinGe comparison (scomm.bench.synth_realism) on a small set."""
from __future__ import annotations

import json

import numpy as np
import pytest

from tests.conftest import shared_path


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    shared_path("fvc", "fvc2002", "DB4_B")
    shared_path("fvc", "fvc2004", "DB4_B")
    from scomm.bench import synth_realism
    out = tmp_path_factory.mktemp("synth")
    return synth_realism.run(out, sets=1, fingers=4, impressions=4, real_limit=(4, 4), workers=1)


def test_structure(result):
    from scomm.bench.synth_realism import REAL_SETS, table, to_json
    assert set(result["real"]) == set(REAL_SETS)
    assert len(result["synthetic"]) == 1
    # FVC protocol on 4 fingers x 4 impressions: 4 x 6 genuine, 6 x 16 impostor
    for s in [*result["real"].values(), *result["synthetic"]]:
        assert (s["genuine"], s["impostor"]) == (24, 96)
        for key in ("EER", "FMR100", "genuine_median", "impostor_median"):
            assert np.isfinite(s[key])
        assert 0.0 <= s["EER"] <= 1.0 and 0.0 <= s["FMR100"] <= 1.0
        assert set(s["genuine_q"]) == {"10", "25", "50", "75", "90"}
    for name in REAL_SETS:
        ks = result["ks"][name]
        assert len(ks["ks_genuine"]) == len(ks["ks_impostor"]) == 1
        assert 0.0 <= ks["ks_genuine_pooled"] <= 1.0 and 0.0 <= ks["ks_impostor_pooled"] <= 1.0
    assert "real_vs_real" in result["ks"]
    # plot: a matplotlib figure, saved as PNG; JSON without figures
    fig = result["figures"]["synth_vs_fvc"]
    assert len(fig.axes) >= 3
    with open(result["png"], "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    data = json.loads(open(result["json"]).read())
    assert "figures" not in data and len(data["scores"]["synthetic"][0]["genuine"]) == 24
    json.dumps(to_json(result, scores=False))
    assert table(result).row_count == 2 + 1 + 1


def test_genuine_scores_above_impostor(result):
    for s in [*result["real"].values(), *result["synthetic"]]:
        assert s["genuine_median"] > s["impostor_median"]


def test_synthetic_folder_is_deterministic():
    from scomm.bench.synth_realism import FVC_FRAME, synthetic_folder
    a = synthetic_folder(5, fingers=1, impressions=2)
    b = synthetic_folder(5, fingers=1, impressions=2)
    assert sorted(a) == [(101, 1), (101, 2)]
    assert all(img.shape == FVC_FRAME and img.dtype == np.uint8 for img in a.values())
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a[(101, 1)], a[(101, 2)])
