"""Record framing checks done *before* handing bytes to nistitl.

Why this exists: ``nistitl.Message.parse`` (0.6) is a good field parser for
well-formed files but was not written for hostile input. On damaged bytes it
can loop forever (a binary record whose 4-byte length is 0 never advances the
offset), raise ``KeyError`` (record type not in its alias table),
``IndexError``/``struct.error``/``ValueError`` (short binary header, non-numeric
IDC) or report only the first, often misleading, symptom. Here we walk the
file the way the standard defines it -- Type-1 first, its 1.003 CNT listing
every following record, each record's own LEN -- and stop with
:class:`DecodeError` naming the record, field and reason. Only a buffer whose
framing is sound is given to nistitl.
"""
from __future__ import annotations

import re
import struct
from dataclasses import dataclass

from .model import DecodeError, Problem

FS, GS, RS, US = b"\x1c", b"\x1d", b"\x1e", b"\x1f"

# Record types defined by ANSI/NIST-ITL 1-2000 .. 1-2011 (and known to nistitl).
TAGGED_TYPES = frozenset({2, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 98, 99})
BINARY_TYPES = frozenset({3, 4, 5, 6, 7, 8})
# Minimum binary record lengths: LEN(4)+IDC(1)+fixed header
_BINARY_MIN_LEN = {3: 18, 4: 18, 5: 18, 6: 18, 7: 5, 8: 12}
_MAX_RECORDS = 1000

_RE_TYPE1 = re.compile(rb"1\.0*1:(\d{1,10})" + GS)
_RE_CNT = re.compile(rb"(?:^|" + GS + rb")1\.0*3:([^" + GS + FS + rb"]*)")

_MAGIC = (
    (b"\xff\xa0", "a bare WSQ image, not an ANSI/NIST transaction"),
    (b"\xff\xd8\xff", "a JPEG image, not an ANSI/NIST transaction"),
    (b"\x89PNG", "a PNG image, not an ANSI/NIST transaction"),
    (b"\x00\x00\x00\x0cjP  ", "a JPEG 2000 image, not an ANSI/NIST transaction"),
    (b"\xffO\xffQ", "a JPEG 2000 codestream, not an ANSI/NIST transaction"),
    (b"II*\x00", "a TIFF image, not an ANSI/NIST transaction"),
    (b"MM\x00*", "a TIFF image, not an ANSI/NIST transaction"),
    (b"%PDF", "a PDF document, not an ANSI/NIST transaction"),
    (b"PK\x03\x04", "a ZIP archive, not an ANSI/NIST transaction"),
    (b"<?xml", "an XML document (NIEM/XML EBTS is not supported), not a traditional-encoding ANSI/NIST transaction"),
)


def sniff(raw: bytes) -> str:
    """'ansi-nist' | 'wsq' | 'unknown' from the first bytes."""
    if not isinstance(raw, (bytes, bytearray, memoryview)):
        return "unknown"
    head = bytes(raw[:32])
    if _RE_TYPE1.match(head):
        return "ansi-nist"
    if head[:2] == b"\xff\xa0":
        return "wsq"
    return "unknown"


def describe_non_transaction(raw: bytes) -> str:
    """A clear reason why ``raw`` is not an ANSI/NIST transaction."""
    if len(raw) == 0:
        return "empty input (0 bytes)"
    head = bytes(raw[:16])
    for magic, what in _MAGIC:
        if head.startswith(magic):
            return what
    if head.startswith(b"1.") or head.startswith(b"1.0"):
        return "starts like a Type-1 record but has no valid '1.001:<length><GS>' header"
    return ("not an ANSI/NIST-ITL transaction: it must start with the Type-1 "
            f"length field '1.001:' (first bytes: {head[:12]!r})")


@dataclass
class RawRecord:
    type: int
    idc: int
    offset: int
    length: int


def _fail(record: str, field: str, reason: str) -> DecodeError:
    return DecodeError([Problem(record, field, reason)])


def _parse_cnt(type1: bytes) -> list[tuple[int, int]]:
    m = _RE_CNT.search(type1)
    if not m:
        raise _fail("Type-1", "1.003 CNT", "missing: the file content field is required to locate the records")
    entries: list[tuple[int, int]] = []
    for i, sub in enumerate(m.group(1).split(RS)):
        items = sub.split(US)
        if len(items) != 2 or not all(x.strip().isdigit() for x in items):
            raise _fail("Type-1", "1.003 CNT",
                        f"subfield {i + 1} is {sub[:30].decode('latin-1')!r}, expected '<record type><US><IDC>'")
        entries.append((int(items[0]), int(items[1])))
    if not entries or entries[0][0] != 1:
        raise _fail("Type-1", "1.003 CNT", "first subfield must describe the Type-1 record ('1<US><count>')")
    declared = entries[0][1]
    if declared != len(entries) - 1:
        raise _fail("Type-1", "1.003 CNT",
                    f"first subfield announces {declared} further record(s) but {len(entries) - 1} are listed")
    if len(entries) - 1 > _MAX_RECORDS:
        raise _fail("Type-1", "1.003 CNT",
                    f"{len(entries) - 1} records listed; more than {_MAX_RECORDS} is not plausible")
    return entries[1:]


