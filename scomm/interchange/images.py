"""Finger image records (Type-4, Type-14) and their pixels.

nistitl's ``BinaryRecord`` keeps a Type-4 record as LEN + IDC + opaque bytes,
so the fixed Type-4 header is unpacked here (ANSI/NIST-ITL 1-2011 s.8.4):

    LEN 4 | IDC 1 | IMP 1 | FGP 6 (unused = 255) | ISR 1 | HLL 2 | VLL 2 | GCA 1 | data

WSQ pixels come from the ``wsq`` package (IDEMIA's NBIS codec as a Pillow
plugin). The WSQ frame header is checked here first so that a damaged or
absurd header (say 65535 x 65535) is refused before the C decoder allocates
memory for it. The NBIS C decoder can still *segfault* on some corrupt WSQ
streams (found by the fuzz tests in tests/interchange), so WSQ is decoded in
a child process (``wsq_decoder``): a crash there becomes a ValueError naming the
image instead of killing scomm, and a decoder that does not answer in time is
``DecoderUnavailable`` (try again later), not a verdict on the file. Set
SCOMM_WSQ_IN_PROCESS=1 to decode in process (faster, for trusted input only).
"""
from __future__ import annotations

import atexit
import io
import os
import struct

import numpy as np
import wsq  # noqa: F401  (registers the "WSQ" Pillow plugin)
from PIL import Image

from .model import FingerImage
from .wsq_decoder import DecoderCrashed, DecoderProcess, DecoderUnavailable

__all__ = ["DecoderUnavailable", "decode_finger_pixels", "decode_wsq", "encode_wsq", "pil_gray",
           "wsq_dimensions"]

TYPE4_HEADER = struct.Struct(">B6sBHHB")   # IMP, FGP[6], ISR, HLL, VLL, GCA (after LEN+IDC)
TYPE4_GCA = {0: "NONE", 1: "WSQ"}
TYPE4_GCA_CODE = {"NONE": 0, "WSQ": 1}
# Type-13/14/15 CGA codes (ANSI/NIST-ITL Table 15), and the numeric codes of old files.
CGA_NAMES = {
    "NONE": "NONE", "WSQ20": "WSQ", "WSQ": "WSQ", "JPEGB": "JPEG", "JPEGL": "JPEG",
    "JP2": "JPEG2000", "JP2L": "JPEG2000", "PNG": "PNG", "0": "NONE", "1": "WSQ",
}
MAX_SIDE = 4000        # a 1000 ppi rolled finger is at most ~1600 x 1500 px
BLANK_STD = 8.0        # grey-level standard deviation under which an image is "blank"
MINIMUM_SCANNING_PPI = 500.0   # ISR = 0 (19.69 ppmm)


def unpack_type4(idc: int, value: bytes, nsr_ppi: float | None) -> FingerImage:
    """``value`` is nistitl's ``BinaryRecord.value`` (everything after IDC)."""
    if len(value) < TYPE4_HEADER.size:
        raise ValueError(f"Type-4 header needs {TYPE4_HEADER.size} bytes after IDC, got {len(value)}")
    imp, fgp, isr, hll, vll, gca = TYPE4_HEADER.unpack_from(value)
    positions = [b for b in fgp if b != 255]
    ppi = MINIMUM_SCANNING_PPI if isr == 0 else (nsr_ppi or 0.0)
    return FingerImage(
        position=positions[0] if positions else 0,
        impression_type=imp,
        compression=TYPE4_GCA.get(gca, f"GCA{gca}"),
        width=hll,
        height=vll,
        ppi=ppi,
        data=bytes(value[TYPE4_HEADER.size:]),
        record_type=4,
        idc=idc,
    )


def pack_type4(img: FingerImage) -> bytes:
    """Type-4 record body after LEN+IDC (for nistitl's ``BinaryRecord.value``)."""
    fgp = bytes([img.position]) + b"\xff" * 5
    isr = 0 if round(img.ppi) == 500 else 1
    return TYPE4_HEADER.pack(img.impression_type, fgp, isr, img.width, img.height,
                             TYPE4_GCA_CODE[img.compression]) + img.data


