"""ICE LESC: on an IDENT match, an IAQ (most serious charge, NCIC) is answered by an IAR.

The status check reads the immigration encounters and the rap sheet's
convictions before the booking date.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import interchange as nist
from ..bus import Handler
from ..domain import ncic
from ..domain.immigration import Encounter, determine_status
from ..domain.rapsheet import Conviction, RapSheet
from ..messages import Actor, CaseReferral, EventKind, ResponseKind, StatusQuery
from ..storage.tables import CriminalSubjectRow, IdentityRow
from .deps import AgencyDeps, Ctx, booking_of


def prior_convictions(s: Session, ucn: str, booking_date: date) -> list[Conviction]:
    subject = s.scalars(select(CriminalSubjectRow).where(CriminalSubjectRow.ucn == ucn)).one()
    return RapSheet.from_dict(subject.rapsheet).convictions(before=booking_date)


def _apply(ctx: Ctx, _plan: None) -> None:
    s, tx = ctx.session, ctx.tx
    booking = booking_of(tx)
    message: StatusQuery = ctx.message
    identity = s.scalars(select(IdentityRow).where(IdentityRow.fin == message.fin)).one()
    charges = [c["ncic"] for c in booking.summary["charges"]]
    known = [c for c in charges if ncic.is_known(c)]
    iaq = {"fin": identity.fin, "ucn": message.ucn,
           "most_serious_charge": ncic.most_serious(known).code if known else None}
    ctx.emit(Actor.LESC, EventKind.IAQ_RECEIVED, iaq)
    encounters = [Encounter.from_dict(e) for e in identity.encounters]
    status = determine_status(encounters, booking.booking_date,
                              prior_convictions(s, message.ucn, booking.booking_date))
    summary = {**iaq, **status.to_dict()}
    body = nist.encode_response("IAR", tcn=f"IAR{tx.id:010d}", tcr=booking.tcn, ori=booking.ori,
                                dai="SCOMMLESC", date=ctx.deps.today(),
                                fields={"STATUS": status.status,
                                        "REMOVABLE": "Y" if status.removable else "N",
                                        "CHARGE": iaq["most_serious_charge"] or "",
                                        "REASONS": "; ".join(status.reasons)})
    ctx.respond(ResponseKind.IAR, body, summary)
    ctx.emit(Actor.LESC, EventKind.IAR_SENT, summary, timed=True)
    ctx.send(CaseReferral(fin=message.fin, ucn=message.ucn, status=status.to_dict()))


CHECK: Handler[AgencyDeps, None] = Handler(apply=_apply)
