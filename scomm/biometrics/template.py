"""Minutiae templates and their interchange records.

Two record formats are read and written, both with one finger view:

* ISO/IEC 19794-2:2005 (``to_iso``/``from_iso``): 24-byte header with a 4-byte
  record length, angles in 360/256-degree units;
* ANSI INCITS 378-2004 (``to_ansi378``/``from_ansi378``): 26-byte header with a
  2-byte record length (or 0 followed by a 4-byte length: 30 bytes) and a CBEFF
  product identifier, angles in 2-degree units (0..179).

Both start with ``FMR\0`` `` 20\0``; :meth:`FingerprintTemplate.from_bytes`
tells them apart by the record-length field (as SourceAFIS/FingerprintIO do).

Angles are radians in ``[0, 2*pi)``, counter-clockwise from the x axis with the
image y axis pointing down (the ISO convention), so an angle of ``pi/2`` points
towards the top of the image.  Coordinates are pixels at 500 ppi.
"""
from __future__ import annotations

import math
import struct
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["Minutia", "MinutiaKind", "FingerprintTemplate", "TemplateError", "ISO_19794_2", "ANSI_378",
           "detect_format"]

ISO_19794_2 = "iso19794-2:2005"
ANSI_378 = "ansi378-2004"

_MAGIC = b"FMR\x00"
_VERSION = b" 20\x00"
_HEADER_LEN = 24
_VIEW_HEADER_LEN = 4
_MINUTIA_LEN = 6
_PX_PER_CM_500PPI = 197  # 500 ppi = 196.85 px/cm
# ANSI INCITS 378-2004: header is magic(4) version(4) length(2, or 2+4)
# CBEFF product id (owner 2 + type 2) capture equipment(2) width(2) height(2)
# x/y resolution (2+2, px/cm) views(1) reserved(1)
_ANSI_HEADER_LEN = 26
_ANSI_LONG_HEADER_LEN = 30  # record length 0 followed by a 4-byte length
_ANSI_ANGLE_UNITS = 180     # 2-degree units, 0..179
MinutiaKind = Literal["ending", "bifurcation"]
_KIND_TO_BITS: dict[str, int] = {"ending": 1, "bifurcation": 2}
_BITS_TO_KIND: dict[int, MinutiaKind] = {0: "ending", 1: "ending", 2: "bifurcation"}  # 0 = "other"
# ISO 19794-2:2005 extended data: blocks of type(2) length(2, the data's) data; types from
# 0x0100 are vendor-defined. Ours ("SC") holds the template's provenance, ASCII.
_PROVENANCE_BLOCK = 0x5343
_PROVENANCE_MAX = 200


class TemplateError(ValueError):
    """A template record is malformed; the message says what is wrong."""


@dataclass
class Minutia:
    x: int
    y: int
    angle: float
    kind: MinutiaKind = "ending"
    quality: int = 0


