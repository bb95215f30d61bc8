import csv
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from scomm.domain.jurisdictions import STATES, Activation, County, FieldOffice, Jurisdictions

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "secure-communities"


@pytest.fixture(scope="module")
def j() -> Jurisdictions:
    return Jurisdictions.load_default()


def test_load_is_cached(j):
    assert Jurisdictions.load_default() is j


def test_counties_loaded(j):
    counties = j.counties()
    assert len(counties) == 3147
    assert len({c.fips for c in counties}) == 3147
    assert all(isinstance(c, County) and len(c.fips) == 5 for c in counties)
    assert all(c.state and c.name and len(c.state_code) == 2 for c in counties)
    assert {c.state_code for c in counties} == {p for f, (p, _) in STATES.items() if int(f) < 60}
    la = j.county("06037")
    assert (la.name, la.state, la.state_code, la.field_office) == \
        ("Los Angeles County", "California", "CA", "LOS")
    assert la.population == 9818605 and la.noncitizen_population > 1e6
    with pytest.raises(KeyError):
        j.county("99999")


def test_field_offices(j):
    offices = j.field_offices()
    # The file lists 25 field offices plus HQ; counties are mapped to 24 of them
    # (none to HAL, Harlingen: the mapping puts the Rio Grande Valley under San Antonio).
    assert len(offices) == 26 and {"HQ", "HAL"} <= {o.code for o in offices}
    used = {c.field_office for c in j.counties()}
    assert len(used) == 24 and not used & {"HQ", "HAL"}
    assert all(isinstance(o, FieldOffice) and -180 < o.lon < 0 < o.lat < 90 for o in offices)
    direct = [c for c in j.counties() if c.field_office and not c.field_office_inferred]
    inferred = [c for c in j.counties() if c.field_office_inferred]
    missing = [c for c in j.counties() if c.field_office is None]
    print(f"\nfield office: {len(direct)} direct, {len(inferred)} inferred from the state, "
          f"{len(missing)} none")
    assert (len(direct), len(inferred), len(missing)) == (3127, 20, 0)
    assert {c.state_code for c in inferred} == {"AK", "CT", "FL", "MT", "OR", "SD", "VA"}
    assert {c.field_office for c in inferred if c.state_code == "CT"} == {"BOS"}
    for c in j.counties():
        assert j.field_office_for(c.fips).code == c.field_office
    assert j.field_office("CHI").address.startswith("101 W Ida B Wells")
    with pytest.raises(KeyError):
        j.field_office("XXX")


def test_activation_dates(j):
    per_year = Counter(c.activation_date.year if c.activation_date else None for c in j.counties())
    print("\nactivations per year:", dict(sorted(per_year.items(), key=lambda kv: kv[0] or 0)))
    # County activation data of the Alsan & Yang 2018 replication archive (scomm/data/SOURCES.md
    # [Alsan-Yang-2018]): 14 in 2008, 91 in 2009, 790 in 2010, 1,099 in 2011, 1,043 in 2012,
    # 106 in 2013
    assert per_year == {2008: 14, 2009: 91, 2010: 790, 2011: 1099, 2012: 1043, 2013: 106, None: 4}
    first = [c for c in j.counties() if c.activation_date == date(2008, 10, 27)]
    assert [c.fips for c in first] == ["48201"]          # Harris County, TX
    last = max(c.activation_date for c in j.counties() if c.activation_date)
    assert last == date(2013, 1, 22)
    assert all(c.statewide_date >= c.activation_date for c in j.counties() if c.activation_date)


def test_activation_around_a_date(j):
    a = j.activation("48201", date(2008, 10, 27))
    assert a == Activation(True, "Harris County, Texas activated on 2008-10-27")
    b = j.activation("48201", date(2008, 10, 26))
    assert not b.activated and "not activated until 2008-10-27" in b.reason
    assert "booking date 2008-10-26" in b.reason
    cook = j.activation("17031", date(2010, 5, 1))
    assert not cook.activated and cook.reason.startswith("Cook County, Illinois not activated until")
    assert j.activation("17031", date(2013, 1, 22)).activated
    never = j.activation("12025", date(2020, 1, 1))      # retired Dade County code: no date
    assert not never.activated and "no activation date" in never.reason


def test_ori_round_trip_for_every_county(j):
    oris = set()
    for c in j.counties():
        ori = j.sheriff_ori(c.fips)
        assert len(ori) == 9 and ori.startswith(c.state_code) and ori.endswith("SO00")
        assert j.by_ori(ori) is c and j.is_known_ori(ori)
        oris.add(ori)
    assert len(oris) == 3147
    assert j.sheriff_ori("06037") == "CA037SO00"


@pytest.mark.parametrize("ori", ["", "CA037SO0", "CA037SO01", "ZZ037SO00", "CA999SO00",
                                 "CA0A7SO00", "NY0303000", "0000000000", None])
def test_unknown_ori(j, ori):
    assert j.by_ori(ori) is None and not j.is_known_ori(ori)


def test_retired_fips_rows(j):
    retired = [c for c in j.counties() if c.population == 0]
    print("\nretired/unpopulated FIPS:", [(c.fips, c.name) for c in retired])
    assert j.county("12025").name == "Dade County (former)" and j.county("12025").state == "Florida"
    assert len([c for c in j.counties() if c.activation_date is None]) == 4


def test_packaged_copy_matches_shared_data():
    if not SHARED.is_dir():
        pytest.skip(f"shared data folder not present: {SHARED}")
    from scomm.domain.jurisdictions import data_file
    for name in ("county_activations.csv", "county_ice_field_office.csv", "ice_field_offices.csv"):
        packaged = data_file(name).read_bytes()
        assert packaged == (SHARED / name).read_bytes(), name
    rows = list(csv.DictReader(open(SHARED / "county_activations.csv")))
    assert len(rows) == 3147
