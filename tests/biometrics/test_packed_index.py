"""Bit-vector MCC fingers, the flat finger store, synthetic templates and the decision rule."""
from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from scomm.biometrics import DecisionRule, TenprintGallery, match
from scomm.biometrics.index import FingerStore
from scomm.biometrics.matcher import compare, kernels
from scomm.biometrics.packed import pack, popcount
from scomm.biometrics.parameters import DEFAULT
from scomm.biometrics.synth_templates import impression_template, master_minutiae, tenprint_templates


@given(st.integers(min_value=0, max_value=2 ** 64 - 1))
@settings(deadline=None)
def test_popcount_is_the_number_of_set_bits(x):
    from numba import njit

    @njit
    def count(v):
        return popcount(v)
    assert count(np.uint64(x)) == bin(x).count("1")


def test_packed_finger_is_small_and_ordered():
    t = impression_template(7, 3, 0)
    pf = pack(t)
    assert len(pf.mask) == min(len(pf), DEFAULT.index_minutiae)
    assert pf.bits.shape == (len(pf.mask), DEFAULT.mcc_nd) and pf.bits.dtype == np.uint64
    assert pf.nbytes == 62 * len(pf.mask) + 6 * (len(pf) - len(pf.mask)) + 4 * len(pf.hull)
    assert sorted(pf.source.tolist()) == sorted(set(pf.source.tolist()))   # each minutia once
    assert pack(t) is pf  # cached on the template


def test_same_finger_scores_above_different_fingers():
    g = [match(impression_template(s, 2, 0), impression_template(s, 2, 1)).score for s in range(12)]
    i = [match(impression_template(s, 2, 0), impression_template(s + 100, 2, 1)).score for s in range(12)]
    assert np.median(g) > 3 * np.median(i)
    assert match(impression_template(1, 1, 0), impression_template(1, 1, 0)).score > max(i)


def test_match_explains_pairs_in_template_indices():
    a, b = impression_template(5, 4, 0), impression_template(5, 4, 1)
    r = match(a, b)
    assert r.pairs and r.parts["paired"] == len(r.pairs)
    assert all(0 <= i < len(a.minutiae) and 0 <= j < len(b.minutiae) for i, j in r.pairs)
    assert {"rotation_deg", "probe_in_overlap", "local_similarity"} <= set(r.parts)


def test_store_batch_scores_equal_one_to_one_scores():
    probe = pack(impression_template(3, 6, 1))
    store = FingerStore()
    fingers = [pack(impression_template(s, 6, 0)) for s in range(8)]
    for f in fingers:
        store.add(f)
    store.add(None)
    k = kernels()
    batch = store.score(probe, np.arange(9), k)
    one = [k.full(probe, f)[0] for f in fingers] + [0.0]
    assert np.allclose(batch, one, atol=1e-4)
    assert np.allclose(store.score(probe, np.arange(9), k, parallel=True), batch, atol=1e-4)
    lss = store.score(probe, np.arange(9), k, kind="lss")
    assert lss[3] == lss.max() and lss[8] == 0


def test_lssr_ranks_the_mate_first_and_needs_no_alignment():
    probe = pack(impression_template(3, 6, 1))
    store = FingerStore()
    for s in range(8):
        store.add(pack(impression_template(s, 6, 0)))
    store.add(None)
    k = kernels()
    scores = store.score(probe, np.arange(9), k, kind="lssr")
    assert scores[3] == scores.max() > 2 * np.median(scores[:8]) and scores[8] == 0
    # a shift of the probe changes nothing; an eighth of a turn only by the rounding of its pixels
    shifted = replace(probe, xy=(probe.xy + np.array([37, -21])).astype(np.int16))
    assert np.allclose(store.score(shifted, np.arange(9), k, kind="lssr"), scores, atol=1e-6)
    c = s = math.sqrt(0.5)
    xy = probe.xy.astype(float)
    turned = replace(probe, xy=np.round(np.stack([c * xy[:, 0] - s * xy[:, 1], s * xy[:, 0] + c * xy[:, 1]],
                                                 axis=1)).astype(np.int16),
                     angle=(probe.angle.astype(np.int64) + 32).astype(np.uint8))
    again = store.score(turned, np.arange(9), k, kind="lssr")
    assert again[3] == again.max() and abs(again[3] - scores[3]) < 0.1 * scores[3]
    with pytest.raises(ValueError, match="unknown score kind"):
        store.score(probe, np.arange(9), k, kind="lsr")


