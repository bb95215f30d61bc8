"""bytes -> :class:`Transaction`.

Layering: :mod:`.framing` proves the record structure sound, nistitl parses
the tagged fields (both '1.04' and '1.004' tag styles), and this module
unpacks what nistitl leaves opaque (the Type-4 header) and maps fields onto
the :class:`Transaction` model. Field *content* problems (bad dates, missing
fields) are not decode errors: they are reported by ``validate_car``.
"""
from __future__ import annotations

import math
import re
import struct
import warnings
from datetime import date

import nistitl

from . import framing
from .images import CGA_NAMES, unpack_type4
from .model import Charge, DecodeError, FingerImage, Problem, Transaction

_NISTITL_ERRORS = (nistitl.NistException, ValueError, IndexError, KeyError, TypeError,
                   struct.error, UnicodeError, AttributeError, RecursionError)


def parse_date(value: str | None) -> date | None:
    """CCYYMMDD -> date, None if absent or not a valid date."""
    if not value or not re.fullmatch(r"\d{8}", value):
        return None
    try:
        return date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        return None


def items_of(value) -> list[list[str]]:
    """nistitl field value (str | list[str | list[str]]) -> subfields of items."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        out = []
        for sf in value:
            if isinstance(sf, (list, tuple)):
                out.append([str(x) for x in sf])
            else:
                out.append([str(sf)])
        return out
    return [[str(value)]]


def display(subfields: list[list[str]]) -> str:
    return "|".join("^".join(items) for items in subfields)


def _first(fields: dict, tag: str) -> str | None:
    sfs = fields.get(tag)
    if not sfs or not sfs[0]:
        return None
    v = sfs[0][0].strip()
    return v or None


def _int(v, default: int = 0) -> int:
    try:
        return int(str(v).strip())
    except (TypeError, ValueError):
        return default


def _text_fields(record) -> dict[str, list[list[str]]]:
    out: dict[str, list[list[str]]] = {}
    for f in record._fields:  # nistitl keeps fields in parse order
        if isinstance(f, nistitl.BinaryField):
            continue
        out[f"{record.type}.{f.tag:03d}"] = items_of(f.value)
    return out


_RE_TAG = re.compile(rb"(\d{1,3})\.(\d{1,4}):")


def image_data(body: bytes, rtype: int) -> bytes:
    """The binary DATA (n.999) of a tagged image record, from its raw bytes.

    nistitl takes everything after the first "999:" it meets, which is wrong
    when a text field before DATA holds those characters, and for files (such
    as NBIS' nbis-valid1.16) that repeat the 999 tag with short text values
    before the real one. Here fields are walked from the start; DATA is the
    first 999 field that is not itself followed by another 999 tag.
    """
    pos, end = 0, len(body) - 1          # body ends with FS
    while pos < end:
        m = _RE_TAG.match(body, pos)
        if not m:
            return b""
        start = m.end()
        if int(m.group(2)) == 999:
            nxt = body.find(framing.GS, start, end)
            if nxt >= 0:
                m2 = _RE_TAG.match(body, nxt + 1)
                if m2 and int(m2.group(1)) == rtype and int(m2.group(2)) == 999 \
                        and framing.FS not in body[start:nxt]:
                    pos = nxt + 1
                    continue
            return body[start:end]
        nxt = body.find(framing.GS, start, end)
        if nxt < 0:
            return b""
        pos = nxt + 1
    return b""


def _ppmm_to_ppi(nsr: str | None) -> float | None:
    """1.011 NSR (pixels per millimetre, '19.69') -> ppi; None if absent or not a finite number."""
    try:
        ppi = float(nsr) * 25.4 if nsr else None
    except ValueError:
        return None
    return float(round(ppi)) if ppi is not None and math.isfinite(ppi) else None


def _type14_ppi(slc: int, thps: int) -> float:
    """14.008 SLC + 14.009 THPS -> ppi (0.0 when no scale is given). A THPS too large for a
    float gives inf; validation reports any implausible resolution with its field."""
    try:
        return float(thps) if slc == 1 else round(thps * 2.54, 1) if slc == 2 else 0.0
    except OverflowError:
        return math.inf


def _type14(record, fields: dict[str, list[list[str]]], data: bytes) -> FingerImage:
    def get(n: int) -> str:
        return _first(fields, f"14.{n:03d}") or ""
    ppi = _type14_ppi(_int(get(8)), _int(get(9)))
    cga = get(11).upper()
    positions = [_int(sf[0], -1) for sf in fields.get("14.013", []) if sf and sf[0].strip()]
    return FingerImage(
        position=positions[0] if positions and positions[0] >= 0 else 0,
        impression_type=_int(get(3), -1),
        compression=CGA_NAMES.get(cga, cga or "UNKNOWN"),
        width=_int(get(6)),
        height=_int(get(7)),
        ppi=ppi,
        data=data,
        record_type=14,
        idc=_int(record.IDC),
    )


def _charges(fields: dict[str, list[list[str]]]) -> list[Charge]:
    """2.047 ASL: DOO US AOL per subfield; NCIC code = first word of AOL if numeric."""
    out = []
    for sf in fields.get("2.047", []):
        if len(sf) >= 2:
            doo, aol = sf[0].strip(), _join(sf[1:]).strip()
        else:
            doo, aol = "", sf[0].strip() if sf else ""
        if not doo and not aol:
            continue
        word, _, rest = aol.partition(" ")
        if word.isdigit():
            ncic, literal = word, rest.strip()
        else:
            ncic, literal = "", aol
        out.append(Charge(ncic=ncic, literal=literal, offense_date=parse_date(doo)))
    return out


def _join(items: list[str]) -> str:
    return " ".join(items)


def _decode_unguarded(raw: bytes) -> Transaction:
    if not isinstance(raw, (bytes, bytearray, memoryview)):
        raise DecodeError([Problem("file", "-", f"expected bytes, got {type(raw).__name__}")])
    raw = bytes(raw)
    frames = framing.scan(raw)            # raises DecodeError on bad framing
    msg = nistitl.Message()
    try:
        with warnings.catch_warnings():   # nistitl warns on legacy Type-3/5/6 records
            warnings.simplefilter("ignore", DeprecationWarning)
            msg.parse(raw)
    except _NISTITL_ERRORS as exc:
        raise DecodeError([Problem("file", "-", f"ANSI/NIST field syntax error (nistitl): {exc}")]) from exc

    records = list(msg)
    if [r.type for r in records] != [f.type for f in frames]:
        raise DecodeError([Problem("file", "1.003 CNT", "records found by nistitl do not match the CNT listing")])
    t1 = _text_fields(records[0])
    t2: dict[str, list[list[str]]] = {}
    images: list[FingerImage] = []
    nsr_ppi = _ppmm_to_ppi(_first(t1, "1.011"))
    for r, fr in zip(records[1:], frames[1:]):
        if r.type == 2 and not t2:
            t2 = _text_fields(r)
        elif r.type == 4:
            try:
                images.append(unpack_type4(_int(r.IDC), r.value, nsr_ppi))
            except (ValueError, struct.error) as exc:
                raise DecodeError([Problem("Type-4", "4.001 LEN", str(exc))]) from exc
        elif r.type == 14:
            body = raw[fr.offset:fr.offset + fr.length]
            images.append(_type14(r, _text_fields(r), image_data(body, 14)))

    fields = {**t1, **t2}
    dob_raw = _first(t2, "2.022")
    return Transaction(
        version=_first(t1, "1.002") or "",
        tot=(_first(t1, "1.004") or "").upper(),
        tcn=_first(t1, "1.009") or "",
        ori=_first(t1, "1.008") or "",
        dai=_first(t1, "1.007") or "",
        date=parse_date(_first(t1, "1.005")),
        name=_first(t2, "2.018"),
        dob=parse_date(dob_raw),
        sex=_first(t2, "2.024"),
        race=_first(t2, "2.025"),
        pob=_first(t2, "2.020"),
        arrest_date=parse_date(_first(t2, "2.045")),
        charges=_charges(t2),
        images=images,
        record_types=[r.type for r in records],
        raw_fields={k: display(v) for k, v in fields.items()},
        tcr=_first(t1, "1.010") or "",
        field_items=fields,
    )


def decode(raw: bytes) -> Transaction:
    """Parse an ANSI/NIST-ITL transaction. Raises only :class:`DecodeError`."""
    try:
        return _decode_unguarded(raw)
    except DecodeError:
        raise
    except Exception as exc:  # safety net; the tests fuzz _decode_unguarded without it
        raise DecodeError([Problem("file", "-", f"unreadable transaction ({type(exc).__name__}: {exc})")]) from exc
