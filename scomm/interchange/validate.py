"""Intake rules for a criminal tenprint submission (EBTS TOT=CAR).

Every problem is reported, not just the first. Mandatory fields and code
tables come from :mod:`.ebts_rules` (copied from FBI EBTS 9.1); the rest are
scomm's own intake checks (dates against ``today``, known ORI, NCIC code,
finger count and image quality).
"""
from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import date

from . import ebts_rules as R
from .decode import parse_date
from .images import BLANK_STD, blankness, decode_finger_pixels, wsq_dimensions
from .model import Problem, Transaction

# Scanning resolution accepted for a finger image: EBTS's 500 ppi class (19.69 ppmm) up to its
# 1000 ppi class (39.37 ppmm), each with a 1% tolerance.
FINGER_PPI_MIN, FINGER_PPI_MAX = 495.0, 1010.0
# Largest physical image side (inches) per finger position. ANSI/NIST-ITL's table of maximum
# sizes gives about 1.6 x 1.5 in for a rolled finger and 3.2 x 3.0 in for a four-finger slap;
# this is widened (old card scans such as NBIS' nbis-valid1.14 hold a 1.6 x 2.3 in finger) and
# only stops images that cannot be one finger: finger extraction's time grows with the area,
# and a 1.6 MB file of ten 1600 x 1500 px "fingers" at 500 ppi took half a minute.
MAX_FINGER_INCHES = 2.5        # positions 0-12: one finger or thumb
MAX_SLAP_INCHES = 3.5          # 13-15 (and invalid positions): four fingers, two thumbs

_CHARSETS = {
    "N": r"[0-9]", "A": r"[A-Za-z]", "AN": r"[A-Za-z0-9]", "AS": r"[A-Za-z ,\-]",
    "NS": r"[0-9.]", "ANS": r"[\x20-\x7e\t\r\n]",
}


def _shown(value: str, limit: int = 48) -> str:
    """A field's value for an error message: quoted, and cut short if long."""
    return repr(value) if len(value) <= limit else repr(value[:limit]) + f"... ({len(value)} characters)"


def _pixel_size(im) -> tuple[int, int] | None:
    """(width, height) read from the image's own header without decoding it; None when the
    header cannot be read (decoding then reports why)."""
    try:
        comp = (im.compression or "").upper()
        if comp == "WSQ":
            return wsq_dimensions(im.data or b"")
        if comp == "NONE":
            return im.width, im.height
        if comp in ("JPEG", "JPEG2000", "PNG"):
            from PIL import Image
            with Image.open(io.BytesIO(im.data or b"")) as pil:   # reads the header only
                return pil.size
    except Exception:  # noqa: BLE001 -- the codecs raise anything; the decoder will name it
        return None
    return None


def _too_large(im) -> str | None:
    """Why the image cannot be one finger record's image at its resolution, or None."""
    size = _pixel_size(im)
    if size is None:
        return None
    ppi = im.ppi if im.ppi and FINGER_PPI_MIN <= im.ppi <= FINGER_PPI_MAX else 500.0
    limit = MAX_FINGER_INCHES if 0 <= im.position <= 12 else MAX_SLAP_INCHES
    w, h = size
    if max(w, h) <= limit * ppi:
        return None
    return (f"image is {w}x{h} px, {w / ppi:.1f} x {h / ppi:.1f} in at {ppi:g} ppi; an image of finger "
            f"position {im.position} is at most {limit:g} in on a side (not decoded)")


def _rec(tag: str) -> str:
    return f"Type-{tag.split('.')[0]}"


def _finger(pos: int) -> str:
    return f"finger {pos} ({R.FINGER_NAMES.get(pos, 'invalid position')})"


def _check_date(tx: Transaction, tag: str, label: str, problems: list[Problem],
                allow_unknown: bool = False) -> date | None:
    raw = tx.raw_fields.get(tag)
    if raw is None or raw == "":
        return None                           # absence is reported by the mandatory check
    value = raw.split("|")[0]
    if allow_unknown and value == "00000000":
        return None
    d = parse_date(value)
    if d is None:
        problems.append(Problem(_rec(tag), f"{tag} {label}", f"not a valid date (CCYYMMDD): {value}"))
    return d


