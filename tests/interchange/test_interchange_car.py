"""encode_car round trip, and each bad-input case against validate_car."""
from __future__ import annotations

import dataclasses
import datetime as dt

import nistitl
import numpy as np
import pytest

from scomm.interchange import (
    Charge,
    DecodeError,
    FingerImage,
    Problem,
    decode,
    decode_finger_pixels,
    encode_car,
    encode_response,
    response_fields,
    sniff,
    validate_car,
)

from .interchange_helpers import TODAY, car_args, known_ori, ridge


@pytest.fixture(scope="module")
def good_car() -> bytes:
    return encode_car(**car_args())


def check(raw: bytes, **kw) -> list[Problem]:
    return validate_car(decode(raw), known_ori=known_ori, today=kw.pop("today", TODAY), **kw)


def only(problems: list[Problem], field: str) -> list[Problem]:
    return [p for p in problems if p.field == field]


def without_fields(raw: bytes, *tags: str) -> bytes:
    """Re-serialise ``raw`` (with nistitl) minus the given Type-1/Type-2 fields."""
    msg = nistitl.Message()
    msg.parse(raw)
    for tag in tags:
        rtype, num = (int(x) for x in tag.split("."))
        rec = msg[0] if rtype == 1 else next(r for r in msg if r.type == rtype)
        del rec[num]
    return msg.NIST


# ---------------------------------------------------------------- round trip

@pytest.mark.parametrize("record_type", [14, 4])
def test_encode_car_round_trips(record_type):
    args = car_args(record_type=record_type)
    raw = encode_car(**args)
    assert sniff(raw) == "ansi-nist"
    tx = decode(raw)
    assert (tx.version, tx.tot, tx.tcn, tx.ori, tx.dai, tx.date) == \
        ("0500", "CAR", args["tcn"], args["ori"], args["dai"], args["date"])
    assert (tx.name, tx.dob, tx.sex, tx.race, tx.pob, tx.arrest_date) == \
        (args["name"], args["dob"], args["sex"], args["race"], args["pob"], args["arrest_date"])
    assert tx.charges == args["charges"]
    assert tx.record_types == [1, 2] + [record_type] * 10
    assert tx.get("1.011") == "19.69" and tx.get("2.073") == args["ori"]
    assert sorted(i.position for i in tx.images) == list(range(1, 11))
    for img in tx.images:
        assert (img.record_type, img.compression, img.impression_type, img.ppi) == (record_type, "WSQ", 1, 500.0)
        assert (img.width, img.height) == (400, 400)
        px = decode_finger_pixels(img)
        original = args["fingers"][img.position]
        assert px.shape == original.shape and px.dtype == np.uint8
        # WSQ (about 0.75 bit/pixel) is lossy, but the ridge pattern survives
        assert np.abs(px.astype(int) - original.astype(int)).mean() < 8.0
        assert np.corrcoef(px.ravel(), original.ravel())[0, 1] > 0.95
    assert validate_car(tx, known_ori=known_ori, today=TODAY) == []


def test_type14_records_carry_their_resolution():
    raw = encode_car(**car_args(ppi=1000, fingers={p: ridge(p, 200, 180) for p in range(1, 11)}))
    tx = decode(raw)
    assert tx.get("1.011") == "39.37"
    assert {(i.ppi, i.width, i.height) for i in tx.images} == {(1000.0, 180, 200)}
    assert check(raw) == []


def test_encode_car_refuses_structure_breaking_input():
    with pytest.raises(ValueError, match="separator"):
        encode_car(**car_args(name="DOE,\x1dJOHN"))
    with pytest.raises(ValueError, match="1..10"):
        encode_car(**car_args(fingers={11: ridge(1)}))
    with pytest.raises(ValueError, match="record_type"):
        encode_car(**car_args(record_type=13))
    with pytest.raises(ValueError, match="2-D"):
        encode_car(**car_args(fingers={1: np.zeros((4, 4, 3), np.uint8)}))


# ---------------------------------------------------------------- bad inputs

def test_wrong_tot(good_car):
    raw = good_car.replace(b"1.004:CAR", b"1.004:CNA", 1)
    [p] = check(raw)
    assert (p.record, p.field) == ("Type-1", "1.004 TOT") and "'CNA'" in p.reason


