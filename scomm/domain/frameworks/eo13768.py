"""Executive Order 13768 (25 January 2017), section 5, with the Kelly memo.

"Enhancing Public Safety in the Interior of the United States" directs removal
priority for removable aliens who: (a) have been convicted of any criminal
offence; (b) have been charged with any criminal offence not yet resolved;
(c) have committed acts that constitute a chargeable criminal offence;
(d) have engaged in fraud or wilful misrepresentation before a government
agency; (e) have abused a public-benefits programme; (f) are subject to a final
order of removal and have not departed; (g) in an immigration officer's
judgement otherwise pose a risk to public safety or national security.
Secretary John Kelly's memo of 20 February 2017 ("Enforcement of the
Immigration Laws to Serve the National Interest") implements it, rescinds the
Johnson priorities and exempts no class from enforcement. EO 13768 was revoked
by EO 13993 on 20 January 2021.

Re-entry after removal (8 U.S.C. 1326) and entry without inspection (1325) are
themselves chargeable offences, so scomm counts them under 5(c).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from ..rapsheet import Conviction
from .base import Classification, ImmigrationContext, RuleHit, RuleSet, assemble, canonical, codes, listing

PRIORITIES = ("priority", "none")
NOT_ASSESSED = ("pending charges 5(b)", "chargeable conduct, unlawful entry 5(c)",
                "fraud 5(d)", "benefits abuse 5(e)", "final order not departed 5(f)",
                "officer's public-safety judgement 5(g)")


def eo_hits(convictions: Sequence[Conviction], ctx: ImmigrationContext) -> list[RuleHit]:
    cs = canonical(convictions)
    hits: list[RuleHit] = []

    def hit(rule: str, cat: str, reason: str, fired: Sequence[Conviction] = ()) -> None:
        hits.append(RuleHit(rule, "priority", f"EO 13768 sec. {cat}: {reason}", codes(fired), cat))

    if cs:
        hit("EO-5a-convicted", "5(a)", f"convicted of a criminal offence: {listing(cs)}", cs)
    if ctx.pending_charges:
        hit("EO-5b-charged", "5(b)", "charged with a criminal offence not yet resolved: NCIC "
            + ", ".join(sorted(ctx.pending_charges)))
    chargeable = []
    if ctx.chargeable_conduct:
        chargeable.append("acts constituting a chargeable criminal offence")
    if ctx.previously_removed:
        chargeable.append("re-entry after removal (8 U.S.C. 1326)")
    elif ctx.entered_without_inspection:
        chargeable.append("entry without inspection (8 U.S.C. 1325)")
    if chargeable:
        hit("EO-5c-chargeable", "5(c)", "committed " + "; ".join(chargeable))
    if ctx.immigration_fraud:
        hit("EO-5d-fraud", "5(d)", "fraud or wilful misrepresentation before a government agency")
    if ctx.benefits_abuse:
        hit("EO-5e-benefits", "5(e)", "abused a programme related to public benefits")
    if ctx.fugitive:
        hit("EO-5f-final-order", "5(f)", "subject to a final order of removal, has not departed")
    if ctx.public_safety_risk or ctx.national_security:
        hit("EO-5g-risk", "5(g)", "in an immigration officer's judgement, a risk to public "
            "safety or national security")
    return hits


@dataclass(frozen=True)
class EO13768(RuleSet):
    def classify(self, convictions: Sequence[Conviction],
                 context: ImmigrationContext | None = None) -> Classification:
        cs = canonical(convictions)
        return assemble(self.id, self.priorities, cs, eo_hits(cs, context or ImmigrationContext()),
                        "not in an EO 13768 priority on this record (the Kelly memo exempts no "
                        "class of removable alien from enforcement)",
                        NOT_ASSESSED if context is None else ())


EO_13768 = EO13768(
    id="EO-13768",
    title=("Executive Order 13768 (2017): Enhancing Public Safety in the Interior of "
           "the United States"),
    issued=date(2017, 1, 25), effective_from=date(2017, 1, 25), effective_to=date(2021, 1, 20),
    source=("Executive Order 13768, 82 Fed. Reg. 8799 (signed 2017-01-25), sec. 5; DHS "
            "Secretary John Kelly, memorandum of 2017-02-20; revoked by EO 13993 "
            "(2021-01-20)"),
    note=("Secure Communities reactivated; detainer form I-247A from 2017-04-02. "
          "Later frameworks (2021 interim guidance, 2021 Mayorkas guidelines) are not "
          "modelled."),
    priorities=PRIORITIES)
