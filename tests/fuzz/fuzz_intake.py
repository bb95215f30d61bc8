"""Coverage-guided fuzz target (atheris + libFuzzer) for the ANSI/NIST decoder and SIB intake.

    .venv/bin/python -m tests.fuzz.fuzz_intake --runs 100000 --json-out docs/bench/fuzz-intake.json

The function under test is :func:`scomm.agencies.sib.examine` (decode with
:mod:`scomm.interchange`, the EBTS rules, finger extraction; no database).
Its contract, for ANY bytes: it returns an ``Examination``; when that is not
accepted its ``problems`` are non-empty; every problem names its record,
field and a non-empty reason. Any exception escaping ``examine`` is a crash,
a broken contract is counted as one too, and a call taking more than
``SLOW_S`` seconds of wall time is a slow input (a hang).

Unlike a plain libFuzzer target this harness does not stop at the first
crash: every exception is caught, deduplicated by exception type and the
innermost scomm frame, its input saved under ``<workdir>/crashes/`` and the
campaign goes on; slow inputs are timed here (libFuzzer's own -timeout is set
far above ``SLOW_S``) and saved the same way. libFuzzer ends the process with
C ``exit()``, which skips Python's exit handlers, so the harness counts the
inputs itself and, after the N-th, writes the summary and exits on its own.
A progress summary (``"complete": false``) is rewritten every
``--progress-every`` inputs so that a campaign killed from outside still
leaves its numbers. Exit status: 0 clean, 1 crashes or slow inputs found,
2 stopped early (SIGINT/SIGTERM).

The corpus is seeded with every file of ``../shared/data/ansi-nist/`` and a
valid CAR rendered by scomm itself (cached in the corpus directory). Half of
the mutations (``--structured``) edit the records and rewrite their lengths,
so that inputs get past the framing checks to the EBTS rules, the image
decoders and finger extraction; the rest are libFuzzer's byte mutations.
Coverage feedback comes from scomm.interchange, scomm.agencies and nistitl
(the field parser the decoder hands sound framing to); only those functions
are instrumented, not numba/OpenCV code.

This module imports nothing heavy at import time: the WSQ decoder runs in
"spawn" worker processes which import the main module again, and the hypothesis
test in the normal suite reuses the seed and contract helpers without atheris.
"""
from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import platform
import re
import signal
import statistics
import struct
import sys
import tempfile
import time
import traceback
import types
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED_SEEDS = ROOT.parent / "shared" / "data" / "ansi-nist"
SLOW_S = 5.0                          # a call slower than this is a hang
TODAY = date(2026, 12, 1)
MIN_FINGERS = 8
MAX_LEN = 2 * 1024 * 1024             # larger than every real file (the largest is 342 kB)
LIBFUZZER_TIMEOUT_S = 300             # libFuzzer kills the process only far beyond SLOW_S
CAR_SEED_NAME = "seed-scomm-car-FUZZ000001.an2"
INSTRUMENTED = ("scomm.interchange", "scomm.agencies", "nistitl")


# ------------------------------------------------------------------ shared helpers

