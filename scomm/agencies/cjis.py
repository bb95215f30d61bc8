"""FBI CJIS: tenprint 1:N against the criminal master file; identify or enroll; answer SRE.

Then, if the booking's county was activated on the booking date, forward the
prints to DHS IDENT (interoperability); otherwise say why not. An opt-out in
effect for the state (a policy entry with value "effective", see
``domain.policyset``) stops the forwarding; a state bureau that does not pass
IDRs to local agencies is recorded as an event (no change to the chain).

The search runs before the step's write (``prepare``); the write holds the
enrolment lock and first searches the subjects enrolled since, so two bookings
of one new person at the same time give one UCN, not two.
"""
from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from .. import interchange as nist
from ..abis import Identification
from ..biometrics import Candidate, FingerprintTemplate
from ..bus import Handler
from ..clock import now
from ..domain.rapsheet import Arrest, Charge, RapSheet
from ..messages import Actor, EventKind, ImmigrationSearch, ResponseKind
from ..storage.policies import policy_set
from ..storage.tables import CriminalFingerRow, CriminalSubjectRow
from .deps import AgencyDeps, Booking, Ctx, View, booking_of
from .probe import finger_images, probe_of

ENROLMENT_LOCK = "cjis-enrolment"


def new_ucn(sha256: str) -> str:
    """A UCN derived from the transaction, so that a re-run after a crash gives the same one."""
    return "U" + base64.b32encode(hashlib.sha256(sha256.encode()).digest()).decode()[:9]


@dataclass
class Search:
    probe: dict[int, FingerprintTemplate]
    found: Identification      # through the gallery's high-water mark it names
    images: dict[int, bytes]   # the probe's impressions, kept if it is enrolled


def _search(view: View) -> Search:
    probe = probe_of(view.session, view.tx.id)
    found = view.deps.engine.identify("cjis", probe)
    return Search(probe, found, finger_images(view.tx.raw, probe))


def _apply(ctx: Ctx, plan: Search) -> None:
    s, tx = ctx.session, ctx.tx
    booking = booking_of(tx)
    best = plan.found.hit or ctx.deps.engine.identify("cjis", plan.probe, after=plan.found.through).hit
    arrest = Arrest(date=booking.booking_date, ori=booking.ori, tcn=booking.tcn,
                    charges=[Charge(c["ncic"], c.get("literal", "")) for c in booking.summary["charges"]])
    candidates = plan.found.candidates
    if best is not None:
        subject = s.scalars(select(CriminalSubjectRow).where(CriminalSubjectRow.ucn == best.subject_id)
                            .with_for_update()).one()
        sheet = RapSheet.from_dict(subject.rapsheet)
        sheet.add_arrest(arrest)
        subject.rapsheet = sheet.to_dict()
        ctx.emit(Actor.CJIS, EventKind.IDENTIFIED, {
            "ucn": subject.ucn, "score": best.score, "threshold": best.threshold,
            "match": best.explain(), "other_candidates": _others(candidates)}, timed=True)
    else:
        subject = _enroll(ctx, plan, arrest, booking.summary)
        sheet = RapSheet.from_dict(subject.rapsheet)
        ctx.emit(Actor.CJIS, EventKind.ENROLLED, {
            "ucn": subject.ucn, "best_score": candidates[0].score if candidates else None,
            "threshold": candidates[0].threshold if candidates else None,
            "other_candidates": _others(candidates)}, timed=True)
    body = nist.encode_response("SRE", tcn=f"SRE{tx.id:010d}", tcr=booking.tcn, ori=booking.ori,
                                dai="SCOMMCJIS", date=ctx.deps.today(),
                                fields={"UCN": subject.ucn, "IDENTIFIED": "Y" if best else "N",
                                        "RAPSHEET": sheet.summary()})
    ctx.respond(ResponseKind.SRE, body, {"ucn": subject.ucn, "identified": best is not None,
                                         "score": best.score if best else None,
                                         "rapsheet": sheet.summary()})
    _interoperability(ctx, booking, subject.ucn)


def _others(candidates: list[Candidate]) -> list[dict]:
    return [{"id": c.subject_id, "score": round(c.score, 3)} for c in candidates[:5]]


def _enroll(ctx: Ctx, plan: Search, arrest: Arrest, b: dict[str, Any]) -> CriminalSubjectRow:
    ucn = new_ucn(ctx.tx.sha256)
    subject = CriminalSubjectRow(ucn=ucn, name=b["name"] or "", dob=_date(b["dob"]), sex=b["sex"],
                                 race=b["race"], pob=b["pob"], enrolled_at=now(),
                                 rapsheet=RapSheet(ucn=ucn, arrests=[arrest]).to_dict())
    ctx.session.add(subject)
    ctx.session.flush()
    for finger, tpl in plan.probe.items():
        ctx.session.add(CriminalFingerRow(subject_id=subject.id, finger=finger, template=tpl.to_iso(),
                                          quality=tpl.quality, image=plan.images.get(finger)))
    return subject


def _date(v: str | None) -> date | None:
    return date.fromisoformat(v) if v else None


def _interoperability(ctx: Ctx, booking: Booking, ucn: str) -> None:
    """Forward to IDENT if the county was activated on the booking date, unless an
    opt-out in effect (and honoured by the policy set) stops it for the state."""
    j = ctx.deps.jurisdictions
    activation = j.activation(booking.county_fips, booking.booking_date)
    county = j.county(booking.county_fips)
    fwd = policy_set(ctx.session, ctx.deps.policy).forwarding(county.state_code, county.fips,
                                                              booking.booking_date)
    if activation.activated and fwd.stopped:
        ctx.emit(Actor.CJIS, EventKind.NOT_FORWARDED, {
            "reason": fwd.reason, "activation": activation.reason, "policy_entries": fwd.entry_ids()})
        ctx.finish()
    elif activation.activated:
        ctx.emit(Actor.CJIS, EventKind.FORWARDED_TO_IDENT, {"reason": activation.reason})
        if fwd.sib_forwards_idr.value is False:
            # The IDENT response still reaches ICE; the state bureau keeps it from the jail.
            ctx.emit(Actor.CJIS, EventKind.IDR_NOT_PASSED_ON, {
                "reason": fwd.sib_forwards_idr.reason,
                "policy_entries": [e.id for e in fwd.sib_forwards_idr.entries]})
        ctx.send(ImmigrationSearch(ucn=ucn))
    else:
        ctx.emit(Actor.CJIS, EventKind.NOT_FORWARDED, {"reason": activation.reason})
        ctx.finish()


SEARCH: Handler[AgencyDeps, Search] = Handler(apply=_apply, prepare=_search, lock=ENROLMENT_LOCK)
