"""SC-2008: the Secure Communities criminal-alien levels 1-3 ([ICE-SC-Plan-2009]).

Source: ICE, Secure Communities: A Comprehensive Plan to Identify and Remove
Criminal Aliens (2009) and the monthly IDENT/IAFIS Interoperability Statistics
(scomm/data/SOURCES.md [ICE-SC-Plan-2009]); the definitions are repeated in the
Morton memo of 30 June 2010 ([Morton-2010]). Convictions only.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from ..rapsheet import Conviction
from .base import (
    SC_LEVELS,
    Classification,
    ImmigrationContext,
    RuleHit,
    RuleSet,
    canonical,
    codes,
    common_reasons,
    sc_level,
)

SC2008_LEVELS = SC_LEVELS
SC2008_RULES = {
    "L1-aggravated-felony": "Level 1: convicted of an aggravated felony (INA 101(a)(43))",
    "L1-two-felonies": "Level 1: convicted of two or more felonies",
    "L2-one-felony": "Level 2: convicted of one felony",
    "L2-three-misdemeanors": "Level 2: convicted of three or more misdemeanors",
    "L3-misdemeanor": "Level 3: convicted of a misdemeanor",
    "NC-no-conviction": "non-criminal: no conviction",
}


def classify_sc2008(convictions: Sequence[Conviction]) -> Classification:
    """Level 1: an aggravated felony, or two or more felonies. Level 2: one
    felony, or three or more misdemeanors. Level 3: one or two misdemeanors.
    Non-criminal: no conviction. Each conviction counts once (two charges
    convicted on the same day are two convictions).
    """
    cs = canonical(convictions)
    level, rule, fired, why = sc_level(cs)
    reason = f"{SC2008_RULES[rule]}: {why}"
    hit = RuleHit(rule, level, reason, codes(fired))
    return Classification("SC-2008", level, rule, [reason] + common_reasons(cs, "SC-2008"),
                          list(codes(fired)), level, "", [hit])


@dataclass(frozen=True)
class SC2008(RuleSet):
    def classify(self, convictions: Sequence[Conviction],
                 context: ImmigrationContext | None = None) -> Classification:
        return classify_sc2008(convictions)


SC_2008 = SC2008(
    id="SC-2008", title="Secure Communities criminal-alien levels 1-3 (2008)",
    issued=date(2008, 10, 27),
    effective_from=date(2008, 10, 27),   # first county activations (Harris County, TX)
    effective_to=date(2010, 6, 30),      # superseded by the Morton memo
    source=("ICE, Secure Communities: A Comprehensive Plan to Identify and Remove "
            "Criminal Aliens (strategic plan, 2009) and ICE's IDENT/IAFIS "
            "Interoperability Statistics; restated in the Morton memo of 2010-06-30"),
    note="Convictions only; the levels are still reported under later frameworks.",
    levels=SC2008_LEVELS, priorities=SC2008_LEVELS)