@dataclass
class FingerprintTemplate:
    width: int
    height: int
    minutiae: list[Minutia]
    quality: int = 0
    finger_position: int = 0
    provenance: str = ""    # which extractor made it (its model's SHA-256), kept in the ISO record
    # matcher-side cache (cylinder codes), keyed by (kind, parameters...); never serialised or compared
    _cache: dict[tuple[Hashable, ...], object] = field(default_factory=dict, init=False, repr=False, compare=False)

    # ------------------------------------------------------------------ ISO
    def to_iso(self) -> bytes:
        """Encode as an ISO/IEC 19794-2:2005 record with one finger view."""
        mins = self.minutiae[:255]
        body = bytearray()
        body += struct.pack(">BBBB", self.finger_position & 0xFF, 0,
                            _clamp(self.quality, 0, 100), len(mins))
        for m in mins:
            x = _clamp(int(round(m.x)), 0, 0x3FFF)
            y = _clamp(int(round(m.y)), 0, 0x3FFF)
            bits = _KIND_TO_BITS.get(m.kind, 0)
            a = int(round((m.angle % (2 * math.pi)) / (2 * math.pi) * 256)) % 256
            body += struct.pack(">HHBB", (bits << 14) | x, y, a, _clamp(m.quality, 0, 100))
        body += _extended_data(self.provenance)
        total = _HEADER_LEN + len(body)
        header = _MAGIC + _VERSION + struct.pack(
            ">IHHHHHBB", total, 0,
            _clamp(self.width, 0, 0xFFFF), _clamp(self.height, 0, 0xFFFF),
            _PX_PER_CM_500PPI, _PX_PER_CM_500PPI, 1, 0)
        return bytes(header + body)

    @classmethod
    def from_iso(cls, data: bytes) -> FingerprintTemplate:
        """Decode an ISO/IEC 19794-2:2005 record (first finger view is used).

        Raises :class:`TemplateError` naming the problem for any malformed input.
        """
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TemplateError(f"expected bytes, got {type(data).__name__}")
        data = bytes(data)
        if len(data) < _HEADER_LEN:
            raise TemplateError(f"truncated: record header needs {_HEADER_LEN} bytes, got {len(data)}")
        if data[:4] != _MAGIC:
            raise TemplateError(f"bad format identifier {data[:4]!r}, expected {_MAGIC!r}")
        if data[4:8] != _VERSION:
            raise TemplateError(f"unsupported version {data[4:8]!r}, expected {_VERSION!r} (ISO/IEC 19794-2:2005)")
        (total, _equip, width, height, xres, yres, nviews, _res) = struct.unpack(
            ">IHHHHHBB", data[8:_HEADER_LEN])
        if total < _HEADER_LEN:
            raise TemplateError(f"record length field {total} is smaller than the {_HEADER_LEN}-byte header")
        if len(data) < total:
            raise TemplateError(f"truncated: header says {total} bytes, got {len(data)}{_ansi_hint(data)}")
        if len(data) > total:
            raise TemplateError(f"trailing data: header says {total} bytes, got {len(data)}{_ansi_hint(data)}")
        if nviews < 1:
            raise TemplateError("record has no finger view")
        if xres == 0 or yres == 0:
            raise TemplateError(f"invalid resolution {xres}x{yres} px/cm")
        pos = _HEADER_LEN
        if pos + _VIEW_HEADER_LEN > total:
            raise TemplateError(f"truncated: finger view header at byte {pos} runs past record end {total}")
        fpos, _view, fquality, count = struct.unpack(">BBBB", data[pos:pos + 4])
        pos += 4
        end = pos + count * _MINUTIA_LEN
        if end + 2 > total:
            raise TemplateError(
                f"truncated: {count} minutiae plus extended-data length need {end + 2} bytes, record has {total}")
        if fpos > 10:
            raise TemplateError(f"invalid finger position {fpos} (0..10)")
        if fquality > 100:
            raise TemplateError(f"invalid finger quality {fquality} (0..100)")
        sx = _PX_PER_CM_500PPI / xres if xres != _PX_PER_CM_500PPI else 1.0
        sy = _PX_PER_CM_500PPI / yres if yres != _PX_PER_CM_500PPI else 1.0
        mins: list[Minutia] = []
        for i in range(count):
            tx, ry, a, q = struct.unpack(">HHBB", data[pos:pos + 6])
            pos += 6
            bits = tx >> 14
            if bits == 3:
                raise TemplateError(f"minutia {i}: invalid type bits 11")
            if q > 100:
                raise TemplateError(f"minutia {i}: invalid quality {q} (0..100)")
            mins.append(Minutia(
                x=int(round((tx & 0x3FFF) * sx)), y=int(round((ry & 0x3FFF) * sy)),
                angle=a * 2 * math.pi / 256, kind=_BITS_TO_KIND[bits], quality=q))
        (ext_len,) = struct.unpack(">H", data[pos:pos + 2])
        pos += 2
        if pos + ext_len > total:
            raise TemplateError(
                f"truncated: extended data of {ext_len} bytes at byte {pos} runs past record end {total}")
        return cls(width=int(round(width * sx)), height=int(round(height * sy)),
                   minutiae=mins, quality=fquality, finger_position=fpos,
                   provenance=_provenance(data[pos:pos + ext_len]))

    # ------------------------------------------------------------------ ANSI
    def to_ansi378(self) -> bytes:
        """Encode as an ANSI INCITS 378-2004 record with one finger view.

        The CBEFF product identifier and capture equipment are written as 0
        (not reported); resolution is 197 px/cm (500 ppi) as coordinates are.
        """
        mins = self.minutiae[:255]
        body = bytearray()
        # finger position, view number (high nibble) / impression type 0 = live-scan plain,
        # finger quality 0..100, number of minutiae
        body += struct.pack(">BBBB", _clamp(self.finger_position, 0, 255), 0,
                            _clamp(self.quality, 0, 100), len(mins))
        for m in mins:
            x = _clamp(int(round(m.x)), 0, 0x3FFF)
            y = _clamp(int(round(m.y)), 0, 0x3FFF)
            bits = _KIND_TO_BITS.get(m.kind, 0)
            a = int(round((m.angle % (2 * math.pi)) / (2 * math.pi) * _ANSI_ANGLE_UNITS)) % _ANSI_ANGLE_UNITS
            body += struct.pack(">HHBB", (bits << 14) | x, y, a, _clamp(m.quality, 0, 100))
        body += struct.pack(">H", 0)  # no extended data
        total = _ANSI_HEADER_LEN + len(body)
        if total <= 0xFFFF:
            length = struct.pack(">H", total)
        else:  # pragma: no cover - one view of at most 255 minutiae never gets here
            total += _ANSI_LONG_HEADER_LEN - _ANSI_HEADER_LEN
            length = struct.pack(">HI", 0, total)
        header = _MAGIC + _VERSION + length + struct.pack(
            ">HHHHHHHBB", 0, 0, 0,  # CBEFF owner, CBEFF type, capture equipment
            _clamp(self.width, 0, 0xFFFF), _clamp(self.height, 0, 0xFFFF),
            _PX_PER_CM_500PPI, _PX_PER_CM_500PPI, 1, 0)
        return bytes(header + body)

    @classmethod
    def from_ansi378(cls, data: bytes) -> FingerprintTemplate:
        """Decode an ANSI INCITS 378-2004 record (first finger view is used).

        Every view is checked to fit the record. Raises :class:`TemplateError`
        naming the problem for any malformed input.
        """
        data = _as_bytes(data)
        if len(data) < _ANSI_HEADER_LEN:
            raise TemplateError(
                f"truncated: ANSI 378 record header needs {_ANSI_HEADER_LEN} bytes, got {len(data)}")
        if data[:4] != _MAGIC:
            raise TemplateError(f"bad format identifier {data[:4]!r}, expected {_MAGIC!r}")
        if data[4:8] != _VERSION:
            raise TemplateError(f"unsupported version {data[4:8]!r}, expected {_VERSION!r} (ANSI INCITS 378-2004)")
        (total,) = struct.unpack(">H", data[8:10])
        header_len = _ANSI_HEADER_LEN
        if total == 0:  # 6-byte form: 0x0000 then a 4-byte length
            header_len = _ANSI_LONG_HEADER_LEN
            if len(data) < header_len:
                raise TemplateError(
                    f"truncated: ANSI 378 record header with 6-byte length needs {header_len} bytes, got {len(data)}")
            (total,) = struct.unpack(">I", data[10:14])
        if total < header_len:
            raise TemplateError(f"record length field {total} is smaller than the {header_len}-byte header")
        if len(data) < total:
            raise TemplateError(f"truncated: header says {total} bytes, got {len(data)}")
        if len(data) > total:
            raise TemplateError(f"trailing data: header says {total} bytes, got {len(data)}")
        (_owner, _ptype, _equip, width, height, xres, yres, nviews, _res) = struct.unpack(
            ">HHHHHHHBB", data[header_len - 16:header_len])
        if nviews < 1:
            raise TemplateError("record has no finger view")
        if xres == 0 or yres == 0:
            raise TemplateError(f"invalid resolution {xres}x{yres} px/cm")
        sx = _PX_PER_CM_500PPI / xres if xres != _PX_PER_CM_500PPI else 1.0
        sy = _PX_PER_CM_500PPI / yres if yres != _PX_PER_CM_500PPI else 1.0
        pos = header_len
        first: tuple[list[Minutia], int, int] | None = None
        for view in range(nviews):
            if pos + _VIEW_HEADER_LEN > total:
                raise TemplateError(
                    f"truncated: finger view {view} header at byte {pos} runs past record end {total}")
            fpos, _view_imp, fquality, count = struct.unpack(">BBBB", data[pos:pos + 4])
            pos += _VIEW_HEADER_LEN
            end = pos + count * _MINUTIA_LEN
            if end + 2 > total:
                raise TemplateError(
                    f"truncated: finger view {view}: {count} minutiae plus extended-data length need "
                    f"{end + 2} bytes, record has {total}")
            if fpos > 10:
                raise TemplateError(f"finger view {view}: invalid finger position {fpos} (0..10)")
            if fquality > 100:
                raise TemplateError(f"finger view {view}: invalid finger quality {fquality} (0..100)")
            mins: list[Minutia] = []
            for i in range(count):
                tx, ry, a, q = struct.unpack(">HHBB", data[pos:pos + 6])
                pos += 6
                bits = tx >> 14
                if bits == 3:
                    raise TemplateError(f"finger view {view}, minutia {i}: invalid type bits 11")
                if a >= _ANSI_ANGLE_UNITS:
                    raise TemplateError(
                        f"finger view {view}, minutia {i}: angle {a} out of range 0..179 (2-degree units)")
                if q > 100:
                    raise TemplateError(f"finger view {view}, minutia {i}: invalid quality {q} (0..100)")
                mins.append(Minutia(
                    x=int(round((tx & 0x3FFF) * sx)), y=int(round((ry & 0x3FFF) * sy)),
                    angle=a * 2 * math.pi / _ANSI_ANGLE_UNITS, kind=_BITS_TO_KIND[bits], quality=q))
            (ext_len,) = struct.unpack(">H", data[pos:pos + 2])
            pos += 2
            if pos + ext_len > total:
                raise TemplateError(
                    f"truncated: finger view {view}: extended data of {ext_len} bytes at byte {pos} "
                    f"runs past record end {total}")
            pos += ext_len
            if first is None:
                first = (mins, fquality, fpos)
        if pos != total:
            raise TemplateError(f"record length {total} but its {nviews} finger view(s) end at byte {pos}")
        if first is None:   # nviews >= 1 was checked above, so the loop read one
            raise TemplateError("record has no finger view")
        mins, fquality, fpos = first
        return cls(width=int(round(width * sx)), height=int(round(height * sy)),
                   minutiae=mins, quality=fquality, finger_position=fpos)

    # ------------------------------------------------------------ either one
    @classmethod
    def from_bytes(cls, data: bytes) -> FingerprintTemplate:
        """Decode an ISO/IEC 19794-2:2005 or ANSI INCITS 378-2004 record, whichever it is."""
        data = _as_bytes(data)
        if detect_format(data) == ANSI_378:
            return cls.from_ansi378(data)
        return cls.from_iso(data)


