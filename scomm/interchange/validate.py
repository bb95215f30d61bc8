"""Intake rules for a criminal tenprint submission (EBTS TOT=CAR).

Every problem is reported, not just the first. Mandatory fields and code
tables come from :mod:`.ebts_rules` (copied from FBI EBTS 9.1); the rest are
scomm's own intake checks (dates against ``today``, known ORI, NCIC code,
finger count and image quality).
"""
from __future__ import annotations

import re
from datetime import date
from typing import Callable

from . import ebts_rules as R
from .decode import parse_date
from .images import BLANK_STD, blankness, decode_finger_pixels
from .model import Problem, Transaction

_CHARSETS = {
    "N": r"[0-9]", "A": r"[A-Za-z]", "AN": r"[A-Za-z0-9]", "AS": r"[A-Za-z ,\-]",
    "NS": r"[0-9.]", "ANS": r"[\x20-\x7e\t\r\n]",
}


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
                                f"length {n} not allowed (EBTS 9.1: {want} characters): {value!r}"))
        return
    table = R.CODE_TABLES.get(rule.tag)
    if table is not None:
        if value.upper() not in table:
            problems.append(Problem(_rec(rule.tag), rule.label,
                                    f"code {value!r} is not in the EBTS table ({', '.join(table)})"))
        return
    cls = _CHARSETS.get(rule.chars)
    if cls and rule.tag != "2.027" and not re.fullmatch(f"{cls}+", value):
        problems.append(Problem(_rec(rule.tag), rule.label,
                                f"characters not allowed for type {rule.chars}: {value!r}"))


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

