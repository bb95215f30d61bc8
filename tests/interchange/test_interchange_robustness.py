"""decode() on any prefix, any random bytes or any damaged real file raises only DecodeError.

The property is checked on ``_decode_unguarded`` (no catch-all) as well as on
the public ``decode`` (which adds a last-resort conversion to DecodeError),
so a bug in the parser layers cannot hide behind the safety net.
"""
from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from scomm.interchange import DecodeError, decode, encode_car, sniff, validate_car
from scomm.interchange.decode import _decode_unguarded

from .interchange_helpers import car_args, known_ori, shared_file

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


# ---------------------------------------------------------------- found by the intake fuzzer (tests/fuzz)

def _small_car(**over) -> bytes:
    from .interchange_helpers import ridge
    return encode_car(**car_args(fingers={p: ridge(p, 120, 100) for p in range(1, 11)}, **over))


def _with_field(raw: bytes, rtype: int, tag: str, value: str) -> bytes:
    """``raw`` with field ``tag`` of every Type-``rtype`` record set to ``value`` (lengths rewritten)."""
    import nistitl

    from scomm.interchange.encode import _set
    msg = nistitl.Message()
    msg.parse(raw)
    for r in msg:
        if r.type == rtype:
            _set(r, tag, value)
    return msg.NIST


def _problems(raw: bytes) -> list:
    return validate_car(_decode_unguarded(raw), known_ori=known_ori, today=dt.date(2024, 5, 2))


@pytest.mark.parametrize("ppi", [1, 100, 494, 1011])
def test_implausible_type14_resolution_is_a_named_problem(ppi):
    """14.008 SLC=1 with 14.009 THPS=1 (one changed byte of a valid CAR) was accepted; finger
    extraction then resampled every image 500x to 500 ppi, and OpenCV's failed 50 GB allocation
    (cv2.error) escaped intake. At THPS=100 the 5x upsampling took most of the 5 s budget."""
    thps = [p for p in _problems(_small_car(ppi=ppi)) if p.field == "14.009 THPS"]
    assert len(thps) == 10, thps
    assert all(p.record == "Type-14" and f"{ppi} ppi is outside 495..1010 ppi" in p.reason for p in thps)


@pytest.mark.parametrize("slc, thps, ok", [("1", "500", True), ("1", "1000", True), ("2", "197", True),
                                           ("2", "394", True), ("2", "500", False), ("0", "1", True)])
def test_type14_scale_units(slc, thps, ok):
    """THPS is in pixels per inch (SLC=1) or per centimetre (SLC=2); SLC=0 gives no scale."""
    raw = _with_field(_with_field(_small_car(), 14, "14.008", slc), 14, "14.009", thps)
    assert (not [p for p in _problems(raw) if p.field == "14.009 THPS"]) == ok


def test_type14_resolution_too_large_for_a_float():
    """A 400-digit THPS made the decoder itself raise OverflowError ("int too large to
    convert to float"), which only the last-resort net turned into an unnamed 'file' error."""
    problems = _problems(_with_field(_small_car(), 14, "14.009", "9" * 400))
    assert any(p.field == "14.009 THPS" and "inf ppi" in p.reason for p in problems), problems


def test_non_finite_native_scanning_resolution():
    """1.011 NSR = '1e999' made the decoder raise OverflowError (round(inf)) before the
    field rules could name it."""
    problems = _problems(_with_field(_small_car(record_type=4), 1, "1.011", "1e999"))
    assert [p.field for p in problems] == ["1.011 NSR"], problems


def test_type4_resolution_from_nsr_is_checked():
    """A Type-4 record with ISR=1 takes its resolution from 1.011 NSR: '01.00' ppmm is 25 ppi,
    which finger extraction would have upsampled 20x."""
    import nistitl
    msg = nistitl.Message()
    msg.parse(_with_field(_small_car(record_type=4), 1, "1.011", "01.00"))
    for r in msg:
        if r.type == 4:
            value = bytearray(r.value)
            value[7] = 1                                 # IMP, FGP[6], ISR
            r.value = bytes(value)
    problems = _problems(msg.NIST)
    isr = [p for p in problems if p.field == "4.005 ISR"]
    assert len(isr) == 10 and all("25 ppi" in p.reason and "1.011 NSR" in p.reason for p in isr), problems


def _wsq_claiming(width: int, height: int) -> bytes:
    """A small valid WSQ image whose frame header (SOF) declares width x height."""
    from scomm.interchange.images import encode_wsq

    from .interchange_helpers import ridge
    data = bytearray(encode_wsq(ridge(1, 120, 100)))
    sof = data.find(b"\xff\xa2")
    data[sof + 6:sof + 10] = height.to_bytes(2, "big") + width.to_bytes(2, "big")
    return bytes(data)


def test_image_too_large_for_one_finger_is_refused_before_decoding(monkeypatch):
    """Ten WSQ "fingers" of 1600 x 1500 px at 500 ppi (3.2 x 3.0 in each, a 1.6 MB file) made
    intake spend about 30 s in finger extraction, and 4000 x 4000 px ones over 7 minutes. An
    image that cannot be one finger at its resolution is now refused from its header."""
    import scomm.interchange.validate as V

    def must_not_decode(img):
        raise AssertionError("an oversized image was decoded")
    monkeypatch.setattr(V, "decode_finger_pixels", must_not_decode)
    raw = _small_car(compressed={p: _wsq_claiming(1600, 1500) for p in range(1, 11)})
    big = [p for p in _problems(raw) if "1600x1500 px, 3.2 x 3.0 in at 500 ppi" in p.reason]
    assert len(big) == 10
    assert all(p.record == "Type-14" and p.field == "14.999 DATA" and "at most 2.5 in" in p.reason for p in big)


def test_large_image_at_1000_ppi_is_one_finger():
    """The limit is physical: 1600 px is 1.6 in at 1000 ppi."""
    from scomm.interchange import FingerImage
    from scomm.interchange.validate import _too_large
    img = FingerImage(position=1, impression_type=1, compression="WSQ", width=1600, height=1500, ppi=1000.0,
                      data=_wsq_claiming(1600, 1500), record_type=14, idc=1)
    assert _too_large(img) is None
    assert "at most 2.5 in" in _too_large(FingerImage(**{**img.__dict__, "ppi": 500.0}))
    assert _too_large(FingerImage(**{**img.__dict__, "position": 13, "ppi": 500.0})) is None   # a slap
