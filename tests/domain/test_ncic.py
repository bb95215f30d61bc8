import pytest

from scomm.domain import ncic
from scomm.domain.ncic import OFFENCES, Offence, UnknownOffence

# Codes the synthetic world books people on (scomm/world/histories.py) must all be known.
WORLD_CODES = ["5404", "1313", "2303", "3562", "2399", "2299", "1315", "3532", "5212", "2404",
               "2604", "4801", "5311", "1201", "0911", "1102", "3599", "5499", "2901"]


def test_table_shape():
    assert 60 <= len(OFFENCES) <= 200
    for code, o in OFFENCES.items():
        assert isinstance(o, Offence) and o.code == code
        assert len(code) == 4 and code.isdigit()
        assert o.severity in ("felony", "misdemeanor")
        assert o.description and o.description == o.description.upper()
        assert not o.aggravated_felony or o.severity == "felony"
        assert o.category in ncic.CATEGORIES.values()


@pytest.mark.parametrize("code", WORLD_CODES)
def test_world_codes_known(code):
    assert ncic.is_known(code)


@pytest.mark.parametrize("code,severity,aggravated", [
    ("1313", "misdemeanor", False),   # simple assault
    ("1315", "felony", True),         # aggravated assault - weapon
    ("2303", "misdemeanor", False),   # shoplifting
    ("3562", "misdemeanor", False),   # marijuana - possess
    ("3532", "felony", False),        # cocaine - possess: felony, not trafficking
    ("3510", "felony", True),         # heroin - sell: drug trafficking
    ("5404", "misdemeanor", False),   # DUI - liquor
    ("0911", "felony", True),         # homicide - willful kill - gun
    ("1102", "felony", True),         # rape - weapon
    ("0303", "felony", True),         # smuggling aliens, 101(a)(43)(N)
    ("5203", "felony", True),         # felon in possession, 101(a)(43)(E)
    ("2202", "felony", False),        # burglary: AF only with a 1-year sentence
])
def test_grades(code, severity, aggravated):
    o = ncic.offence(code)
    assert (o.severity, o.aggravated_felony) == (severity, aggravated)


def test_unknown_offence_is_keyerror_with_clear_message():
    with pytest.raises(KeyError) as e:
        ncic.offence("9998")
    assert isinstance(e.value, UnknownOffence)
    assert "9998" in str(e.value) and "unknown NCIC offence code" in str(e.value)
    assert not ncic.is_known("9998") and not ncic.is_known("") and not ncic.is_known(None)


def test_most_serious_order():
    assert ncic.most_serious(["2303", "1313"]).code == "1313"        # both misd: assault class first
    assert ncic.most_serious(["2303", "3532", "1313"]).code == "3532"  # felony beats misdemeanours
    assert ncic.most_serious(["3532", "2202", "3510"]).code == "3510"  # aggravated felony first
    assert ncic.most_serious(["3510", "0911"]).code == "0911"        # homicide over drugs
    assert ncic.most_serious(["5404"]).code == "5404"


def test_most_serious_is_order_independent():
    codes = ["2303", "3532", "1313", "2202", "5404"]
    assert ncic.most_serious(codes) == ncic.most_serious(reversed(codes))


def test_most_serious_errors():
    with pytest.raises(ValueError):
        ncic.most_serious([])
    with pytest.raises(UnknownOffence):
        ncic.most_serious(["2303", "0000"])


def test_unclassified_stand_in():
    o = ncic.offence_or_unclassified("9998")
    assert o.code == "9998" and o.severity == "misdemeanor" and not o.aggravated_felony
    assert o.category == "unclassified"
    assert ncic.offence_or_unclassified("2303") is ncic.offence("2303")
