"""decode() on any prefix, any random bytes or any damaged real file raises only DecodeError.

The property is checked on ``_decode_unguarded`` (no catch-all) as well as on
the public ``decode`` (which adds a last-resort conversion to DecodeError),
so a bug in the parser layers cannot hide behind the safety net.
"""
from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .interchange_helpers import car_args, known_ori, shared_file
from scomm.interchange import DecodeError, decode, encode_car, sniff, validate_car
from scomm.interchange.decode import _decode_unguarded

SMALL_FILES = ["nbis-valid1.1.an2", "openebts-NISTFile.ebts"]
ALL_FILES = SMALL_FILES + ["nbis-valid1.14.an2", "nbis-valid1.16.an2", "nbis-valid1.2.an2"]
HYP = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))


def must_reject_cleanly(raw: bytes) -> None:
    for fn in (_decode_unguarded, decode):
        try:
            tx = fn(raw)
        except DecodeError as exc:
            assert exc.problems, "DecodeError without problems"
            for p in exc.problems:
                assert p.record and p.field and p.reason
        else:
            # if it decodes, validating it must not crash either
            validate_car(tx, known_ori=known_ori, today=dt.date(2024, 5, 2))


@pytest.fixture(scope="module")
def synthetic_car() -> bytes:
    from .interchange_helpers import ridge
    return encode_car(**car_args(fingers={p: ridge(p, 120, 100) for p in range(1, 11)}))


@pytest.mark.parametrize("name", SMALL_FILES)
def test_every_prefix_of_a_real_file_is_rejected(name):
    raw = shared_file(name)
    for cut in range(len(raw)):                       # every offset
        with pytest.raises(DecodeError):
            _decode_unguarded(raw[:cut])
    decode(raw)                                       # and the whole file decodes


def test_every_prefix_of_a_built_car_is_rejected(synthetic_car):
    for cut in range(0, len(synthetic_car)):
        with pytest.raises(DecodeError):
            _decode_unguarded(synthetic_car[:cut])


@HYP
@given(data=st.data())
def test_prefixes_of_large_real_files(data):
    name = data.draw(st.sampled_from(ALL_FILES))
    raw = shared_file(name)
    cut = data.draw(st.integers(0, len(raw) - 1))
    with pytest.raises(DecodeError):
        _decode_unguarded(raw[:cut])


@HYP
@given(st.binary(max_size=2000))
def test_random_bytes(raw):
    must_reject_cleanly(raw)


@HYP
@given(st.binary(max_size=400))
def test_random_bytes_behind_a_type1_header(tail):
    must_reject_cleanly(b"1.001:" + tail)
    must_reject_cleanly(b"1.001:57\x1d1.002:0400\x1d1.003:1\x1f1\x1e2\x1f00\x1d" + tail)


@HYP
@given(data=st.data())
def test_damaged_real_files(data):
    """Flip, delete or insert bytes anywhere in a real file (mostly in its text records)."""
    raw = bytearray(shared_file(data.draw(st.sampled_from(ALL_FILES))))
    text_end = min(len(raw), 700)
    for _ in range(data.draw(st.integers(1, 4))):
        where = data.draw(st.one_of(st.integers(0, text_end - 1), st.integers(0, len(raw) - 1)))
        op = data.draw(st.sampled_from(["set", "delete", "insert"]))
        byte = data.draw(st.sampled_from([0x1c, 0x1d, 0x1e, 0x1f, 0x3a, 0x2e, 0x30, 0x39, 0x00, 0xff, 0x41]))
        if op == "set":
            raw[where] = byte
        elif op == "delete":
            del raw[where]
        else:
            raw.insert(where, byte)
    must_reject_cleanly(bytes(raw))


@HYP
@given(data=st.data())
def test_damaged_built_car(synthetic_car, data):
    raw = bytearray(synthetic_car)
    for _ in range(data.draw(st.integers(1, 3))):
        where = data.draw(st.integers(0, len(raw) - 1))
        raw[where] = data.draw(st.integers(0, 255))
    must_reject_cleanly(bytes(raw))