def shared_seed_files(folder: Path = SHARED_SEEDS) -> list[Path]:
    """Every file of the shared ANSI/NIST folder (empty list if it is absent)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file())


def make_car() -> bytes:
    """A valid CAR built by scomm itself (10 rolled fingers, WSQ; takes about a second)."""
    from scomm import interchange as nist
    from scomm.biometrics.synth import subject_tenprint
    return nist.encode_car(
        tcn="FUZZ000001", ori="TX201SO00", dai="SCOMMSIB0", date=date(2010, 6, 1), name="DOE,JANE",
        dob=date(1980, 2, 3), sex="F", race="W", pob="MX", arrest_date=date(2010, 6, 1),
        charges=[nist.Charge("2303", "SHOPLIFTING")], fingers=subject_tenprint(424242, 1))


def cached_car(folder: Path) -> bytes:
    """The generated CAR, from ``folder`` if it was rendered there before."""
    path = folder / CAR_SEED_NAME
    if path.is_file():
        return path.read_bytes()
    raw = make_car()
    folder.mkdir(parents=True, exist_ok=True)
    path.write_bytes(raw)
    return raw


def contract_violation(exam) -> str | None:
    """What is wrong with ``examine``'s result, or None if it keeps the contract."""
    from scomm.agencies.sib import Examination
    from scomm.interchange import Problem
    if not isinstance(exam, Examination):
        return f"returned {type(exam).__name__}, not an Examination"
    if not isinstance(exam.problems, list):
        return f"problems is a {type(exam.problems).__name__}, not a list"
    if not exam.accepted and not exam.problems:
        return "not accepted but no problems named"
    for p in exam.problems:
        if not isinstance(p, Problem):
            return f"a problem is a {type(p).__name__}, not a Problem"
        for part in ("record", "field", "reason"):
            value = getattr(p, part)
            if not isinstance(value, str) or not value.strip():
                return f"a problem has an empty or non-str {part}: {p!r}"[:300]
    return None


def innermost_scomm_frame(tb: types.TracebackType | None) -> str:
    """'scomm/interchange/decode.py:123 in _decode_unguarded' for the deepest scomm frame."""
    where = "(no scomm frame)"
    for fs in traceback.extract_tb(tb):
        try:
            rel = Path(fs.filename).resolve().relative_to(ROOT)
        except ValueError:
            continue
        if rel.parts and rel.parts[0] == "scomm":
            where = f"{rel.as_posix()}:{fs.lineno} in {fs.name}"
    return where


# ------------------------------------------------------------------ structure-aware mutation
#
# Most byte-level mutations of an ANSI/NIST file break its framing (every record
# carries its own length) and are rejected in microseconds by framing.scan; the
# EBTS rules, the image decoders and finger extraction behind it are then seldom
# reached. So part of the mutations are made on the records instead: a field's
# value, a tag, an image header or image data, a whole record (dropped, repeated,
# moved, or taken from another seed file), after which every length (n.001 LEN,
# the 4-byte binary LEN) and, when records moved, 1.003 CNT are rewritten.

FS, GS, RS, US = b"\x1c", b"\x1d", b"\x1e", b"\x1f"

INTERESTING_VALUES = (
    b"", b" ", b"0", b"00", b"000", b"001", b"1", b"2", b"9", b"99", b"255", b"256", b"500", b"1000",
    b"65535", b"65536", b"-1", b"-0", b"+1", b"1.5", b"19.69", b"00.01", b"99.99", b"1e400", b"-1e400",
    b"nan", b"inf", b"9" * 20, b"9" * 400, b"1" * 5000, b"00000000", b"20261231", b"20270101", b"99999999",
    b"19000229", b"CAR", b"car", b"NFUF", b"WSQ20", b"NONE", b"JPEGB", b"JP2", b"PNG", b"RAW", b"A" * 301,
    b"\xff\xfe", b"\xc3\xa9", b"\x00", b"\x7f", b"\x1f", b"\x1e", b"\x1f\x1f\x1e\x1e",
    b"2303 SHOPLIFTING", b"20100601\x1f2303 SHOPLIFTING", b"\x1f", b"TX201SO00",
)


