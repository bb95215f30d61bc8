"""ICE field office: open a case under the policy in force, decide on a detainer,
and follow the jail's side (release, the 48-hour hold, custody, outcome).

The policy is ``deps.policy`` (a ``PolicySet``: the packaged record, or a
simulation's counterfactual) with the users' entries laid over it. On the
booking date it gives the priority framework, the state's agreements and the
county jail's detainer policy for this person, and the detainer decision; the
case stores all three and its event names the rule, the convictions it fired
on and the policy entries that decided.

The jail's side is recorded by a person or a simulation with (simulated)
times: ``record_release``, ``record_custody``, ``sweep_lapsed_holds``,
``record_outcome``. Every change is audited (the hash-chained trail) and evented.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..bus import Handler
from ..clock import as_utc, now
from ..domain import hold as hold_clock
from ..domain.detainer import FORMS
from ..domain.frameworks.base import ImmigrationContext
from ..domain.immigration import Encounter, ImmigrationStatus
from ..domain.policyset import policy_origin
from ..messages import Actor, CaseReferral, EventKind
from ..security.principal import Principal
from ..storage import audit
from ..storage.policies import policy_set
from ..storage.tables import CaseRow, EventRow, IdentityRow
from .deps import AgencyDeps, Ctx, booking_of
from .lesc import prior_convictions

OUTCOMES = ("removed", "returned", "released", "proceedings-terminated", "us-citizen",
            "detainer-lapsed")
HELD = "held-on-detainer"
RELEASED = "released-by-jail"
IN_CUSTODY = "in-ice-custody"


def open_case(ctx: Ctx, _plan: None) -> None:
    s, tx, deps = ctx.session, ctx.tx, ctx.deps
    booking = booking_of(tx)
    message: CaseReferral = ctx.message
    on = booking.booking_date
    policy = policy_set(s, deps.policy)
    county = deps.jurisdictions.county(booking.county_fips)
    office = deps.jurisdictions.field_office_for(booking.county_fips)
    choice = policy.framework_choice(on)
    convictions = prior_convictions(s, message.ucn, on)
    charges = [c["ncic"] for c in booking.summary.get("charges", [])]
    context = ImmigrationContext.from_record(_encounters(s, message.fin), on,
                                             pending_charges=charges)
    classification = choice.framework.classify(convictions, context)
    status = ImmigrationStatus(**message.status)
    agreement = policy.agreement(county.state_code, county.fips, on, convictions=convictions,
                                 level=classification.level, pending_charge=bool(charges),
                                 prior_removal=context.previously_removed
                                 or status.status == "PRIOR_REMOVAL")
    jail = agreement.jail_honours_detainer
    # A jail's finding is True, False or None (depends on the person's record), never text.
    jail_honours = jail.value if isinstance(jail.value, bool) else None
    detainer = policy.detainer(status, classification, convictions=convictions, context=context,
                               on=on, jail_honours=jail_honours)
    # Only a hold asks the jail to keep the person; a notification or transfer request
    # does not, so "honoured" is left unknown for those (None).
    honoured = jail_honours if detainer.issued and detainer.request == "hold" else None
    case = CaseRow(transaction_id=tx.id, field_office=office.code if office else None,
                   opened_at=now(), level=classification.level,
                   classification=classification.to_dict(), removable=status.removable,
                   status="detainer-issued" if detainer.issued else "no-action",
                   detainer=detainer.to_dict(), framework=choice.id,
                   agreement=agreement.to_dict(), detainer_honoured=honoured)
    s.add(case)
    ctx.emit(Actor.FIELD_OFFICE, EventKind.CASE_OPENED, {
        "field_office": case.field_office, "framework": choice.id,
        "framework_reason": choice.reason, "level": classification.level,
        "priority": classification.priority, "category": classification.category,
        "rule": classification.rule, "convictions": list(classification.convictions),
        "rule_fired": _rule_fired(classification),
        "reasons": classification.reasons, "detainer": detainer.to_dict(),
        "jail_honours_detainer": jail.to_dict(), "detainer_honoured": honoured,
        "policy": policy.label, "decided_by": _decided_by(policy, detainer, jail)}, timed=True)
    ctx.finish()


def _encounters(s: Session, fin: str | None) -> list[Encounter]:
    if not fin:
        return []
    row = s.scalars(select(IdentityRow).where(IdentityRow.fin == fin)).first()
    return [Encounter.from_dict(e) for e in row.encounters] if row else []


def _rule_fired(c) -> str:
    on = ", ".join(c.convictions) if c.convictions else "no conviction"
    return f"{c.framework} rule {c.rule} (priority {c.category or c.priority}) on {on}"


def _decided_by(policy, detainer, jail) -> dict:
    """Which policy decided what: the jail's entries and the detainer policy/file."""
    return {"jail_honours_detainer": [{"id": e.id, "origin": policy_origin(e),
                                       "effective_from": e.effective_from.isoformat()}
                                      for e in jail.entries],
            "detainer_policy": detainer.policy, "policy_set": policy.label}


# ---------------------------------------------------------------- outcomes and the jail's side

class OutcomeError(ValueError):
    pass


def _iso(t: datetime) -> str:
    return t.isoformat()


def _record(s: Session, case: CaseRow, by: Principal, action: str, kind: EventKind, data: dict,
            at: datetime) -> None:
    audit.append(s, by, action, f"case/{case.id}", data={**data, "at": _iso(at)})
    s.add(EventRow(transaction_id=case.transaction_id, at=at, actor=Actor.FIELD_OFFICE, kind=kind,
                   data={**data, "by": by.name}))


