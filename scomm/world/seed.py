"""Build the synthetic world: the criminal master file, IDENT, and the people behind them."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..biometrics import DEFAULT_EXTRACTOR
from ..clock import now
from ..domain.jurisdictions import Jurisdictions
from ..storage.tables import CriminalFingerRow, CriminalSubjectRow, IdentityFingerRow, IdentityRow, PersonRow
from .histories import encounters, rap_sheet
from .people import Person, make_person, rng_for
from .prints import enrolment_templates, parallel_map

# The criminal history in the seeded files ends before the pilot starts.
HISTORY_UNTIL = date(2008, 6, 30)


@dataclass
class SeedReport:
    persons: int
    cjis_subjects: int
    ident_identities: int
    by_profile: dict[str, int]


def in_cjis(p: Person) -> bool:
    return p.profile in {"citizen", "noncitizen"} or (
        p.profile == "naturalised" and p.seed % 2 == 0)


def in_ident(p: Person) -> bool:
    return p.profile != "citizen"


def seed_world(s: Session, jurisdictions: Jurisdictions, n: int, world_seed: int,
               progress: Callable[[int], None] | None = None,
               extractor: str = DEFAULT_EXTRACTOR) -> SeedReport:
    """Add ``n`` people (and their records) to the world; idempotent per (seed, index)."""
    start = s.scalar(select(func.count()).select_from(PersonRow)
                     .where(PersonRow.id.like(f"P{world_seed:04d}-%"))) or 0
    people = [make_person(world_seed, i) for i in range(start, start + n)]
    counties = [c for c in jurisdictions.counties() if c.population > 0]
    jobs = []
    for p in people:
        if in_cjis(p):
            jobs.append((p.seed, 1, extractor))
        if in_ident(p):
            jobs.append((p.seed, 2, extractor))
    templates = dict(zip(jobs, _render(jobs, progress)))
    by_profile: dict[str, int] = {}
    for p in people:
        by_profile[p.profile] = by_profile.get(p.profile, 0) + 1
        r = rng_for("history", p.seed)
        home = counties[int(r.integers(len(counties)))]
        row = PersonRow(id=p.id, seed=p.seed, profile=p.profile, name=p.name, dob=p.dob,
                        sex=p.sex, race=p.race, pob=p.pob)
        if in_cjis(p):
            row.ucn = _enrol_cjis(s, p, templates[(p.seed, 1, extractor)],
                                  jurisdictions.sheriff_ori(home.fips), r)
        if in_ident(p):
            row.fin = _enrol_ident(s, p, templates[(p.seed, 2, extractor)], r)
        s.add(row)
    cjis = sum(in_cjis(p) for p in people)
    ident = sum(in_ident(p) for p in people)
    return SeedReport(len(people), cjis, ident, by_profile)


def _render(jobs, progress):
    for out in parallel_map(enrolment_templates, jobs):
        if progress:
            progress(1)
        yield out


def _enrol_cjis(s: Session, p: Person, prints: dict, ori: str, r) -> str:
    ucn = f"F{p.seed % 10**9:09d}"
    sheet = rap_sheet(r, ucn, p.dob, HISTORY_UNTIL, ori)
    subject = CriminalSubjectRow(ucn=ucn, name=p.name, dob=p.dob, sex=p.sex, race=p.race,
                                 pob=p.pob, enrolled_at=now(), rapsheet=sheet.to_dict())
    s.add(subject)
    s.flush()
    for finger, f in prints.items():
        s.add(CriminalFingerRow(subject_id=subject.id, finger=finger, template=f.template,
                                quality=f.quality, image=f.image))
    return ucn


def _enrol_ident(s: Session, p: Person, prints: dict, r) -> str:
    fin = f"FIN{p.seed % 10**9:09d}"
    identity = IdentityRow(fin=fin, name=p.name, dob=p.dob, country_of_birth=p.pob,
                           encounters=[e.to_dict() for e in encounters(r, p.profile, p.dob)])
    s.add(identity)
    s.flush()
    for finger, f in prints.items():
        s.add(IdentityFingerRow(identity_id=identity.id, finger=finger, template=f.template,
                                quality=f.quality, image=f.image))
    return fin