class Rec:
    """One logical record, editable: tagged (text fields + optional binary DATA) or binary."""

    def __init__(self, rtype: int, binary: bool, fields: list[bytes], data_tag: bytes | None, data: bytes):
        self.type, self.binary, self.fields, self.data_tag, self.data = rtype, binary, fields, data_tag, data

    def copy(self) -> Rec:
        return Rec(self.type, self.binary, list(self.fields), self.data_tag, self.data)

    def idc(self) -> bytes:
        if self.binary:
            return b"%02d" % self.data[0] if self.data else b"00"
        for f in self.fields:
            tag, _, value = f.partition(b":")
            if re.fullmatch(rb"\d{1,3}\.0*2", tag):
                return value.strip() or b"0"
        return b"0"

    def to_bytes(self) -> bytes:
        if self.binary:
            return struct.pack(">I", min(len(self.data) + 4, 0xFFFFFFFF)) + self.data
        len_tag = self.fields[0].partition(b":")[0] if self.fields else b"%d.001" % self.type
        middle = b"".join(GS + f for f in self.fields[1:])
        tail = GS + self.data_tag + self.data if self.data_tag is not None else b""
        n = 0
        for _ in range(10):                        # LEN counts its own digits: iterate to the fixed point
            out = len_tag + b":%d" % n + middle + tail + FS
            if len(out) == n:
                break
            n = len(out)
        return out


def split_records(data: bytes) -> list[Rec] | None:
    """The records of ``data`` if its framing is sound, else None."""
    from scomm.interchange import framing
    try:
        frames = framing.scan(data)
    except Exception:  # noqa: BLE001 -- unparseable: the caller falls back to byte mutation
        return None
    recs = []
    for f in frames:
        body = data[f.offset:f.offset + f.length]
        if f.type in framing.BINARY_TYPES:
            recs.append(Rec(f.type, True, [], None, body[4:]))
            continue
        body = body[:-1]
        m = re.search(GS + rb"(%d\.0*999:)" % f.type, body)
        text, tag, payload = (body[:m.start()], m.group(1), body[m.end():]) if m else (body, None, b"")
        recs.append(Rec(f.type, False, text.split(GS), tag, payload))
    return recs


def join_records(recs: list[Rec], fix_cnt: bool) -> bytes:
    if fix_cnt and recs and not recs[0].binary:
        cnt = b"1" + US + b"%d" % (len(recs) - 1) + b"".join(RS + b"%d" % r.type + US + r.idc() for r in recs[1:])
        t1 = recs[0].fields
        for i, f in enumerate(t1):
            if re.match(rb"1\.0*3:", f):
                t1[i] = f.partition(b":")[0] + b":" + cnt
                break
    return b"".join(r.to_bytes() for r in recs)


def _mutate_value(value: bytes, rng, byte_mutate) -> bytes:
    op = rng.random()
    if op < 0.35:
        out = byte_mutate(value, max(16, 2 * len(value)))
    elif op < 0.6:
        out = rng.choice(INTERESTING_VALUES)
    elif op < 0.85 and value.strip().isdigit() and len(value) < 1000:   # int() refuses > 4300 digits
        digits = rng.choice([0, 1, 2, 3, 4, 5, 8, 10, 20])
        out = b"".join(b"%d" % rng.randrange(10) for _ in range(digits)) if rng.random() < 0.5 \
            else b"%d" % max(0, int(value) + rng.choice([-1000, -10, -1, 1, 10, 1000]))
    else:
        cut = rng.randrange(len(value) + 1)
        out = value[:cut] + bytes([rng.randrange(256)]) * rng.choice([1, 2, 8, 100]) + value[cut:]
    if rng.random() < 0.85:                         # mostly keep the framing separators out
        out = out.replace(GS, b"").replace(FS, b"")
    return out


