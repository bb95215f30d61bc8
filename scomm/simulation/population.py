"""Who is booked where: monthly booking counts by county, and each arrestee's ground truth.

Pure functions of a random generator and the parameters (no I/O): the number
of bookings in a month is Poisson(national population x rate x scale) and is
then allocated to counties by population (multinomial), which is the same in
distribution as a Poisson draw per county and costs one draw instead of 3,147.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from ..domain import ncic
from ..domain.immigration import Encounter
from ..domain.rapsheet import Arrest, Charge, Disposition, RapSheet
from ..world.histories import pick_charges
from .parameters import Parameters

# Prior convictions that make each SC-2008 level (codes from the NCIC table).
AGGRAVATED = ("1315", "1201", "1206", "1314")
FELONIES = ("2299", "3532", "2404", "2604")
MISDEMEANOURS = ("5404", "1313", "2303", "3562", "2399", "5212", "4801", "5311", "2901")


def national_count(rng: np.random.Generator, population: float, params: Parameters,
                   scale: float) -> int:
    """Bookings in one month nationally (Poisson)."""
    return int(rng.poisson(population / 1000.0 * params.bookings_per_1000_per_month * scale))


def allocate(rng: np.random.Generator, total: int, weights: Sequence[float]) -> np.ndarray:
    """Split ``total`` bookings over counties in proportion to ``weights`` (population).

    Non-negative, sums to ``total``; a zero-weight county gets none.
    """
    w = np.asarray(weights, dtype=float)
    if total <= 0 or w.sum() <= 0:
        return np.zeros(len(w), dtype=int)
    return rng.multinomial(total, w / w.sum())


@dataclass(frozen=True)
class Arrestee:
    """What the world knows about a new arrestee (no agency sees this)."""
    profile: str          # citizen | noncitizen-unrecorded | lpr | ewi | overstay |
    #                       prior-removal | naturalised | naturalised-unrecorded
    prior_level: str | None  # None: no prior record; else "1" | "2" | "3" | "non-criminal"

    @property
    def in_ident(self) -> bool:
        return self.profile not in ("citizen", "noncitizen-unrecorded")

    @property
    def citizen(self) -> bool:
        return self.profile in ("citizen", "naturalised", "naturalised-unrecorded")

    @property
    def foreign_born(self) -> bool:
        return self.profile != "citizen"


def draw_arrestee(rng: np.random.Generator, noncitizen_share: float,
                  params: Parameters) -> Arrestee:
    u = rng.random()
    p_nc = min(1.0, noncitizen_share * params.noncitizen_multiple)
    if u < p_nc:
        if rng.random() < params.ident_record_share:
            names = list(params.profiles)
            profile = str(rng.choice(names, p=[params.profiles[n] for n in names]))
            profile = profile.replace("_", "-")
        else:
            profile = "noncitizen-unrecorded"
    elif rng.random() < params.naturalised_share / max(1e-12, 1 - p_nc):
        profile = ("naturalised-unrecorded" if rng.random() < params.naturalised_unrecorded_share
                   else "naturalised")
    else:
        profile = "citizen"
    level = None
    if rng.random() < params.prior_record_share:
        if rng.random() < params.convicted_share:
            lv = params.conviction_levels
            level = str(rng.choice(["1", "2", "3"], p=[lv["level1"], lv["level2"], lv["level3"]]))
        else:
            level = "non-criminal"
    return Arrestee(profile, level)


def prior_rapsheet(rng: np.random.Generator, ucn: str, dob: date, level: str, before: date,
                   ori: str) -> RapSheet:
    """A record whose convictions make ``level`` under SC-2008 (``non-criminal``: arrests
    without conviction)."""
    if level == "1":
        convicted = [str(rng.choice(AGGRAVATED))]
    elif level == "2":
        convicted = ([str(rng.choice(FELONIES))] if rng.random() < 0.6 else
                     [str(c) for c in rng.choice(MISDEMEANOURS, size=3, replace=False)])
    elif level == "3":
        convicted = [str(c) for c in rng.choice(MISDEMEANOURS, size=int(rng.integers(1, 3)),
                                                replace=False)]
    else:
        convicted = []
    acquitted = pick_charges(rng, 1) if not convicted or rng.random() < 0.3 else []
    start = min(dob + timedelta(days=365 * 18), before - timedelta(days=3 * 365))
    span = max((before - start).days - 400, 30)
    arrests = []
    for i, (code, guilty) in enumerate([(c, True) for c in convicted] +
                                       [(c, False) for c in acquitted]):
        when = start + timedelta(days=int(rng.integers(0, span)))
        off = ncic.offence(code)
        arrests.append(Arrest(
            date=when, ori=ori, tcn=f"HIST{ucn[-6:]}{i:02d}",
            charges=[Charge(code, off.description)],
            dispositions=[Disposition(code, when + timedelta(days=int(rng.integers(30, 200))),
                                      guilty, off.description)]))
    arrests.sort(key=lambda a: a.date)
    return RapSheet(ucn=ucn, arrests=arrests)


def encounters_for(rng: np.random.Generator, profile: str, dob: date,
                   before: date) -> list[Encounter]:
    """IDENT's encounters for an arrestee profile, all well before ``before``."""
    latest = before - timedelta(days=400)
    first = min(dob + timedelta(days=365 * int(rng.integers(16, 30))), latest - timedelta(days=900))
    port = str(rng.choice(["SYS", "LOS", "ELP", "MIA", "JFK", "ORD", "HOU"]))
    visa = Encounter("visa_application", first - timedelta(days=45), place="consulate")
    short_stay = Encounter("admission", first, place=port, stay_until=first + timedelta(days=180))
    if profile == "ewi":
        return [Encounter("border_apprehension", first, place=port)]
    if profile == "prior-removal":
        return [Encounter("border_apprehension", first, place=port),
                Encounter("removal", first + timedelta(days=int(rng.integers(20, 400))), place=port)]
    if profile in ("overstay", "naturalised-unrecorded"):
        # naturalised-unrecorded: adjusted and naturalised, but IDENT never heard of it.
        return [visa, short_stay]
    lpr = Encounter("lpr_adjustment", first + timedelta(days=400))
    if profile == "lpr":
        return [visa, short_stay, lpr]
    if profile == "naturalised":
        return [visa, short_stay, lpr,
                Encounter("naturalisation", min(first + timedelta(days=400 + 365 * 5), latest))]
    raise ValueError(f"no IDENT record for profile {profile!r}")
