"""ISO/IEC 19794-2:2005 and ANSI INCITS 378-2004 minutiae records: round trips, layout, rejection."""
from __future__ import annotations

import math
import struct

import pytest
from hypothesis import given, settings, strategies as st

from scomm.biometrics import FingerprintTemplate, Minutia, TemplateError
from scomm.biometrics.template import ANSI_378, ISO_19794_2, detect_format

from ..conftest import SHARED

FVC = SHARED / "fvc"
needs_fvc = pytest.mark.skipif(
    not FVC.is_dir(), reason=f"FVC data not available at {FVC} (the shared data folder ../shared is absent)")

ISO_UNIT = 2 * math.pi / 256   # 1.40625 degrees
ANSI_UNIT = 2 * math.pi / 180  # 2 degrees
FORMATS = {
    "iso": (FingerprintTemplate.to_iso, FingerprintTemplate.from_iso, ISO_UNIT, ISO_19794_2),
    "ansi": (FingerprintTemplate.to_ansi378, FingerprintTemplate.from_ansi378, ANSI_UNIT, ANSI_378),
}

minutiae = st.builds(
    Minutia, x=st.integers(0, 0x3FFF), y=st.integers(0, 0x3FFF),
    angle=st.floats(0, 2 * math.pi, exclude_max=True, allow_nan=False),
    kind=st.sampled_from(["ending", "bifurcation"]), quality=st.integers(0, 100))


def templates(max_minutiae: int = 60):
    return st.builds(FingerprintTemplate, width=st.integers(1, 0xFFFF), height=st.integers(1, 0xFFFF),
                     minutiae=st.lists(minutiae, max_size=max_minutiae), quality=st.integers(0, 100),
                     finger_position=st.integers(0, 10),
                     provenance=st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=100))


def _angle_gap(a: float, b: float) -> float:
    d = (a - b) % (2 * math.pi)
    return min(d, 2 * math.pi - d)


def _same(back: FingerprintTemplate, t: FingerprintTemplate, unit: float) -> None:
    assert (back.width, back.height, back.quality, back.finger_position) == \
        (t.width, t.height, t.quality, t.finger_position)
    assert len(back.minutiae) == len(t.minutiae)
    for m, b in zip(t.minutiae, back.minutiae):
        assert (b.x, b.y, b.kind, b.quality) == (m.x, m.y, m.kind, m.quality)
        assert _angle_gap(b.angle, m.angle) <= unit + 1e-9


@pytest.mark.parametrize("fmt", FORMATS)
@settings(max_examples=150, deadline=None)
@given(t=templates())
def test_round_trip(fmt, t):
    encode, decode, unit, name = FORMATS[fmt]
    data = encode(t)
    assert detect_format(data) == name
    _same(decode(data), t, unit)
    _same(FingerprintTemplate.from_bytes(data), t, unit)
    assert encode(decode(data)) == data  # stable once quantised
    if fmt == "iso":    # the provenance travels in ISO's extended data (ANSI's is not written)
        assert decode(data).provenance == t.provenance


def test_provenance_is_found_among_other_extended_data_blocks():
    """A record with a ridge-count block (type 1) before ours: ours is read, the other skipped."""
    t = FingerprintTemplate(300, 400, [Minutia(10, 20, 1.0)], quality=50, provenance="LEADER sha256:ab")
    data = bytearray(t.to_iso())
    ours = data[-(2 + 4 + len(t.provenance)):]
    other = struct.pack(">HH", 1, 3) + b"\x01\x02\x03"
    area = other + ours[2:]
    data = data[:-len(ours)] + struct.pack(">H", len(area)) + area
    data[8:12] = struct.pack(">I", len(data))
    back = FingerprintTemplate.from_iso(bytes(data))
    assert back.provenance == "LEADER sha256:ab" and len(back.minutiae) == 1


@pytest.mark.parametrize("fmt", FORMATS)
@settings(max_examples=40, deadline=None)
@given(t=templates(max_minutiae=8))
def test_truncation_at_every_length_is_rejected(fmt, t):
    encode, decode, _unit, _name = FORMATS[fmt]
    data = encode(t)
    for k in range(len(data)):
        with pytest.raises(TemplateError, match=r"truncated"):
            decode(data[:k])
        with pytest.raises(TemplateError, match=r"truncated"):
            FingerprintTemplate.from_bytes(data[:k])


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=120), st.sampled_from([b"", b"FMR\x00 20\x00"]))
def test_parsers_never_crash(data, prefix):
    for parse in (FingerprintTemplate.from_ansi378, FingerprintTemplate.from_bytes):
        try:
            parse(prefix + data)
        except TemplateError as exc:
            assert str(exc)


def _ansi_sample() -> tuple[FingerprintTemplate, bytes]:
    t = FingerprintTemplate(388, 374, [Minutia(10, 20, math.pi / 2, "bifurcation", 50),
                                       Minutia(300, 200, math.pi, "ending", 0)], quality=60, finger_position=2)
    return t, t.to_ansi378()