def structured_mutation(data: bytes, rng, byte_mutate, splice_pool: list[Rec] | None = None) -> bytes | None:
    """One record-level edit of ``data`` with lengths fixed up; None if ``data`` does not frame.

    ``byte_mutate(bytes, max_size) -> bytes`` is the plain byte mutator (libFuzzer's
    or a simple one); ``rng`` is a ``random.Random``.
    """
    recs = split_records(data)
    if not recs:
        return None
    fix_cnt = False
    op = rng.random()
    tagged = [r for r in recs if not r.binary and len(r.fields) > 1]
    images = [r for r in recs if r.binary or r.data_tag is not None]
    if op < 0.45 and tagged:                                        # a field's value
        r = rng.choice(tagged)
        i = rng.randrange(1, len(r.fields))
        tag, sep, value = r.fields[i].partition(b":")
        r.fields[i] = tag + sep + _mutate_value(value, rng, byte_mutate)
    elif op < 0.55 and tagged:                                      # a field as a whole
        r = rng.choice(tagged)
        i = rng.randrange(1, len(r.fields))
        kind = rng.randrange(4)
        if kind == 0:
            del r.fields[i]
        elif kind == 1:
            r.fields.insert(i, r.fields[i])
        elif kind == 2:
            j = rng.randrange(1, len(r.fields))
            r.fields[i], r.fields[j] = r.fields[j], r.fields[i]
        else:
            tag, sep, value = r.fields[i].partition(b":")
            rt = tag.partition(b".")[0]
            r.fields[i] = rt + b".%03d" % rng.choice([rng.randrange(1, 1000), 999, 1, 2, 3, 4, 5, 8, 9, 11, 13]) \
                + sep + value
    elif op < 0.8 and images:                                       # image header or data
        r = rng.choice(images)
        d = bytearray(r.data)
        if r.binary and len(d) >= 14 and rng.random() < 0.5:       # Type-4: IDC IMP FGP*6 ISR HLL VLL GCA
            k = rng.randrange(14)
            d[k] = rng.choice([0, 1, 2, 3, 10, 11, 15, 16, 127, 128, 254, 255, rng.randrange(256)])
        elif d:
            start = rng.randrange(min(len(d), 200)) if rng.random() < 0.6 else rng.randrange(len(d))
            width = rng.choice([1, 2, 4, 16, 64])
            d[start:start + width] = byte_mutate(bytes(d[start:start + width]), width * 2)
        r.data = bytes(d)
    elif len(recs) > 1:                                             # a whole record
        kind = rng.randrange(4)
        i = rng.randrange(1, len(recs))
        if kind == 0:
            del recs[i]
        elif kind == 1:
            recs.insert(i, recs[i].copy())
        elif kind == 2:
            recs.insert(rng.randrange(1, len(recs) + 1), recs.pop(i))
        elif splice_pool:
            recs.insert(rng.randrange(1, len(recs) + 1), rng.choice(splice_pool).copy())
        fix_cnt = True
    else:
        return None
    return join_records(recs, fix_cnt)


def make_mutator(atheris, structured_p: float, splice_pool: list[Rec], stats: dict):
    """libFuzzer custom mutator: a structured edit with probability ``structured_p``, else libFuzzer's own."""
    import random

    def mutator(data: bytes, max_size: int, seed: int) -> bytes:
        rng = random.Random(seed)
        if rng.random() < structured_p:
            try:
                out = structured_mutation(data, rng, atheris.Mutate, splice_pool)
            except Exception as exc:  # noqa: BLE001 -- a harness bug must not end the campaign
                stats["mutator_errors"] = stats.get("mutator_errors", 0) + 1
                stats["mutator_last_error"] = f"{type(exc).__name__}: {exc}"[:300]
                out = None
            if out is not None and len(out) <= max_size:
                stats["structured"] = stats.get("structured", 0) + 1
                return out
        stats["libfuzzer"] = stats.get("libfuzzer", 0) + 1
        return atheris.Mutate(data, max_size)
    return mutator


# ------------------------------------------------------------------ the campaign

