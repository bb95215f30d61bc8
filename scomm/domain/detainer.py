"""The field office's detainer decision, following the policy and form in force.

Dated detainer policies (``DETAINER_POLICIES``):

* SC practice, 2008-10-27 ..: a detainer (I-247) for every removable match
  (ICE Interim Guidance on Detainers, policy 10074.1, August 2010).
* ICE detainer guidance of 2012-12-21 ..: a detainer only if one of its criteria
  is met (felony, 3+ misdemeanours, significant misdemeanour, illegal entry
  conviction, re-entry after removal, outstanding order, fraud, risk).
* PEP, with the Johnson priorities (2015-01-05 ..): I-247D or I-247N only for
  convictions in 1(a),(c),(d),(e), 2(a),(b); I-247X for the other priorities.
* EO 13768 (2017-01-25 ..): a detainer for every removable alien; Form I-247A
  from 2017-04-02 (ICE policy 10074.2).

Forms by date are in ``FORMS``. The 48-hour hold clock is in ``hold.py``.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from . import ncic
from .frameworks.base import Classification, ImmigrationContext
from .frameworks.johnson import JOHNSON_2014, MINOR_TRAFFIC, allowed_requests
from .immigration import ImmigrationStatus
from .priority import framework
from .rapsheet import Conviction


@dataclass(frozen=True)
class DetainerDecision:
    issued: bool
    form: str | None
    reasons: list[str] = field(default_factory=list)
    request: str | None = None     # "hold" | "notification" | "transfer"
    policy: str | None = None      # id of the detainer policy applied

    def to_dict(self) -> dict:
        return {"issued": self.issued, "form": self.form, "reasons": list(self.reasons),
                "request": self.request, "policy": self.policy}


@dataclass(frozen=True)
class DetainerForm:
    code: str
    title: str
    request: str                   # "hold" | "notification" | "transfer"
    effective_from: date
    effective_to: date | None
    source: str
    excludes_weekends: bool = True  # the form's 48 hours exclude Saturdays, Sundays, holidays
    note: str = ""


@dataclass(frozen=True)
class DetainerPolicy:
    id: str
    title: str
    effective_from: date
    effective_to: date | None
    source: str
    note: str = ""


PEP_FORMS_FROM = date(2015, 7, 1)
I247A_FROM = date(2017, 4, 2)

FORMS: tuple[DetainerForm, ...] = (
    DetainerForm("I-247", "Immigration Detainer - Notice of Action", "hold", date(2008, 10, 27),
                 PEP_FORMS_FROM, "DHS Form I-247 (editions 8/10, 6/11, 12/12); 8 CFR 287.7",
                 note="In use long before 2008 (scomm's span starts with Secure Communities); "
                      "the 12/12 edition also has a box asking for notice of release."),
    DetainerForm("I-247D", "Immigration Detainer - Request for Voluntary Action", "hold",
                 PEP_FORMS_FROM, I247A_FROM, "DHS Form I-247D (PEP); Johnson memo "
                 "'Secure Communities' of 2014-11-20",
                 note="Start date approximate: PEP operational July 2015."),
    DetainerForm("I-247N", "Request for Voluntary Notification of Release of Suspected "
                 "Priority Alien", "notification", PEP_FORMS_FROM, I247A_FROM,
                 "DHS Form I-247N (PEP)", note="Start date approximate: PEP operational July 2015."),
    DetainerForm("I-247X", "Request for Voluntary Transfer", "transfer", PEP_FORMS_FROM,
                 I247A_FROM, "DHS Form I-247X (PEP)",
                 note="Start date approximate; scomm uses it for PEP priorities without a "
                      "qualifying conviction (uncertain reading)."),
    DetainerForm("I-247A", "Immigration Detainer - Notice of Action", "hold", I247A_FROM, None,
                 "ICE Policy 10074.2, Issuance of Immigration Detainers by ICE Immigration "
                 "Officers (effective 2017-04-02); Form I-247A (3/17), with an I-200 or I-205 "
                 "administrative warrant", excludes_weekends=False,
                 note="The form asks for no more than 48 hours past release, without the "
                      "weekend/holiday exclusion of 8 CFR 287.7(d) (from memory of the 3/17 "
                      "text: verify)."),
)

DETAINER_POLICIES: tuple[DetainerPolicy, ...] = (
    DetainerPolicy("SC-PRACTICE", "A detainer for every removable Secure Communities match",
                   date(2008, 10, 27), date(2012, 12, 21),
                   "ICE Interim Guidance on Detainers (policy 10074.1, August 2010); practice "
                   "measured by TRAC and the Warren Institute",
                   "The Morton priorities (2010/2011) ranked cases but did not restrict detainers."),
    DetainerPolicy("ICE-DETAINER-GUIDANCE-2012", "Civil Immigration Enforcement: Guidance on "
                   "the Use of Detainers in the Federal, State, Local, and Tribal Criminal "
                   "Justice Systems", date(2012, 12, 21), date(2015, 1, 5),
                   "ICE Director John Morton, memorandum of 2012-12-21 (replaces sections 4.2 "
                   "and 4.5 of policy 10074.1)"),
    DetainerPolicy("PEP", "Priority Enforcement Program: requests for notification, detention "
                   "only in special circumstances", date(2015, 1, 5), date(2017, 1, 25),
                   "DHS Secretary Jeh Johnson, memorandum 'Secure Communities' of 2014-11-20",
                   "Dated here with the Johnson priorities (2015-01-05); PEP forms from July 2015."),
    DetainerPolicy("EO-13768", "Detainers for removable aliens in the EO 13768 priorities",
                   date(2017, 1, 25), None,
                   "Executive Order 13768 sec. 5; DHS Secretary Kelly, memorandum of 2017-02-20; "
                   "ICE Policy 10074.2 (from 2017-04-02)",
                   "The EO was revoked 2021-01-20; later detainer policy is not modelled."),
)


def _in_force(items, on: date):
    for x in items:
        if x.effective_from <= on and (x.effective_to is None or on < x.effective_to):
            return x
    return items[0] if on < items[0].effective_from else items[-1]


def detainer_policy_in_force(on: date) -> DetainerPolicy:
    return _in_force(DETAINER_POLICIES, on)


def forms_in_use(on: date) -> list[DetainerForm]:
    """The detainer-family forms in use on ``on`` (the nearest set outside scomm's span)."""
    first = _in_force(FORMS, on)
    return [f for f in FORMS if (f.effective_from, f.effective_to) ==
            (first.effective_from, first.effective_to)]


def form(code: str) -> DetainerForm:
    for f in FORMS:
        if f.code == code:
            return f
    raise KeyError(f"unknown detainer form {code!r}")


# ---------------------------------------------------------------- December 2012 guidance

_SIGNIFICANT_2012 = {"13": "violence, threats, or assault", "36": "sexual abuse or exploitation",
                     "52": "unlawful possession or use of a firearm or other deadly weapon"}
_SIGNIFICANT_2012_CODES = {"3803": "violence, threats, or assault",
                           "5403": "driving under the influence", "5404": "driving under the influence",
                           "5401": "unlawful flight from the scene of an accident"}


def _significant_2012(code: str) -> str | None:
    if code in _SIGNIFICANT_2012_CODES:
        return _SIGNIFICANT_2012_CODES[code]
    if code[:2] == "35" and ncic.is_known(code) and ncic.offence(code).aggravated_felony:
        return "distribution or trafficking of a controlled substance"
    return _SIGNIFICANT_2012.get(code[:2]) if code != "3603" else None


def guidance_2012_criteria(convictions: Sequence[Conviction], ctx: ImmigrationContext,
                           status: ImmigrationStatus) -> list[str]:
    """The criteria of the 2012-12-21 detainer guidance that this person meets."""
    out = []
    felonies = [c.ncic for c in convictions if c.offence.severity == "felony"]
    if felonies:
        out.append(f"prior felony conviction ({', '.join(sorted(felonies))})")
    charged_felony = [c for c in ctx.pending_charges
                      if ncic.is_known(c) and ncic.offence(c).severity == "felony"]
    if charged_felony:
        out.append(f"charged with a felony ({', '.join(sorted(charged_felony))})")
    misd = [c.ncic for c in convictions
            if c.offence.severity != "felony" and c.ncic not in MINOR_TRAFFIC]
    if len(misd) >= 3:
        out.append(f"three or more prior misdemeanour convictions ({', '.join(sorted(misd))})")
    for kind, codes_ in (("conviction", [c.ncic for c in convictions if c.offence.severity != "felony"]),
                         ("pending charge", list(ctx.pending_charges))):
        sig = [(c, w) for c in codes_ if (w := _significant_2012(c))]
        if sig:
            out.append(f"misdemeanour {kind} involving " + "; ".join(f"{w} ({c})" for c, w in sig))
    if any(c.ncic == "0301" for c in convictions):
        out.append("convicted of illegal entry (8 U.S.C. 1325)")
    if ctx.previously_removed or status.status == "PRIOR_REMOVAL":
        out.append("illegally re-entered after a previous removal")
    if ctx.fugitive:
        out.append("outstanding order of removal")
    if ctx.immigration_fraud:
        out.append("found to have knowingly committed immigration fraud")
    if ctx.national_security or ctx.public_safety_risk:
        out.append("significant risk to national security, border security or public safety")
    return out


# ---------------------------------------------------------------- the decision

def decide_detainer(status: ImmigrationStatus, level: str, *, on: date | None = None,
                    classification: Classification | None = None,
                    convictions: Sequence[Conviction] = (),
                    context: ImmigrationContext | None = None,
                    jail_honours: bool | None = None) -> DetainerDecision:
    """Whether ICE asks the jail to hold (or notify, or transfer) this person.

    Called as ``decide_detainer(status, level)`` it applies SC-2008 practice (a
    detainer for every removable match), as before. With ``on`` (the booking
    date) or a ``classification`` the policy in force on that date applies; pass
    the ``convictions`` and ``context`` the classification was made from, and
    ``jail_honours=False`` where the jail is known not to honour holds.
    """
    if status.citizen:
        return DetainerDecision(False, None, ["US citizen: ICE has no authority to detain"])
    if not status.removable:
        return DetainerDecision(False, None, [f"status {status.status}: not removable on this record"])
    if on is None and classification is None:
        return DetainerDecision(True, "I-247", [
            f"removable ({status.status}); level {level}",
            "SC-2008 practice: detainer requested for every removable match"], "hold", "SC-PRACTICE")
    if on is None:
        on = framework(classification.framework).effective_from  # type: ignore[union-attr]
    ctx = context or ImmigrationContext(on=on)
    policy = detainer_policy_in_force(on)
    head = [f"removable ({status.status}); level {level}",
            f"detainer policy in force on {on.isoformat()}: {policy.title} ({policy.source})"]
    refused = (["the jail does not honour detainers: the request is likely to be declined"]
               if jail_honours is False else [])
    if policy.id == "SC-PRACTICE":
        return DetainerDecision(True, "I-247", head + ["detainer requested for every removable "
                                "match"] + refused, "hold", policy.id)
    if policy.id == "ICE-DETAINER-GUIDANCE-2012":
        met = guidance_2012_criteria(convictions, ctx, status)
        if not met:
            return DetainerDecision(False, None, head + ["no criterion of the 2012 detainer "
                                    "guidance met"], None, policy.id)
        return DetainerDecision(True, "I-247", head + [f"criterion met: {m}" for m in met] + refused,
                                "hold", policy.id)
    if policy.id == "PEP":
        return _pep(status, on, head, classification, convictions, context, jail_honours, policy)
    code = "I-247A" if on >= I247A_FROM else "I-247D"
    why = [f"EO 13768 priority: {classification.category or classification.priority} "
           f"({classification.rule})"] if classification else []
    note = [] if code == "I-247A" else ["I-247A not yet in use (from 2017-04-02): I-247D "
                                        "(uncertain which form was used in this interval)"]
    return DetainerDecision(True, code, head + why + ["detainer requested for a removable "
                            "alien (probable cause of removability)"] + note + refused,
                            "hold", policy.id)


def _pep(status: ImmigrationStatus, on: date, head: list[str],
         classification: Classification | None, convictions: Sequence[Conviction],
         context: ImmigrationContext | None, jail_honours: bool | None,
         policy: DetainerPolicy) -> DetainerDecision:
    """PEP: D (or N where the jail will not hold) for convicted priorities, X for others."""
    c = (classification if classification and classification.framework == JOHNSON_2014.id
         else JOHNSON_2014.classify(convictions, context))
    allowed = allowed_requests(c)
    why = [f"Johnson priority {c.category or c.priority} ({c.rule}); requests allowed: "
           + (", ".join(allowed) or "none")]
    if "I-247D" in allowed:
        code, request = ("I-247N", "notification") if jail_honours is False else ("I-247D", "hold")
        if jail_honours is False:
            why.append("the jail does not honour detainers: notification of release requested")
    elif "I-247X" in allowed:
        code, request = "I-247X", "transfer"
    else:
        return DetainerDecision(False, None, head + why + ["not a PEP priority for a request "
                                "to the jail"], None, policy.id)
    if on < PEP_FORMS_FROM:
        why.append(f"PEP forms not yet in use (from {PEP_FORMS_FROM.isoformat()}): {code} "
                   f"made on Form I-247 ({request})")
        code = "I-247"
    return DetainerDecision(True, code, head + why, request, policy.id)