def record_outcome(s: Session, case: CaseRow, outcome: str, by: Principal, note: str = "",
                   at: datetime | None = None) -> None:
    """Close the case with ``outcome`` at ``at`` (default now); audited and evented."""
    if outcome not in OUTCOMES:
        raise OutcomeError(f"unknown outcome {outcome!r}; expected one of {', '.join(OUTCOMES)}")
    at = at or now()
    previous = case.outcome
    case.outcome, case.outcome_at, case.status = outcome, at, "closed"
    audit.append(s, by, "record-outcome", f"case/{case.id}",
                 data={"from": previous, "to": outcome, "note": note, "at": _iso(at)})
    s.add(EventRow(transaction_id=case.transaction_id, at=at, actor=Actor.FIELD_OFFICE,
                   kind=EventKind.OUTCOME_RECORDED, data={"outcome": outcome, "by": by.name, "note": note}))


def record_release(s: Session, case: CaseRow, at: datetime, by: Principal) -> dict:
    """The jail was due to release the person at ``at``.

    A hold request the jail honours (or may honour: ``detainer_honoured`` None)
    starts the 48-hour clock (``hold.py``; the I-247A counts plain hours):
    ``case.hold = {"release_at", "lapses_at", "excluded_days", ...}``, status
    ``held-on-detainer``. Otherwise the person walks out (status
    ``released-by-jail``, ``case.hold["reasons"]`` says why: no hold requested, or
    the jail declines it); the case's outcome stays open (ICE may still arrest)."""
    if case.outcome is not None:
        raise OutcomeError(f"case {case.id} is closed ({case.outcome}): no release to record")
    if case.hold:
        raise OutcomeError(f"case {case.id}: release already recorded at {case.hold['release_at']}")
    det = case.detainer or {}
    requested = bool(det.get("issued")) and det.get("request") == "hold"
    if requested and case.detainer_honoured is not False:
        form = next((f for f in FORMS if f.code == det.get("form")), None)
        excludes = form.excludes_weekends if form else True
        st = hold_clock.hold_status(at, at, excludes_weekends=excludes)
        skipped = hold_clock.excluded_days(at, st.lapses_at) if excludes else []
        case.hold = {"release_at": _iso(at), "lapses_at": _iso(st.lapses_at),
                     "excluded_days": [[d.isoformat(), why] for d, why in skipped],
                     "excludes_weekends": excludes, "form": det.get("form"),
                     "reasons": st.reasons[:-1]}
        case.status = HELD
        _record(s, case, by, "hold-start", EventKind.HOLD_STARTED, dict(case.hold), at)
        return dict(case.hold)
    why = ("no hold requested" + (f" ({det.get('request')} request {det.get('form')})"
                                  if det.get("issued") else "")
           if not requested else "the jail does not honour the detainer: " +
           (((case.agreement or {}).get("jail_honours_detainer") or {}).get("reason") or ""))
    case.hold = {"release_at": _iso(at), "lapses_at": None, "excluded_days": [],
                 "declined": requested, "reasons": [why]}
    case.status = RELEASED
    _record(s, case, by, "jail-release", EventKind.RELEASED_BY_JAIL, dict(case.hold), at)
    return dict(case.hold)


def record_custody(s: Session, case: CaseRow, at: datetime, by: Principal) -> None:
    """ICE took custody at ``at`` (from the jail on a hold, or later at large)."""
    if case.custody_at is not None:
        raise OutcomeError(f"case {case.id}: ICE custody already recorded at "
                           f"{case.custody_at.isoformat()}")
    lapses = (case.hold or {}).get("lapses_at")
    if lapses:
        within = as_utc(at) < as_utc(datetime.fromisoformat(lapses))
        where = "within the hold" if within else "after the hold lapsed"
    else:
        where = "no hold in force"
    case.custody_at, case.status = at, IN_CUSTODY
    _record(s, case, by, "ice-custody", EventKind.ICE_CUSTODY, {"custody_at": _iso(at),
                                                           "note": where}, at)


def sweep_lapsed_holds(s: Session, at: datetime, by: Principal,
                       field_office: str | None = None) -> list[int]:
    """Close every honoured hold (of one field office, if given) that has lapsed by ``at``
    with no ICE custody: outcome ``detainer-lapsed`` at the lapse time (the person is
    released). Returns the case ids."""
    closed = []
    q = (select(CaseRow).where(CaseRow.status == HELD, CaseRow.custody_at.is_(None),
                               CaseRow.outcome.is_(None)).order_by(CaseRow.id).with_for_update())
    if field_office is not None:
        q = q.where(CaseRow.field_office == field_office)
    for case in s.scalars(q):
        if case.hold is None:   # record_release sets the hold with the status
            raise ValueError(f"case {case.id} is {HELD} but has no hold recorded")
        lapses = datetime.fromisoformat(case.hold["lapses_at"])
        if as_utc(at) >= as_utc(lapses):
            record_outcome(s, case, hold_clock.LAPSED_OUTCOME, by,
                           f"{hold_clock.LAPSED_TEXT} at {_iso(lapses)} (swept at {_iso(at)})",
                           at=lapses)
            closed.append(case.id)
    return closed


def case_for(s: Session, transaction_id: int, *, for_update: bool = False) -> CaseRow | None:
    q = select(CaseRow).where(CaseRow.transaction_id == transaction_id)
    return s.scalars(q.with_for_update() if for_update else q).first()


OPEN_CASE: Handler[AgencyDeps, None] = Handler(apply=open_case)