class Campaign:
    """Runs ``examine`` on each input, records crashes and slow inputs, writes the summary."""

    def __init__(self, *, runs: int, workdir: Path, json_out: Path | None, progress_every: int,
                 meta: dict):
        from scomm.agencies.sib import examine
        from scomm.domain.jurisdictions import Jurisdictions
        self.examine = examine
        self.jurisdictions = Jurisdictions.load_default()
        self.runs = runs
        self.workdir = workdir
        self.crash_dir = workdir / "crashes"
        self.slow_dir = workdir / "slow"
        self.json_out = json_out
        self.progress_every = max(1, progress_every)
        self.meta = meta
        self.n = 0
        self.accepted = 0
        self.times: list[float] = []
        self.crashes: dict[str, dict] = {}
        self.crash_count = 0
        self.slow: dict[str, dict] = {}
        self.slow_count = 0
        self.slow_confirmed = 0
        self.started: float | None = None
        self.load_start = os.getloadavg()
        self.stop_reason: str | None = None
        self.last_progress = time.monotonic()
        self.at_finish: list = []
        self.max_overhead: tuple[float, int] = (0.0, 0)   # harness time outside examine, at input
        self.gc_pause_total = self.gc_pause_max = self._gc_started = 0.0

    # -- one input
    def call(self, data: bytes) -> tuple[float, object, BaseException | None]:
        t0 = time.perf_counter()
        try:
            exam = self.examine(data, jurisdictions=self.jurisdictions, today=TODAY, min_fingers=MIN_FINGERS)
        except Exception as exc:  # noqa: BLE001 -- every escaping exception is a finding
            return time.perf_counter() - t0, None, exc
        return time.perf_counter() - t0, exam, None

    def one(self, data: bytes) -> None:
        entered = time.perf_counter()
        if self.started is None:
            self.started = entered
            gc.callbacks.append(self._gc_timer)
        seconds, exam, exc = self.call(data)
        self.n += 1
        self.times.append(seconds)
        if exc is not None:
            self._crash(data, f"{type(exc).__module__}.{type(exc).__qualname__} at "
                              f"{innermost_scomm_frame(exc.__traceback__)}", "exception",
                        f"{type(exc).__name__}: {exc}"[:500],
                        "".join(traceback.format_exception(exc))[-4000:])
        else:
            why = contract_violation(exam)
            if why is not None:
                self._crash(data, f"contract: {why.split(':')[0]}", "contract", why, "")
            elif exam.accepted:
                self.accepted += 1
        if seconds > SLOW_S:
            self._slow(data, seconds, exam, exc)
        if self.n % self.progress_every == 0 or time.monotonic() - self.last_progress > 60:
            self.write(complete=False)
        if self.n >= self.runs or self.stop_reason:
            self.finish()
        overhead = time.perf_counter() - entered - seconds
        if overhead > self.max_overhead[0]:
            self.max_overhead = (overhead, self.n)

    def _gc_timer(self, phase: str, info: dict) -> None:
        """Python's garbage collector pauses (they count in the timing of whichever input runs)."""
        if phase == "start":
            self._gc_started = time.perf_counter()
        else:
            pause = time.perf_counter() - self._gc_started
            self.gc_pause_total += pause
            self.gc_pause_max = max(self.gc_pause_max, pause)

    def _save(self, folder: Path, prefix: str, data: bytes) -> str:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{prefix}-{hashlib.sha1(data).hexdigest()}"
        if not path.exists():
            path.write_bytes(data)
        return str(path)

    def _crash(self, data: bytes, signature: str, kind: str, message: str, tb: str) -> None:
        self.crash_count += 1
        path = self._save(self.crash_dir, "crash", data)
        entry = self.crashes.get(signature)
        if entry is None:
            self.crashes[signature] = {"kind": kind, "count": 1, "message": message, "example": path,
                                       "example_size": len(data), "first_at_input": self.n, "traceback": tb}
            print(f"\n#### scomm-fuzz: new crash signature [{kind}] {signature}\n     {message}\n"
                  f"     input saved to {path}", file=sys.stderr, flush=True)
        else:
            entry["count"] += 1

    def _slow(self, data: bytes, seconds: float, exam, exc) -> None:
        self.slow_count += 1
        path = self._save(self.slow_dir, "slow", data)
        rerun, _, _ = self.call(data)          # on a shared machine: tell load noise from a real hang
        self.slow_confirmed += rerun > SLOW_S
        if exc is not None:
            signature = f"exception {type(exc).__name__}"
        elif exam is None or exam.accepted or not exam.problems:
            signature = "accepted" if exam is not None and exam.accepted else "no problems"
        else:
            p = exam.problems[0]
            signature = f"{p.record} {p.field}"
        record = {"seconds": round(seconds, 3), "rerun_seconds": round(rerun, 3), "path": path,
                  "size": len(data), "at_input": self.n}
        entry = self.slow.get(signature)
        if entry is None:
            self.slow[signature] = {"count": 1, "max_seconds": record["seconds"], "example": record}
        else:
            entry["count"] += 1
            if seconds > entry["max_seconds"]:
                entry["max_seconds"], entry["example"] = record["seconds"], record
        print(f"\n#### scomm-fuzz: slow input ({seconds:.1f} s, re-run {rerun:.1f} s) [{signature}] "
              f"saved to {path}", file=sys.stderr, flush=True)

    # -- summary
    def summary(self, complete: bool) -> dict:
        elapsed = time.perf_counter() - self.started if self.started else 0.0
        times = self.times
        return {
            "target": "scomm.agencies.sib.examine",
            "complete": complete,
            "stopped_by": self.stop_reason,
            "inputs_requested": self.runs,
            "inputs_run": self.n,
            "accepted": self.accepted,
            "crashes": self.crash_count,
            "crash_signatures": [{"signature": s, **e} for s, e in self.crashes.items()],
            "slow_threshold_s": SLOW_S,
            "slow_inputs": self.slow_count,
            "slow_confirmed": self.slow_confirmed,     # still slower than the threshold when run again
            "slow_signatures": [{"signature": s, **e} for s, e in self.slow.items()],
            "seconds_per_input": {
                "max": round(max(times), 4) if times else None,
                "median": round(statistics.median(times), 5) if times else None,
                "mean": round(statistics.fmean(times), 5) if times else None,
                "p99": round(sorted(times)[int(0.99 * (len(times) - 1))], 4) if times else None,
            },
            # time spent in the harness around examine (bookkeeping, progress files) and in
            # Python's garbage collector: tells a slow machine or harness from a slow input
            "harness_overhead_max_s": {"seconds": round(self.max_overhead[0], 3), "at_input": self.max_overhead[1]},
            "gc_pause_s": {"total": round(self.gc_pause_total, 3), "max": round(self.gc_pause_max, 4)},
            "wall_seconds": round(elapsed, 1),
            "execs_per_second": round(self.n / elapsed, 2) if elapsed > 0 else None,
            "machine": {
                "cpu_count": os.cpu_count(),
                "cpu_model": _cpu_model(),
                "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
                "python": platform.python_version(),
                "platform": platform.platform(),
                "loadavg_start": [round(x, 2) for x in self.load_start],
                "loadavg_end": [round(x, 2) for x in os.getloadavg()],
            },
            "workdir": str(self.workdir),
            **self.meta,
        }

    def write(self, complete: bool) -> dict:
        self.last_progress = time.monotonic()
        s = self.summary(complete)
        text = json.dumps(s, indent=2) + "\n"
        targets = [self.workdir / "summary.json"] + ([self.json_out] if self.json_out else [])
        for target in targets:
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(target.name + ".tmp")
            tmp.write_text(text)
            os.replace(tmp, target)
        return s

    def finish(self) -> None:
        import faulthandler
        faulthandler.dump_traceback_later(120, exit=True)   # finishing must never hang the campaign
        s = self.write(complete=self.stop_reason is None)
        print_summary(s)
        code = 1 if (s["crashes"] or s["slow_inputs"]) else 0
        if self.stop_reason:
            code = code or 2
        sys.stdout.flush()
        sys.stderr.flush()
        shutdown_wsq_pool()
        for fn in self.at_finish:
            fn()
        os._exit(code)


