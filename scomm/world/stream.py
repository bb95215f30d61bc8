"""A stream of bookings across the real 2008-2014 rollout, for the demo and the simulation."""
from __future__ import annotations

from datetime import date, timedelta

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain.jurisdictions import Jurisdictions
from ..storage.tables import PersonRow
from .booking import BookingOrder
from .histories import pick_charges
from .people import Person, make_person, rng_for

FIRST_DAY, LAST_DAY = date(2008, 10, 27), date(2014, 11, 20)
NEW_PERSON_SHARE = 0.3
NEW_PEOPLE_WORLD = 9999  # people never seen by any repository come from this world seed


def person_of(row: PersonRow) -> Person:
    return Person(row.id, row.seed, row.profile, row.name, row.dob, row.sex, row.race, row.pob)


def new_person(s: Session, index: int) -> Person:
    """Someone no repository has seen; recorded in the world's ground truth."""
    p = make_person(NEW_PEOPLE_WORLD, index, profile="never-seen")
    if s.get(PersonRow, p.id) is None:
        s.add(PersonRow(id=p.id, seed=p.seed, profile=p.profile, name=p.name, dob=p.dob,
                        sex=p.sex, race=p.race, pob=p.pob))
    return p


def booking_stream(s: Session, j: Jurisdictions, n: int, seed: int) -> list[BookingOrder]:

    r = rng_for("stream", seed)
    known = [person_of(p) for p in s.scalars(select(PersonRow)
                                             .where(PersonRow.profile != "never-seen"))]
    counties = [c for c in j.counties() if c.population > 0 and c.activation_date]
    weights = np.array([c.population for c in counties], float)
    weights /= weights.sum()
    days = (LAST_DAY - FIRST_DAY).days
    orders = []
    for i in range(n):
        if known and r.random() >= NEW_PERSON_SHARE:
            person = known[int(r.integers(len(known)))]
        else:
            person = new_person(s, seed * 100000 + i)
        county = counties[int(r.choice(len(counties), p=weights))]
        when = FIRST_DAY + timedelta(days=int(r.integers(days)))
        orders.append(BookingOrder(person, j.sheriff_ori(county.fips), when,
                                   tuple(pick_charges(r)), impression=seed * 100000 + i))
    return orders
