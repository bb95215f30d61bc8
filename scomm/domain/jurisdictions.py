"""Counties, their Secure Communities activation dates, and ICE field offices.

Reference tables packaged in ``scomm/data`` (sources in ``scomm/data/SOURCES.md``):
``county_activations.csv`` (3,147 counties), ``county_ice_field_office.csv``
(county -> ICE area of responsibility) and ``ice_field_offices.csv``.

**ORIs here are synthetic.** Real ORIs are assigned by the FBI and are not
public in bulk; scomm gives each county one booking agency, its sheriff, with
the ORI ``<postal state code><3-digit county FIPS>SO00`` (9 characters, e.g.
``CA037SO00`` for Los Angeles County), which maps back to the county.

Data gaps, handled explicitly:
* 12 rows carry a retired FIPS code with no state/county name (and mostly no
  population); the state comes from the FIPS prefix, the name from a small
  table of historical names, population 0 where the source has none.
* 4 of them have no activation date: never activated in this data.
* The field-office mapping uses current geography (Connecticut planning
  regions, new Alaska areas), so 20 counties have no direct row; where every
  mapped county of the state is in one area of responsibility (true for all
  20) that office is used and ``field_office_inferred`` is set.
"""
from __future__ import annotations

import csv
import functools
import io
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path

# State FIPS code -> (postal code, name): 50 states, DC and the territories.
STATES: dict[str, tuple[str, str]] = {
    "01": ("AL", "Alabama"), "02": ("AK", "Alaska"), "04": ("AZ", "Arizona"),
    "05": ("AR", "Arkansas"), "06": ("CA", "California"), "08": ("CO", "Colorado"),
    "09": ("CT", "Connecticut"), "10": ("DE", "Delaware"), "11": ("DC", "District of Columbia"),
    "12": ("FL", "Florida"), "13": ("GA", "Georgia"), "15": ("HI", "Hawaii"),
    "16": ("ID", "Idaho"), "17": ("IL", "Illinois"), "18": ("IN", "Indiana"),
    "19": ("IA", "Iowa"), "20": ("KS", "Kansas"), "21": ("KY", "Kentucky"),
    "22": ("LA", "Louisiana"), "23": ("ME", "Maine"), "24": ("MD", "Maryland"),
    "25": ("MA", "Massachusetts"), "26": ("MI", "Michigan"), "27": ("MN", "Minnesota"),
    "28": ("MS", "Mississippi"), "29": ("MO", "Missouri"), "30": ("MT", "Montana"),
    "31": ("NE", "Nebraska"), "32": ("NV", "Nevada"), "33": ("NH", "New Hampshire"),
    "34": ("NJ", "New Jersey"), "35": ("NM", "New Mexico"), "36": ("NY", "New York"),
    "37": ("NC", "North Carolina"), "38": ("ND", "North Dakota"), "39": ("OH", "Ohio"),
    "40": ("OK", "Oklahoma"), "41": ("OR", "Oregon"), "42": ("PA", "Pennsylvania"),
    "44": ("RI", "Rhode Island"), "45": ("SC", "South Carolina"), "46": ("SD", "South Dakota"),
    "47": ("TN", "Tennessee"), "48": ("TX", "Texas"), "49": ("UT", "Utah"),
    "50": ("VT", "Vermont"), "51": ("VA", "Virginia"), "53": ("WA", "Washington"),
    "54": ("WV", "West Virginia"), "55": ("WI", "Wisconsin"), "56": ("WY", "Wyoming"),
    "60": ("AS", "American Samoa"), "66": ("GU", "Guam"),
    "69": ("MP", "Northern Mariana Islands"), "72": ("PR", "Puerto Rico"),
    "78": ("VI", "U.S. Virgin Islands"),
}
POSTAL_TO_FIPS: dict[str, str] = {postal: fips for fips, (postal, _) in STATES.items()}

# Names for the retired FIPS codes that the activation data carries without one.
RETIRED_COUNTY_NAMES: dict[str, str] = {
    "02201": "Prince of Wales-Outer Ketchikan Census Area (former)",
    "02231": "Skagway-Yakutat-Angoon Census Area (former)",
    "02232": "Skagway-Hoonah-Angoon Census Area (former)",
    "02270": "Wade Hampton Census Area (former)",
    "02280": "Wrangell-Petersburg Census Area (former)",
    "12025": "Dade County (former)",
    "30113": "Yellowstone National Park (former)",
    "46113": "Shannon County (former)",
    "51515": "Bedford city (former)",
    "51560": "Clifton Forge city (former)",
    "51780": "South Boston city (former)",
}

ORI_SUFFIX = "SO00"   # sheriff's office, first (only) agency of the county


@dataclass(frozen=True)
class FieldOffice:
    code: str
    address: str
    lat: float
    lon: float


@dataclass(frozen=True)
class County:
    fips: str                      # 5-digit county FIPS
    state: str                     # full state name
    state_code: str                # postal code, e.g. "CA"
    name: str
    activation_date: date | None   # None: never activated in this data
    statewide_date: date | None
    population: int                # 2010 census; 0 where the source has none
    noncitizen_population: float   # 2010 estimate; 0.0 where the source has none
    field_office: str | None       # ICE area of responsibility code
    field_office_inferred: bool = False  # True: from the state's only office, no direct row

    @property
    def label(self) -> str:
        return f"{self.name}, {self.state}"