def shutdown_wsq_pool() -> None:
    """Stop scomm's WSQ decoder process before ``os._exit`` (libFuzzer owns the process,
    so exit handlers do not run; the decoder would exit on its own at the end of its
    input, this just does not wait for that)."""
    from scomm.interchange import images
    images._decoder.close()


def print_summary(s: dict) -> None:
    t = s["seconds_per_input"]
    m = s["machine"]
    lines = [
        "",
        "==== scomm fuzz summary: scomm.agencies.sib.examine ====",
        f"inputs run      : {s['inputs_run']} of {s['inputs_requested']}"
        + ("" if s["complete"] else f" (stopped: {s['stopped_by']})"),
        f"accepted        : {s['accepted']}",
        f"crashes         : {s['crashes']} ({len(s['crash_signatures'])} distinct)",
    ]
    for c in s["crash_signatures"]:
        lines.append(f"  - [{c['kind']}] x{c['count']} {c['signature']}")
        lines.append(f"      {c['message'][:200]}")
        lines.append(f"      example: {c['example']}")
    lines.append(f"slow (> {s['slow_threshold_s']:g} s): {s['slow_inputs']} "
                 f"({s['slow_confirmed']} still slow when run again)")
    for c in s["slow_signatures"]:
        e = c["example"]
        lines.append(f"  - x{c['count']} [{c['signature']}] max {c['max_seconds']} s "
                     f"(re-run {e['rerun_seconds']} s): {e['path']}")
    lines += [
        f"seconds/input   : max {t['max']}  median {t['median']}  mean {t['mean']}  p99 {t['p99']}",
        f"wall            : {s['wall_seconds']} s, {s['execs_per_second']} execs/s",
        f"machine         : {m['cpu_count']} CPUs ({m['cpus_usable']} usable), Python {m['python']}, "
        f"load {m['loadavg_start']} -> {m['loadavg_end']}",
        f"workdir         : {s['workdir']}",
    ]
    print("\n".join(lines), flush=True)


