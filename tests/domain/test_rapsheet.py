import json
from datetime import date

from scomm.domain.rapsheet import Arrest, Charge, Conviction, Disposition, RapSheet


def sheet() -> RapSheet:
    return RapSheet("U123", [
        Arrest(date(2022, 11, 1), "CA037SO00", "T1", [Charge("2303", "SHOPLIFTING")],
               [Disposition("2303", date(2023, 1, 5), True, "SHOPLIFTING")]),
        Arrest(date(2023, 6, 1), "CA037SO00", "T2", [Charge("1313"), Charge("4801")],
               [Disposition("1313", date(2023, 8, 1), False), Disposition("4801", date(2023, 8, 1), True)]),
        Arrest(date(2024, 2, 1), "TX201SO00", "T3", [Charge("3532")]),   # no disposition yet
    ])


def test_convictions_only_convicted_dispositions():
    cs = sheet().convictions()
    assert [(c.ncic, c.date) for c in cs] == [("2303", date(2023, 1, 5)), ("4801", date(2023, 8, 1))]
    assert all(isinstance(c, Conviction) for c in cs)
    assert cs[0].offence.description == "SHOPLIFTING" and cs[0].severity == "misdemeanor"
    assert not cs[0].aggravated_felony


def test_convictions_before_is_strict():
    s = sheet()
    assert [c.ncic for c in s.convictions(before=date(2023, 8, 1))] == ["2303"]
    assert [c.ncic for c in s.convictions(before=date(2023, 8, 2))] == ["2303", "4801"]
    assert s.convictions(before=date(2023, 1, 5)) == []


def test_unknown_code_conviction_is_kept_as_unclassified():
    s = RapSheet("U1", [Arrest(date(2020, 1, 1), "X", "T", [Charge("9998")],
                               [Disposition("9998", date(2020, 3, 1), True)])])
    (c,) = s.convictions()
    assert c.offence.category == "unclassified" and c.severity == "misdemeanor"


def test_summary():
    text = sheet().summary()
    assert text.startswith("3 arrests; convictions: 2023-01-05 2303 SHOPLIFTING (misdemeanor)")
    assert "4801 RESISTING OFFICER (misdemeanor)" in text
    assert RapSheet("U2", [Arrest(date(2020, 1, 1), "X", "T", [Charge("1313")])]).summary() \
        == "1 arrest; no convictions"


def test_round_trip_through_json():
    s = sheet()
    d = json.loads(json.dumps(s.to_dict()))
    assert RapSheet.from_dict(d) == s
    assert RapSheet.from_dict(d).to_dict() == s.to_dict()


def test_from_dict_tolerates_missing_optional_fields():
    s = RapSheet.from_dict({"ucn": "U9", "arrests": [
        {"date": "2020-01-01", "ori": "X", "tcn": "T", "charges": [{"ncic": "1313"}]}]})
    assert s.arrests[0].charges == [Charge("1313", "")] and s.arrests[0].dispositions == []
