"""The small part of the FBI EBTS 9.1 field rules that scomm needs at run time.

Source: ``EBTS9.1_ENUS.txt`` -- "Verification File for EBTS 9.1 as defined by
IAFIS-DOC-01078-9.1, May 25, 2010" (OpenEBTS, Apache-2.0), shared read-only at
``/work/shared/data/ansi-nist/EBTS9.1_ENUS.txt``. Rows below were extracted
from its FIELDS section, keeping only fields whose rule block marks them
mandatory ([M]) for TOT=CAR (and, for the responses we emit, SRE and ERRT),
plus the code tables (mmap) of the coded descriptive fields. Columns are the
file's own: tag, mnemonic, character type, length range, occurrences.

Notes copied from the same file:
* 2.022 DOB: "If DOB is completely unknown, enter as 00000000."
* 2.027 HGT / 2.029 WGT: "If height/weight is unknown, 000 is entered."
* 2.031 EYE / 2.032 HAI: "XXX:Unknown".
* 2.047 ASL = DOO (2.047..1, N 8, optional) US AOL (2.047..2, ANS 1-300,
  mandatory), up to 40 occurrences separated by RS.
* EBTS 9.1 has no Type-2 field for an NCIC offence code in a CAR (the NCIC
  codes it mentions are for SMT, POB/CTZ and the ORI), so scomm writes the
  4-digit NCIC code as the first word of the AOL literal.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldRule:
    tag: str        # 3-digit tag, e.g. "2.018"
    mnemonic: str   # e.g. "NAM"
    chars: str      # EBTS character type: N, A, AN, ANS, AS, NS
    min_len: int
    max_len: int | None  # None = 'x' (unbounded)
    desc: str

    @property
    def label(self) -> str:
        return f"{self.tag} {self.mnemonic}"


def _r(tag: str, mn: str, chars: str, length: str, desc: str) -> FieldRule:
    lo, _, hi = length.partition("-")
    if not hi:
        hi = lo
    return FieldRule(tag, mn, chars, int(lo), None if hi == "x" else int(hi), desc)


# [M] for CAR, Type-1 (EBTS9.1_ENUS.txt, "Type-1 Record Fields")
CAR_TYPE1_MANDATORY: tuple[FieldRule, ...] = (
    _r("1.001", "LEN", "N", "2-x", "Logical Record Length"),
    _r("1.002", "VER", "N", "4", "Version Number"),
    _r("1.003", "CNT", "N", "1-x", "File Content"),
    _r("1.004", "TOT", "A", "3-4", "Type of Transaction"),
    _r("1.005", "DAT", "N", "8", "Date"),
    _r("1.007", "DAI", "AN", "9", "Destination Agency Identifier"),
    _r("1.008", "ORI", "AN", "9", "Originating Agency Identifier"),
    _r("1.009", "TCN", "ANS", "10-40", "Transaction Control Number"),
    _r("1.011", "NSR", "NS", "5", "Native Scanning Resolution"),
    _r("1.012", "NTR", "NS", "5", "Nominal Transmitting Resolution"),
)

# [M] for CAR, Type-2 (2.001 LEN and 2.002 IDC are checked by the decoder)
CAR_TYPE2_MANDATORY: tuple[FieldRule, ...] = (
    _r("2.005", "RET", "A", "1", "Retention Code"),
    _r("2.018", "NAM", "AS", "3-30", "Name"),
    _r("2.020", "POB", "A", "2", "Place of Birth"),
    _r("2.022", "DOB", "N", "8", "Date of Birth"),
    _r("2.024", "SEX", "A", "1", "Sex"),
    _r("2.025", "RAC", "A", "1", "Race"),
    _r("2.027", "HGT", "AN", "3", "Height"),
    _r("2.029", "WGT", "N", "3", "Weight"),
    _r("2.031", "EYE", "A", "3", "Color Eyes"),
    _r("2.032", "HAI", "A", "3", "Hair Color"),
    _r("2.045", "DOA", "N", "8", "Date of Arrest"),
    _r("2.047", "ASL", "ANS", "1-308", "Arrest Segment Literal"),
    _r("2.073", "CRI", "AN", "1-9", "Controlling Agency Identifier"),
)

# [M] for the FBI responses scomm emits
SRE_TYPE2_MANDATORY = ("2.018", "2.059", "2.073")   # NAM, SRF, CRI
ERRT_TYPE2_MANDATORY = ("2.060",)                   # MSG (1-300 chars, 1-11 occurrences)
MSG_MAX_LEN = 300
MSG_MAX_OCCURRENCES = 11
ASL_MAX_OCCURRENCES = 40
# A CAR carries at most 14 finger image records: 10 rolled and 4 plain (EBTS 9.1, Type-4/14).
MAX_FINGER_RECORDS = 14
AOL_MAX_LEN = 300

# Code tables (mmap) from the same file
SEX_CODES = {
    "F": "Female", "G": "Male Impersonator", "M": "Male", "N": "Female Impersonator",
    "Y": "Male name, no gender given", "Z": "Female name, no gender given", "X": "Unknown gender",
}
RACE_CODES = {"A": "Asian", "B": "Black", "I": "Native American", "U": "Unknown", "W": "Caucasian/Latino"}
EYE_CODES = {
    "BLK": "Black", "BLU": "Blue", "BRO": "Brown", "GRY": "Gray", "GRN": "Green", "HAZ": "Hazel",
    "MAR": "Maroon", "MUL": "Multicolored", "PNK": "Pink", "XXX": "Unknown",
}
HAIR_CODES = {
    "BAL": "Bald", "BLK": "Black", "BLN": "Blonde or Strawberry", "BRO": "Brown",
    "GRY": "Gray or Partially Gray", "RED": "Red or Auburn", "SDY": "Sandy", "WHI": "White",
    "XXX": "Unknown", "BLU": "Blue", "GRN": "Green", "ONG": "Orange", "PNK": "Pink", "PLE": "Purple",
}
CODE_TABLES = {"2.024": SEX_CODES, "2.025": RACE_CODES, "2.031": EYE_CODES, "2.032": HAIR_CODES}

# 14.013 / 4 FGP finger position names (EBTS Table "Finger Position Code")
FINGER_NAMES = {
    0: "unknown finger", 1: "right thumb", 2: "right index", 3: "right middle", 4: "right ring",
    5: "right little", 6: "left thumb", 7: "left index", 8: "left middle", 9: "left ring",
    10: "left little", 11: "plain right thumb", 12: "plain left thumb",
    13: "plain right four fingers", 14: "plain left four fingers", 15: "plain thumbs",
}

# Impression types (IMP), ANSI/NIST-ITL Table 7 as quoted by EBTS 9.1
IMP_LIVE_PLAIN, IMP_LIVE_ROLLED, IMP_NONLIVE_PLAIN, IMP_NONLIVE_ROLLED = 0, 1, 2, 3
