"""The Johnson memo priorities, applied under the Priority Enforcement Program (PEP).

DHS Secretary Jeh Johnson, memorandum of 20 November 2014, "Policies for the
Apprehension, Detention and Removal of Undocumented Immigrants" (effective
5 January 2015 per its implementation section), with the companion memo
"Secure Communities" of the same day that replaced Secure Communities by PEP
(operational from July 2015):

* Priority 1: (a) national security; (b) apprehended at the border while
  entering unlawfully; (c) gang offence / gang participation aged 16+;
  (d) a felony other than a state or local immigration-status offence;
  (e) an aggravated felony.
* Priority 2: (a) three or more misdemeanours (not minor traffic or status
  offences) from three separate incidents; (b) a significant misdemeanour
  (domestic violence, sexual abuse or exploitation, burglary, unlawful
  possession or use of a firearm, drug distribution or trafficking, DUI) or
  one sentenced to 90 days or more in custody; (c) unlawful entry, not
  continuously present since 1 January 2014; (d) significant visa abuse.
* Priority 3: a final order of removal issued on or after 1 January 2014.

PEP requests: ICE seeks custody from a jail only for convictions in 1(a), 1(c),
1(d), 1(e), 2(a), 2(b) (I-247D detainer, or I-247N notification of release);
scomm allows the I-247X request for voluntary transfer for the other
categories (stated reading, see ``REQUESTS``).

Stated simplifications: NCIC codes do not say which jurisdiction convicted, so
the status-offence codes in ``STATUS_OFFENCES`` are excluded from 1(d) and 2(a)
as if state/local; "separate incidents" are distinct conviction dates.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from ..rapsheet import Conviction
from .base import Classification, ImmigrationContext, RuleHit, RuleSet, assemble, canonical, codes, listing

PRIORITIES = ("1", "2", "3", "none")
CUTOFF = date(2014, 1, 1)
STATUS_OFFENCES = frozenset({"0301", "0302", "0399"})   # illegal entry, false citizenship
MINOR_TRAFFIC = frozenset({"5402", "5405", "5499"})      # suspended licence, moving violation
SIGNIFICANT_MISDEMEANOURS = {
    "3803": "domestic violence",
    "3699": "sexual abuse or exploitation",
    "5212": "unlawful possession or use of a firearm",
    "5403": "driving under the influence",
    "5404": "driving under the influence",
}
SENTENCE_DAYS = 90
# Requests each category allows. I-247D/N for the conviction categories named in
# the Secure Communities memo of 2014-11-20; I-247X for the others (uncertain reading).
DETAIN_OR_NOTIFY = ("I-247D", "I-247N")
TRANSFER = ("I-247X",)
NOT_ASSESSED = ("national security 1(a)", "border apprehension 1(b)", "gang 1(c)",
                "custody sentences of 90+ days 2(b)", "date of unlawful entry 2(c)",
                "visa abuse 2(d)", "date of a final order of removal (3)")


def _significant(c: Conviction, ctx: ImmigrationContext) -> str | None:
    if c.offence.severity == "felony":
        return None
    if c.ncic in SIGNIFICANT_MISDEMEANOURS:
        return SIGNIFICANT_MISDEMEANOURS[c.ncic]
    if c.offence.category == "burglary" and c.ncic != "2206":
        return "burglary"
    days = ctx.sentence_days(c)
    if days is not None and days >= SENTENCE_DAYS:
        return f"sentenced to {days} days in custody"
    return None


def johnson_hits(convictions: Sequence[Conviction], ctx: ImmigrationContext) -> list[RuleHit]:
    cs = canonical(convictions)
    hits: list[RuleHit] = []

    def hit(rule: str, cat: str, reason: str, allows: tuple[str, ...],
            fired: Sequence[Conviction] = ()) -> None:
        hits.append(RuleHit(rule, cat[0], f"Priority {cat}: {reason}", codes(fired), cat, allows))

    if ctx.national_security:
        hit("P1a-national-security", "1(a)", "engaged in or suspected of terrorism or espionage, "
            "or otherwise a danger to national security", DETAIN_OR_NOTIFY)
    if ctx.apprehended_at_border:
        hit("P1b-border", "1(b)", "apprehended at the border or a port of entry while "
            "attempting to enter unlawfully", TRANSFER)
    if ctx.gang_conviction:
        hit("P1c-gang-offence", "1(c)", "convicted of an offence with active participation in a "
            "criminal street gang (18 U.S.C. 521(a)) as an element", DETAIN_OR_NOTIFY)
    elif ctx.gang:
        hit("P1c-gang", "1(c)", "aged 16 or over, intentionally participated in an organised "
            "criminal gang (no gang conviction)", TRANSFER)
    felonies = [c for c in cs if c.offence.severity == "felony" and c.ncic not in STATUS_OFFENCES]
    if felonies:
        hit("P1d-felony", "1(d)", f"convicted of a felony (not an immigration-status offence): "
            f"{listing(felonies)}", DETAIN_OR_NOTIFY, felonies)
    aggravated = [c for c in cs if c.offence.aggravated_felony]
    if aggravated:
        hit("P1e-aggravated-felony", "1(e)", "convicted of an aggravated felony (INA 101(a)(43)): "
            f"{listing(aggravated)}", DETAIN_OR_NOTIFY, aggravated)
    misd = [c for c in cs if c.offence.severity != "felony"
            and c.ncic not in MINOR_TRAFFIC and c.ncic not in STATUS_OFFENCES]
    incidents = sorted({c.date for c in misd})
    if len(incidents) >= 3:
        hit("P2a-three-misdemeanours", "2(a)", f"convicted of {len(misd)} misdemeanours from "
            f"{len(incidents)} separate incidents (dates), not minor traffic or status offences: "
            f"{listing(misd)}", DETAIN_OR_NOTIFY, misd)
    significant = [(c, why) for c in cs if (why := _significant(c, ctx))]
    if significant:
        hit("P2b-significant-misdemeanour", "2(b)", "convicted of a significant misdemeanour: "
            + "; ".join(f"{c.label()} [{why}]" for c, why in significant), DETAIN_OR_NOTIFY,
            [c for c, _ in significant])
    if ctx.entered_without_inspection and ctx.last_entry and ctx.last_entry > CUTOFF:
        hit("P2c-recent-entry", "2(c)", "entered unlawfully on or after "
            f"{ctx.last_entry.isoformat()}: not continuously present since {CUTOFF.isoformat()}",
            TRANSFER)
    if ctx.visa_abuse:
        hit("P2d-visa-abuse", "2(d)", "significantly abused the visa or visa waiver programs",
            TRANSFER)
    if ctx.removal_order_date and ctx.removal_order_date >= CUTOFF:
        hit("P3-final-order", "3", "final order of removal issued on "
            f"{ctx.removal_order_date.isoformat()}, on or after {CUTOFF.isoformat()}", TRANSFER)
    return hits


def allowed_requests(c: Classification) -> tuple[str, ...]:
    """The PEP requests the matched rules allow, most demanding first."""
    order = ("I-247D", "I-247N", "I-247X")
    allowed = {f for h in c.hits for f in h.allows}
    return tuple(f for f in order if f in allowed)


@dataclass(frozen=True)
class Johnson(RuleSet):
    def classify(self, convictions: Sequence[Conviction],
                 context: ImmigrationContext | None = None) -> Classification:
        cs = canonical(convictions)
        return assemble(self.id, self.priorities, cs, johnson_hits(cs, context or ImmigrationContext()),
                        "not a Johnson-memo priority on this record",
                        NOT_ASSESSED if context is None else ())


JOHNSON_2014 = Johnson(
    id="JOHNSON-2014",
    title=("Johnson memo / PEP (2014): Policies for the Apprehension, Detention and "
           "Removal of Undocumented Immigrants"),
    issued=date(2014, 11, 20), effective_from=date(2015, 1, 5), effective_to=date(2017, 1, 25),
    source=("DHS Secretary Jeh Johnson, memoranda of 2014-11-20: 'Policies for the "
            "Apprehension, Detention and Removal of Undocumented Immigrants' and "
            "'Secure Communities' (PEP)"),
    note=("Effective 2015-01-05 per the memo's implementation section (date from "
          "memory of the text: verify); PEP forms I-247D/N/X in use from July 2015."),
    priorities=PRIORITIES)