def _check_rule(tx: Transaction, rule: R.FieldRule, problems: list[Problem]) -> None:
    value = tx.raw_fields.get(rule.tag)
    if value is None or value.strip() == "":
        problems.append(Problem(_rec(rule.tag), rule.label,
                                f"missing: {rule.desc} is mandatory for a CAR (EBTS 9.1)"))
        return
    if rule.tag in ("1.001", "1.003", "1.005", "2.022", "2.045", "2.047", "2.073"):
        return                                # structured or repeatable; checked below / by the decoder
    n = len(value)
    if n < rule.min_len or (rule.max_len is not None and n > rule.max_len):
        want = f"{rule.min_len}" if rule.min_len == rule.max_len else \
            f"{rule.min_len}-{rule.max_len if rule.max_len is not None else 'any'}"
        problems.append(Problem(_rec(rule.tag), rule.label,
                                f"length {n} not allowed (EBTS 9.1: {want} characters): {_shown(value)}"))
        return
    table = R.CODE_TABLES.get(rule.tag)
    if table is not None:
        if value.upper() not in table:
            problems.append(Problem(_rec(rule.tag), rule.label,
                                    f"code {_shown(value)} is not in the EBTS table ({', '.join(table)})"))
        return
    cls = _CHARSETS.get(rule.chars)
    if cls and rule.tag != "2.027" and not re.fullmatch(f"{cls}+", value):
        problems.append(Problem(_rec(rule.tag), rule.label,
                                f"characters not allowed for type {rule.chars}: {_shown(value)}"))


