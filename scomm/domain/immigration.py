"""Immigration encounters (IDENT's records) and the status LESC derives from them.

Status is read from the latest status-changing encounter on or before the
booking date; removability then depends on that status and, for lawful
residents and visitors in status, on the convictions. These are simplified,
stated rules, not legal advice: every answer carries its reasons.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from .rapsheet import Conviction

# Kinds of encounter IDENT holds, and whether each changes legal status.
ENCOUNTER_KINDS = {
    "visa_application": "visa applied for at a consulate",
    "admission": "admitted at a port of entry (nonimmigrant)",
    "border_apprehension": "apprehended entering without inspection",
    "removal": "removed from the United States",
    "lpr_adjustment": "became a lawful permanent resident",
    "naturalisation": "naturalised as a US citizen",
    "criminal_booking": "fingerprinted at a jail booking (via CJIS)",
}
STATUS_CHANGING = {"admission", "border_apprehension", "removal", "lpr_adjustment", "naturalisation"}


@dataclass(frozen=True)
class Encounter:
    kind: str
    date: date
    stay_until: dt.date | None = None  # for admissions: the authorised stay (dt.date: ``date`` is the field above)
    place: str = ""

    def to_dict(self) -> dict:
        return {"kind": self.kind, "date": self.date.isoformat(), "place": self.place,
                "stay_until": self.stay_until.isoformat() if self.stay_until else None}

    @classmethod
    def from_dict(cls, d: dict) -> Encounter:
        return cls(d["kind"], date.fromisoformat(d["date"]),
                   date.fromisoformat(d["stay_until"]) if d.get("stay_until") else None,
                   d.get("place", ""))


@dataclass(frozen=True)
class ImmigrationStatus:
    status: str  # USC | LPR | NONIMMIGRANT | OVERSTAY | EWI | PRIOR_REMOVAL | UNKNOWN
    removable: bool
    reasons: list[str] = field(default_factory=list)

    @property
    def citizen(self) -> bool:
        return self.status == "USC"

    def to_dict(self) -> dict:
        return {"status": self.status, "removable": self.removable, "reasons": list(self.reasons)}


def determine_status(encounters: Sequence[Encounter], on: date,
                     convictions: Sequence[Conviction]) -> ImmigrationStatus:
    """LESC's status check: the latest status-changing encounter on or before ``on``."""
    past = sorted((e for e in encounters if e.kind in STATUS_CHANGING and e.date <= on),
                  key=lambda e: e.date)
    if not past:
        return ImmigrationStatus("UNKNOWN", False, [
            "no status-changing encounter on record; referred for further investigation"])
    last = past[-1]
    felonies = [c for c in convictions if c.offence.severity == "felony"]
    aggravated = [c for c in convictions if c.offence.aggravated_felony]
    seen = f"{ENCOUNTER_KINDS[last.kind]} on {last.date.isoformat()}"
    if last.kind == "naturalisation":
        return ImmigrationStatus("USC", False, [
            f"{seen}: a US citizen, not removable",
            "the immigration record that matched predates citizenship"])
    if last.kind == "lpr_adjustment":
        if aggravated:
            return ImmigrationStatus("LPR", True, [
                f"{seen}", "removable: convicted of an aggravated felony "
                f"({', '.join(c.ncic for c in aggravated)}), INA 237(a)(2)(A)(iii)"])
        return ImmigrationStatus("LPR", False, [
            f"{seen}", "no aggravated-felony conviction: not removable on this record"])
    if last.kind == "removal":
        return ImmigrationStatus("PRIOR_REMOVAL", True, [
            f"{seen}", "re-entered after removal: prior order may be reinstated"])
    if last.kind == "border_apprehension":
        return ImmigrationStatus("EWI", True, [f"{seen}", "present without admission"])
    # admission
    if last.stay_until and last.stay_until < on:
        return ImmigrationStatus("OVERSTAY", True, [
            f"{seen}", f"authorised stay ended {last.stay_until.isoformat()}"])
    if felonies:
        return ImmigrationStatus("NONIMMIGRANT", True, [
            f"{seen}, in status", "removable: felony conviction "
            f"({', '.join(c.ncic for c in felonies)})"])
    return ImmigrationStatus("NONIMMIGRANT", False, [f"{seen}, in status", "no felony conviction"])