def test_ansi_layout():
    t, data = _ansi_sample()
    assert data[:8] == b"FMR\x00 20\x00"
    assert len(data) == 26 + 4 + 2 * 6 + 2
    assert struct.unpack(">H", data[8:10])[0] == len(data)           # 2-byte record length
    assert data[10:16] == bytes(6)                                  # CBEFF owner/type, capture equipment
    assert struct.unpack(">HHHH", data[16:24]) == (388, 374, 197, 197)  # size, px/cm
    assert data[24:26] == b"\x01\x00"                               # one view, reserved
    assert data[26:30] == bytes([2, 0, 60, 2])                      # finger 2, view 0/plain, quality, count
    tx, y, angle, q = struct.unpack(">HHBB", data[30:36])
    assert (tx >> 14, tx & 0x3FFF, y, angle, q) == (2, 10, 20, 45, 50)  # 90 degrees = 45 two-degree units
    assert data[41] == 0 and data[40] == 90                         # 180 degrees = 90 units
    assert data[-2:] == b"\x00\x00"                                 # no extended data
    # the same minutia in ISO: 90 degrees = 64 units of 1.40625
    assert t.to_iso()[24 + 4 + 4] == 64


def test_ansi_six_byte_length_form():
    t, data = _ansi_sample()
    long = data[:8] + b"\x00\x00" + struct.pack(">I", len(data) + 4) + data[10:]
    assert detect_format(long) == ANSI_378
    assert FingerprintTemplate.from_ansi378(long) == FingerprintTemplate.from_ansi378(data)
    assert FingerprintTemplate.from_bytes(long) == FingerprintTemplate.from_ansi378(data)
    with pytest.raises(TemplateError, match="truncated"):
        FingerprintTemplate.from_ansi378(long[:-1])


def test_ansi_resolution_scaled_to_500ppi():
    _t, data = _ansi_sample()
    d = bytearray(data)
    d[20:24] = struct.pack(">HH", 394, 394)  # 1000 ppi
    back = FingerprintTemplate.from_ansi378(bytes(d))
    assert (back.width, back.height) == (194, 187)
    assert [(m.x, m.y) for m in back.minutiae] == [(5, 10), (150, 100)]


@pytest.mark.parametrize("patch, message", [
    ({36 + 4: 180}, r"minutia 1: angle 180 out of range 0\.\.179 \(2-degree units\)"),
    ({30: 0xC0}, r"minutia 0: invalid type bits 11"),
    ({35: 101}, r"minutia 0: invalid quality 101"),
    ({26: 11}, r"invalid finger position 11"),
    ({28: 101}, r"invalid finger quality 101"),
    ({24: 0}, r"no finger view"),
    ({20: 0, 21: 0}, r"invalid resolution 0x197"),
    ({24: 2}, r"finger view 1 header at byte 44 runs past record end 44"),
    ({0: ord("X")}, r"bad format identifier"),
    ({5: ord("3")}, r"unsupported version"),
    ({9: 20}, r"record length field 20 is smaller than the 26-byte header"),
])
def test_ansi_malformed_messages(patch, message):
    _t, data = _ansi_sample()
    d = bytearray(data)
    for i, v in patch.items():
        d[i] = v
    with pytest.raises(TemplateError, match=message):
        FingerprintTemplate.from_ansi378(bytes(d))


def test_ansi_trailing_data_and_extended_data():
    _t, data = _ansi_sample()
    with pytest.raises(TemplateError, match="trailing data: header says 44 bytes, got 45"):
        FingerprintTemplate.from_ansi378(data + b"\x00")
    # extended data length that runs past the end of the record
    d = bytearray(data)
    d[-2:] = b"\x00\x05"
    with pytest.raises(TemplateError, match="extended data of 5 bytes"):
        FingerprintTemplate.from_ansi378(bytes(d))


def test_wrong_parser_says_what_it_is():
    _t, data = _ansi_sample()
    with pytest.raises(TemplateError, match="looks like an ANSI INCITS 378 record"):
        FingerprintTemplate.from_iso(data)
    with pytest.raises(TemplateError, match=r"truncated: need 12 bytes"):
        FingerprintTemplate.from_bytes(data[:11])
    with pytest.raises(TemplateError, match="expected bytes"):
        FingerprintTemplate.from_bytes("FMR")  # type: ignore[arg-type]


def _shared_iso_files():
    return sorted(p for p in FVC.glob("**/*.iso") if p.parent.name != "invalid-iso") if FVC.is_dir() else []


@needs_fvc
def test_every_shared_iso_parses_in_both_formats():
    files = _shared_iso_files()
    assert len(files) >= 480, f"expected the six FVC folders' .iso files under {FVC}"
    for f in files:
        data = f.read_bytes()
        assert detect_format(data) == ISO_19794_2, f
        t = FingerprintTemplate.from_bytes(data)
        assert t == FingerprintTemplate.from_iso(data), f
        back = FingerprintTemplate.from_bytes(t.to_ansi378())
        _same(back, t, ANSI_UNIT)


@needs_fvc
def test_shared_invalid_iso_rejected():
    files = sorted((FVC / "invalid-iso").glob("*.iso"))
    assert files, f"no files in {FVC / 'invalid-iso'}"
    for f in files:
        data = f.read_bytes()
        for parse in (FingerprintTemplate.from_bytes, FingerprintTemplate.from_iso):
            with pytest.raises(TemplateError, match=r"truncated: header says \d+ bytes, got \d+"):
                parse(data)
        with pytest.raises(TemplateError):
            FingerprintTemplate.from_ansi378(data)
