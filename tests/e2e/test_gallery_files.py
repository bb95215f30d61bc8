"""The search galleries kept in sealed files: a second process searches from them without
packing a template, finds what the first did, and extends them with later enrolments;
a damaged or foreign file is re-packed from the database; `scomm index verify` names
every subject and finger the files and the database disagree on; `rebuild` mends."""
from __future__ import annotations

import pytest
from sqlalchemy import delete, select
from typer.testing import CliRunner

import scomm.abis.galleries as galleries
from scomm.biometrics import FingerprintTemplate
from scomm.bootstrap import bootstrap
from scomm.cli import app
from scomm.storage.tables import CriminalFingerRow, CriminalSubjectRow

from .conftest import world_of_its_own


@pytest.fixture
def url(seeded_sqlite, tmp_path):
    return world_of_its_own("sqlite", seeded_sqlite, tmp_path, "files")


def _probe(hub, subject_id: int) -> dict[int, FingerprintTemplate]:
    with hub.db.read() as s:
        rows = s.execute(select(CriminalFingerRow.finger, CriminalFingerRow.template)
                         .where(CriminalFingerRow.subject_id == subject_id)).all()
    return {f: FingerprintTemplate.from_iso(b) for f, b in rows}


def _search(hub, probe) -> list[tuple[str, float]]:
    with hub.db.read() as s:
        return [(c.subject_id, round(c.score, 6)) for c in hub.galleries.cjis.search(s, probe)[0]]


def _no_packing(monkeypatch):
    monkeypatch.setattr(galleries, "_batch", lambda *a, **k: pytest.fail("a template was packed"))


def test_a_second_process_searches_from_the_files_without_packing(url, monkeypatch):
    first = bootstrap(database_url=url)
    probe = _probe(first, 1)
    found = _search(first, probe)
    files = first.galleries.cjis.files
    assert found[0][1] > 20 and [s.lo for s in files.segments()] == [0]
    assert all(s.path.stat().st_mode & 0o777 == 0o600 for s in files.segments())
    _no_packing(monkeypatch)
    assert _search(bootstrap(database_url=url), probe) == found


def _enrol_twin(hub, ucn: str) -> None:
    """A new subject with subject 1's prints, as CJIS would enrol one."""
    with hub.db.session() as s:
        one = s.get(CriminalSubjectRow, 1)
        twin = CriminalSubjectRow(ucn=ucn, name=one.name, dob=one.dob, sex=one.sex, race=one.race,
                                  pob=one.pob, enrolled_at=one.enrolled_at, rapsheet=one.rapsheet)
        s.add(twin)
        s.flush()
        for f in s.scalars(select(CriminalFingerRow).where(CriminalFingerRow.subject_id == 1)):
            s.add(CriminalFingerRow(subject_id=twin.id, finger=f.finger, template=f.template, quality=f.quality))


def test_a_later_enrolment_is_a_new_segment_the_others_read(url, monkeypatch):
    a, b = bootstrap(database_url=url), bootstrap(database_url=url)
    probe = _probe(a, 1)
    _search(a, probe)
    _enrol_twin(a, "TWIN-0001")
    assert {c for c, _ in _search(a, probe)[:2]} >= {"TWIN-0001"}
    assert len(a.galleries.cjis.files.segments()) == 2
    _no_packing(monkeypatch)              # b read both segments: it packed nothing
    assert "TWIN-0001" in {c for c, _ in _search(b, probe)[:2]}


def test_one_segment_per_enrolment_is_merged_once_they_are_many(url, monkeypatch):
    hub = bootstrap(database_url=url)
    probe = _probe(hub, 1)
    _search(hub, probe)
    files = hub.galleries.cjis.files
    for n in range(40):
        _enrol_twin(hub, f"TWIN-{n:04d}")
        with hub.db.read() as s:
            hub.galleries.cjis.sync(s)
    assert len(files.segments()) < 32 and files.high_water() == hub.galleries.cjis.high_water
    _no_packing(monkeypatch)
    fresh = bootstrap(database_url=url)
    with fresh.db.read() as s:
        fresh.galleries.cjis.sync(s)
    assert len(fresh.galleries.cjis.gallery) == len(hub.galleries.cjis.gallery)
    assert cli(url, "verify").exit_code == 0


def test_a_damaged_file_is_packed_again_from_the_database(url):
    hub = bootstrap(database_url=url)
    probe = _probe(hub, 1)
    found = _search(hub, probe)
    seg = hub.galleries.cjis.files.segments()[0]
    data = bytearray(seg.path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    seg.path.write_bytes(bytes(data))
    assert _search(bootstrap(database_url=url), probe) == found


def cli(url, *args):
    return CliRunner().invoke(app, ["index", *args, "--database", url], catch_exceptions=False)


def test_verify_names_what_differs_and_rebuild_mends_it(url):
    hub = bootstrap(database_url=url)
    _search(hub, _probe(hub, 1))
    with hub.db.read() as s:
        hub.galleries.ident.sync(s)
    assert cli(url, "verify").exit_code == 0
    status = cli(url, "status", "--json")
    assert status.exit_code == 0 and '"gallery": "cjis"' in status.stdout
    with hub.db.session() as s:
        ucn = s.get(CriminalSubjectRow, 2).ucn
        s.execute(delete(CriminalFingerRow).where(CriminalFingerRow.subject_id == 2, CriminalFingerRow.finger == 3))
    r = cli(url, "verify")
    assert r.exit_code == 1 and f"subject {ucn} (id 2): fingers [3] differ" in r.output
    r = cli(url, "rebuild", "--json")
    assert r.exit_code == 0 and '"fingers_per_second"' in r.stdout
    assert cli(url, "verify").exit_code == 0


def test_packing_on_two_processes_gives_the_batches_one_gives(url):
    hub = bootstrap(database_url=url)
    g = hub.galleries.cjis
    with hub.db.read() as s:
        one, two = g._pack(s, per_segment=2, workers=1), g._pack(s, per_segment=2, workers=2)
    assert len(one) == len(two) >= 2
    for a, b in zip(one, two, strict=True):
        assert (a.lo, a.hi, a.keys) == (b.lo, b.hi, b.keys) and (a.digests == b.digests).all()
        assert all((a.stores[f][k] == b.stores[f][k]).all() for f in a.stores for k in a.stores[f])
    assert [b.lo for b in one[1:]] == [b.hi for b in one[:-1]]
