"""Synthetic people: deterministic from (world seed, index). Nobody here is real."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

FIRST = {"M": ["JAMES", "JOSE", "MICHAEL", "LUIS", "DAVID", "CARLOS", "JOHN", "WEI", "AHMED",
               "ROBERT", "JUAN", "DANIEL", "OMAR", "KWAME", "ANDREI", "MIGUEL", "TUAN", "RAJ"],
         "F": ["MARIA", "JENNIFER", "ANA", "LINDA", "GUADALUPE", "MEI", "FATIMA", "SARAH",
               "ROSA", "AISHA", "ELENA", "PRIYA", "LISA", "CARMEN", "NGOC", "OLGA", "AMA", "JOY"]}
LAST = ["SMITH", "GARCIA", "JOHNSON", "MARTINEZ", "NGUYEN", "BROWN", "HERNANDEZ", "LOPEZ",
        "WILLIAMS", "GONZALEZ", "KIM", "PATEL", "JONES", "RODRIGUEZ", "CHEN", "DAVIS", "PEREZ",
        "OKAFOR", "IVANOV", "SANCHEZ", "MILLER", "RAMIREZ", "TRAN", "WILSON", "FLORES", "KHAN"]
# Place of birth: EBTS uses two-letter state/country codes.
US_POB = ["CA", "TX", "NY", "IL", "FL", "AZ", "GA", "MA", "OH", "WA"]
FOREIGN_POB = ["MX", "GT", "SV", "HO", "CH", "IN", "VM", "PH", "DR", "CU", "NI", "CO"]
RACES = ["W", "B", "A", "I", "U"]

# Who is in which repository. Shares are stated, not measured.
PROFILES = (
    ("citizen", 0.45),          # criminal file only
    ("noncitizen", 0.20),       # criminal file and IDENT
    ("visitor", 0.25),          # IDENT only, never arrested before
    ("naturalised", 0.10),      # IDENT record predates citizenship; half with a rap sheet
)


def rng_for(*parts: object) -> np.random.Generator:
    h = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return np.random.default_rng(int.from_bytes(h[:8], "little"))


def derived_seed(*parts: object) -> int:
    h = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(h[:4], "little") & 0x7FFFFFFF


@dataclass(frozen=True)
class Person:
    id: str
    seed: int
    profile: str
    name: str
    dob: date
    sex: str
    race: str
    pob: str


def make_person(world_seed: int, index: int, profile: str | None = None) -> Person:
    r = rng_for("person", world_seed, index)
    names = [name for name, _ in PROFILES]
    shares = [share for _, share in PROFILES]
    if profile is not None:
        kind = profile
    elif index < len(names):
        kind = names[index]  # the first people of a world cover every profile
    else:
        kind = str(r.choice(names, p=shares))
    sex = "M" if r.random() < 0.75 else "F"  # arrestees are mostly men
    foreign = kind != "citizen"
    pob = str(r.choice(FOREIGN_POB if foreign else US_POB))
    dob = date(1950, 1, 1) + timedelta(days=int(r.integers(0, 365 * 42)))
    name = f"{r.choice(LAST)},{r.choice(FIRST[sex])}"
    race = "W" if foreign and pob in {"MX", "GT", "SV", "HO", "CU", "DR", "NI", "CO"} \
        else str(r.choice(RACES))
    return Person(id=f"P{world_seed:04d}-{index:06d}", seed=derived_seed("prints", world_seed, index),
                  profile=kind, name=name, dob=dob, sex=sex, race=race, pob=pob)
