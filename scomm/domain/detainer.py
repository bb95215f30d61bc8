"""The field office's detainer decision (Form I-247 in the 2008-2014 era)."""
from __future__ import annotations

from dataclasses import dataclass, field

from .immigration import ImmigrationStatus


@dataclass(frozen=True)
class DetainerDecision:
    issued: bool
    form: str | None
    reasons: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"issued": self.issued, "form": self.form, "reasons": list(self.reasons)}


def decide_detainer(status: ImmigrationStatus, level: str) -> DetainerDecision:
    """SC-2008 practice: a detainer for every removable match, whatever the level.

    That practice (non-criminal and Level 3 people detained too) is what critics
    measured; later policies narrow it, and are added as their own rules.
    """
    if status.citizen:
        return DetainerDecision(False, None, ["US citizen: ICE has no authority to detain"])
    if not status.removable:
        return DetainerDecision(False, None, [f"status {status.status}: not removable on this record"])
    return DetainerDecision(True, "I-247", [
        f"removable ({status.status}); level {level}",
        "SC-2008 practice: detainer requested for every removable match"])
