"""One simulated month of bookings: the plan, the prints to render, the world that grows.

A month's plan is a pure function of (seed, month, scale, parameters and the
people booked in earlier months), so a resumed or counterfactual run books
the same people in the same counties on the same days: runs differ only by
policy. New arrestees with a prior record are enrolled in CJIS, and those with
an immigration record in IDENT, with prints rendered from their master seed,
before their first booking is submitted.
"""
from __future__ import annotations

import calendar
import hashlib
import os
import pickle
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..clock import now
from ..domain.jurisdictions import County
from ..storage.tables import CriminalFingerRow, CriminalSubjectRow, IdentityFingerRow, IdentityRow, PersonRow
from ..world.booking import BookingOrder, make_car
from ..world.histories import pick_charges
from ..world.people import Person, make_person, rng_for
from ..world.prints import enrolment_templates
from ..world.stream import person_of
from .parameters import Parameters
from .population import Arrestee, allocate, draw_arrestee, encounters_for, national_count, prior_rapsheet

PER_MONTH = 100_000   # person and impression numbers: month index * PER_MONTH + k
CJIS_IMPRESSION, IDENT_IMPRESSION = 1, 2


def month_index(month: str) -> int:
    y, m = map(int, month.split("-"))
    return (y - 2000) * 12 + (m - 1)


def months(first: str, last: str) -> list[str]:
    out, i, end = [], month_index(first), month_index(last)
    while i <= end:
        out.append(f"{2000 + i // 12:04d}-{i % 12 + 1:02d}")
        i += 1
    return out


@dataclass(frozen=True)
class PlannedBooking:
    order: BookingOrder
    arrestee: Arrestee | None   # None: someone booked in an earlier month (re-arrest)
    home_fips: str

    @property
    def person(self) -> Person:
        return self.order.person

    def enrolments(self, params: Parameters) -> list[tuple[int, int]]:
        """(print seed, impression) of records to create before this booking."""
        a = self.arrestee
        if a is None:
            return []
        jobs = []
        if a.prior_level is not None and (a.foreign_born or params.enrol_citizen_priors):
            jobs.append((self.person.seed, CJIS_IMPRESSION))
        if a.in_ident:
            jobs.append((self.person.seed, IDENT_IMPRESSION))
        return jobs


def month_count(seed: int, month: str, population: float, params: Parameters,
                scale: float) -> int:
    """The national booking count of the month (the plan's first draw, repeated)."""
    return national_count(rng_for("simulate", seed, month), population, params, scale)


def plan_month(seed: int, month: str, counties: list[County], params: Parameters, scale: float,
               earlier: list[Person], sheriff_ori) -> list[PlannedBooking]:
    r = rng_for("simulate", seed, month)
    total = national_count(r, sum(c.population for c in counties), params, scale)
    per_county = allocate(r, total, [c.population for c in counties])
    y, m = map(int, month.split("-"))
    days = calendar.monthrange(y, m)[1]
    base = month_index(month) * PER_MONTH
    plan: list[PlannedBooking] = []
    for ci in np.flatnonzero(per_county):
        county = counties[int(ci)]
        share = county.noncitizen_population / county.population if county.population else 0.0
        for _ in range(int(per_county[ci])):
            k = base + len(plan)
            when = date(y, m, int(r.integers(1, days + 1)))
            if earlier and r.random() < params.rearrest_share:
                person, arrestee = earlier[int(r.integers(len(earlier)))], None
            else:
                arrestee = draw_arrestee(r, share, params)
                person = make_person(seed, k, profile=arrestee.profile)
            order = BookingOrder(person, sheriff_ori(county.fips), when,
                                 tuple(pick_charges(r)), impression=k)
            plan.append(PlannedBooking(order, arrestee, county.fips))
    plan.sort(key=lambda b: (b.order.arrest_date, b.order.impression))
    return plan


def earlier_people(s: Session, seed: int, month: str) -> list[Person]:
    """People first booked before ``month`` (ids carry the month of their first booking)."""
    prefix = f"P{seed:04d}-"
    limit = month_index(month) * PER_MONTH
    rows = s.scalars(select(PersonRow).where(PersonRow.id.like(prefix + "%"))
                     .order_by(PersonRow.id))
    people = [person_of(p) for p in rows if int(p.id[len(prefix):]) < limit]
    return sorted(people, key=lambda p: int(p.id[len(prefix):]))


# ---------------------------------------------------------------- rendering (process pool)

def render(job: tuple):
    """("enrol", seed, impression, extractor) -> templates; ("car", order) -> CAR bytes."""
    if job[0] == "enrol":
        return enrolment_templates((job[1], job[2], job[3]))
    return make_car(job[1])


def render_cached(item: tuple[str | None, tuple]):
    """``render`` through an optional on-disk cache (directory, job).

    Runs with the same seed book the same people with the same prints, so a
    counterfactual run can reuse the baseline's rendering; the chain's own work
    (intake extraction, searches, decisions) is never cached.
    """
    cache, job = item
    if not cache:
        return render(job)
    key = hashlib.sha256(repr(job).encode()).hexdigest()
    path = Path(cache) / key[:2] / f"{key}.pickle"
    if path.exists():
        return pickle.loads(path.read_bytes())
    out = render(job)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(pickle.dumps(out))
    tmp.replace(path)
    return out


# ---------------------------------------------------------------- the world grows

def enrol(s: Session, b: PlannedBooking, prints: dict[tuple[int, int], dict], seed: int) -> None:
    """Record a new arrestee (ground truth) and their prior CJIS/IDENT records; idempotent."""
    p, a = b.person, b.arrestee
    if a is None or s.get(PersonRow, p.id) is not None:
        return
    r = rng_for("records", seed, p.id)
    row = PersonRow(id=p.id, seed=p.seed, profile=p.profile, name=p.name, dob=p.dob, sex=p.sex,
                    race=p.race, pob=p.pob)
    if (p.seed, CJIS_IMPRESSION) in prints:
        ucn = f"F{p.seed % 10**9:09d}"
        sheet = prior_rapsheet(r, ucn, p.dob, a.prior_level or "non-criminal",
                               b.order.arrest_date, b.order.ori)
        subject = CriminalSubjectRow(ucn=ucn, name=p.name, dob=p.dob, sex=p.sex, race=p.race,
                                     pob=p.pob, enrolled_at=now(), rapsheet=sheet.to_dict())
        s.add(subject)
        s.flush()
        for finger, f in prints[(p.seed, CJIS_IMPRESSION)].items():
            s.add(CriminalFingerRow(subject_id=subject.id, finger=finger, template=f.template,
                                    quality=f.quality, image=f.image))
        row.ucn = ucn
    if (p.seed, IDENT_IMPRESSION) in prints:
        fin = f"FIN{p.seed % 10**9:09d}"
        identity = IdentityRow(fin=fin, name=p.name, dob=p.dob, country_of_birth=p.pob,
                               encounters=[e.to_dict() for e in encounters_for(
                                   r, a.profile, p.dob, b.order.arrest_date)])
        s.add(identity)
        s.flush()
        for finger, f in prints[(p.seed, IDENT_IMPRESSION)].items():
            s.add(IdentityFingerRow(identity_id=identity.id, finger=finger, template=f.template,
                                    quality=f.quality, image=f.image))
        row.fin = fin
    s.add(row)
