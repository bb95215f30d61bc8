"""Detainer decisions by the policy and form in force."""
from datetime import date

import pytest

from scomm.domain.detainer import (
    DETAINER_POLICIES,
    FORMS,
    decide_detainer,
    detainer_policy_in_force,
    form,
    forms_in_use,
)
from scomm.domain.immigration import ImmigrationStatus
from scomm.domain.priority import EO_13768, JOHNSON_2014, MORTON_2011, ImmigrationContext, framework_in_force
from scomm.domain.rapsheet import Conviction

EWI = ImmigrationStatus("EWI", True, ["present without admission"])
REMOVED = ImmigrationStatus("PRIOR_REMOVAL", True, ["re-entered"])
USC = ImmigrationStatus("USC", False, ["citizen"])


def cv(*codes: str) -> list[Conviction]:
    return [Conviction.of(c, date(2010, 5, 1)) for c in codes]


def decide(on: date, codes=(), status=EWI, ctx=None, **kw):
    cs = cv(*codes)
    c = framework_in_force(on).classify(cs, ctx)
    return decide_detainer(status, c.level, on=on, classification=c, convictions=cs,
                           context=ctx, **kw)


def test_legacy_call_is_unchanged():
    d = decide_detainer(EWI, "non-criminal")
    assert (d.issued, d.form, d.request) == (True, "I-247", "hold")
    assert d.reasons == ["removable (EWI); level non-criminal",
                         "SC-2008 practice: detainer requested for every removable match"]
    assert not decide_detainer(USC, "1").issued
    assert set(d.to_dict()) == {"issued", "form", "reasons", "request", "policy"}


def test_policies_are_contiguous_and_cited():
    for a, b in zip(DETAINER_POLICIES, DETAINER_POLICIES[1:]):
        assert a.effective_to == b.effective_from
    assert all(p.source for p in DETAINER_POLICIES + FORMS)
    assert detainer_policy_in_force(date(2012, 12, 20)).id == "SC-PRACTICE"
    assert detainer_policy_in_force(date(2012, 12, 21)).id == "ICE-DETAINER-GUIDANCE-2012"
    assert detainer_policy_in_force(date(2015, 1, 5)).id == "PEP"
    assert detainer_policy_in_force(date(2017, 1, 25)).id == "EO-13768"


def test_forms_by_date():
    assert [f.code for f in forms_in_use(date(2010, 1, 1))] == ["I-247"]
    assert [f.code for f in forms_in_use(date(2015, 6, 30))] == ["I-247"]
    assert [f.code for f in forms_in_use(date(2015, 7, 1))] == ["I-247D", "I-247N", "I-247X"]
    assert [f.code for f in forms_in_use(date(2017, 4, 1))] == ["I-247D", "I-247N", "I-247X"]
    assert [f.code for f in forms_in_use(date(2017, 4, 2))] == ["I-247A"]
    assert form("I-247N").request == "notification"
    assert not form("I-247A").excludes_weekends and form("I-247").excludes_weekends


def test_sc_and_morton_era_detain_every_removable_match():
    d = decide(date(2009, 3, 1))
    assert (d.issued, d.form, d.policy) == (True, "I-247", "SC-PRACTICE")
    d = decide(date(2012, 3, 1))
    assert (d.issued, d.form) == (True, "I-247")
    assert not decide(date(2012, 3, 1), status=USC).issued


def test_2012_guidance_needs_a_criterion():
    on = date(2013, 6, 1)
    d = decide(on)
    assert not d.issued and "no criterion" in d.reasons[-1]
    assert decide(on, ("2303",)).issued is False           # one minor misdemeanour
    d = decide(on, ("2202",))
    assert d.issued and d.form == "I-247" and any("felony" in r and "2202" in r for r in d.reasons)
    assert decide(on, ("5404",)).issued                      # DUI
    assert decide(on, ("2303", "2305", "2309")).issued       # three misdemeanours
    assert decide(on, status=REMOVED).issued                 # re-entry after removal
    assert decide(on, ctx=ImmigrationContext(pending_charges=("2202",))).issued


def test_pep_requests():
    before_forms, after_forms = date(2015, 3, 1), date(2016, 3, 1)
    d = decide(after_forms, ("2202",))
    assert (d.issued, d.form, d.request, d.policy) == (True, "I-247D", "hold", "PEP")
    d = decide(after_forms, ("2202",), jail_honours=False)
    assert (d.form, d.request) == ("I-247N", "notification")
    d = decide(before_forms, ("2202",))
    assert (d.form, d.request) == ("I-247", "hold") and any("PEP forms not yet" in r for r in d.reasons)
    ctx = ImmigrationContext(on=after_forms, last_entry=date(2015, 1, 1), entered_without_inspection=True)
    d = decide(after_forms, ctx=ctx)
    assert (d.form, d.request) == ("I-247X", "transfer")
    d = decide(after_forms, ("2303",))
    assert not d.issued and "not a PEP priority" in d.reasons[-1]


def test_pep_reclassifies_when_given_another_framework():
    cs = cv("2202")
    c = MORTON_2011.classify(cs)
    d = decide_detainer(EWI, c.level, on=date(2016, 1, 1), classification=c, convictions=cs)
    assert d.form == "I-247D" and any("1(d)" in r for r in d.reasons)


def test_eo_13768_detains_every_removable_alien():
    d = decide(date(2017, 2, 1))
    assert (d.issued, d.form) == (True, "I-247D")
    d = decide(date(2017, 4, 2), ("2303",))
    assert (d.issued, d.form) == (True, "I-247A") and any("5(a)" in r for r in d.reasons)
    d = decide(date(2018, 1, 1), jail_honours=False)
    assert d.issued and "likely to be declined" in d.reasons[-1]


def test_classification_alone_dates_the_policy():
    cs = cv("2202")
    c = EO_13768.classify(cs)
    assert decide_detainer(EWI, c.level, classification=c).form == "I-247D"
    c = JOHNSON_2014.classify(cs)
    assert decide_detainer(EWI, c.level, classification=c, convictions=cs).form == "I-247"


@pytest.mark.parametrize("on", [date(2009, 1, 1), date(2013, 1, 1), date(2016, 1, 1), date(2018, 1, 1)])
def test_citizens_and_non_removable_never(on):
    assert not decide(on, ("0911",), status=USC).issued
    lpr = ImmigrationStatus("LPR", False, [])
    assert not decide(on, ("0911",), status=lpr).issued