def test_the_gate_zeroes_only_what_the_relaxation_rejects():
    probe = pack(impression_template(3, 6, 1))
    fingers = [pack(impression_template(s, 6, 0)) for s in range(8)]
    store = FingerStore()
    for f in fingers:
        store.add(f)
    open_ = kernels(replace(DEFAULT, lssr_gate=0.0))
    relaxed = store.score(probe, np.arange(8), open_, kind="lssr")
    gate = float(np.sort(relaxed)[-2]) + 1e-6           # only the mate gets through
    shut = kernels(replace(DEFAULT, lssr_gate=gate))
    gated, ungated = store.score(probe, np.arange(8), shut), store.score(probe, np.arange(8), open_)
    assert ungated[3] > 0 and gated[3] == pytest.approx(ungated[3]) and not np.delete(gated, 3).any()
    assert np.allclose(store.score(probe, np.arange(8), shut, parallel=True), gated)
    other = compare(probe, fingers[0], replace(DEFAULT, lssr_gate=gate))
    assert other.score == 0 and not other.pairs
    assert other.parts["relaxed_similarity"] == pytest.approx(relaxed[0], abs=1e-6)
    assert other.parts["relaxed_similarity"] < other.parts["relaxation_gate"] == pytest.approx(gate)


def test_store_rows_can_be_replaced_and_emptied():
    store = FingerStore()
    a, b = pack(impression_template(1, 2, 0)), pack(impression_template(2, 2, 0))
    store.add(a)
    store.set(0, b)
    assert np.array_equal(store.finger(0).xy, b.xy)
    store.set(0, None)
    assert store.finger(0) is None and not store.present()[0]


def test_synthetic_templates_are_deterministic():
    xy1, a1 = master_minutiae(11, 7)
    xy2, a2 = master_minutiae(11, 7)
    assert np.array_equal(xy1, xy2) and np.array_equal(a1, a2)
    assert 20 <= len(xy1) <= 80
    t = tenprint_templates(11, 3)
    assert set(t) == set(range(1, 11)) and t[7] == impression_template(11, 7, 3)


def test_gallery_prefilter_finds_the_mate_in_a_larger_gallery():
    g = TenprintGallery(DEFAULT.__class__(prefilter_keep=20))
    for s in range(60):
        g.add(f"S{s}", tenprint_templates(s, 0))
    c = g.search(tenprint_templates(42, 1), max_candidates=3)
    assert c[0].subject_id == "S42" and c[0].decision
    assert c[0].score > 2 * c[1].score
    stranger = g.search(tenprint_templates(1000, 1), max_candidates=1)[0]
    assert not stranger.decision


@given(st.integers(1, 10 ** 7), st.integers(1, 10 ** 7), st.sampled_from([1e-4, 1e-3, 1e-2]))
@settings(max_examples=50)
def test_decision_threshold_grows_with_gallery_and_stricter_fpir(n1, n2, fpir):
    rule = DecisionRule(fpir=fpir)
    lo, hi = sorted((n1, n2))
    assert rule.threshold(lo) <= rule.threshold(hi)
    assert DecisionRule(fpir=fpir / 10).threshold(lo) >= rule.threshold(lo)
    f = rule.governing(hi)
    # the stricter fit governs; between lo and hi the threshold rises at most at its slope
    assert rule.threshold(hi) - rule.threshold(lo) <= f.beta * math.log(hi / lo) + 1e-9
    assert rule.threshold(hi) == max(g.a + g.beta * max(math.log(hi / fpir), math.log(1 / g.max_p))
                                     for g in rule.fits)
    # never a tail probability beyond what a fit saw: no fit is asked for more than its max_p
    assert all(rule.threshold(lo) >= g.a + g.beta * math.log(1 / g.max_p) for g in rule.fits)


def test_a_small_gallery_is_held_to_the_range_the_tail_was_fitted_on():
    rule = DecisionRule.for_extractor("leader")
    f = rule.fits[0]
    assert rule.threshold(4) == pytest.approx(f.a + f.beta * math.log(1 / f.max_p))   # not ln(4 / 0.001)
    assert "not ln(N=4 / FPIR=0.001): below the range" in rule.describe(4)
    assert rule.threshold(10_000) == pytest.approx(f.a + f.beta * math.log(10_000 / 0.001))
    assert "below the range" not in rule.describe(10_000)


def test_gallery_threshold_follows_its_size_unless_fixed():
    g = TenprintGallery()
    for i in range(1, 11):   # past the smallest N the rule's tail fit reaches (N / FPIR >= 10,000)
        g.add(f"S{i}", tenprint_templates(i, 0))
    t1 = g.threshold
    g.add("S11", tenprint_templates(11, 0))
    assert g.threshold > t1
    assert TenprintGallery(threshold=12.5).threshold == 12.5


def test_a_gallery_extended_with_an_exported_one_searches_as_if_built_whole():
    from scomm.biometrics.synth_templates import tenprint_templates

    whole, first, rest = TenprintGallery(), TenprintGallery(), TenprintGallery()
    for n in range(24):   # the later ones lack a finger: an empty row stays empty once shifted
        prints = {f: t for f, t in tenprint_templates(n, 0).items() if n < 10 or f != 1 + n % 10}
        whole.add(f"S{n}", prints)
        (first if n < 10 else rest).add(f"S{n}", prints)
    ids, stores = rest.export()
    first.extend(ids, stores)
    for seed in (3, 17):
        probe = tenprint_templates(seed, 1)
        assert [(c.subject_id, round(c.score, 6), c.finger_scores) for c in first.search(probe)] == \
            [(c.subject_id, round(c.score, 6), c.finger_scores) for c in whole.search(probe)]
    assert len(first) == 24 and first.fingers() == whole.fingers() == 240 - 14
    with pytest.raises(ValueError, match="already in the gallery"):
        first.extend(ids, stores)


