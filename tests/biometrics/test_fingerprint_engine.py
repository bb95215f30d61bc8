"""Tests of the fingerprint engine (scomm.biometrics)."""
from __future__ import annotations

import json
import math
import statistics
import struct
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from scomm.biometrics import (
    Candidate,
    ExtractionError,
    FingerprintImage,
    FingerprintTemplate,
    MatchResult,
    Minutia,
    TemplateError,
    TenprintGallery,
    match,
    quality,
)
from scomm.biometrics.evaluation import error_rates, folder_ppi, fvc_pairs, list_impressions
from scomm.biometrics.extractor import extract  # these tests are the classical pipeline's

FVC = Path("/work/shared/data/fvc")
FOLDERS = ["fvc2002/DB1_B", "fvc2002/DB2_B", "fvc2002/DB4_B",
           "fvc2004/DB1_B", "fvc2004/DB3_B", "fvc2004/DB4_B"]
needs_fvc = pytest.mark.skipif(not FVC.is_dir(), reason=f"FVC data not available at {FVC} (shared data volume absent)")


def _template(n: int = 30, seed: int = 0) -> FingerprintTemplate:
    rng = np.random.default_rng(seed)
    mins = [Minutia(int(rng.integers(0, 400)), int(rng.integers(0, 500)),
                    float(rng.integers(0, 256)) * 2 * math.pi / 256,
                    "ending" if rng.random() < 0.5 else "bifurcation", int(rng.integers(0, 101)))
            for _ in range(n)]
    return FingerprintTemplate(400, 500, mins, quality=77)


_cache: dict = {}


def fvc_template(folder: str, finger: int, impression: int) -> FingerprintTemplate:
    key = (folder, finger, impression)
    if key not in _cache:
        path = FVC / folder / f"{finger}_{impression}.tif"
        img = FingerprintImage.from_bytes(path.read_bytes(), ppi=folder_ppi(path.parent))
        _cache[key] = extract(img)
    return _cache[key]


# ---------------------------------------------------------------- ISO format
def test_iso_round_trip():
    t = _template()
    data = t.to_iso()
    assert data[:8] == b"FMR\x00 20\x00"
    assert struct.unpack(">I", data[8:12])[0] == len(data)
    back = FingerprintTemplate.from_iso(data)
    assert back == t
    assert back.to_iso() == data


def test_iso_round_trip_empty():
    t = FingerprintTemplate(300, 300, [], 0)
    assert FingerprintTemplate.from_iso(t.to_iso()) == t


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_iso_parser_never_crashes_on_arbitrary_bytes(data):
    try:
        FingerprintTemplate.from_iso(data)
    except TemplateError:
        pass


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 200), st.binary(min_size=1, max_size=8), st.integers(0, 10))
def test_iso_parser_on_corrupted_valid_records(pos, patch, cut):
    data = bytearray(_template(12, seed=1).to_iso())
    pos = pos % len(data)
    data[pos:pos + len(patch)] = patch
    data = bytes(data[:len(data) - cut])
    try:
        t = FingerprintTemplate.from_iso(data)
    except TemplateError as exc:
        assert str(exc)
    else:
        assert isinstance(t, FingerprintTemplate)


def test_iso_truncated_message():
    data = _template(5).to_iso()
    with pytest.raises(TemplateError, match=rf"truncated: header says {len(data)} bytes, got {len(data) - 1}"):
        FingerprintTemplate.from_iso(data[:-1])
    with pytest.raises(TemplateError, match="format identifier"):
        FingerprintTemplate.from_iso(b"XXXX" + data[4:])


@needs_fvc
@pytest.mark.parametrize("folder", FOLDERS)
def test_every_fvc_iso_parses(folder):
    files = sorted((FVC / folder).glob("*.iso"))
    assert len(files) == 80
    for f in files:
        t = FingerprintTemplate.from_iso(f.read_bytes())
        assert len(t.minutiae) > 0, f
        assert FingerprintTemplate.from_iso(t.to_iso()).minutiae == t.minutiae