# ------------------------------------------------------------------ instrumentation

def instrument(atheris, prefixes: tuple[str, ...]) -> int:
    """Instrument the already imported Python functions of ``prefixes`` (not numba/C code)."""
    count = 0
    for obj in gc.get_objects():
        if not isinstance(obj, types.FunctionType):
            continue
        mod = getattr(obj, "__module__", None) or ""
        if not any(mod == p or mod.startswith(p + ".") for p in prefixes):
            continue
        try:
            atheris.instrument_func(obj)
            count += 1
        except Exception as exc:  # noqa: BLE001 -- a function that cannot be patched stays plain
            print(f"INFO: not instrumented {mod}.{obj.__qualname__}: {exc}", file=sys.stderr)
    return count


# ------------------------------------------------------------------ main

def parse_args(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    ap = argparse.ArgumentParser(prog="python -m tests.fuzz.fuzz_intake", description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, required=True, help="number of inputs to run (libFuzzer -runs)")
    ap.add_argument("--json-out", type=Path, help="write the summary as JSON here")
    ap.add_argument("--corpus", type=Path,
                    help="corpus directory (seeded, then grown by libFuzzer); default <workdir>/corpus")
    ap.add_argument("--workdir", type=Path,
                    help="where crashes/, slow/ and summary.json go; default a new temporary directory")
    ap.add_argument("--seeds", type=Path, default=SHARED_SEEDS,
                    help="real ANSI/NIST files to seed from (default ../shared/data/ansi-nist)")
    ap.add_argument("--seed", type=int, help="libFuzzer random seed (default: from the clock, recorded)")
    ap.add_argument("--structured", type=float, default=0.5, metavar="P",
                    help="share of mutations made on the records with lengths fixed up (default 0.5; "
                         "0 = libFuzzer's byte mutations only)")
    ap.add_argument("--progress-every", type=int, default=1000, help="rewrite the progress summary every N inputs")
    ap.add_argument("--keep-corpus", action="store_true",
                    help="keep a default (temporary) corpus after the run; a --corpus directory is always kept")
    ns, extra = ap.parse_known_args(argv)
    if ns.runs < 1:
        ap.error("--runs must be at least 1")
    return ns, extra


def main(argv: list[str] | None = None) -> None:
    ns, extra_libfuzzer = parse_args(sys.argv[1:] if argv is None else argv)
    workdir = ns.workdir or Path(tempfile.mkdtemp(prefix="scomm-fuzz-"))
    workdir.mkdir(parents=True, exist_ok=True)
    corpus = ns.corpus or workdir / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)

    seeds = shared_seed_files(ns.seeds)
    if not seeds:
        print(f"scomm-fuzz: SKIPPING the real seed files: {ns.seeds} is absent or empty "
              f"(fuzzing from the generated CAR only)", file=sys.stderr)
    for p in seeds:
        target = corpus / f"seed-{p.name}"
        if not target.exists():
            target.write_bytes(p.read_bytes())

    import atheris
    import nistitl  # noqa: F401

    import scomm.agencies.probe  # noqa: F401
    import scomm.agencies.sib  # noqa: F401
    import scomm.interchange  # noqa: F401

    t0 = time.perf_counter()
    car = cached_car(corpus)
    print(f"scomm-fuzz: generated CAR seed {len(car)} bytes ({time.perf_counter() - t0:.1f} s, "
          f"cached in {corpus / CAR_SEED_NAME})", file=sys.stderr)
    splice_pool = [r for raw in [*(p.read_bytes() for p in seeds), car] for r in (split_records(raw) or [])[1:]]
    n_instr = instrument(atheris, INSTRUMENTED)
    print(f"scomm-fuzz: instrumented {n_instr} functions of {', '.join(INSTRUMENTED)}", file=sys.stderr)

    mutation_stats: dict = {}
    seed = ns.seed if ns.seed is not None else int(time.time()) % 2**31
    libfuzzer_args = [f"-runs={ns.runs + 1}",           # the harness stops itself after exactly --runs
                      f"-max_len={MAX_LEN}", f"-timeout={LIBFUZZER_TIMEOUT_S}", f"-seed={seed}",
                      "-rss_limit_mb=8192", "-handle_int=0", "-handle_term=0",
                      f"-artifact_prefix={workdir}/libfuzzer-", *extra_libfuzzer]
    campaign = Campaign(runs=ns.runs, workdir=workdir, json_out=ns.json_out, progress_every=ns.progress_every,
                        meta={"seed_files": [p.name for p in seeds] + [CAR_SEED_NAME], "seed": seed,
                              "libfuzzer_args": libfuzzer_args, "corpus": str(corpus),
                              "instrumented": list(INSTRUMENTED), "structured_share": ns.structured,
                              "mutations": mutation_stats,
                              "atheris": _version("atheris"), "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")})

    def stop(signum, _frame):
        campaign.stop_reason = signal.Signals(signum).name
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)

    if ns.corpus is None and not ns.keep_corpus:
        import shutil
        campaign.at_finish.append(lambda: shutil.rmtree(corpus, ignore_errors=True))

    print(f"scomm-fuzz: {ns.runs} inputs, corpus {corpus}, crashes -> {campaign.crash_dir}, "
          f"slow -> {campaign.slow_dir}", file=sys.stderr, flush=True)
    setup_kwargs = {}
    if ns.structured > 0:
        setup_kwargs["custom_mutator"] = make_mutator(atheris, ns.structured, splice_pool, mutation_stats)
    atheris.Setup([sys.argv[0], *libfuzzer_args, str(corpus)], campaign.one, **setup_kwargs)
    atheris.Fuzz()
    campaign.stop_reason = campaign.stop_reason or "libFuzzer returned early"
    campaign.finish()


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def _version(dist: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version(dist)
    except PackageNotFoundError:
        return None


if __name__ == "__main__":
    main()
