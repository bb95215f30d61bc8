"""What each real file in /work/shared/data/ansi-nist gives: decoded or rejected with named problems."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from scomm.interchange import DecodeError, decode, decode_finger_pixels, ebts_rules, sniff, validate_car

from .interchange_helpers import SHARED, shared_file

TODAY = dt.date(2025, 1, 1)


def no_ori_known(_ori: str) -> bool:
    """None of these files' ORIs is in any registry of ours."""
    return False


def fields_of(problems):
    return {(p.record, p.field) for p in problems}


def reasons(problems, field):
    return " | ".join(p.reason for p in problems if p.field == field)


def test_nbis_valid1_1_car_v0201_one_finger():
    raw = shared_file("nbis-valid1.1.an2")
    assert sniff(raw) == "ansi-nist"
    tx = decode(raw)
    assert (tx.version, tx.tot, tx.tcn, tx.ori, tx.dai) == ("0201", "CAR", "1234567890", "FNDJSFHKW", "ABCDEFGHT")
    assert tx.date == dt.date(1998, 1, 3)
    assert (tx.name, tx.sex, tx.race, tx.pob) == ("JOHN,CLINTON", "M", "I", "WV")
    assert tx.dob == dt.date(1998, 5, 7) and tx.arrest_date == dt.date(1990, 3, 2)
    assert tx.record_types == [1, 2, 4]
    assert tx.get("1.04") == "CAR" and tx.get("2.047") == "20080302^4727442"
    [img] = tx.images
    assert (img.record_type, img.position, img.compression, img.width, img.height, img.ppi) == \
        (4, 10, "WSQ", 512, 512, 500.0)
    assert decode_finger_pixels(img).shape == (512, 512)

    problems = validate_car(tx, known_ori=no_ori_known, today=TODAY)
    assert fields_of(problems) == {
        ("Type-1", "1.008 ORI"),      # unknown ORI
        ("Type-4", "FGP"),            # one finger, 8 required
        ("Type-2", "2.045 DOA"),      # arrested (1990) before born (1998)
        ("Type-2", "2.047 ASL"),      # '4727442' is not a 4-digit NCIC code
    }
    assert "FNDJSFHKW" in reasons(problems, "1.008 ORI")
    assert "only 1 distinct finger position(s) in 1..10 (10); at least 8 required" in reasons(problems, "FGP")
    assert "before the date of birth" in reasons(problems, "2.045 DOA")
    assert "'4727442'" in reasons(problems, "2.047 ASL")


def test_nbis_valid1_16_car_all_record_types_but_no_arrest_data():
    tx = decode(shared_file("nbis-valid1.16.an2"))
    assert tx.tot == "CAR" and tx.version == "0201"
    assert tx.record_types == [1, 2, 4, 10, 13, 14, 15, 16, 17, 99]
    assert tx.get("1.004") == "CAR" and tx.name == "smith,tom"
    # Type-4 finger 10 and a Type-14 four-finger slap (FGP 13) whose DATA follows two bogus 14.999 fields
    assert [(i.record_type, i.position) for i in tx.images] == [(4, 10), (14, 13)]
    slap = tx.images[1]
    assert (slap.width, slap.height, slap.ppi, slap.compression) == (1600, 976, 500.0, "WSQ")
    assert decode_finger_pixels(slap).shape == (976, 1600)

    problems = validate_car(tx, known_ori=no_ori_known, today=TODAY)
    assert fields_of(problems) == {
        ("Type-1", "1.008 ORI"),
        ("Type-2", "2.045 DOA"),   # missing
        ("Type-2", "2.047 ASL"),   # missing (no charges)
        ("Type-4/Type-14", "FGP"),  # only finger 10 in 1..10
    }
    assert "missing" in reasons(problems, "2.045 DOA") and "missing" in reasons(problems, "2.047 ASL")


def test_nbis_valid1_2_is_nfuf_not_car():
    tx = decode(shared_file("nbis-valid1.2.an2"))
    assert tx.tot == "NFUF" and tx.record_types == [1, 2, 4, 6]
    problems = validate_car(tx, known_ori=no_ori_known, today=TODAY)
    [tot] = [p for p in problems if p.field == "1.004 TOT"]
    assert tot.record == "Type-1" and "'NFUF'" in tot.reason and "only CAR" in tot.reason


