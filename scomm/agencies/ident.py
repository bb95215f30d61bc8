"""DHS IDENT: tenprint 1:N against immigration encounters; answer an IDR (match or no match)."""
from __future__ import annotations

from sqlalchemy import select

from .. import interchange as nist
from ..bus import StepContext
from ..domain.immigration import Encounter
from ..storage.tables import IdentityRow
from .probe import probe_of


def search(ctx: StepContext) -> None:
    s, tx = ctx.session, ctx.tx
    candidates = ctx.deps.galleries.ident.search(s, probe_of(ctx))
    best = candidates[0] if candidates and candidates[0].decision else None
    summary = {"match": best is not None, "fin": best.subject_id if best else None,
               "score": best.score if best else (candidates[0].score if candidates else None),
               "threshold": candidates[0].threshold if candidates else None}
    body = nist.encode_response("IDR", tcn=f"IDR{tx.id:010d}", tcr=tx.tcn, ori=tx.ori,
                                dai="SCOMMIDNT", date=ctx.deps.today(),
                                fields={"MATCH": "Y" if best else "N", "FIN": summary["fin"] or ""})
    ctx.respond("IDR", body, summary)
    if best is None:
        ctx.emit("ident", "no-match", {**summary, "candidates": [
            {"id": c.subject_id, "score": round(c.score, 3)} for c in candidates[:5]]}, timed=True)
        ctx.finish()
        return
    identity = s.scalars(select(IdentityRow).where(IdentityRow.fin == best.subject_id)).one()
    booking = Encounter("criminal_booking", tx.booking_date, place=tx.ori or "")
    identity.encounters = [*identity.encounters, booking.to_dict()]
    ctx.emit("ident", "match", {**summary, "match_detail": best.explain()}, timed=True)
    ctx.send("lesc", {"fin": identity.fin, "ucn": ctx.payload.get("ucn")})
