"""Minutiae templates and the ISO/IEC 19794-2:2005 record format.

Angles are radians in ``[0, 2*pi)``, counter-clockwise from the x axis with the
image y axis pointing down (the ISO convention), so an angle of ``pi/2`` points
towards the top of the image.  Coordinates are pixels at 500 ppi.
"""
from __future__ import annotations

import math
import struct
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["Minutia", "FingerprintTemplate", "TemplateError"]

_MAGIC = b"FMR\x00"
_VERSION = b" 20\x00"
_HEADER_LEN = 24
_VIEW_HEADER_LEN = 4
_MINUTIA_LEN = 6
_PX_PER_CM_500PPI = 197  # 500 ppi = 196.85 px/cm
_KIND_TO_BITS = {"ending": 1, "bifurcation": 2}
_BITS_TO_KIND = {0: "ending", 1: "ending", 2: "bifurcation"}  # 0 = "other"


class TemplateError(ValueError):
    """A template record is malformed; the message says what is wrong."""


@dataclass
class Minutia:
    x: int
    y: int
    angle: float
    kind: Literal["ending", "bifurcation"] = "ending"
    quality: int = 0


@dataclass
class FingerprintTemplate:
    width: int
    height: int
    minutiae: list[Minutia]
    quality: int = 0
    finger_position: int = 0
    # matcher-side cache (cylinder codes); never serialised or compared
    _cache: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

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
        body += struct.pack(">H", 0)  # no extended data
        total = _HEADER_LEN + len(body)
        header = _MAGIC + _VERSION + struct.pack(
            ">IHHHHHBB", total, 0,
            _clamp(self.width, 0, 0xFFFF), _clamp(self.height, 0, 0xFFFF),
            _PX_PER_CM_500PPI, _PX_PER_CM_500PPI, 1, 0)
        return bytes(header + body)

    @classmethod
    def from_iso(cls, data: bytes) -> "FingerprintTemplate":
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
            raise TemplateError(f"truncated: header says {total} bytes, got {len(data)}")
        if len(data) > total:
            raise TemplateError(f"trailing data: header says {total} bytes, got {len(data)}")
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
                   minutiae=mins, quality=fquality, finger_position=fpos)


def _clamp(v: int, lo: int, hi: int) -> int:
    return max(lo, min(hi, int(v)))
