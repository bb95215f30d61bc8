"""``scomm bench index``: the search galleries' files (issue 12's persistent gallery).

``subjects`` synthetic people (ten fingers each, image-free templates from
:mod:`scomm.biometrics.synth_templates`) are packed into sealed segments the way the
hub's catch-up does (``abis.galleries._batch`` and ``GalleryFiles.write``), under the
data key of a scratch database. Figures: packing rate (fingers per second, one core, and
on ``workers`` processes as ``scomm index rebuild --workers`` packs),
writing rate, bytes per finger on disk and in memory, and the start-up: a new gallery
loading every segment (decrypt, read, append), median of three, and a new process's
start-up to the answer of its first search.
"""
from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from ..abis.galleries import SEGMENT_SUBJECTS, SyncedGallery, _batch, params_id
from ..biometrics.parameters import DEFAULT
from ..biometrics.synth_templates import tenprint_templates
from ..processes import process_pool
from ..storage.db import Database, migrate
from ..storage.gallery_files import GalleryFiles
from ..storage.tables import CriminalFingerRow, CriminalSubjectRow
from .fvc import machine_info


def run(subjects: int, workers: int = 2, progress: Callable[[int], None] = lambda n: None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="scomm-bench-index-") as tmp:
        folder = Path(tmp)
        db = Database(f"sqlite:///{folder / 'keys.db'}", master_key_file=folder / "master.key")
        migrate(db.engine)
        files = GalleryFiles(folder / "cjis", db.sealer, params_id())
        pack_s = write_s = 0.0
        parts = []
        for lo in range(0, subjects, SEGMENT_SUBJECTS):
            part = [((i + 1, f"U{i:09d}"), {f: t.to_iso() for f, t in tenprint_templates(i, 0).items()})
                    for i in range(lo, min(subjects, lo + SEGMENT_SUBJECTS))]
            parts.append(part)
            t0 = time.process_time()
            batch = _batch(lo, part, DEFAULT)
            t1 = time.process_time()
            files.write(batch)
            pack_s, write_s = pack_s + t1 - t0, write_s + time.process_time() - t1
            progress(len(part))
        fingers = subjects * 10
        t0 = time.perf_counter()   # what `scomm index rebuild --workers` does: batches on a process pool
        with process_pool(workers) as pool:
            for _ in pool.map(_batch, [p[0][0][0] - 1 for p in parts], parts, [DEFAULT] * len(parts)):
                pass
        parallel_s = time.perf_counter() - t0
        loads, memory = [], 0
        for _ in range(3):
            g = SyncedGallery(CriminalSubjectRow, CriminalFingerRow, "ucn", "subject_id", files=files)
            t0 = time.perf_counter()
            with files.locked(shared=True):
                g._load_files()
            loads.append(time.perf_counter() - t0)
            assert len(g.gallery) == subjects
            memory = g.gallery.nbytes
        on_disk = files.bytes_on_disk()
        cold = [_new_process(folder) for _ in range(3)]
        db.engine.dispose()
    return {"benchmark": "index", "date": date.today().isoformat(), "machine": machine_info(),
            "subjects": subjects, "fingers": fingers, "segments": -(-subjects // SEGMENT_SUBJECTS),
            "pack_fingers_per_cpu_second": round(fingers / pack_s, 1),
            "write_fingers_per_cpu_second": round(fingers / write_s, 1),
            "pack_workers": workers, "pack_fingers_per_second_on_workers": round(fingers / parallel_s, 1),
            "bytes_per_finger_on_disk": round(on_disk / fingers, 1),
            "bytes_per_finger_in_memory": round(memory / fingers, 1),
            "load_seconds_median": round(statistics.median(loads), 3),
            "load_seconds": [round(x, 3) for x in loads],
            "startup_seconds_median": round(statistics.median(cold), 3),
            "startup_seconds": [round(x, 3) for x in cold],
            "notes": "packing on one core (process time); load: wall time in a warm process to decrypt, "
                     "read and append every segment; start-up: wall time of a new Python process from its "
                     "start to the answer of its first search (imports, keys, load, one ten-print search)"}


_NEW_PROCESS = """
import sys
from pathlib import Path
from scomm.abis.galleries import SyncedGallery, params_id
from scomm.biometrics.synth_templates import tenprint_templates
from scomm.storage.db import Database
from scomm.storage.gallery_files import GalleryFiles
from scomm.storage.tables import CriminalFingerRow, CriminalSubjectRow
folder = Path(sys.argv[1])
db = Database(f"sqlite:///{folder / 'keys.db'}", master_key_file=folder / "master.key")
g = SyncedGallery(CriminalSubjectRow, CriminalFingerRow, "ucn", "subject_id",
                  files=GalleryFiles(folder / "cjis", db.sealer, params_id()))
with g.files.locked(shared=True):
    g._load_files()
found = g.gallery.search(tenprint_templates(1, 7))
assert found and found[0].subject_id == "U000000001", found[:1]
"""


def _new_process(folder: Path) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", _NEW_PROCESS, str(folder)], check=True)
    return time.perf_counter() - t0
