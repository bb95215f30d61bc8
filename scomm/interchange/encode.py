"""Build EBTS transactions with nistitl: a CAR submission and the responses.

Tag choices (see also :data:`RESPONSE_TAGS`):

* CAR Type-2 follows EBTS 9.1: 2.005 RET, 2.018 NAM ("LAST,FIRST MIDDLE"),
  2.020 POB, 2.022 DOB, 2.024 SEX, 2.025 RAC, 2.027 HGT, 2.029 WGT, 2.031 EYE,
  2.032 HAI, 2.045 DOA, 2.047 ASL, 2.073 CRI. HGT/WGT/EYE/HAI default to the
  EBTS "unknown" values 000/000/XXX/XXX when not given.
* Charges: EBTS 9.1 has no Type-2 field for an NCIC offence code in a CAR,
  so each charge is one 2.047 ASL subfield ``DOO<US>AOL`` whose AOL literal
  starts with the 4-digit NCIC code: ``20240101<US>1313 SIMPLE ASSAULT``.
  :func:`scomm.interchange.decode` splits it back into ``Charge``.
* Fingers: one Type-14 (default, ANSI/NIST-ITL 2007+) or Type-4 record per
  finger, WSQ-compressed, IMP 1 (live-scan rolled), FGP = finger position.
* Responses (Type-1 + Type-2). SRE, ERRT follow EBTS 9.1: 2.014 FBI (the
  UCN/FBI number), 2.018 NAM, 2.059 SRF, 2.060 MSG (one subfield per
  message, at most 11 of at most 300 characters), 2.073 CRI, 2.075 ERS
  (rap sheet text). IDR and IAR are DHS messages, not EBTS; their own fields
  use the Type-2 range 2.900-2.929, which EBTS 9.1 does not define.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date as Date

import nistitl
import numpy as np

from . import ebts_rules as R
from .images import encode_wsq, pack_type4
from .model import Charge, FingerImage

_SEPARATORS = ("\x1c", "\x1d", "\x1e", "\x1f")

# kind -> {field key -> Type-2 tag}. Any key written "2.NNN" is used as the tag itself.
_COMMON = {"ucn": "2.014", "fbi": "2.014", "sid": "2.015", "name": "2.018", "atn": "2.006",
           "msg": "2.060", "cri": "2.073"}
RESPONSE_TAGS: dict[str, dict[str, str]] = {
    # Submission Results - Electronic (EBTS 9.1)
    "SRE": {**_COMMON, "srf": "2.059", "rap_sheet": "2.075", "dob": "2.022",
            "identified": "2.059", "ers": "2.075", "rapsheet": "2.075"},
    # Tenprint Transaction Error (EBTS 9.1)
    "ERRT": {**_COMMON},
    # IDENT Data Response (DHS; user-defined 2.9xx range)
    "IDR": {**_COMMON, "dob": "2.022", "pob": "2.020", "ident_match": "2.901", "fin": "2.902",
            "encounters": "2.903", "immigration_status": "2.904", "a_number": "2.910", "match": "2.901",
            "status": "2.904"},
    # Immigration Alien Response (DHS ICE LESC; user-defined 2.9xx range)
    "IAR": {**_COMMON, "dob": "2.022", "pob": "2.020", "fin": "2.902", "a_number": "2.910",
            "immigration_status": "2.911", "lesc_case": "2.912", "narrative": "2.913",
            "field_office": "2.914", "detainer": "2.915", "removable": "2.916", "charge": "2.917",
            "reasons": "2.918", "status": "2.911"},
}
# Fields whose text is split on newlines into one subfield per line.
_MULTI = {"2.060", "2.903", "2.913"}


def _text(name: str, value) -> str:
    if value is None:
        return ""
    s = str(value)
    for sep in _SEPARATORS:
        if sep in s:
            raise ValueError(f"{name}: contains an ANSI/NIST separator character ({sep!r})")
    try:
        s.encode("latin-1")
    except UnicodeEncodeError as exc:
        raise ValueError(f"{name}: not representable in the ANSI/NIST 7/8-bit character set: {s!r}") from exc
    return s


def _ymd(name: str, d) -> str:
    if not isinstance(d, Date):
        raise ValueError(f"{name}: expected a date, got {type(d).__name__}")
    return f"{d.year:04d}{d.month:02d}{d.day:02d}"


def _type1(*, version: str, tot: str, dat: Date, dai: str, ori: str, tcn: str,
           tcr: str | None = None, resolution: str = "19.69", priority: str | None = "4") -> nistitl.Message:
    msg = nistitl.Message()
    r1 = msg[0]
    r1.VER = _text("version", version)
    r1.TOT = _text("tot", tot)
    r1.DAT = _ymd("date", dat)
    if priority:
        r1.PRY = priority
    r1.DAI = _text("dai", dai)
    r1.ORI = _text("ori", ori)
    r1.TCN = _text("tcn", tcn)
    if tcr:
        r1.TCR = _text("tcr", tcr)
    r1.NSR = resolution
    r1.NTR = resolution
    r1.DOM = "NORAM"
    return msg


def _type2() -> nistitl.AsciiRecord:
    r2 = nistitl.AsciiRecord(2)
    r2.IDC = "00"
    return r2


def _set(rec: nistitl.AsciiRecord, tag: str, value) -> None:
    rtype, _, num = tag.partition(".")
    f = nistitl.Field(int(rtype), int(num), value)
    del rec[int(num)]
    rec += f


def encode_car(*, tcn: str, ori: str, dai: str, date: Date, name: str, dob: Date, sex: str, race: str,
               pob: str, arrest_date: Date, charges: list[Charge], fingers: dict[int, np.ndarray],
               ppi: int = 500, record_type: int = 14, version: str = "0500",
               height: str = "000", weight: str = "000", eyes: str = "XXX", hair: str = "XXX",
               retain: str = "Y", cri: str | None = None,
               compressed: dict[int, bytes] | None = None) -> bytes:
    """An EBTS criminal tenprint submission (TOT=CAR).

    Values are written as given (so tests can build faulty submissions);
    only things that would break the file structure are refused with
    ValueError (separator characters, bad finger positions or pixel arrays).
    ``compressed`` gives fingers already WSQ-encoded (from these pixels), to
    write many bookings of the same prints without encoding them again.
    """
    if record_type not in (4, 14):
        raise ValueError("record_type must be 4 or 14")
    if record_type == 4 and ppi != 500:
        raise ValueError("Type-4 records carry 500 ppi images only (ISR 0); use record_type=14")
    if len(charges) > R.ASL_MAX_OCCURRENCES:
        raise ValueError(f"at most {R.ASL_MAX_OCCURRENCES} charges fit in 2.047 ASL")
    for pos in fingers:
        if not isinstance(pos, int) or not 1 <= pos <= 10:
            raise ValueError(f"finger position must be 1..10, got {pos!r}")

    msg = _type1(version=version, tot="CAR", dat=date, dai=dai, ori=ori, tcn=tcn,
                 resolution=f"{ppi / 25.4:05.2f}")
    r2 = _type2()
    _set(r2, "2.005", _text("retain", retain))
    _set(r2, "2.018", _text("name", name))
    _set(r2, "2.020", _text("pob", pob))
    _set(r2, "2.022", _ymd("dob", dob))
    _set(r2, "2.024", _text("sex", sex))
    _set(r2, "2.025", _text("race", race))
    _set(r2, "2.027", _text("height", height))
    _set(r2, "2.029", _text("weight", weight))
    _set(r2, "2.031", _text("eyes", eyes))
    _set(r2, "2.032", _text("hair", hair))
    _set(r2, "2.045", _ymd("arrest_date", arrest_date))
    if charges:
        asl = []
        for i, ch in enumerate(charges, start=1):
            doo = _ymd(f"charge {i} offense_date", ch.offense_date) if ch.offense_date else ""
            aol = " ".join(x for x in (_text(f"charge {i} ncic", ch.ncic).strip(),
                                        _text(f"charge {i} literal", ch.literal).strip()) if x)
            asl.append([doo, aol[:R.AOL_MAX_LEN]])
        _set(r2, "2.047", asl)
    _set(r2, "2.073", _text("cri", cri if cri is not None else ori))
    msg += r2

    for idc, pos in enumerate(sorted(fingers), start=1):
        px = np.asarray(fingers[pos])
        data = compressed[pos] if compressed and pos in compressed else encode_wsq(px)
        h, w = px.shape
        if record_type == 4:
            rec = nistitl.BinaryRecord(4)
            rec.IDC = idc
            rec.value = pack_type4(FingerImage(position=pos, impression_type=R.IMP_LIVE_ROLLED, compression="WSQ",
                                               width=w, height=h, ppi=float(ppi), data=data,
                                               record_type=4, idc=idc))
        else:
            rec = nistitl.AsciiRecord(14)
            rec.IDC = f"{idc:02d}"
            for tag, value in (("14.003", str(R.IMP_LIVE_ROLLED)), ("14.004", _text("ori", ori)),
                               ("14.005", _ymd("date", date)), ("14.006", str(w)), ("14.007", str(h)),
                               ("14.008", "1"), ("14.009", str(ppi)), ("14.010", str(ppi)),
                               ("14.011", "WSQ20"), ("14.012", "8"), ("14.013", str(pos))):
                _set(rec, tag, value)
            rec.DATA = data
        msg += rec
    return msg.NIST


def encode_response(kind: str, *, tcn: str, tcr: str, ori: str, dai: str, date: Date,
                    fields: Mapping[str, str | Sequence[str]]) -> bytes:
    """A Type-1 + Type-2 response: SRE, ERRT (FBI, EBTS) or IDR, IAR (DHS).

    ``fields`` keys are the names in :data:`RESPONSE_TAGS` [kind] (e.g. "ucn",
    "rap_sheet", "msg"; case-insensitive) or explicit Type-2 tags ("2.075"). Values are text;
    for 2.060 MSG, 2.903 and 2.913 each line becomes its own subfield, and a
    list of strings is accepted too. SRE defaults SRF to "I" when a UCN is
    given (else "N") and CRI to ``dai``.
    """
    kind = kind.upper()
    if kind not in RESPONSE_TAGS:
        raise ValueError(f"kind must be one of {sorted(RESPONSE_TAGS)}, got {kind!r}")
    table = RESPONSE_TAGS[kind]
    values: dict[str, str | Sequence[str]] = {}
    for key, value in fields.items():
        tag = key if key[:2] == "2." and key[2:].isdigit() else table.get(key.lower())
        if tag is None:
            raise ValueError(f"{kind}: unknown field {key!r}; use one of {sorted(table)} or a '2.NNN' tag")
        num = int(tag[2:])
        if num in (1, 2):
            raise ValueError(f"{kind}: {tag} is set by the encoder")
        values[f"2.{num:03d}"] = value
    if kind == "SRE":
        values.setdefault("2.059", "I" if values.get("2.014") else "N")
        values.setdefault("2.073", dai)
    if kind == "ERRT" and not values.get("2.060"):
        values["2.060"] = "UNSPECIFIED ERROR"     # 2.060 MSG is mandatory in an ERRT

    msg = _type1(version="0500", tot=kind, dat=date, dai=dai, ori=ori, tcn=tcn, tcr=tcr,
                 resolution="00.00", priority=None)
    r2 = _type2()
    for tag in sorted(values, key=lambda t: int(t[2:])):
        value = values[tag]
        if isinstance(value, str):
            text = _text(tag, value)
            lines = text.splitlines() if tag in _MULTI else [text]
        else:
            lines = [_text(tag, v) for v in value]
        lines = [ln for ln in lines if ln.strip()] or [""]
        if tag == "2.060":
            lines = [ln[:R.MSG_MAX_LEN] for ln in lines]
            if len(lines) > R.MSG_MAX_OCCURRENCES:
                rest = len(lines) - (R.MSG_MAX_OCCURRENCES - 1)
                lines = lines[:R.MSG_MAX_OCCURRENCES - 1] + [f"... and {rest} more problem(s)"]
        if len(lines) == 1:
            _set(r2, tag, lines[0])
        else:
            _set(r2, tag, lines)
    msg += r2
    return msg.NIST


def response_fields(tx) -> dict[str, str]:
    """Inverse of :func:`encode_response`'s naming: field key -> text (lines joined by newline)."""
    table = RESPONSE_TAGS.get(tx.tot, {})
    names: dict[str, str] = {}
    for key, tag in table.items():
        names.setdefault(tag, key)          # first name listed wins ("ucn" over "fbi")
    out: dict[str, str] = {}
    for tag, subfields in tx.field_items.items():
        if not tag.startswith("2.") or tag in ("2.001", "2.002"):
            continue
        out[names.get(tag, tag)] = "\n".join("^".join(items) for items in subfields)
    return out
