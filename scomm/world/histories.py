"""Synthetic criminal histories and immigration encounters for the seeded world."""
from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from ..domain import ncic
from ..domain.immigration import Encounter
from ..domain.rapsheet import Arrest, Charge, Disposition, RapSheet

# Charges arrestees are booked on, with weights (misdemeanours dominate, as in real jails).
CHARGE_MIX = {"5404": 14, "1313": 12, "2303": 10, "3562": 10, "2399": 6, "2299": 5, "1315": 5,
              "3532": 4, "5212": 4, "2404": 3, "2604": 3, "4801": 3, "5311": 4, "1201": 2,
              "0911": 1, "1102": 1, "3599": 5, "5499": 4, "2901": 4}


def charge_codes() -> tuple[list[str], np.ndarray]:
    codes = [c for c in CHARGE_MIX if ncic.is_known(c)]
    w = np.array([CHARGE_MIX[c] for c in codes], float)
    return codes, w / w.sum()


def pick_charges(r: np.random.Generator, k: int | None = None) -> list[str]:
    codes, p = charge_codes()
    k = k or int(r.choice([1, 1, 1, 2, 2, 3]))
    return [str(c) for c in r.choice(codes, size=k, replace=False, p=p)]


def rap_sheet(r: np.random.Generator, ucn: str, dob: date, until: date, ori: str) -> RapSheet:
    """1-4 prior arrests between age 18 and ``until``, about 60% of charges convicted."""
    arrests = []
    start = dob + timedelta(days=365 * 18)
    span = max((until - start).days, 30)
    for i in sorted(int(x) for x in r.integers(0, span, size=int(r.integers(1, 5)))):
        when = start + timedelta(days=i)
        charges = [Charge(c, ncic.offence(c).description) for c in pick_charges(r)]
        dispositions = [Disposition(c.ncic, when + timedelta(days=int(r.integers(30, 200))),
                                    bool(r.random() < 0.6), c.literal) for c in charges]
        arrests.append(Arrest(date=when, ori=ori, tcn=f"HIST{r.integers(10**9):09d}",
                              charges=charges, dispositions=dispositions))
    return RapSheet(ucn=ucn, arrests=arrests)


def encounters(r: np.random.Generator, profile: str, dob: date) -> list[Encounter]:
    """A plausible immigration history for the profile, all before 2008."""
    first = dob + timedelta(days=365 * int(r.integers(16, 30)))
    first = min(first, date(2007, 6, 1))
    port = str(r.choice(["SYS", "LOS", "ELP", "MIA", "JFK", "ORD", "HOU"]))
    if profile == "naturalised":
        lpr = first + timedelta(days=365 * int(r.integers(1, 4)))
        return [Encounter("visa_application", first - timedelta(days=60), place="consulate"),
                Encounter("admission", first, stay_until=first + timedelta(days=180), place=port),
                Encounter("lpr_adjustment", lpr),
                Encounter("naturalisation", min(lpr + timedelta(days=365 * 5), date(2008, 6, 1)))]
    kind = str(r.choice(["ewi", "overstay", "removed", "lpr", "in_status"],
                        p=[0.35, 0.25, 0.15, 0.15, 0.10]))
    if kind == "ewi":
        return [Encounter("border_apprehension", first, place=port)]
    if kind == "removed":
        return [Encounter("border_apprehension", first, place=port),
                Encounter("removal", first + timedelta(days=int(r.integers(20, 400))), place=port)]
    admitted = Encounter("admission", first, place=port,
                         stay_until=first + timedelta(days=180 if kind != "in_status" else 365 * 10))
    visa = Encounter("visa_application", first - timedelta(days=45), place="consulate")
    if kind == "lpr":
        return [visa, admitted, Encounter("lpr_adjustment", first + timedelta(days=400))]
    return [visa, admitted]
