"""Statistics: public figures (small counts suppressed) for anyone; internal figures for
``auditor`` (and the console), each disclosure audited before the figures leave."""
from __future__ import annotations

from ..security.access import UseCase, authorise
from ..security.principal import Principal
from ..storage.audit import record_disclosure
from ..storage.db import Database


def disclose(db: Database, by: Principal, public: bool, report: str, params: dict) -> None:
    """May ``by`` take this report? Internal ones are recorded (the caller then computes it)."""
    if public:
        authorise(by, UseCase.READ_PUBLIC_STATISTICS, f"statistics/{report}")
        return
    authorise(by, UseCase.READ_INTERNAL_STATISTICS, f"statistics/{report}")
    with db.session() as s:
        record_disclosure(s, by, report, params)