@needs_fvc
def test_invalid_iso_rejected_with_clear_message():
    files = sorted((FVC / "invalid-iso").glob("*.iso"))
    assert len(files) == 3
    for f in files:
        with pytest.raises(TemplateError, match=r"truncated: header says \d+ bytes, got \d+"):
            FingerprintTemplate.from_iso(f.read_bytes())


# ---------------------------------------------------------------- extraction
def test_blank_image_rejected():
    blank = FingerprintImage(np.full((400, 400), 255, np.uint8))
    with pytest.raises(ExtractionError, match="blank"):
        extract(blank)
    assert quality(blank) == 0
    flat_noise = FingerprintImage(np.random.default_rng(0).integers(120, 124, (400, 400)).astype(np.uint8))
    assert quality(flat_noise) <= 5


def test_image_rescaled_to_500ppi():
    img = FingerprintImage(np.zeros((1000, 600), np.uint8), ppi=1000)
    assert img.pixels.shape == (500, 300) and img.ppi == 500


@needs_fvc
@pytest.mark.parametrize("folder", FOLDERS)
def test_extraction_plausible(folder):
    path = FVC / folder / "102_1.tif"
    img = FingerprintImage.from_bytes(path.read_bytes(), ppi=folder_ppi(path.parent))
    extract(img)  # warm-up (numba cache)
    t0 = time.perf_counter()
    t = extract(img)
    dt = time.perf_counter() - t0
    assert 10 <= len(t.minutiae) <= 120, len(t.minutiae)  # FVC2004 DB1 prints can be small
    assert dt < 1.0
    assert 10 <= t.quality <= 100
    for m in t.minutiae:
        assert 0 <= m.x < img.width and 0 <= m.y < img.height
        assert 0 <= m.angle < 2 * math.pi and m.kind in ("ending", "bifurcation")
        assert 0 <= m.quality <= 100
    assert FingerprintTemplate.from_iso(t.to_iso()).minutiae == [
        Minutia(m.x, m.y, round(m.angle / (2 * math.pi) * 256) % 256 * 2 * math.pi / 256, m.kind, m.quality)
        for m in t.minutiae]


# ---------------------------------------------------------------- matching
def test_match_identical_and_empty():
    t = _template(40, seed=3)
    r = match(t, t)
    assert isinstance(r, MatchResult)
    assert r.score > 50 and len(r.pairs) >= 35
    json.dumps(r.explain())
    empty = FingerprintTemplate(300, 300, [], 0)
    assert match(t, empty).score == 0.0


@needs_fvc
def test_genuine_scores_above_impostor():
    folder = "fvc2002/DB1_B"
    keys = [(f, k) for f in (101, 102, 103) for k in (1, 2, 3, 4)]
    g, i = fvc_pairs(keys)
    gs = [match(fvc_template(folder, *a), fvc_template(folder, *b)).score for a, b in g]
    im = [match(fvc_template(folder, *a), fvc_template(folder, *b)).score for a, b in i]
    assert min(gs + im) >= 0
    assert statistics.median(gs) > np.percentile(im, 95)
    assert statistics.median(gs) > 2 * statistics.median(im)


@needs_fvc
def test_iso_templates_match():
    F = FVC / "fvc2002/DB1_B"
    t = {k: FingerprintTemplate.from_iso((F / f"{k[0]}_{k[1]}.iso").read_bytes())
         for k in [(101, 1), (101, 2), (102, 1), (103, 1)]}
    gen = match(t[(101, 1)], t[(101, 2)]).score
    assert gen > match(t[(101, 1)], t[(102, 1)]).score
    assert gen > match(t[(101, 1)], t[(103, 1)]).score


