"""A short fuzz run of SIB intake for the normal test suite (hypothesis; no atheris needed).

Inputs are the real ANSI/NIST files of ../shared/data/ansi-nist/, damaged by
one to four byte-level edits (bit flips, byte insertion and deletion, chunk
duplication, truncation, splicing two files, rewriting the digits of a record
length) or by a record-level edit that keeps the framing sound (the same
structured mutations the libFuzzer campaign uses: see fuzz_intake.py). For
every input ``examine`` must keep its contract: no exception, an Examination,
and when it is not accepted at least one problem, each naming record, field
and reason; and it must answer within 5 s. The long campaign is
``python -m tests.fuzz.fuzz_intake --runs 100000``.
"""
from __future__ import annotations

import random
import re
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, event, given, settings, strategies as st

from tests.conftest import shared_path
from tests.fuzz.fuzz_intake import MIN_FINGERS, SLOW_S, TODAY, contract_violation, structured_mutation

SEED_NAMES = ["nbis-valid1.1.an2", "nbis-valid1.14.an2", "nbis-valid1.16.an2", "nbis-valid1.2.an2",
              "openebts-NISTFile.ebts", "openebts-finger8.wsq", "EBTS9.1_ENUS.txt"]
# The files a transaction can be made of weigh more than the bare WSQ image and the text file.
WEIGHTED_NAMES = SEED_NAMES[:5] * 3 + SEED_NAMES[5:]
BYTE_OPS = ["flip", "insert", "delete", "duplicate", "truncate", "splice", "length"]
_LEN_FIELD = re.compile(rb"(?:^|\x1c)\d{1,2}\.0*1:(\d{1,10})\x1d")
SEPARATORS = [b"\x1c", b"\x1d", b"\x1e", b"\x1f", b":", b".", b"0", b"9", b"\x00", b"\xff"]


@pytest.fixture(scope="module")
def seeds() -> dict[str, bytes]:
    return {name: shared_path("ansi-nist", name).read_bytes() for name in SEED_NAMES}


@pytest.fixture(scope="module")
def intake():
    from scomm.agencies.sib import examine
    from scomm.domain.jurisdictions import Jurisdictions
    jurisdictions = Jurisdictions.load_default()
    return lambda raw: examine(raw, jurisdictions=jurisdictions, today=TODAY, min_fingers=MIN_FINGERS)


def _position(data, n: int, label: str) -> int:
    """An offset in 0..n-1, most often in the first 800 bytes (the text records)."""
    head = st.integers(0, max(0, min(n, 800) - 1))
    return data.draw(st.one_of(head, st.integers(0, max(0, n - 1))), label=label)


def _simple_byte_mutate(rng: random.Random):
    def mutate(b: bytes, max_size: int) -> bytes:
        out = bytearray(b)
        for _ in range(rng.randint(1, 3)):
            if out and rng.random() < 0.6:
                out[rng.randrange(len(out))] = rng.randrange(256)
            else:
                out.insert(rng.randrange(len(out) + 1), rng.randrange(256))
        return bytes(out[:max_size])
    return mutate


def mutated(data, seeds: dict[str, bytes]) -> bytes:
    buf = bytearray(seeds[data.draw(st.sampled_from(WEIGHTED_NAMES), label="seed")])
    # Either byte-level damage (mostly caught by the framing checks) or record-level edits
    # (which reach the field rules, the image decoders and finger extraction).
    ops = data.draw(st.one_of(st.lists(st.sampled_from(BYTE_OPS), min_size=1, max_size=4),
                              st.lists(st.just("structured"), min_size=1, max_size=3)), label="ops")
    for op in ops:
        n = len(buf)
        if op == "flip" and n:
            buf[_position(data, n, "at")] ^= 1 << data.draw(st.integers(0, 7), label="bit")
        elif op == "insert":
            piece = data.draw(st.one_of(st.sampled_from(SEPARATORS), st.binary(min_size=1, max_size=8)), label="bytes")
            at = _position(data, n + 1, "at")
            buf[at:at] = piece
        elif op == "delete" and n:
            at = _position(data, n, "at")
            del buf[at:at + data.draw(st.integers(1, 16), label="count")]
        elif op == "duplicate" and n:
            start = _position(data, n, "from")
            chunk = buf[start:start + data.draw(st.integers(1, 256), label="length")]
            at = _position(data, n + 1, "to")
            buf[at:at] = chunk
        elif op == "truncate":
            del buf[data.draw(st.integers(0, n), label="cut"):]
        elif op == "splice":
            other = seeds[data.draw(st.sampled_from(SEED_NAMES), label="other")]
            buf = buf[:data.draw(st.integers(0, n), label="cut")] + \
                other[data.draw(st.integers(0, len(other)), label="from"):]
        elif op == "length":
            fields = list(_LEN_FIELD.finditer(bytes(buf)))
            if fields:
                m = data.draw(st.sampled_from(fields), label="length field")
                old = int(m.group(1))
                digits = data.draw(st.one_of(
                    st.sampled_from([b"0", b"1", b"%d" % (old - 1), b"%d" % (old + 1), b"%d" % (2 * old),
                                     b"9" * 10, b"0" * len(m.group(1))]),
                    st.from_regex(rb"\A[0-9]{1,10}\Z")), label="digits")
                buf[m.start(1):m.end(1)] = digits
        elif op == "structured":
            rng = random.Random(data.draw(st.integers(0, 2**32 - 1), label="rng"))
            out = structured_mutation(bytes(buf), rng, _simple_byte_mutate(rng))
            if out is not None:
                buf = bytearray(out)
    return bytes(buf)


@settings(max_examples=300, deadline=timedelta(seconds=SLOW_S),
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_intake_keeps_its_contract_on_damaged_real_files(seeds, intake, data):
    raw = mutated(data, seeds)
    exam = intake(raw)                      # any exception here is a failure
    assert contract_violation(exam) is None, contract_violation(exam)
    # --hypothesis-show-statistics tells how deep the inputs went
    event("accepted" if exam.accepted else "decoded, rejected by the rules" if exam.transaction
          else f"not decoded ({exam.problems[0].record})")


def test_intake_accepts_or_names_problems_for_every_real_file(seeds, intake):
    """The undamaged seeds: none crashes intake, each is accepted or rejected with named problems."""
    for name, raw in seeds.items():
        assert contract_violation(intake(raw)) is None, name