def rec(rtype: int, fields: bytes) -> bytes:
    """A tagged record with a correct LEN."""
    n = 0
    while True:
        out = b"%d.001:%d\x1d" % (rtype, n) + fields + b"\x1c"
        if len(out) == n:
            return out
        n = len(out)


T1_ONE_T4 = rec(1, b"1.002:0400\x1d1.003:1\x1f1\x1e4\x1f1")
T1_ONE_T2 = rec(1, b"1.002:0400\x1d1.003:1\x1f1\x1e2\x1f0")


@pytest.mark.parametrize("raw, reason", [
    (b"", "empty input (0 bytes)"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF", "a JPEG image, not an ANSI/NIST transaction"),
    (b"hello world", "not an ANSI/NIST-ITL transaction"),
    (b"1.001:5\x1d1.002:0400\x1c", "shorter than the record header"),
    (b"1.001:999\x1d1.002:0400\x1c", "declared length 999 but only 21 bytes present"),
    (b"1.001:20\x1d1.002:0400\x1d1.004:CAR\x1c", "not the FS record separator"),
    (rec(1, b"1.002:0400\x1d1.04:CAR"), "1.003 CNT"),
    (T1_ONE_T4, "file ends before this record"),
    (T1_ONE_T4 + b"\x00\x00\x00\x00\x01", "binary record length 0 is less than its 18-byte header"),
    (T1_ONE_T4 + b"\x00\x00\x00\x40\x01" + b"\x00" * 20, "declared length 64 but only 25 bytes left"),
    (T1_ONE_T4 + b"\x00\x00\x00\x12\x07" + b"\x00" * 13, "IDC 7 does not match the CNT entry (1)"),
    (rec(1, b"1.002:0400\x1d1.003:1\x1f1\x1e57\x1f1") + b"xxxx", "record type 57 is not defined"),
    (rec(1, b"1.002:0400\x1d1.003:1\x1f2\x1e2\x1f0"), "announces 2 further record(s) but 1 are listed"),
    (rec(1, b"1.002:0400\x1d1.003:1\x1f1\x1e2\x1fA"), "expected '<record type><US><IDC>'"),
    (T1_ONE_T2 + rec(2, b"2.002:00") + b"JUNK", "4 unexpected byte(s) after the last record"),
    (T1_ONE_T2 + rec(2, b"2.002:XY"), "missing or non-numeric IDC"),
    (T1_ONE_T2 + rec(9, b"9.002:00"), "found a Type-9 record instead"),
    (T1_ONE_T2 + rec(2, b"2.002:00")[:-1] + b"X", "not the FS record separator"),
])
def test_named_framing_problems(raw, reason):
    with pytest.raises(DecodeError) as ei:
        decode(raw)
    assert any(reason in str(p) for p in ei.value.problems), ei.value.problems


def test_sniff():
    assert sniff(b"") == "unknown"
    assert sniff(b"\xff\xa0\xff\xa8") == "wsq"
    assert sniff(b"1.001:129\x1d1.002:0201") == "ansi-nist"
    assert sniff(b"1.01:129\x1d1.02:0201") == "ansi-nist"
    assert sniff(b"GIF89a") == "unknown"


def test_wsq_decoder_segfault_is_contained():
    """Two changed bytes make the NBIS C decoder segfault; scomm must report it, not die."""
    from scomm.interchange import FingerImage, decode_finger_pixels
    from scomm.interchange.images import encode_wsq

    from .interchange_helpers import ridge
    data = bytearray(encode_wsq(ridge(3, 120, 100)))
    data[600], data[1709] = 73, 155                   # found by fuzzing (see test_damaged_built_car)
    img = FingerImage(position=3, impression_type=1, compression="WSQ", width=100, height=120, ppi=500.0,
                      data=bytes(data), record_type=14, idc=3)
    with pytest.raises(ValueError, match="WSQ image cannot be decoded"):
        decode_finger_pixels(img)
    # and the worker pool recovers for the next image
    good = FingerImage(**{**img.__dict__, "data": encode_wsq(ridge(3, 120, 100))})
    assert decode_finger_pixels(good).shape == (120, 100)
