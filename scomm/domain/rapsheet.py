"""A criminal history (rap sheet) as CJIS keeps it: arrests, charges, court outcomes.

Only a court disposition with ``convicted=True`` is a conviction; an arrest,
or a charge without a conviction, is history but not a conviction, and no
priority rule counts it.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from datetime import date

from . import ncic
from .ncic import Offence


@dataclass(frozen=True)
class Charge:
    ncic: str
    literal: str = ""

    def to_dict(self) -> dict:
        return {"ncic": self.ncic, "literal": self.literal}

    @classmethod
    def from_dict(cls, d: dict) -> Charge:
        return cls(str(d["ncic"]), d.get("literal") or "")


@dataclass(frozen=True)
class Disposition:
    """The court outcome of one charge."""
    ncic: str
    date: date
    convicted: bool
    literal: str = ""

    def to_dict(self) -> dict:
        return {"ncic": self.ncic, "date": self.date.isoformat(), "convicted": self.convicted,
                "literal": self.literal}

    @classmethod
    def from_dict(cls, d: dict) -> Disposition:
        return cls(str(d["ncic"]), date.fromisoformat(d["date"]), bool(d["convicted"]),
                   d.get("literal") or "")


@dataclass
class Arrest:
    date: date
    ori: str
    tcn: str
    charges: list[Charge]
    dispositions: list[Disposition] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"date": self.date.isoformat(), "ori": self.ori, "tcn": self.tcn,
                "charges": [c.to_dict() for c in self.charges],
                "dispositions": [d.to_dict() for d in self.dispositions]}

    @classmethod
    def from_dict(cls, d: dict) -> Arrest:
        return cls(date.fromisoformat(d["date"]), d["ori"], d["tcn"],
                   [Charge.from_dict(c) for c in d.get("charges", [])],
                   [Disposition.from_dict(x) for x in d.get("dispositions", [])])


@dataclass(frozen=True)
class Conviction:
    """A conviction on one charge. ``offence`` is the table entry for the code, or
    ``ncic.unclassified`` (counted as a misdemeanour) for a code not in the table."""
    ncic: str
    date: date
    offence: Offence

    @property
    def severity(self) -> str:
        return self.offence.severity

    @property
    def aggravated_felony(self) -> bool:
        return self.offence.aggravated_felony

    def label(self) -> str:
        """``"2023-01-05 2303 SHOPLIFTING (misdemeanor)"``."""
        return f"{self.date.isoformat()} {self.offence.label()}"

    @classmethod
    def of(cls, code: str, on: dt.date) -> Conviction:   # dt.date: ``date`` here is the field
        return cls(code, on, ncic.offence_or_unclassified(code))


@dataclass
class RapSheet:
    ucn: str
    arrests: list[Arrest]

    def add_arrest(self, arrest: Arrest) -> bool:
        """Add ``arrest`` unless the sheet has it already (same ORI and TCN): a booking
        is one arrest, however often its record is written. True if added."""
        if any(a.ori == arrest.ori and a.tcn == arrest.tcn for a in self.arrests):
            return False
        self.arrests.append(arrest)
        return True

    def convictions(self, before: date | None = None) -> list[Conviction]:
        """Convictions in date order; with ``before``, only those dated strictly before it
        (a conviction is counted from its disposition date, not its arrest date)."""
        out = [Conviction.of(d.ncic, d.date)
               for a in self.arrests for d in a.dispositions
               if d.convicted and (before is None or d.date < before)]
        return sorted(out, key=lambda c: (c.date, c.ncic))

    def summary(self) -> str:
        """Short human text, e.g.
        ``"3 arrests; convictions: 2023-01-05 2303 SHOPLIFTING (misdemeanor)"``."""
        n = len(self.arrests)
        head = f"{n} arrest{'' if n == 1 else 's'}"
        convictions = self.convictions()
        if not convictions:
            return f"{head}; no convictions"
        return f"{head}; convictions: " + ", ".join(c.label() for c in convictions)

    def to_dict(self) -> dict:
        return {"ucn": self.ucn, "arrests": [a.to_dict() for a in self.arrests]}

    @classmethod
    def from_dict(cls, d: dict) -> RapSheet:
        return cls(d["ucn"], [Arrest.from_dict(a) for a in d.get("arrests", [])])