def test_missing_mandatory_fields(good_car):
    raw = without_fields(good_car, "1.009", "1.008", "2.018", "2.022", "2.024", "2.025", "2.020", "2.045", "2.047")
    problems = check(raw)
    expected = {("Type-1", "1.009 TCN"), ("Type-1", "1.008 ORI"), ("Type-2", "2.018 NAM"), ("Type-2", "2.022 DOB"),
                ("Type-2", "2.024 SEX"), ("Type-2", "2.025 RAC"), ("Type-2", "2.020 POB"), ("Type-2", "2.045 DOA"),
                ("Type-2", "2.047 ASL")}
    assert {(p.record, p.field) for p in problems} == expected
    assert all("missing" in p.reason and "CAR" in p.reason for p in problems)


@pytest.mark.parametrize("tag, good, bad", [
    (b"2.022", b"19800102", b"19801340"),
    (b"2.045", b"20240430", b"2024043X"),
    (b"1.005", b"20240501", b"20240231"),
])
def test_malformed_dates(good_car, tag, good, bad):
    raw = good_car.replace(tag + b":" + good, tag + b":" + bad, 1)
    assert raw != good_car
    problems = check(raw)
    mine = [p for p in problems if p.field.startswith(tag.decode())]
    assert len(mine) == 1 and mine[0].reason == f"not a valid date (CCYYMMDD): {bad.decode()}"


def test_unknown_dob_is_allowed(good_car):
    raw = good_car.replace(b"2.022:19800102", b"2.022:00000000", 1)
    assert check(raw) == []


def test_future_arrest_date_and_dob():
    problems = check(encode_car(**car_args(arrest_date=TODAY + dt.timedelta(days=1))))
    assert [(p.field, p.reason) for p in problems] == [("2.045 DOA", "arrest date 2024-05-03 is in the future")]
    problems = check(encode_car(**car_args(dob=dt.date(2030, 1, 1))))
    assert {p.field for p in problems} == {"2.022 DOB", "2.045 DOA"}   # future DOB, so arrest precedes birth


def test_arrest_before_birth():
    problems = check(encode_car(**car_args(dob=dt.date(2001, 1, 1), arrest_date=dt.date(2000, 6, 1))))
    [p] = problems
    assert (p.record, p.field) == ("Type-2", "2.045 DOA") and "before the date of birth 2001-01-01" in p.reason


def test_unknown_ori(good_car):
    problems = validate_car(decode(good_car), known_ori=lambda ori: False, today=TODAY)
    assert [(p.record, p.field, p.reason) for p in problems] == \
        [("Type-1", "1.008 ORI", "unknown originating agency 'VA0010000' (not in the ORI registry)")]


def test_invalid_ncic_codes():
    charges = [Charge("13A3", "ASSAULT"), Charge("", "BURGLARY"), Charge("123", "X"), Charge("5404", "DUI"),
               Charge("2303", "")]
    problems = check(encode_car(**car_args(charges=charges)))
    assert [p.field for p in problems] == ["2.047 ASL"] * 3
    assert "charge 1: no NCIC offence code" in problems[0].reason        # '13A3 ASSAULT' is all literal
    assert "charge 2: no NCIC offence code" in problems[1].reason
    assert "charge 3: invalid NCIC offence code '123'" in problems[2].reason


def test_no_charges():
    problems = check(encode_car(**car_args(charges=[])))
    assert [(p.field, "missing" in p.reason) for p in problems] == [("2.047 ASL", True)]


def test_undecodable_wsq_names_the_finger(good_car):
    tx = decode(good_car)
    idx = next(i for i, im in enumerate(tx.images) if im.position == 3)
    data = tx.images[idx].data
    start = good_car.index(data)
    raw = good_car[:start + 2] + b"\x00\x00" + good_car[start + 4:]    # destroy the marker after SOI
    problems = check(raw)
    [p] = problems
    assert (p.record, p.field) == ("Type-14", "14.999 DATA")
    assert p.reason.startswith("finger 3 (right middle): WSQ image cannot be decoded")


