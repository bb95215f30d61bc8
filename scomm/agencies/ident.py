"""DHS IDENT: tenprint 1:N against immigration encounters; answer an IDR (match or no match)."""
from __future__ import annotations

from sqlalchemy import select

from .. import interchange as nist
from ..biometrics import Candidate
from ..bus import Handler
from ..domain.immigration import Encounter
from ..messages import Actor, EventKind, ImmigrationSearch, ResponseKind, StatusQuery
from ..storage.tables import IdentityRow
from .deps import AgencyDeps, Ctx, View, booking_of
from .probe import probe_of


def _search(view: View) -> list[Candidate]:
    probe = probe_of(view.session, view.tx.id)
    return view.deps.engine.identify("ident", probe).candidates


def _apply(ctx: Ctx, candidates: list[Candidate]) -> None:
    s, tx = ctx.session, ctx.tx
    booking = booking_of(tx)
    message: ImmigrationSearch = ctx.message
    best = candidates[0] if candidates and candidates[0].decision else None
    fin = best.subject_id if best else None
    summary = {"match": best is not None, "fin": fin,
               "score": best.score if best else (candidates[0].score if candidates else None),
               "threshold": candidates[0].threshold if candidates else None}
    body = nist.encode_response("IDR", tcn=f"IDR{tx.id:010d}", tcr=booking.tcn, ori=booking.ori,
                                dai="SCOMMIDNT", date=ctx.deps.today(),
                                fields={"MATCH": "Y" if best else "N", "FIN": fin or ""})
    ctx.respond(ResponseKind.IDR, body, summary)
    if best is None:
        ctx.emit(Actor.IDENT, EventKind.NO_MATCH, {**summary, "candidates": [
            {"id": c.subject_id, "score": round(c.score, 3)} for c in candidates[:5]]}, timed=True)
        ctx.finish()
        return
    identity = s.scalars(select(IdentityRow).where(IdentityRow.fin == best.subject_id)
                         .with_for_update()).one()
    encounter = Encounter("criminal_booking", booking.booking_date, place=booking.ori)
    identity.encounters = [*identity.encounters, encounter.to_dict()]
    ctx.emit(Actor.IDENT, EventKind.MATCH, {**summary, "match_detail": best.explain()}, timed=True)
    ctx.send(StatusQuery(fin=identity.fin, ucn=message.ucn))


SEARCH: Handler[AgencyDeps, list[Candidate]] = Handler(apply=_apply, prepare=_search)