# ---------------------------------------------------------------- 1:N
@needs_fvc
def test_gallery_finds_subject():
    gallery = TenprintGallery()
    fingers = range(101, 106)
    for folder in ("fvc2002/DB1_B", "fvc2002/DB2_B", "fvc2004/DB3_B"):
        gallery.add(folder, {pos: fvc_template(folder, f, 1) for pos, f in enumerate(fingers, start=1)})
    # a few more subjects from the commercial ISO templates of other folders
    for folder in ("fvc2002/DB4_B", "fvc2004/DB1_B", "fvc2004/DB4_B"):
        gallery.add("iso:" + folder, {pos: FingerprintTemplate.from_iso(
            (FVC / folder / f"{f}_1.iso").read_bytes()) for pos, f in enumerate(fingers, start=1)})
    assert len(gallery) == 6
    for folder in ("fvc2002/DB1_B", "fvc2004/DB3_B"):
        probe = {pos: fvc_template(folder, f, 2) for pos, f in enumerate(fingers, start=1)}
        cands = gallery.search(probe, max_candidates=3)
        assert len(cands) == 3 and isinstance(cands[0], Candidate)
        assert cands[0].subject_id == folder
        assert cands[0].score > cands[1].score
        assert [c.score for c in cands] == sorted((c.score for c in cands), reverse=True)
        assert cands[0].decision == (cands[0].score >= gallery.threshold)
        assert "ln(N=" in cands[0].explain()["rule"]
        assert not cands[1].decision
        ex = cands[0].explain()
        json.dumps(ex)
        assert set(ex["fingers"]) == {"1", "2", "3", "4", "5"}
        assert "pairs" in ex["fingers"]["1"] and "parts" in ex["fingers"]["1"]
    # a probe with only two fingers still works
    probe = {2: fvc_template("fvc2002/DB1_B", 102, 2), 3: fvc_template("fvc2002/DB1_B", 103, 2)}
    assert gallery.search(probe)[0].subject_id == "fvc2002/DB1_B"
    gallery.remove("fvc2002/DB1_B")
    assert len(gallery) == 5
    assert all(c.subject_id != "fvc2002/DB1_B" for c in gallery.search(probe))
    with pytest.raises(ValueError):
        gallery.add("bad", {11: _template()})


def test_gallery_prefilter_path():
    from scomm.biometrics import Parameters
    g = TenprintGallery(Parameters(prefilter_keep=2))
    for s in range(5):
        g.add(f"s{s}", {f: _template(30, seed=100 * s + f) for f in range(1, 5)})
    probe = {f: _template(30, seed=300 + f) for f in range(1, 5)}
    cands = g.search(probe, max_candidates=5)
    assert cands[0].subject_id == "s3" and cands[0].decision
    assert len(cands) == 2


# ---------------------------------------------------------------- evaluation helpers
def test_error_rates_and_pairs():
    g, i = fvc_pairs([(f, k) for f in range(101, 111) for k in range(1, 9)])
    assert len(g) == 280 and len(i) == 2880
    r = error_rates([10, 11, 12, 13], [1, 2, 3, 4])
    assert r == {"EER": 0.0, "FMR100": 0.0, "FMR1000": 0.0, "ZeroFMR": 0.0}
    r = error_rates([1, 2, 3, 10], [0, 1.5, 2.5, 5])
    assert 0 < r["EER"] < 1 and r["ZeroFMR"] == 0.75


@needs_fvc
def test_list_impressions():
    files = list_impressions(FVC / "fvc2002/DB1_B")
    assert len(files) == 80 and (101, 1) in files
    assert folder_ppi(FVC / "fvc2002/DB2_B") == 569 and folder_ppi(FVC / "fvc2004/DB3_B") == 512


@needs_fvc
def test_from_bytes_wsq_and_tiff():
    import io

    import wsq  # noqa: F401  registers the WSQ codec
    from PIL import Image
    path = FVC / "fvc2002/DB1_B/101_1.tif"
    tif = FingerprintImage.from_bytes(path.read_bytes())
    buf = io.BytesIO()
    Image.open(path).save(buf, "WSQ")
    w = FingerprintImage.from_bytes(buf.getvalue(), ppi=500)
    assert w.pixels.shape == tif.pixels.shape == (374, 388)
    assert 10 <= len(extract(w).minutiae) <= 120
    with pytest.raises(ValueError):
        FingerprintImage.from_bytes(b"not an image")