def test_wsq_codec_errors_are_reported(good_car):
    tx = decode(good_car)
    img = tx.images[6]
    tx.images[6] = dataclasses.replace(img, data=img.data[: len(img.data) // 3])   # truncated entropy data
    problems = validate_car(tx, known_ori=known_ori, today=TODAY)
    assert [p.field for p in problems] == ["14.999 DATA"]
    assert problems[0].reason.startswith("finger 7 (left index): WSQ image cannot be decoded")


def test_blank_image():
    fingers = {p: ridge(p) for p in range(1, 11)}
    fingers[5] = np.full((400, 400), 200, np.uint8)
    problems = check(encode_car(**car_args(fingers=fingers)))
    [p] = problems
    assert p.field == "14.999 DATA" and p.reason.startswith("finger 5 (right little): image is blank")


def test_too_few_fingers():
    raw = encode_car(**car_args(fingers={p: ridge(p) for p in (1, 2, 3, 6, 7, 8)}))
    [p] = check(raw)
    assert (p.record, p.field) == ("Type-14", "FGP")
    assert p.reason == "only 6 distinct finger position(s) in 1..10 (1, 2, 3, 6, 7, 8); at least 8 required"
    assert check(raw, min_fingers=6) == []


def test_no_images():
    [p] = check(encode_car(**car_args(fingers={})))
    assert (p.record, p.field) == ("Type-4/14", "images") and "no fingerprint images" in p.reason


def test_all_problems_are_reported_together(good_car):
    fingers = {p: ridge(p) for p in range(1, 5)}
    fingers[2] = np.zeros((400, 400), np.uint8)
    raw = encode_car(**car_args(fingers=fingers, arrest_date=dt.date(2099, 1, 1), sex="Q",
                                charges=[Charge("99", "LOITERING")]))
    raw = raw.replace(b"1.004:CAR", b"1.004:CNA", 1).replace(b"2.022:19800102", b"2.022:19800230", 1)
    problems = validate_car(decode(raw), known_ori=lambda o: False, today=TODAY)
    assert {p.field for p in problems} == {"1.004 TOT", "1.008 ORI", "2.022 DOB", "2.024 SEX", "2.045 DOA",
                                           "2.047 ASL", "FGP", "14.999 DATA"}


def test_decode_finger_pixels_uncompressed_and_errors():
    px = ridge(1, 20, 30)
    img = FingerImage(position=1, impression_type=1, compression="NONE", width=30, height=20, ppi=500.0,
                      data=px.tobytes(), record_type=4, idc=1)
    assert (decode_finger_pixels(img) == px).all()
    with pytest.raises(ValueError, match="needs 600 bytes"):
        decode_finger_pixels(dataclasses.replace(img, data=b"\0" * 10))
    with pytest.raises(ValueError, match="no image data"):
        decode_finger_pixels(dataclasses.replace(img, data=b""))
    with pytest.raises(ValueError, match="implausible size"):
        decode_finger_pixels(dataclasses.replace(img, compression="WSQ",
                                                 data=bytes.fromhex("ffa0ffa2001100000200ffffffff")))
    with pytest.raises(ValueError, match="unsupported compression"):
        decode_finger_pixels(dataclasses.replace(img, compression="GCA7"))


# ---------------------------------------------------------------- responses

RESP = dict(tcn="WVIAFIS0Z2024000000042", tcr="VA20240501000001", ori="WVIAFIS0Z", dai="VA0010000",
            date=dt.date(2024, 5, 1))


def test_sre_round_trip():
    rap = "IDENTIFICATION RECORD\nNAME DOE,JOHN QUINCY\nARREST 2019-03-04 VA0010000 1313 SIMPLE ASSAULT"
    raw = encode_response("SRE", fields={"ucn": "123456AB7", "name": "DOE,JOHN QUINCY", "rap_sheet": rap}, **RESP)
    tx = decode(raw)
    assert (tx.tot, tx.tcn, tx.tcr, tx.ori, tx.dai, tx.date) == ("SRE", RESP["tcn"], RESP["tcr"], "WVIAFIS0Z",
                                                                 "VA0010000", RESP["date"])
    assert tx.record_types == [1, 2]
    assert (tx.get("2.014"), tx.get("2.059"), tx.get("2.073"), tx.get("2.075")) == \
        ("123456AB7", "I", "VA0010000", rap)
    assert response_fields(tx) == {"ucn": "123456AB7", "name": "DOE,JOHN QUINCY", "srf": "I",
                                   "cri": "VA0010000", "rap_sheet": rap}


def test_errt_carries_one_msg_subfield_per_problem(good_car):
    tx = decode(good_car.replace(b"1.004:CAR", b"1.004:XYZ", 1))
    problems = validate_car(tx, known_ori=lambda o: False, today=TODAY)
    raw = encode_response("ERRT", fields={"msg": "\n".join(map(str, problems))}, **RESP)
    back = decode(raw)
    assert back.tot == "ERRT"
    assert back.field_items["2.060"] == [[str(p)] for p in problems]
    many = encode_response("ERRT", fields={"msg": [f"problem {i}" for i in range(20)]}, **RESP)
    msgs = decode(many).field_items["2.060"]
    assert len(msgs) == 11 and msgs[-1] == ["... and 10 more problem(s)"]


@pytest.mark.parametrize("kind, fields, tags", [
    ("IDR", {"ident_match": "Y", "fin": "1234567890", "encounters": "2009-01-02 POE SAN YSIDRO\n2011-05-06 CBP",
             "name": "DOE,JOHN"}, {"2.901": "Y", "2.902": "1234567890", "2.018": "DOE,JOHN"}),
    ("IAR", {"a_number": "A012345678", "immigration_status": "EWI", "lesc_case": "LESC-1", "detainer": "Y",
             "narrative": "SUBJECT ENTERED WITHOUT INSPECTION\nREMOVABLE"},
     {"2.910": "A012345678", "2.911": "EWI", "2.912": "LESC-1", "2.915": "Y"}),
])
def test_dhs_responses_round_trip(kind, fields, tags):
    tx = decode(encode_response(kind, fields=fields, **RESP))
    assert tx.tot == kind and tx.tcr == RESP["tcr"]
    for tag, value in tags.items():
        assert tx.get(tag) == value
    assert response_fields(tx) == fields


def test_encode_response_rejects_bad_input():
    with pytest.raises(ValueError, match="kind"):
        encode_response("XYZ", fields={}, **RESP)
    with pytest.raises(ValueError, match="unknown field"):
        encode_response("SRE", fields={"shoe_size": "11"}, **RESP)
    with pytest.raises(ValueError, match="separator"):
        encode_response("SRE", fields={"name": "DOE\x1cJOHN"}, **RESP)
    assert decode(encode_response("ERRT", fields={}, **RESP)).get("2.060") == "UNSPECIFIED ERROR"


def test_response_field_names_used_by_the_agencies():
    sre = decode(encode_response("SRE", fields={"UCN": "U1", "IDENTIFIED": "Y", "RAPSHEET": "R"}, **RESP))
    assert (sre.get("2.014"), sre.get("2.059"), sre.get("2.075")) == ("U1", "Y", "R")
    idr = decode(encode_response("IDR", fields={"MATCH": "N", "FIN": ""}, **RESP))
    assert (idr.get("2.901"), idr.get("2.902")) == ("N", "")
    iar = decode(encode_response("IAR", fields={"STATUS": "LPR", "REMOVABLE": "Y", "CHARGE": "1313",
                                                "REASONS": "a; b"}, **RESP))
    assert [iar.get(t) for t in ("2.911", "2.916", "2.917", "2.918")] == ["LPR", "Y", "1313", "a; b"]
    errt = decode(encode_response("ERRT", fields={"MSG": ["Type-1 1.004 TOT: x", "Type-2 2.022 DOB: y"]}, **RESP))
    assert errt.field_items["2.060"] == [["Type-1 1.004 TOT: x"], ["Type-2 2.022 DOB: y"]]


def test_decode_error_is_a_value_error():
    with pytest.raises(ValueError):
        decode(b"")
    with pytest.raises(DecodeError) as ei:
        decode(b"")
    assert ei.value.problems == [Problem("file", "-", "empty input (0 bytes)")]