def wsq_dimensions(data: bytes) -> tuple[int, int]:
    """(width, height) from the WSQ SOF marker; ValueError if the header is bad."""
    if data[:2] != b"\xff\xa0":
        raise ValueError("not WSQ data (no SOI marker FFA0)")
    pos, n = 2, len(data)
    for _ in range(64):                       # a WSQ header has a handful of segments
        if pos + 4 > n:
            break
        marker = data[pos:pos + 2]
        seglen = int.from_bytes(data[pos + 2:pos + 4], "big")
        if marker == b"\xff\xa2":             # SOF: Lf A B Y X ...
            if pos + 10 > n:
                break
            height = int.from_bytes(data[pos + 6:pos + 8], "big")
            width = int.from_bytes(data[pos + 8:pos + 10], "big")
            if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE):
                raise ValueError(f"WSQ header declares an implausible size {width}x{height}")
            return width, height
        if marker[:1] != b"\xff" or marker[1:] not in (b"\xa3", b"\xa4", b"\xa5", b"\xa6", b"\xa7", b"\xa8") \
                or seglen < 2:
            raise ValueError(f"WSQ header damaged: unexpected marker {marker.hex()} at byte {pos}")
        pos += 2 + seglen
    raise ValueError("WSQ header damaged or truncated: no frame header (SOF marker FFA2)")


def decode_wsq(data: bytes) -> np.ndarray:
    """WSQ bytes to a uint8 H x W array, decoded in the isolated decoder; ValueError with why."""
    try:
        wsq_dimensions(data)
    except ValueError as exc:
        raise ValueError(f"WSQ image cannot be decoded: {exc}") from exc
    return _decode_wsq_isolated(data)


def pil_gray(data: bytes, what: str) -> np.ndarray:
    try:
        opened = Image.open(io.BytesIO(data))
        w, h = opened.size
        if not (0 < w <= MAX_SIDE and 0 < h <= MAX_SIDE):
            raise ValueError(f"implausible size {w}x{h}")
        opened.load()
        im = opened if opened.mode == "L" else opened.convert("L")
        return np.asarray(im, dtype=np.uint8).copy()
    except Exception as exc:  # the codecs raise bare Exception / OSError / SyntaxError
        raise ValueError(f"{what} image cannot be decoded: {exc}") from exc


_decoder = DecoderProcess(timeout_s=30.0)
atexit.register(_decoder.close)


def _decode_wsq_isolated(data: bytes) -> np.ndarray:
    if os.environ.get("SCOMM_WSQ_IN_PROCESS") == "1":
        return pil_gray(data, "WSQ")
    for attempt in range(2):          # a first death may have had another cause: once more
        try:
            return _decoder.decode(data)
        except DecoderCrashed:
            if attempt == 1:
                raise ValueError("WSQ image cannot be decoded: the WSQ decoder crashed on it "
                                 "(corrupt data)") from None
        except ValueError as exc:
            raise ValueError(str(exc)) from None
    raise AssertionError("unreachable")


def decode_finger_pixels(img: FingerImage) -> np.ndarray:
    """Decompress a finger image to a read-only uint8 H x W array (decoded once per record);
    ValueError with the reason."""
    if img.pixels is None:
        px = _decode(img)
        px.flags.writeable = False
        img.pixels = px
    return img.pixels


def _decode(img: FingerImage) -> np.ndarray:
    data = img.data or b""
    if not data:
        raise ValueError("no image data")
    comp = (img.compression or "").upper()
    if comp == "WSQ":
        return decode_wsq(data)
    if comp == "NONE":
        w, h = img.width, img.height
        if not (0 < w <= MAX_SIDE and 0 < h <= MAX_SIDE):
            raise ValueError(f"uncompressed image with implausible size {w}x{h}")
        if len(data) != w * h:
            raise ValueError(f"uncompressed {w}x{h} 8-bit image needs {w * h} bytes, record holds {len(data)}")
        return np.frombuffer(data, dtype=np.uint8).reshape(h, w).copy()
    if comp in ("JPEG", "JPEG2000", "PNG"):
        return pil_gray(data, comp)
    raise ValueError(f"unsupported compression {img.compression!r}")


def encode_wsq(pixels: np.ndarray) -> bytes:
    a = np.asarray(pixels)
    if a.ndim != 2:
        raise ValueError(f"finger image must be a 2-D grey array, got shape {a.shape}")
    if a.dtype != np.uint8:
        if a.size and (a.min() < 0 or a.max() > 255):
            raise ValueError("finger pixels must be in 0..255")
        a = a.astype(np.uint8)
    h, w = a.shape
    if not (16 <= w <= MAX_SIDE and 16 <= h <= MAX_SIDE):
        raise ValueError(f"finger image size {w}x{h} out of range 16..{MAX_SIDE}")
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(a), mode="L").save(buf, "WSQ")
    return buf.getvalue()


def blankness(pixels: np.ndarray) -> float:
    """Grey-level standard deviation (a ridge pattern is typically 30-80)."""
    return float(np.asarray(pixels, dtype=np.float32).std()) if pixels.size else 0.0
