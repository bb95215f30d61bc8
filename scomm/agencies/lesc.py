"""ICE LESC: on an IDENT match, an IAQ (most serious charge, NCIC) is answered by an IAR.

The status check reads the immigration encounters and the rap sheet's
convictions before the booking date.
"""
from __future__ import annotations

from sqlalchemy import select

from .. import interchange as nist
from ..bus import StepContext
from ..domain import ncic
from ..domain.immigration import Encounter, determine_status
from ..domain.rapsheet import RapSheet
from ..storage.tables import CriminalSubjectRow, IdentityRow


def prior_convictions(ctx: StepContext, ucn: str):
    subject = ctx.session.scalars(select(CriminalSubjectRow)
                                  .where(CriminalSubjectRow.ucn == ucn)).one()
    return RapSheet.from_dict(subject.rapsheet).convictions(before=ctx.tx.booking_date)


def check(ctx: StepContext) -> None:
    s, tx = ctx.session, ctx.tx
    identity = s.scalars(select(IdentityRow).where(IdentityRow.fin == ctx.payload["fin"])).one()
    charges = [c["ncic"] for c in tx.booking["charges"]]
    known = [c for c in charges if ncic.is_known(c)]
    iaq = {"fin": identity.fin, "ucn": ctx.payload["ucn"],
           "most_serious_charge": ncic.most_serious(known).code if known else None}
    ctx.emit("lesc", "iaq-received", iaq)
    encounters = [Encounter.from_dict(e) for e in identity.encounters]
    status = determine_status(encounters, tx.booking_date, prior_convictions(ctx, iaq["ucn"]))
    summary = {**iaq, **status.to_dict()}
    body = nist.encode_response("IAR", tcn=f"IAR{tx.id:010d}", tcr=tx.tcn, ori=tx.ori,
                                dai="SCOMMLESC", date=ctx.deps.today(),
                                fields={"STATUS": status.status,
                                        "REMOVABLE": "Y" if status.removable else "N",
                                        "CHARGE": iaq["most_serious_charge"] or "",
                                        "REASONS": "; ".join(status.reasons)})
    ctx.respond("IAR", body, summary)
    ctx.emit("lesc", "iar-sent", summary, timed=True)
    ctx.send("field_office", {**ctx.payload, "status": status.to_dict()})