@dataclass(frozen=True)
class Activation:
    activated: bool
    reason: str


def _date(v: str) -> date | None:
    return date.fromisoformat(v) if v else None


def data_file(name: str):
    """A packaged file in ``scomm/data``. Via importlib.resources; falls back to the
    path beside this module when the package's loader cannot give a resource reader
    (seen under an editable install imported as a namespace by pytest)."""
    try:
        return resources.files("scomm").joinpath("data", name)
    except (NotADirectoryError, FileNotFoundError, TypeError):
        return Path(__file__).resolve().parent.parent / "data" / name


def _read(name: str) -> list[dict[str, str]]:
    text = data_file(name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


class Jurisdictions:
    def __init__(self, counties: list[County], offices: list[FieldOffice]):
        self._counties = {c.fips: c for c in counties}
        self._offices = {o.code: o for o in offices}

    @classmethod
    def from_rows(cls, activations: list[dict], county_offices: list[dict],
                  offices: list[dict]) -> Jurisdictions:
        aor = {r["geoid"].zfill(5): r["aor"].strip() or None for r in county_offices}
        by_state: dict[str, set[str]] = {}
        for geoid, code in aor.items():
            if code:
                by_state.setdefault(geoid[:2], set()).add(code)
        counties = []
        for r in activations:
            fips = r["county_fips"].zfill(5)
            postal, state_name = STATES[fips[:2]]
            office, inferred = aor.get(fips), False
            if office is None and len(by_state.get(fips[:2], ())) == 1:
                office, inferred = next(iter(by_state[fips[:2]])), True
            counties.append(County(
                fips=fips, state=r["state"] or state_name, state_code=postal,
                name=r["county"] or RETIRED_COUNTY_NAMES.get(fips, f"County FIPS {fips} (unnamed)"),
                activation_date=_date(r["activation_date"]),
                statewide_date=_date(r["statewide_date"]),
                population=int(r["population_2010"] or 0),
                noncitizen_population=float(r["noncitizen_population_2010"] or 0.0),
                field_office=office, field_office_inferred=inferred))
        fos = [FieldOffice(o["aor"], o["field_office_addr"], float(o["lat"]), float(o["long"]))
               for o in offices]
        return cls(counties, fos)

    @classmethod
    def load_default(cls) -> Jurisdictions:
        """The packaged tables, read once per process."""
        return _load_default()

    # ------------------------------------------------------------ counties
    def county(self, fips: str) -> County:
        try:
            return self._counties[fips]
        except KeyError:
            raise KeyError(f"unknown county FIPS code {fips!r}") from None

    def counties(self) -> list[County]:
        return list(self._counties.values())

    # ------------------------------------------------------------ ORIs (synthetic)
    def sheriff_ori(self, fips: str) -> str:
        """Synthetic ORI of the county sheriff: postal code + county FIPS + "SO00"."""
        c = self.county(fips)
        return f"{c.state_code}{c.fips[2:]}{ORI_SUFFIX}"

    def by_ori(self, ori: str) -> County | None:
        """The county of a (synthetic) ORI; None for any ORI not in the scheme."""
        if not isinstance(ori, str) or len(ori) != 9 or not ori.endswith(ORI_SUFFIX):
            return None
        state = POSTAL_TO_FIPS.get(ori[:2])
        if state is None or not ori[2:5].isdigit():
            return None
        return self._counties.get(state + ori[2:5])

    def is_known_ori(self, ori: str) -> bool:
        return self.by_ori(ori) is not None

    # ------------------------------------------------------------ activation
    def activation(self, fips: str, on: date) -> Activation:
        """Whether Secure Communities was active in the county on ``on``
        (activated on or before that date)."""
        c = self.county(fips)
        if c.activation_date is None:
            return Activation(False, f"{c.label} ({c.fips}) has no activation date on record; "
                                     f"booking date {on.isoformat()}")
        if c.activation_date <= on:
            return Activation(True, f"{c.label} activated on {c.activation_date.isoformat()}")
        return Activation(False, f"{c.label} not activated until "
                                 f"{c.activation_date.isoformat()}; booking date {on.isoformat()}")

    # ------------------------------------------------------------ field offices
    def field_office(self, code: str) -> FieldOffice:
        try:
            return self._offices[code]
        except KeyError:
            raise KeyError(f"unknown ICE field office code {code!r}") from None

    def field_offices(self) -> list[FieldOffice]:
        return list(self._offices.values())

    def field_office_for(self, fips: str) -> FieldOffice | None:
        code = self.county(fips).field_office
        return self._offices.get(code) if code else None


@functools.cache
def _load_default() -> Jurisdictions:
    return Jurisdictions.from_rows(_read("county_activations.csv"),
                                   _read("county_ice_field_office.csv"),
                                   _read("ice_field_offices.csv"))
