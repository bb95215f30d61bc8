"""NCIC Uniform Offense Classification codes (4-digit), with a typical grade.

Source: the offense-code section of the FBI *NCIC 2000 Code Manual*
("Uniform Offense Classifications"): two digits for the offence class
(09 homicide, 10 kidnapping, 11 sexual assault, 12 robbery, 13 assault, ...)
and two for the particular offence; ``xx99`` is the class's free-text code.
Codes and descriptions are given as best known from that manual; state
repositories extend and sometimes re-use codes, so a description here may
differ from a given state's table. This is a curated subset (the codes the
system books and classifies), not the whole manual.

Simplifications, stated:

* ``severity`` is the *typical* grade of the offence. Whether a given
  conviction is a felony (punishable by more than a year) depends on the
  state statute and the facts (amount stolen, priors, injury), so the same
  code can be either; we take the usual grade.
* ``aggravated_felony`` marks offences that are aggravated felonies under INA
  101(a)(43) per se or in their usual form: murder, rape, sexual abuse of a
  minor (A); drug trafficking (B); firearms trafficking (C); explosive and
  arson offences and felon-in-possession (E); crimes of violence (F) where the
  offence is violent and its usual sentence is at least a year (robbery,
  aggravated assault, kidnapping); alien smuggling (N). Theft, burglary,
  fraud and obstruction are aggravated felonies only with a sentence of a year
  or more (G) or a loss over $10,000 (M), which a rap sheet code does not
  carry, so they are not marked. Not legal advice.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Severity = Literal["felony", "misdemeanor"]


class UnknownOffence(KeyError):
    """An NCIC code that is not in the table."""

    def __str__(self) -> str:  # KeyError's default str() quotes the whole message
        return str(self.args[0]) if self.args else "unknown NCIC offence code"


# Offence classes (first two digits) in the order used to break ties between
# offences of the same grade: earlier is more serious. Stated, not official.
CATEGORIES: dict[str, str] = {
    "09": "homicide",
    "10": "kidnapping",
    "11": "sexual assault",
    "12": "robbery",
    "13": "assault",
    "20": "arson",
    "52": "weapons",
    "35": "dangerous drugs",
    "36": "sex offences",
    "03": "immigration",
    "21": "extortion",
    "22": "burglary",
    "24": "stolen vehicle",
    "23": "larceny",
    "26": "fraud",
    "25": "forgery",
    "27": "embezzlement",
    "28": "stolen property",
    "29": "damage property",
    "37": "obscenity",
    "38": "family offences",
    "49": "flight/escape",
    "50": "obstructing the judiciary",
    "48": "obstructing police",
    "58": "smuggling",
    "54": "traffic",
    "53": "public peace",
    "40": "commercialized sex",
    "39": "gambling",
    "41": "liquor",
    "55": "health/safety",
    "57": "invasion of privacy",
}
CATEGORY_RANK: dict[str, int] = {name: i for i, name in enumerate(CATEGORIES.values())}

F, M = "felony", "misdemeanor"

# code, description, typical grade, aggravated felony (INA 101(a)(43))
_TABLE: list[tuple[str, str, str, bool]] = [
    # 03 immigration
    ("0301", "ILLEGAL ENTRY", M, False),
    ("0302", "FALSE CITIZENSHIP", F, False),
    ("0303", "SMUGGLING ALIENS", F, True),
    ("0399", "IMMIGRATION (FREE TEXT)", M, False),
    # 09 homicide
    ("0901", "HOMICIDE - WILLFUL KILL - FAMILY - GUN", F, True),
    ("0902", "HOMICIDE - WILLFUL KILL - FAMILY - WEAPON", F, True),
    ("0903", "HOMICIDE - WILLFUL KILL - NONFAMILY - GUN", F, True),
    ("0904", "HOMICIDE - WILLFUL KILL - NONFAMILY - WEAPON", F, True),
    ("0907", "HOMICIDE - WILLFUL KILL - POLICE OFFICER - GUN", F, True),
    ("0909", "HOMICIDE - NEGLIGENT MANSLAUGHTER - VEHICLE", F, False),
    ("0910", "HOMICIDE - NEGLIGENT MANSLAUGHTER - WEAPON", F, False),
    ("0911", "HOMICIDE - WILLFUL KILL - GUN", F, True),
    ("0912", "HOMICIDE - WILLFUL KILL - WEAPON", F, True),
    ("0999", "HOMICIDE (FREE TEXT)", F, True),
    # 10 kidnapping
    ("1001", "KIDNAP MINOR FOR RANSOM", F, True),
    ("1005", "KIDNAP MINOR", F, True),
    ("1006", "KIDNAP ADULT", F, True),
    ("1099", "KIDNAPPING (FREE TEXT)", F, True),
    # 11 sexual assault
    ("1101", "RAPE - GUN", F, True),
    ("1102", "RAPE - WEAPON", F, True),
    ("1103", "RAPE - STRONGARM", F, True),
    ("1116", "STATUTORY RAPE - NO FORCE", F, True),
    ("1199", "SEXUAL ASSAULT (FREE TEXT)", F, True),
    # 12 robbery
    ("1201", "ROBBERY - BUSINESS - GUN", F, True),
    ("1202", "ROBBERY - BUSINESS - WEAPON", F, True),
    ("1204", "ROBBERY - STREET - GUN", F, True),
    ("1206", "ROBBERY - STREET - STRONGARM", F, True),
    ("1211", "ROBBERY - BANKING-TYPE INSTITUTION", F, True),
    ("1299", "ROBBERY (FREE TEXT)", F, True),
    # 13 assault
    ("1301", "AGGRAVATED ASSAULT - FAMILY - GUN", F, True),
    ("1302", "AGGRAVATED ASSAULT - FAMILY - WEAPON", F, True),
    ("1310", "AGGRAVATED ASSAULT - POLICE OFFICER - GUN", F, True),
    ("1313", "SIMPLE ASSAULT", M, False),
    ("1314", "AGGRAVATED ASSAULT - GUN", F, True),
    ("1315", "AGGRAVATED ASSAULT - WEAPON", F, True),
    ("1316", "INTIMIDATION", M, False),
    ("1399", "ASSAULT (FREE TEXT)", M, False),
    # 20 arson (18 USC 844(i) arson is an aggravated felony, 101(a)(43)(E))
    ("2001", "ARSON - BUSINESS - ENDANGERED LIFE", F, True),
    ("2002", "ARSON - RESIDENCE - ENDANGERED LIFE", F, True),
    ("2099", "ARSON (FREE TEXT)", F, False),
    # 21 extortion
    ("2101", "EXTORTION - THREAT TO INJURE PERSON", F, False),
    ("2199", "EXTORTION (FREE TEXT)", F, False),
    # 22 burglary
    ("2201", "BURGLARY - SAFE - VAULT", F, False),
    ("2202", "BURGLARY - FORCED ENTRY - RESIDENCE", F, False),
    ("2203", "BURGLARY - FORCED ENTRY - NONRESIDENCE", F, False),
    ("2206", "BURGLARY TOOLS - POSSESS", M, False),
    ("2299", "BURGLARY (FREE TEXT)", F, False),
    # 23 larceny
    ("2301", "POCKETPICKING", M, False),
    ("2303", "SHOPLIFTING", M, False),
    ("2305", "THEFT FROM AUTO", M, False),
    ("2309", "THEFT FROM BUILDING", M, False),
    ("2399", "LARCENY (FREE TEXT)", M, False),
    # 24 stolen vehicle
    ("2404", "STOLEN VEHICLE - THEFT OF VEHICLE", F, False),
    ("2407", "STOLEN VEHICLE - POSSESS", F, False),
    ("2499", "STOLEN VEHICLE (FREE TEXT)", F, False),
    # 25 forgery and counterfeiting
    ("2501", "FORGERY OF CHECKS", F, False),
    ("2589", "FORGERY (FREE TEXT)", F, False),
    ("2599", "COUNTERFEITING (FREE TEXT)", F, False),
    # 26 fraud
    ("2601", "FRAUD - CONFIDENCE GAME", F, False),
    ("2604", "FRAUD - IMPERSONATION", F, False),
    ("2605", "FRAUD - ILLEGAL USE OF CREDIT CARDS", F, False),
    ("2606", "FRAUD - INSUFFICIENT FUNDS CHECK", M, False),
    ("2699", "FRAUD (FREE TEXT)", F, False),
    # 27 embezzlement
    ("2701", "EMBEZZLEMENT - BUSINESS PROPERTY", F, False),
    ("2799", "EMBEZZLEMENT (FREE TEXT)", F, False),
    # 28 stolen property
    ("2803", "STOLEN PROPERTY - RECEIVE", M, False),
    ("2804", "STOLEN PROPERTY - POSSESS", M, False),
    ("2899", "STOLEN PROPERTY (FREE TEXT)", M, False),
    # 29 damage property
    ("2901", "DAMAGE PROPERTY - BUSINESS", M, False),
    ("2902", "DAMAGE PROPERTY - PRIVATE", M, False),
    ("2903", "DAMAGE PROPERTY - PUBLIC", M, False),
    ("2999", "DAMAGE PROPERTY (FREE TEXT)", M, False),
    # 35 dangerous drugs: sell/smuggle/manufacture is trafficking (101(a)(43)(B))
    ("3501", "HALLUCINOGEN - MANUFACTURE", F, True),
    ("3504", "HALLUCINOGEN - POSSESS", F, False),
    ("3510", "HEROIN - SELL", F, True),
    ("3511", "HEROIN - SMUGGLE", F, True),
    ("3512", "HEROIN - POSSESS", F, False),
    ("3530", "COCAINE - SELL", F, True),
    ("3531", "COCAINE - SMUGGLE", F, True),
    ("3532", "COCAINE - POSSESS", F, False),
    ("3540", "SYNTHETIC NARCOTIC - SELL", F, True),
    ("3542", "SYNTHETIC NARCOTIC - POSSESS", F, False),
    ("3550", "NARCOTIC EQUIPMENT - POSSESS", M, False),
    ("3560", "MARIJUANA - SELL", F, True),
    ("3561", "MARIJUANA - SMUGGLE", F, True),
    ("3562", "MARIJUANA - POSSESS", M, False),
    ("3563", "MARIJUANA - PRODUCE", F, True),
    ("3570", "AMPHETAMINE - MANUFACTURE", F, True),
    ("3571", "AMPHETAMINE - SELL", F, True),
    ("3572", "AMPHETAMINE - POSSESS", F, False),
    ("3599", "DANGEROUS DRUGS (FREE TEXT)", F, False),
    # 36 sex offences
    ("3603", "INDECENT EXPOSURE", M, False),
    ("3604", "SEX OFFENSE AGAINST CHILD - FONDLING", F, True),
    ("3699", "SEX OFFENSE (FREE TEXT)", M, False),
    # 37 obscenity
    ("3799", "OBSCENITY (FREE TEXT)", M, False),
    # 38 family offences
    ("3801", "NEGLECT FAMILY", M, False),
    ("3802", "CRUELTY TOWARD CHILD", F, False),
    ("3803", "CRUELTY TOWARD SPOUSE", M, False),
    ("3899", "FAMILY OFFENSE (FREE TEXT)", M, False),
    # 39 gambling
    ("3901", "BOOKMAKING", M, False),
    ("3999", "GAMBLING (FREE TEXT)", M, False),
    # 40 commercialized sex
    ("4002", "PANDERING", F, False),
    ("4004", "PROSTITUTION", M, False),
    ("4099", "COMMERCIALIZED SEX (FREE TEXT)", M, False),
    # 41 liquor
    ("4104", "LIQUOR - POSSESS", M, False),
    ("4199", "LIQUOR (FREE TEXT)", M, False),
    # 48 obstructing police
    ("4801", "RESISTING OFFICER", M, False),
    ("4802", "OBSTRUCT CRIMINAL INVESTIGATION", M, False),
    ("4803", "FALSE REPORT TO POLICE", M, False),
    ("4899", "OBSTRUCTING POLICE (FREE TEXT)", M, False),
    # 49 flight / escape
    ("4901", "ESCAPE", F, False),
    ("4902", "FLIGHT TO AVOID PROSECUTION", F, False),
    ("4999", "FLIGHT - ESCAPE (FREE TEXT)", F, False),
    # 50 obstructing the judiciary
    ("5003", "PERJURY", F, False),
    ("5005", "CONTEMPT OF COURT", M, False),
    ("5011", "PAROLE VIOLATION", M, False),
    ("5012", "PROBATION VIOLATION", M, False),
    ("5015", "FAILURE TO APPEAR", M, False),
    ("5099", "OBSTRUCTING THE JUDICIARY (FREE TEXT)", M, False),
    # 52 weapons
    ("5202", "CARRYING CONCEALED WEAPON", M, False),
    ("5203", "WEAPON - POSSESSION BY PROHIBITED PERSON (FELON)", F, True),
    ("5212", "WEAPON - POSSESS FIREARM (OTHER)", M, False),
    ("5214", "WEAPON - SELL OR SUPPLY ILLEGALLY (FIREARMS TRAFFICKING)", F, True),
    ("5299", "WEAPON OFFENSE (FREE TEXT)", M, False),
    # 53 public peace
    ("5303", "RIOT - ENGAGING IN", F, False),
    ("5309", "HARASSING COMMUNICATION", M, False),
    ("5311", "DISORDERLY CONDUCT", M, False),
    ("5399", "PUBLIC PEACE (FREE TEXT)", M, False),
    # 54 traffic
    ("5401", "HIT AND RUN", F, False),
    ("5402", "DRIVING WITH SUSPENDED LICENSE", M, False),
    ("5403", "DRIVING UNDER INFLUENCE - DRUGS", M, False),
    ("5404", "DRIVING UNDER INFLUENCE - LIQUOR", M, False),
    ("5405", "MOVING TRAFFIC VIOLATION", M, False),
    ("5499", "TRAFFIC OFFENSE (FREE TEXT)", M, False),
    # 55 health / safety
    ("5501", "DRUGS - ADULTERATED", M, False),
    ("5599", "HEALTH - SAFETY (FREE TEXT)", M, False),
    # 57 invasion of privacy
    ("5707", "TRESPASSING", M, False),
    ("5799", "INVASION OF PRIVACY (FREE TEXT)", M, False),
    # 58 smuggling
    ("5801", "SMUGGLE CONTRABAND", F, False),
    ("5802", "SMUGGLE CONTRABAND INTO PRISON", F, False),
    ("5899", "SMUGGLING (FREE TEXT)", F, False),
]


@dataclass(frozen=True)
class Offence:
    code: str
    description: str
    category: str
    severity: Severity
    aggravated_felony: bool

    @property
    def is_felony(self) -> bool:
        return self.severity == "felony"

    @property
    def rank(self) -> tuple[int, int, int, str]:
        """Sort key, smaller is more serious: aggravated felony, then felony,
        then misdemeanour; within a grade the class order of ``CATEGORIES``,
        then the code (for a deterministic answer)."""
        return (0 if self.aggravated_felony else 1,
                0 if self.severity == "felony" else 1,
                CATEGORY_RANK.get(self.category, len(CATEGORY_RANK)),
                self.code)

    def label(self) -> str:
        """``"2303 SHOPLIFTING (misdemeanor)"``, ``"0911 ... (aggravated felony)"``."""
        grade = "aggravated felony" if self.aggravated_felony else self.severity
        return f"{self.code} {self.description} ({grade})"

    def to_dict(self) -> dict:
        return {"code": self.code, "description": self.description, "category": self.category,
                "severity": self.severity, "aggravated_felony": self.aggravated_felony}


def _build() -> dict[str, Offence]:
    table: dict[str, Offence] = {}
    for code, description, severity, aggravated in _TABLE:
        assert code not in table, f"duplicate NCIC code {code}"
        assert not aggravated or severity == F, f"{code}: an aggravated felony must be a felony"
        table[code] = Offence(code, description, CATEGORIES[code[:2]], severity, aggravated)  # type: ignore[arg-type]
    return table


OFFENCES: dict[str, Offence] = _build()


def _normalise(code: str) -> str:
    return code.strip() if isinstance(code, str) else code


def offence(code: str) -> Offence:
    """The offence for a 4-digit NCIC code; ``UnknownOffence`` (a KeyError) if absent."""
    try:
        return OFFENCES[_normalise(code)]
    except (KeyError, TypeError):
        raise UnknownOffence(
            f"unknown NCIC offence code {code!r}: not in scomm's table of "
            f"{len(OFFENCES)} Uniform Offense Classification codes") from None


def is_known(code: str) -> bool:
    try:
        return _normalise(code) in OFFENCES
    except TypeError:
        return False


def most_serious(codes: Iterable[str]) -> Offence:
    """The most serious of the codes: aggravated felony > felony > misdemeanour,
    then the class order of ``CATEGORIES``. Raises ``UnknownOffence`` for an
    unknown code and ``ValueError`` for no codes."""
    offences = [offence(c) for c in codes]
    if not offences:
        raise ValueError("most_serious() needs at least one NCIC code")
    return min(offences, key=lambda o: o.rank)


def unclassified(code: str) -> Offence:
    """A stand-in for a code the table does not know (a state-specific code, a typo).

    Counted as the least serious grade, a misdemeanour, so that a conviction
    is never dropped and never over-counted; ``category`` says it was unknown.
    """
    return Offence(str(code), "UNCLASSIFIED OFFENSE (CODE NOT IN TABLE)", "unclassified",
                   "misdemeanor", False)


def offence_or_unclassified(code: str) -> Offence:
    return offence(code) if is_known(code) else unclassified(code)