def scan(raw: bytes) -> list[RawRecord]:
    """Check the framing of ``raw``; return the records (Type-1 first).

    Raises :class:`DecodeError` with the first framing problem found (after a
    framing error the rest of the file cannot be located reliably).
    """
    n = len(raw)
    if n == 0:
        raise _fail("file", "-", "empty input (0 bytes)")
    m = _RE_TYPE1.match(raw)
    if not m:
        raise _fail("file", "-", describe_non_transaction(raw))
    length = int(m.group(1))
    if length < m.end() + 1:
        raise _fail("Type-1", "1.001 LEN", f"declared length {length} is shorter than the record header")
    if length > n:
        raise _fail("Type-1", "1.001 LEN",
                    f"declared length {length} but only {n} bytes present (file truncated?)")
    if raw[length - 1:length] != FS:
        raise _fail("Type-1", "1.001 LEN",
                    f"byte {length} (end of the declared length) is not the FS record separator")
    type1 = raw[:length - 1]
    if FS in type1:
        raise _fail("Type-1", "1.001 LEN", "an FS separator occurs before the declared end of the record")
    records = [RawRecord(1, 0, 0, length)]
    entries = _parse_cnt(type1)
    offset = length
    for k, (rtype, idc) in enumerate(entries, start=1):
        where = f"record {k + 1} of {len(entries) + 1} (CNT lists Type-{rtype} IDC {idc}) at byte {offset}"
        rec = f"Type-{rtype}"
        if offset >= n:
            raise _fail(rec, f"{rtype}.001 LEN",
                        f"{where}: file ends before this record (truncated: {len(entries) - k + 1} record(s) missing)")
        if rtype in TAGGED_TYPES:
            mt = re.compile(rb"(\d{1,2})\.0*1:(\d{1,10})" + GS).match(raw, offset)
            if not mt:
                if re.compile(rb"(\d{1,2})\.0*1:").match(raw, offset) or n - offset < 8:
                    raise _fail(rec, f"{rtype}.001 LEN", f"{where}: no complete '{rtype}.001:<length>' field")
                raise _fail(rec, f"{rtype}.001 LEN", f"{where}: expected a tagged record starting '{rtype}.001:'")
            if int(mt.group(1)) != rtype:
                raise _fail(rec, f"{rtype}.001 LEN",
                            f"{where}: found a Type-{int(mt.group(1))} record instead (CNT and content disagree)")
            rlen = int(mt.group(2))
            if rlen < mt.end() - offset + 1:
                raise _fail(rec, f"{rtype}.001 LEN", f"{where}: declared length {rlen} is shorter than its header")
            if offset + rlen > n:
                raise _fail(rec, f"{rtype}.001 LEN",
                            f"{where}: declared length {rlen} but only {n - offset} bytes left (file truncated?)")
            if raw[offset + rlen - 1:offset + rlen] != FS:
                raise _fail(rec, f"{rtype}.001 LEN",
                            f"{where}: the byte at the declared end (length {rlen}) is not the FS record separator")
            body = raw[offset:offset + rlen]
            mi = re.compile(GS + rb"\d{1,2}\.0*2:([^" + GS + FS + rb"]*)").search(body)
            if mi is None or not mi.group(1).strip().isdigit():
                raise _fail(rec, f"{rtype}.002 IDC", f"{where}: missing or non-numeric IDC")
            if int(mi.group(1)) != idc:
                raise _fail(rec, f"{rtype}.002 IDC",
                            f"{where}: IDC {int(mi.group(1))} does not match the CNT entry ({idc})")
        elif rtype in BINARY_TYPES:
            if n - offset < 5:
                raise _fail(rec, f"{rtype}.001 LEN", f"{where}: binary record header cut short (truncated)")
            rlen, ridc = struct.unpack(">IB", raw[offset:offset + 5])
            if rlen < _BINARY_MIN_LEN[rtype]:
                raise _fail(rec, f"{rtype}.001 LEN",
                            f"{where}: binary record length {rlen} is less than its "
                            f"{_BINARY_MIN_LEN[rtype]}-byte header")
            if offset + rlen > n:
                raise _fail(rec, f"{rtype}.001 LEN",
                            f"{where}: declared length {rlen} but only {n - offset} bytes left (file truncated?)")
            if ridc != idc:
                raise _fail(rec, f"{rtype}.002 IDC", f"{where}: IDC {ridc} does not match the CNT entry ({idc})")
        elif rtype == 1:
            raise _fail("Type-1", "1.003 CNT", f"{where}: a second Type-1 record is not allowed")
        else:
            raise _fail(rec, "1.003 CNT", f"{where}: record type {rtype} is not defined by ANSI/NIST-ITL")
        records.append(RawRecord(rtype, idc, offset, rlen))
        offset += rlen
    if offset < n:
        extra = n - offset
        raise _fail("file", "1.003 CNT",
                    f"{extra} unexpected byte(s) after the last record listed in CNT (starting at byte {offset})")
    return records
