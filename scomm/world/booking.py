"""Make a booking: a realistic EBTS criminal tenprint submission (CAR) for one person."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

from .. import interchange as nist
from ..biometrics.synth import subject_tenprint
from ..domain import ncic
from .people import Person


@dataclass(frozen=True)
class BookingOrder:
    person: Person
    ori: str
    arrest_date: date
    charges: tuple[str, ...]
    impression: int  # which fresh impression of the person's fingers
    tcn: str = ""


def tcn_for(order: BookingOrder) -> str:
    h = hashlib.sha256(f"{order.person.id}|{order.ori}|{order.arrest_date}|{order.impression}"
                       .encode()).hexdigest()
    return f"{order.ori[:2]}{order.arrest_date:%y%m%d}{int(h[:10], 16) % 10**8:08d}"


def make_car(order: BookingOrder) -> bytes:
    p = order.person
    fingers = subject_tenprint(p.seed, 1000 + order.impression)
    return nist.encode_car(
        tcn=order.tcn or tcn_for(order), ori=order.ori, dai="SCOMMSIB0", date=order.arrest_date,
        name=p.name, dob=p.dob, sex=p.sex, race=p.race, pob=p.pob, arrest_date=order.arrest_date,
        charges=[nist.Charge(c, ncic.offence(c).description if ncic.is_known(c) else "")
                 for c in order.charges],
        fingers=fingers)
