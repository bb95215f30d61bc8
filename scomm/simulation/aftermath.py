"""After a simulated month: the jail releases, holds are honoured or lapse, ICE takes
custody, and removals, returns and terminations are recorded, all in simulated time.

Each case's random draws come from its own generator keyed by (seed, TCN), and
are drawn in a fixed order whatever happens, so two runs that differ only by
policy make the same draws for the same person (common random numbers): a
difference between runs is the policy's, not the dice's.

The field office's own functions record every step (``record_release``,
``record_custody``, ``sweep_lapsed_holds``, ``record_outcome``), so a simulated
case carries the same audit trail as one a person updated by hand.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from statistics import NormalDist

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..agencies import field_office as fo
from ..security.principal import system
from ..storage.tables import CaseRow, TransactionRow
from ..world.people import rng_for
from .parameters import LEVEL_OF, Parameters

ACTOR = system("simulation")


@dataclass(frozen=True)
class Draws:
    """One case's dice, all thrown up front."""
    release_days: float
    honour: float
    custody: float
    pickup: float
    outcome: float
    delay: float

    @classmethod
    def of(cls, seed: int, tcn: str) -> Draws:
        r = rng_for("aftermath", seed, tcn)
        return cls(*(float(x) for x in r.random(6)))


def release_delay(u: float, params: Parameters) -> timedelta:
    """Lognormal days in jail from the uniform ``u`` (inverse CDF), capped."""
    z = NormalDist().inv_cdf(min(max(u, 1e-9), 1 - 1e-9))
    days = min(params.release_median_days * math.exp(params.release_sigma * z),
               params.release_max_days)
    return timedelta(days=days)


def exp_days(u: float, mean: float) -> timedelta:
    return timedelta(days=-mean * math.log(1 - min(u, 1 - 1e-9)))


def outcome_for(level_key: str, u: float, citizen: bool, params: Parameters) -> str:
    if citizen:
        return "us-citizen"
    removed, returned = params.removed_rate[level_key], params.returned_rate[level_key]
    if u < removed:
        return "removed"
    if u < removed + returned:
        return "returned"
    return "proceedings-terminated"


def booked_at(d: date) -> datetime:
    return datetime.combine(d, time(9, 0), tzinfo=UTC)


def run_aftermath(s: Session, month: str, seed: int, params: Parameters,
                  citizens: set[str]) -> dict[str, int]:
    """Follow every case of bookings made in ``month`` that has no release yet.

    ``citizens``: TCNs of bookings whose person is, in truth, a US citizen (the
    world's ground truth; the agencies do not see it).
    """
    y, m = map(int, month.split("-"))
    first = date(y, m, 1)
    nxt = date(y + (m == 12), m % 12 + 1, 1)
    rows = s.execute(select(CaseRow, TransactionRow.tcn, TransactionRow.booking_date)
                     .join(TransactionRow, TransactionRow.id == CaseRow.transaction_id)
                     .where(TransactionRow.booking_date >= first,
                            TransactionRow.booking_date < nxt, CaseRow.hold.is_(None),
                            CaseRow.outcome.is_(None))
                     .order_by(TransactionRow.booking_date, CaseRow.id)).all()
    tally = {"cases": 0, "held": 0, "custody": 0, "lapsed": 0}
    latest: datetime | None = None
    custody: list[tuple[CaseRow, str, Draws, datetime]] = []
    for case, tcn, booking_date, in rows:
        if tcn is None or booking_date is None:   # cases are opened for accepted bookings only
            raise ValueError(f"case {case.id}: its booking has no TCN or no booking date")
        tally["cases"] += 1
        d = Draws.of(seed, tcn)
        release = booked_at(booking_date) + release_delay(d.release_days, params)
        det = case.detainer or {}
        if det.get("issued") and det.get("request") == "hold" and case.detainer_honoured is None:
            # No jurisdiction policy decided: the jail's usual practice.
            case.detainer_honoured = d.honour < params.default_honour_rate
        hold = fo.record_release(s, case, release, ACTOR)
        latest = max(latest, release) if latest else release
        level_key = LEVEL_OF.get(case.level, "non-criminal")
        pickup = timedelta(hours=params.pickup_hours[0] + d.pickup * (
            params.pickup_hours[1] - params.pickup_hours[0]))
        if hold.get("lapses_at"):
            tally["held"] += 1
            if d.custody < params.custody_rate[level_key]:
                fo.record_custody(s, case, release + pickup, ACTOR)
                custody.append((case, tcn, d, release + pickup))
        elif det.get("issued") and det.get("request") in ("notification", "transfer"):
            # Told of the release (or asked for a transfer), ICE comes at the time of release.
            if d.custody < params.custody_rate[level_key]:
                fo.record_custody(s, case, release, ACTOR)
                custody.append((case, tcn, d, release))
    if latest is not None:
        s.flush()
        tally["lapsed"] = len(fo.sweep_lapsed_holds(s, latest + timedelta(days=7), ACTOR))
    for case, tcn, d, at in custody:
        tally["custody"] += 1
        citizen = tcn in citizens
        level_key = LEVEL_OF.get(case.level, "non-criminal")
        outcome = outcome_for(level_key, d.outcome, citizen, params)
        mean = (params.citizen_cleared_days if citizen else params.outcome_delay_days[level_key])
        note = ("simulated: found to be a US citizen (IDENT record predates naturalisation)"
                if citizen else f"simulated outcome for level {case.level}")
        fo.record_outcome(s, case, outcome, ACTOR, note, at=at + exp_days(d.delay, mean))
    return tally