def detect_format(data: bytes) -> str:
    """:data:`ISO_19794_2` or :data:`ANSI_378` for a minutiae record, from its header.

    Both formats start with ``FMR\0 20\0``.  ISO has a 4-byte record length at
    byte 8; ANSI a 2-byte one (at least 26), or 0 followed by a 4-byte length
    of at least 0x10000.  So bytes 8-9 >= 26 mean ANSI, 1..25 mean ISO (a
    length of 64 KiB or more), and when they are 0, bytes 10-11 decide: at
    least 24 is an ISO length below 64 KiB, less is the top half of a long
    ANSI length.  Raises :class:`TemplateError` when the data is neither.
    """
    data = _as_bytes(data)
    if len(data) < 12:
        raise TemplateError(
            f"truncated: need 12 bytes to tell ISO 19794-2 from ANSI 378, got {len(data)}")
    if data[:4] != _MAGIC:
        raise TemplateError(f"bad format identifier {data[:4]!r}, expected {_MAGIC!r}")
    if data[4:8] != _VERSION:
        raise TemplateError(f"unsupported version {data[4:8]!r}, expected {_VERSION!r} "
                            "(ISO/IEC 19794-2:2005 or ANSI INCITS 378-2004)")
    hi, lo = struct.unpack(">HH", data[8:12])
    if hi >= _ANSI_HEADER_LEN:
        return ANSI_378
    if hi > 0:
        return ISO_19794_2
    return ISO_19794_2 if lo >= _HEADER_LEN else ANSI_378


def _ansi_hint(data: bytes) -> str:
    try:
        return " (this looks like an ANSI INCITS 378 record: use from_ansi378 or from_bytes)" \
            if detect_format(data) == ANSI_378 else ""
    except TemplateError:
        return ""


def _as_bytes(data) -> bytes:
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TemplateError(f"expected bytes, got {type(data).__name__}")
    return bytes(data)


def _clamp(v: int, lo: int, hi: int) -> int:
    return max(lo, min(hi, int(v)))


def _extended_data(provenance: str) -> bytes:
    """The ISO extended data area: its length, then our provenance block if any."""
    if not provenance:
        return struct.pack(">H", 0)
    data = provenance.encode("ascii", "replace")[:_PROVENANCE_MAX]
    return struct.pack(">HHH", 4 + len(data), _PROVENANCE_BLOCK, len(data)) + data


def _provenance(area: bytes) -> str:
    """Our provenance block's text, if the extended data area holds one (others are skipped)."""
    pos = 0
    while pos + 4 <= len(area):
        kind, length = struct.unpack(">HH", area[pos:pos + 4])
        if kind == _PROVENANCE_BLOCK:
            return area[pos + 4:pos + 4 + length].decode("ascii", "replace")
        pos += 4 + length
    return ""