def validate_car(tx: Transaction, *, known_ori: Callable[[str], bool], today: date,
                 min_fingers: int = 8) -> list[Problem]:
    """Every problem that stops ``tx`` being accepted as a criminal tenprint submission."""
    problems: list[Problem] = []

    # Transaction type
    if tx.tot != "CAR":
        what = f"{tx.tot!r}" if tx.tot else "missing"
        problems.append(Problem("Type-1", "1.004 TOT",
                                f"transaction type is {what}; only CAR (criminal tenprint submission) is accepted"))

    # Mandatory fields, lengths, code tables (EBTS 9.1 for CAR)
    for rule in R.CAR_TYPE1_MANDATORY + R.CAR_TYPE2_MANDATORY:
        _check_rule(tx, rule, problems)

    # ORI
    if tx.ori:
        try:
            ok = bool(known_ori(tx.ori))
        except Exception as exc:  # a broken registry must not hide the other problems
            problems.append(Problem("Type-1", "1.008 ORI", f"could not check ORI {tx.ori!r}: {exc}"))
        else:
            if not ok:
                problems.append(Problem("Type-1", "1.008 ORI",
                                        f"unknown originating agency {tx.ori!r} (not in the ORI registry)"))

    # Dates
    dat = _check_date(tx, "1.005", "DAT", problems)
    dob = _check_date(tx, "2.022", "DOB", problems, allow_unknown=True)
    doa = _check_date(tx, "2.045", "DOA", problems)
    if dat and dat > today:
        problems.append(Problem("Type-1", "1.005 DAT", f"transaction date {dat.isoformat()} is in the future"))
    if dob and dob > today:
        problems.append(Problem("Type-2", "2.022 DOB", f"date of birth {dob.isoformat()} is in the future"))
    if doa and doa > today:
        problems.append(Problem("Type-2", "2.045 DOA", f"arrest date {doa.isoformat()} is in the future"))
    if doa and dob and doa < dob:
        problems.append(Problem("Type-2", "2.045 DOA",
                                f"arrest date {doa.isoformat()} is before the date of birth {dob.isoformat()}"))

    # Charges (2.047 ASL: DOO US AOL; the NCIC code is the first word of AOL)
    asl = tx.field_items.get("2.047", [])
    if tx.raw_fields.get("2.047") and not tx.charges:
        problems.append(Problem("Type-2", "2.047 ASL", "no offence could be read from the arrest segment"))
    if len(asl) > R.ASL_MAX_OCCURRENCES:
        problems.append(Problem("Type-2", "2.047 ASL",
                                f"{len(asl)} charges; EBTS allows at most {R.ASL_MAX_OCCURRENCES}"))
    for i, ch in enumerate(tx.charges, start=1):
        if not ch.ncic:
            problems.append(Problem("Type-2", "2.047 ASL",
                                    f"charge {i}: no NCIC offence code (the offence literal must start with "
                                    f"a 4-digit NCIC code): {ch.literal[:60]!r}"))
        elif not re.fullmatch(r"\d{4}", ch.ncic):
            problems.append(Problem("Type-2", "2.047 ASL",
                                    f"charge {i}: invalid NCIC offence code {ch.ncic!r} (expected 4 digits)"))
        if ch.offense_date and ch.offense_date > today:
            problems.append(Problem("Type-2", "2.047 ASL",
                                    f"charge {i}: offence date {ch.offense_date.isoformat()} is in the future"))
    for i, sf in enumerate(asl, start=1):
        doo = sf[0].strip() if len(sf) >= 2 else ""
        if doo and parse_date(doo) is None:
            problems.append(Problem("Type-2", "2.047 ASL", f"charge {i}: offence date is not a valid date: {doo}"))

    # Finger images
    fingers = [im for im in tx.images if im.record_type in (4, 14)]
    if not fingers:
        problems.append(Problem("Type-4/14", "images",
                                "no fingerprint images (no Type-4 or Type-14 finger record)"))
    elif len(fingers) > R.MAX_FINGER_RECORDS:
        # Refused before any image is decoded: a file cannot make intake decode thousands.
        problems.append(Problem("Type-4/14", "images",
                                f"{len(fingers)} finger image records; a CAR carries at most "
                                f"{R.MAX_FINGER_RECORDS} (10 rolled and 4 plain impressions)"))
    else:
        positions = sorted({im.position for im in fingers if 1 <= im.position <= 10})
        if len(positions) < min_fingers:
            listed = ", ".join(str(p) for p in positions) or "none"
            rts = sorted({im.record_type for im in fingers})
            problems.append(Problem("/".join(f"Type-{t}" for t in rts), "FGP",
                                    f"only {len(positions)} distinct finger position(s) in 1..10 ({listed}); "
                                    f"at least {min_fingers} required"))
        for im in fingers:
            rec = f"Type-{im.record_type}"
            data_field = "4 image data" if im.record_type == 4 else "14.999 DATA"
            if not (0 <= im.position <= 15):
                problems.append(Problem(rec, f"{im.record_type}.{'004' if im.record_type == 4 else '013'} FGP",
                                        f"record IDC {im.idc}: invalid finger position {im.position}"))
            if im.ppi and not (FINGER_PPI_MIN <= im.ppi <= FINGER_PPI_MAX):   # 0.0: no scale given
                # Extraction resamples to 500 ppi: a declared 1 ppi would ask for a 500x larger image.
                src, label = (("14.009 THPS", "") if im.record_type == 14 else
                              ("4.005 ISR", " (ISR=1: the resolution is Type-1's 1.011 NSR)"))
                problems.append(Problem(rec, src, f"{_finger(im.position)}: scanning resolution {im.ppi:g} ppi{label} "
                                        f"is outside {FINGER_PPI_MIN:g}..{FINGER_PPI_MAX:g} ppi "
                                        f"(EBTS finger images are 500 or 1000 ppi, +-1%)"))
            too_large = _too_large(im)
            if too_large:
                problems.append(Problem(rec, data_field, f"{_finger(im.position)}: {too_large}"))
                continue
            try:
                px = decode_finger_pixels(im)
            except ValueError as exc:
                problems.append(Problem(rec, data_field, f"{_finger(im.position)}: {exc}"))
                continue
            h, w = px.shape
            if im.width and im.height and (w, h) != (im.width, im.height):
                problems.append(Problem(rec, data_field,
                                        f"{_finger(im.position)}: image is {w}x{h} but the record declares "
                                        f"{im.width}x{im.height}"))
            std = blankness(px)
            if std < BLANK_STD:
                problems.append(Problem(rec, data_field,
                                        f"{_finger(im.position)}: image is blank (near-uniform pixels, "
                                        f"grey-level std {std:.1f} < {BLANK_STD})"))
    return problems