def test_nbis_valid1_14_is_tpis_with_minutiae():
    tx = decode(shared_file("nbis-valid1.14.an2"))
    assert tx.tot == "TPIS" and tx.record_types == [1, 2, 4, 9]
    assert [(i.position, i.width, i.height) for i in tx.images] == [(1, 784, 1133)]
    problems = validate_car(tx, known_ori=no_ori_known, today=TODAY)
    got = fields_of(problems)
    assert ("Type-1", "1.004 TOT") in got
    for missing in ("2.018 NAM", "2.022 DOB", "2.020 POB", "2.025 RAC", "2.045 DOA", "2.047 ASL"):
        assert ("Type-2", missing) in got


def test_openebts_car_v0400_charge_without_ncic_code():
    tx = decode(shared_file("openebts-NISTFile.ebts"))
    assert (tx.version, tx.tot, tx.ori) == ("0400", "CAR", "TEST00001")
    assert tx.tcn == "TEST-20080528173758-SOFT-0001-1C629"
    assert (tx.name, tx.dob, tx.sex, tx.arrest_date) == ("LISA, MONA J", dt.date(1975, 6, 20), "F", dt.date(2008, 7, 9))
    assert [(c.ncic, c.literal, c.offense_date) for c in tx.charges] == [("", "Armed Robbery", dt.date(2008, 7, 9))]
    assert [(i.record_type, i.position, i.ppi) for i in tx.images] == [(4, 2, 500.0)]
    problems = validate_car(tx, known_ori=no_ori_known, today=TODAY)
    assert fields_of(problems) == {("Type-1", "1.008 ORI"), ("Type-4", "FGP"), ("Type-2", "2.047 ASL")}
    assert "no NCIC offence code" in reasons(problems, "2.047 ASL")
    # the same file passes the ORI and finger checks when they are relaxed
    assert [p.field for p in validate_car(tx, known_ori=lambda o: True, today=TODAY, min_fingers=1)] == ["2.047 ASL"]


def test_bare_wsq_is_not_a_transaction():
    raw = shared_file("openebts-finger8.wsq")
    assert sniff(raw) == "wsq"
    with pytest.raises(DecodeError) as ei:
        decode(raw)
    assert [(p.record, p.reason) for p in ei.value.problems] == \
        [("file", "a bare WSQ image, not an ANSI/NIST transaction")]


def test_ebts_rules_text_is_not_a_transaction():
    raw = shared_file("EBTS9.1_ENUS.txt")
    assert sniff(raw) == "unknown"
    with pytest.raises(DecodeError) as ei:
        decode(raw)
    assert "not an ANSI/NIST-ITL transaction" in ei.value.problems[0].reason


def test_every_shared_file_is_decoded_or_rejected_with_named_problems():
    if not SHARED.exists():
        pytest.skip(f"shared test data not available: {SHARED}")
    files = sorted(p for p in SHARED.iterdir() if p.is_file())
    assert len(files) >= 7
    for path in files:
        raw = path.read_bytes()
        try:
            tx = decode(raw)
        except DecodeError as exc:
            assert exc.problems and all(p.record and p.field and p.reason for p in exc.problems), path
            continue
        for p in validate_car(tx, known_ori=no_ori_known, today=TODAY):
            assert p.record and p.field and p.reason, path


def test_copied_car_rules_match_the_ebts_source():
    """scomm/interchange/ebts_rules.py must list exactly the [M] CAR Type-1/Type-2 fields of EBTS 9.1."""
    text = shared_file("EBTS9.1_ENUS.txt").decode("utf-8-sig")
    mandatory = set()
    for m in re.finditer(r"^\[([MO])((?:,[^\]]*)?)\]\s*\n((?:\t.*\n?)+)", text, re.M):
        default, tots = m.group(1), [t.strip() for t in m.group(2).lstrip(",").split(",") if t.strip()]
        status = default if not tots else next((t.split()[1] if len(t.split()) > 1 else default
                                                for t in tots if t.split()[0] == "CAR"), None)
        if status != "M":
            continue
        for f in re.finditer(r"^\t(\d+\.\d{3}):?\s+T\d+_(\w+)\s", m.group(3), re.M):
            if f.group(1).split(".")[0] in ("1", "2"):
                mandatory.add((f.group(1), f.group(2)))
    ours = {(r.tag, r.mnemonic) for r in ebts_rules.CAR_TYPE1_MANDATORY + ebts_rules.CAR_TYPE2_MANDATORY}
    ours |= {("2.001", "LEN"), ("2.002", "IDC")}
    assert ours == mandatory
