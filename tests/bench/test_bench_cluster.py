"""`scomm bench cluster`: the measured shard is the gallery it says (the Ray part runs in test_shards)."""
from __future__ import annotations

from scomm.bench import cluster


def test_the_measured_shard_holds_every_subject_with_all_ten_fingers():
    g, probes = cluster._gallery(45, 1, lambda *_: None)
    assert len(g) == 45 and g.fingers() == 450
    assert "S7000044" in g and len(probes) == 45
    best = g.search(probes[3], 1)[0]
    assert best.subject_id == "S7000003" and best.decision
