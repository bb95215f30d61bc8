"""The galleries in shards on a local Ray cluster (2 CPUs): the same answers as one gallery
in one process, each shard in its own files, a shard killed during searches answered
"incomplete" (never a no-match) and started again from its files, and the chain run
through it."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import pytest
from sqlalchemy import select

from scomm.abis import Engine, SearchIncomplete
from scomm.abis.shards import ShardedEngine
from scomm.agencies.sib import examine
from scomm.biometrics import FingerprintTemplate
from scomm.bootstrap import Hub, bootstrap, index_folder
from scomm.config import Settings
from scomm.processes import ray_map
from scomm.storage.tables import CriminalFingerRow, CriminalSubjectRow, IdentityFingerRow, IdentityRow, ResponseRow
from scomm.world.booking import BookingOrder, make_car
from scomm.world.stream import person_of

from .conftest import ACTIVE_2008, person, world_of_its_own

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


@contextmanager
def _hubs(url: str) -> Iterator[tuple[Hub, Engine]]:
    """A hub whose engine is 2 shards per gallery on Ray, and the engine of one in-process gallery."""
    hub = bootstrap(Settings(database_url=url, ray_address="local", engine_shards=2, engine_timeout_seconds=30))
    local = bootstrap(database_url=url)
    try:
        yield hub, local.deps.engine
    finally:
        hub.deps.engine.close()
        for h in (hub, local):
            h.db.engine.dispose()


@pytest.fixture(scope="module")
def hubs(cluster, seeded_sqlite, tmp_path_factory):
    with _hubs(world_of_its_own("sqlite", seeded_sqlite, tmp_path_factory.mktemp("shards"), "shards")) as pair:
        yield pair


@pytest.fixture(scope="module")
def hub(hubs):
    return hubs[0]


def _probes(hub, owner, finger_row, fk: str, key: str, n: int) -> list[tuple[str, dict[int, FingerprintTemplate]]]:
    out = []
    with hub.db.read() as s:
        for oid, ref in s.execute(select(owner.id, getattr(owner, key)).order_by(owner.id).limit(n)):
            rows = s.execute(select(finger_row.finger, finger_row.template)
                             .where(getattr(finger_row, fk) == oid)).all()
            out.append((ref, {f: FingerprintTemplate.from_iso(b) for f, b in rows}))
    return out


def _summary(found) -> list[tuple[str, float, bool]]:
    return [(c.subject_id, round(c.score, 6), c.decision) for c in found.candidates]


def test_shards_answer_as_one_gallery_does(hubs):
    _same_answers(*hubs)


@pytest.mark.postgres
def test_shards_on_postgresql_answer_as_one_gallery_does(cluster, seeded_sqlite, tmp_path):
    with _hubs(world_of_its_own("postgres", seeded_sqlite, tmp_path, "shards_pg")) as pair:
        _same_answers(*pair)


def _same_answers(hub: Hub, local: Engine) -> None:
    engine = hub.deps.engine
    assert isinstance(engine, ShardedEngine)
    cases = [("cjis", *p) for p in _probes(hub, CriminalSubjectRow, CriminalFingerRow, "subject_id", "ucn", 4)]
    cases += [("ident", *p) for p in _probes(hub, IdentityRow, IdentityFingerRow, "identity_id", "fin", 3)]
    for gallery, ref, probe in cases:
        sharded, whole = engine.identify(gallery, probe), local.identify(gallery, probe)
        assert sharded.hit is not None and sharded.hit.subject_id == ref
        assert _summary(sharded) == _summary(whole) and sharded.gallery_size == whole.gallery_size
        assert sharded.hit.explain() == whole.hit.explain()
        assert engine.verify(gallery, probe, ref).candidate.decision
    assert [(g.name, g.subjects, g.fingers) for g in engine.ping()] == \
           [(g.name, g.subjects, g.fingers) for g in local.ping()]
    folder = index_folder(hub.settings)
    for k in range(2):
        assert list((folder / f"cjis.shard-{k}-of-2").glob("seg-*.sealed")), "each shard keeps its files"


def test_a_killed_shard_is_incomplete_then_started_again_from_its_files(hub):
    engine = hub.deps.engine
    ref, probe = _probes(hub, CriminalSubjectRow, CriminalFingerRow, "subject_id", "ucn", 1)[0]
    before = _summary(engine.identify("cjis", probe))
    victim = engine.actors()[1]
    pid = ray.get(victim.pid.remote())
    ray.kill(victim, no_restart=True)
    with pytest.raises(SearchIncomplete):
        engine.identify("cjis", probe)
    assert _summary(engine.identify("cjis", probe)) == before
    assert ray.get(engine.actors()[1].pid.remote()) != pid


def test_searches_while_a_shard_dies_are_complete_or_incomplete_never_a_no_match(hub):
    engine = hub.deps.engine
    ref, probe = _probes(hub, CriminalSubjectRow, CriminalFingerRow, "subject_id", "ucn", 2)[1]
    answers: list[str] = []
    started = threading.Event()

    def search() -> None:
        for _ in range(12):
            try:
                found = engine.identify("cjis", probe)
                answers.append("hit" if found.hit and found.hit.subject_id == ref else "NO MATCH")
            except SearchIncomplete:
                answers.append("incomplete")
            started.set()
    t = threading.Thread(target=search)
    t.start()
    started.wait(60)
    ray.kill(engine.actors()[0], no_restart=True)
    t.join(300)
    assert "NO MATCH" not in answers and len(answers) == 12, answers
    assert engine.identify("cjis", probe).hit.subject_id == ref


def test_the_chain_runs_through_the_shards(hub):
    order = BookingOrder(person_of(person(hub, "noncitizen")), hub.deps.jurisdictions.sheriff_ori(ACTIVE_2008),
                         date(2011, 8, 9), ("3562",), impression=951)
    tx = hub.submit(make_car(order)).transaction_id
    hub.bus.drain([tx])
    with hub.db.read() as s:
        kinds = {r.kind: r.summary for r in s.scalars(select(ResponseRow).where(ResponseRow.transaction_id == tx))}
    assert kinds["SRE"]["identified"] and kinds["IDR"]["match"]


def test_intake_extracts_a_bookings_fingers_as_ray_tasks_as_it_does_here(hub):
    order = BookingOrder(person_of(person(hub, "citizen")), hub.deps.jurisdictions.sheriff_ori(ACTIVE_2008),
                         date(2011, 8, 10), ("2303",), impression=952)
    raw = make_car(order)
    args = {"jurisdictions": hub.deps.jurisdictions, "today": date(2011, 8, 10)}
    here, spread = examine(raw, **args), examine(raw, **args, run=ray_map)
    assert spread.accepted and len(spread.probe) >= 8
    assert {f: t.to_iso() for f, t in spread.probe.items()} == {f: t.to_iso() for f, t in here.probe.items()}
    assert [(u.finger, u.reason) for u in spread.unusable] == [(u.finger, u.reason) for u in here.unusable]
