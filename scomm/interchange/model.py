"""Value types of the ANSI/NIST-ITL / EBTS interchange layer."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from datetime import date

import numpy as np


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a transaction.

    ``record`` names the logical record ("Type-1", "Type-2", "Type-14", or
    "file" for framing-level trouble), ``field`` the tag and mnemonic
    ("2.022 DOB") and ``reason`` says what is wrong, in words an operator
    can act on.
    """

    record: str
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.record} {self.field}: {self.reason}"


class DecodeError(ValueError):
    """The bytes are not a readable ANSI/NIST-ITL transaction.

    ``problems`` lists every framing problem found (garbage, truncation, bad
    record lengths, a bare image instead of a transaction ...).
    """

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("; ".join(str(p) for p in self.problems) or "undecodable input")


@dataclass
class FingerImage:
    position: int            # FGP 1..10 (0 = unknown finger, 11-15 plain/slap codes)
    impression_type: int     # IMP (0 live-scan plain, 1 live-scan rolled, 2/3 non-live ...)
    compression: str         # 'WSQ' | 'NONE' | 'JPEG2000' | 'JPEG' | 'PNG' | raw code if unknown
    width: int               # declared HLL
    height: int              # declared VLL
    ppi: float               # pixels per inch (0.0 when the record gives no scale)
    data: bytes              # the (compressed) image bytes as transmitted
    record_type: int         # 4 or 14
    idc: int
    # The decoded pixels, kept after the first decode: intake validates and then
    # extracts the same image, and WSQ decoding is a tenth of a booking's cost.
    pixels: np.ndarray | None = field(default=None, init=False, repr=False, compare=False)


@dataclass
class Charge:
    ncic: str                         # 4-digit NCIC offence code, '' if absent
    literal: str                      # offence text without the code
    offense_date: date | None = None  # EBTS 2.047 DOO (optional)


@dataclass
class Transaction:
    version: str
    tot: str
    tcn: str
    ori: str
    dai: str
    date: dt.date | None
    name: str | None
    dob: dt.date | None
    sex: str | None
    race: str | None
    pob: str | None
    arrest_date: dt.date | None
    charges: list[Charge]
    images: list[FingerImage]
    record_types: list[int]
    # Type-1/Type-2 fields for display: 3-digit tag -> text, subfields joined
    # by "|" and information items by "^" (e.g. "2.047" -> "20080302^4727442").
    raw_fields: dict
    tcr: str = ""             # 1.010 TCR (set on responses)
    # The same fields, structured: tag -> list of subfields, each a list of items.
    field_items: dict = field(default_factory=dict)

    def get(self, tag: str) -> str | None:
        """Display value of a Type-1/Type-2 field, accepting '1.04' or '1.004'."""
        return self.raw_fields.get(normalize_tag(tag))


def normalize_tag(tag: str) -> str:
    """'1.04' / '1.004' / '1.4' -> '1.004'."""
    rec, _, num = tag.partition(".")
    try:
        return f"{int(rec)}.{int(num):03d}"
    except ValueError:
        return tag