def _code_score_by_hand(p, g, cylinders: int, params=DEFAULT) -> float:
    """The code score of two fingers from its definition (codes.py), in plain Python."""
    from scomm.biometrics.codes import ProbeCode

    a, b = ProbeCode(p, params.code_probe_cylinders, 0), ProbeCode(g, cylinders, 0)
    max_dt = round(params.code_max_direction_diff / (2 * math.pi) * 256)
    sims = []
    for i in range(len(a.angle)):
        for j in range(len(b.angle)):
            d = (int(a.angle[i]) - int(b.angle[j])) & 255
            if a.norm[i] == 0 or b.norm[j] == 0 or min(d, 256 - d) > max_dt:
                continue
            nx = sum(int(x ^ y).bit_count() for x, y in zip(a.bits[i], b.bits[j]))
            sims.append(1 - math.sqrt(nx) / (float(a.norm[i]) + float(b.norm[j])))
    best = sorted(sims, reverse=True)[:params.code_np]
    return sum(best) / params.code_np


@pytest.mark.parametrize("cylinders", [DEFAULT.code_scan_cylinders, DEFAULT.code_cylinders])
def test_a_stored_fingers_code_scores_as_its_definition_says(cylinders):
    from scomm.biometrics.codes import ProbeCode

    store = FingerStore()
    fingers = [pack(impression_template(s, 3, 0)) for s in (5, 6, 7)]
    for f in fingers:
        store.add(f)
    probe = pack(impression_template(5, 3, 1))
    out = np.zeros(3, np.float32)
    code = ProbeCode(probe, DEFAULT.code_probe_cylinders, kernels(DEFAULT).code_max_dtheta)
    store.code_score(code, np.arange(3), cylinders, DEFAULT.code_np, out)
    assert out == pytest.approx([_code_score_by_hand(probe, f, cylinders) for f in fingers], abs=1e-5)
    store.set(0, fingers[2])        # a replaced row's code follows it; an emptied row scores 0
    store.set(1, None)
    again = np.zeros(3, np.float32)
    store.code_score(code, np.arange(3), cylinders, DEFAULT.code_np, again)
    assert again == pytest.approx([out[2], 0.0, out[2]])


def test_a_large_gallery_is_searched_through_its_codes_to_the_same_answer():
    """Above ``code_min_gallery`` the codes pick the survivors; the mate's full score is unchanged."""
    lss = TenprintGallery(replace(DEFAULT, prefilter_keep=10))
    coded = TenprintGallery(replace(DEFAULT, prefilter_keep=10, code_min_gallery=0, code_scan_keep=0.5,
                                    code_keep=0.3))
    for s in range(60):
        prints = tenprint_templates(s, 0)
        lss.add(f"S{s}", prints)
        coded.add(f"S{s}", prints)
    for seed in (42, 7):
        a, b = coded.search(tenprint_templates(seed, 1), 1)[0], lss.search(tenprint_templates(seed, 1), 1)[0]
        assert (a.subject_id, a.score, a.decision) == (b.subject_id, b.score, True) == (f"S{seed}", b.score, True)
    assert not coded.search(tenprint_templates(1000, 1), max_candidates=1)[0].decision


def test_a_gallery_held_as_memory_maps_searches_as_one_in_memory(tmp_path):
    whole = TenprintGallery(replace(DEFAULT, code_min_gallery=0))
    for n in range(20):
        whole.add(f"S{n}", {f: t for f, t in tenprint_templates(n, 0).items() if f != 1 + n % 10})
    ids, stores = whole.export()
    mapped: dict[int, dict[str, np.ndarray]] = {}
    for f, arrays in stores.items():
        for name, a in arrays.items():
            a.tofile(tmp_path / f"{f}.{name}")
            mapped.setdefault(f, {})[name] = np.memmap(tmp_path / f"{f}.{name}", a.dtype, "r", shape=a.shape)
    on_disk = TenprintGallery(replace(DEFAULT, code_min_gallery=0))
    on_disk.extend(ids, mapped, copy=False)
    assert isinstance(on_disk._stores[1].export()["bits"], np.memmap), "the templates stay on disk"
    assert on_disk.code_nbytes == whole.code_nbytes == 424 * 20 * 10
    probe = tenprint_templates(4, 1)
    assert [(c.subject_id, c.score) for c in on_disk.search(probe)] == \
        [(c.subject_id, c.score) for c in whole.search(probe)]
