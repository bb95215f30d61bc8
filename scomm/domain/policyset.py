"""The policy in force, as one object: entries, framework schedule, detainer rules.

A ``PolicySet`` answers every policy question the pipeline asks on a date:

* ``framework_on(on)``    the priority framework in force (``schedule``);
* ``agreement(...)``      the state's and county's agreements and the jail's choice;
* ``detainer(...)``       ICE's detainer decision under the detainer policy in force;
* ``forwarding(...)``     whether CJIS forwards a county's prints to IDENT, and
                          whether the state bureau passes the IDR on.

Its jurisdiction entries are the packaged record (``agreements.load_entries``)
with a user's entries laid over it, then a policy file's entries (a policy file
is a question, so it has the last word). A policy file (JSON) may also move a
framework's start (``"frameworks": {"JOHNSON-2014": "2011-06-17"}``), move a
detainer policy or the PEP forms, refuse detainers for some SC levels, and
say whether an opt-out entry with value "effective" stops forwarding::

    {"name": "...", "description": "...", "entries": [PolicyEntry dicts],
     "frameworks": {"FRAMEWORK-ID": "YYYY-MM-DD"},
     "detainer": {"policies": {"PEP": "YYYY-MM-DD"}, "pep_forms_from": "YYYY-MM-DD",
                  "no_detainer_levels": ["3", "non-criminal"]},
     "opt_out_honoured": true}

Schedules (frameworks, detainer policies) keep the registry's order: the item in
force on a date is the *latest in registry order* whose start has come. Moving a
start earlier overtakes the items before it (they are never in force); moving
it past a later item's start is an error (it would never be in force). Moving a
framework also moves its paired detainer policy (JOHNSON-2014 with PEP, EO-13768
with EO-13768) unless the file moves that policy itself.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from . import detainer as dt
from .agreements import (
    NATIONAL,
    OPT_OUT_VALUES,
    TOPICS,
    AgreementState,
    Finding,
    PolicyDataError,
    PolicyEntry,
    agreement_state,
    load_entries,
    made_id,
    merge_entries,
)
from .frameworks.base import SC_LEVELS, Classification, Framework, ImmigrationContext
from .immigration import ImmigrationStatus
from .jail_conditions import ConditionError, parse_condition
from .jurisdictions import POSTAL_TO_FIPS
from .priority import FRAMEWORKS, framework
from .rapsheet import Conviction

PACKAGED = "record"                       # name of the policy set without a file
FILE_KEYS = ("name", "description", "entries", "frameworks", "detainer", "opt_out_honoured")
DETAINER_KEYS = ("policies", "pep_forms_from", "no_detainer_levels")
ENTRY_KEYS = ("id", "state", "counties", "topic", "effective_from", "value", "summary",
              "effect", "source", "note", "uncertain", "origin")
# A framework's detainer policy moves with it unless the file moves the policy itself.
PAIRED_POLICY = {"JOHNSON-2014": "PEP", "EO-13768": "EO-13768"}
MAX_ID = 72                               # fits the audit target "policy/<id>"
MAX_KEY = 120                             # fits policy_entries.entry_key (stored_key)


class PolicyFileError(ValueError):
    """A policy file or entry that does not validate; ``problems`` names each one
    as (field path, message)."""

    def __init__(self, problems: Sequence[tuple[str, str]], source: str = "policy"):
        self.problems = list(problems)
        super().__init__(f"{source}: {len(self.problems)} problem(s): " + "; ".join(
            f"{f}: {m}" for f, m in self.problems))


# ---------------------------------------------------------------- schedules

@dataclass(frozen=True)
class Scheduled:
    """One item of a schedule: its id, its start, and where the start comes from."""
    id: str
    start: date
    registry_start: date
    source: str = "registry"

    @property
    def moved(self) -> bool:
        return self.start != self.registry_start


@dataclass(frozen=True)
class Schedule:
    """Dated items in registry order (frameworks, or detainer policies)."""
    items: tuple[Scheduled, ...]

    @classmethod
    def of(cls, starts: Iterable[tuple[str, date]]) -> Schedule:
        return cls(tuple(Scheduled(i, d, d) for i, d in starts))

    def ids(self) -> list[str]:
        return [s.id for s in self.items]

    def moved(self, moves: Mapping[str, date], source: str) -> Schedule:
        """This schedule with some starts moved; raises ``PolicyFileError`` if an item
        is unknown or a moved item would never be in force."""
        problems = [(k, f"unknown id; known: {', '.join(self.ids())}")
                    for k in moves if k not in self.ids()]
        if problems:
            raise PolicyFileError(problems, source)
        out = Schedule(tuple(replace(s, start=moves[s.id], source=source) if s.id in moves
                             else s for s in self.items))
        for i, s in enumerate(out.items):
            later = [t for t in out.items[i + 1:] if t.start <= s.start]
            if s.id in moves and later:
                problems.append((s.id, f"moved to {s.start.isoformat()}, on or after the start "
                                       f"of {later[0].id} ({later[0].start.isoformat()}): it "
                                       "would never be in force"))
        if problems:
            raise PolicyFileError(problems, source)
        return out

    def in_force(self, on: date) -> Scheduled:
        """The latest item in registry order whose start has come; before every
        start, the earliest item answers (as ``priority.framework_in_force``)."""
        started = [s for s in self.items if s.start <= on]
        return started[-1] if started else min(reversed(self.items), key=lambda s: s.start)

    def periods(self) -> list[dict]:
        """Each item with the period it is in force (``None`` if overtaken)."""
        out = []
        for i, s in enumerate(self.items):
            later = [t.start for t in self.items[i + 1:]]
            end = min(later) if later else None
            overtaken = end is not None and end <= s.start
            out.append({"id": s.id, "from": None if overtaken else s.start.isoformat(),
                        "to": None if overtaken or end is None else end.isoformat(),
                        "registry_from": s.registry_start.isoformat(), "moved": s.moved,
                        "source": s.source, "overtaken": overtaken})
        return out


FRAMEWORK_SCHEDULE = Schedule.of((f.id, f.effective_from) for f in FRAMEWORKS)
DETAINER_SCHEDULE = Schedule.of((p.id, p.effective_from) for p in dt.DETAINER_POLICIES)


# ---------------------------------------------------------------- entries, checked field by field

def _is_date(v: Any) -> bool:
    try:
        date.fromisoformat(str(v))
        return True
    except ValueError:
        return False


_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")   # tab, CR, LF pass
_NOT_ID = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")
TEXT_FIELDS = ("summary", "effect", "source", "note", "origin")


def _text_problem(v: Any) -> str | None:
    if not isinstance(v, str):
        return f"text, not {type(v).__name__}"
    if _NOT_TEXT.search(v):
        return "holds a control character or an unpaired surrogate"
    return None


def _county(c: Any) -> str | None:
    """A county FIPS code as given (5-digit text, or a number without its leading
    zeros), zero-padded; None if it is neither."""
    if isinstance(c, bool) or not isinstance(c, (int, str)):
        return None
    cs = str(c).zfill(5)
    return cs if len(cs) == 5 and cs.isascii() and cs.isdigit() else None


def stored_key(state: str, counties: Sequence[str], topic: str, effective_from: date) -> str:
    """The key (scope, topic, date) user entries are stored under (at most ``MAX_KEY``)."""
    return f"{state}|{','.join(counties)}|{topic}|{effective_from.isoformat()}"


def entry_problems(d: Any, where: str = "") -> list[tuple[str, str]]:
    """Every problem of one entry dict, as (field, message); [] when it is valid.

    What passes is stored alike on SQLite and PostgreSQL: text without control
    characters, an id and a key that fit their columns (``MAX_ID``, ``MAX_KEY``)."""
    p = where + "." if where else ""
    if not isinstance(d, Mapping):
        return [(where or "entry", "an entry is a JSON object")]
    out: list[tuple[str, str]] = []
    for k in d:
        if k not in ENTRY_KEYS:
            out.append((p + str(k)[:80], f"unknown field; known: {', '.join(ENTRY_KEYS)}"))
    raw_state = d.get("state", "")
    state = raw_state.upper() if isinstance(raw_state, str) else ""
    if "state" not in d:
        out.append((p + "state", "required: a state postal code or \"US\""))
    elif state != NATIONAL and state not in POSTAL_TO_FIPS:
        out.append((p + "state", f"unknown state {_shown(raw_state)}"))
    topic = d.get("topic")
    if topic is None:
        out.append((p + "topic", f"required: one of {', '.join(TOPICS)}"))
    elif topic not in TOPICS:
        out.append((p + "topic", f"unknown topic {_shown(topic)}; expected one of "
                                 f"{', '.join(TOPICS)}"))
    day = None
    if "effective_from" not in d:
        out.append((p + "effective_from", "required: a date YYYY-MM-DD"))
    else:
        v = d["effective_from"]
        if isinstance(v, date) and not isinstance(v, datetime):
            day = v
        elif isinstance(v, str) and _ISO_DAY.fullmatch(v) and _is_date(v):
            day = date.fromisoformat(v)
        else:
            out.append((p + "effective_from", f"not a date YYYY-MM-DD: {_shown(v)}"))
    source = d.get("source")
    if not isinstance(source, str) or not source.strip():
        out.append((p + "source", "required: the document(s) the entry rests on (text)"))
    for k in TEXT_FIELDS:
        if k in d and (k != "source" or isinstance(source, str)):   # a source named once
            why = _text_problem(d[k])
            if why:
                out.append((p + k, why))
    if "uncertain" in d and not isinstance(d["uncertain"], bool):
        out.append((p + "uncertain", "true or false"))
    given_id = d.get("id")
    if given_id is not None and not isinstance(given_id, str):
        out.append((p + "id", f"text, not {type(given_id).__name__}"))
        given_id = None
    elif given_id:
        if len(given_id) > MAX_ID:
            out.append((p + "id", f"longer than {MAX_ID} characters"))
        elif _NOT_ID.search(given_id):
            out.append((p + "id", "holds a control character or an unpaired surrogate"))
    raw_counties = d.get("counties")
    counties: list[str] = []
    counties_ok = raw_counties is None or isinstance(raw_counties, list)
    if not counties_ok:
        out.append((p + "counties", "a list of 5-digit county FIPS codes"))
    elif raw_counties:
        if state == NATIONAL:
            out.append((p + "counties", "a national entry has no counties"))
        for c in raw_counties:
            cs = _county(c)
            if cs is None or cs[:2] != POSTAL_TO_FIPS.get(state):
                counties_ok = False
                out.append((p + "counties", f"{_shown(c)} is not a 5-digit FIPS code of "
                                            f"{state or 'the state'}"))
            else:
                counties.append(cs)
    if day is not None and topic in TOPICS and state and counties_ok:
        key = stored_key(state, counties, topic, day)
        if len(key) > MAX_KEY:
            out.append((p + "counties", f"{len(counties)} counties: too many for one entry (its "
                        f"key, state|counties|topic|date, is {len(key)} characters, at most "
                        f"{MAX_KEY}); split it into entries of fewer counties"))
        elif not given_id and len(made_id(state, counties, topic, day)) > MAX_ID:
            out.append((p + "id", f"required for an entry of {len(counties)} counties: the id "
                        f"made from state, counties, date and topic would be longer than "
                        f"{MAX_ID} characters"))
    value = d.get("value", "")
    if topic in ("moa", "sib_forwards_idr") and not isinstance(value, bool):
        out.append((p + "value", f"{topic} takes true or false, not {_shown(value)}"))
    if topic == "opt_out" and (not isinstance(value, str) or value not in OPT_OUT_VALUES):
        out.append((p + "value", f"opt_out takes one of {', '.join(OPT_OUT_VALUES)}, "
                                 f"not {_shown(value)}"))
    if topic == "jail_detainer_policy":
        if not isinstance(value, str):
            out.append((p + "value", f"a jail condition (text), not {_shown(value)}"))
        else:
            try:
                parse_condition(value)
            except ConditionError as exc:
                out.append((p + "value", str(exc)))
    if topic == "event" and not isinstance(value, bool):
        why = _text_problem(value)
        if why:
            out.append((p + "value", f"an event takes text or true/false: {why}"))
    return out


_TEXT_PATTERN = "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f\\ud800-\\udfff]*$"
_TEXT_SCHEMA = {"type": "string", "pattern": _TEXT_PATTERN,
                "description": "text (tabs and line breaks allowed, no other control character)"}
# One entry as a JSON Schema (the API's request body): what it lets through may still be
# refused by ``entry_problems`` (a state's counties, a value for its topic, the key's
# length), but nothing it refuses is accepted.
ENTRY_SCHEMA: dict[str, Any] = {
    "type": "object", "additionalProperties": False,
    "required": ["state", "topic", "effective_from", "source"],
    "properties": {
        "id": {"type": ["string", "null"], "maxLength": MAX_ID,
               "pattern": "^[^\\x00-\\x1f\\x7f\\ud800-\\udfff]*$",
               "description": "the entry's id (default: state-counties-date-topic); an entry "
                              "with the id of an active user entry replaces it"},
        "state": {"type": "string", "pattern": "^[A-Za-z]{2}$",
                  "description": "a state's postal code, or US (the nation)"},
        "counties": {"type": ["array", "null"], "items": {"anyOf": [
            {"type": "string", "pattern": "^[0-9]{1,5}$"},
            {"type": "integer", "minimum": 0, "maximum": 99999}]},
            "description": "5-digit county FIPS codes of the state (none: the whole state); "
                           f"the key state|counties|topic|date is at most {MAX_KEY} characters"},
        "topic": {"enum": list(TOPICS)},
        "effective_from": {"type": "string", "format": "date",
                           "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"},
        "value": {"type": ["string", "boolean"],
                  "description": "moa, sib_forwards_idr: true or false; opt_out: "
                                 f"{', '.join(OPT_OUT_VALUES)}; jail_detainer_policy: a jail "
                                 "condition; event: text or true/false"},
        "summary": _TEXT_SCHEMA, "effect": _TEXT_SCHEMA, "note": _TEXT_SCHEMA,
        "source": {**_TEXT_SCHEMA, "minLength": 1, "allOf": [{"pattern": "\\S"}],
                   "description": "the document(s) the entry rests on"},
        "uncertain": {"type": "boolean"},
        "origin": {**_TEXT_SCHEMA, "description": "ignored: a user entry's origin is \"user\""},
    },
    "examples": [{"id": "TX-48085-jail-2011", "state": "TX", "counties": ["48085"],
                  "topic": "jail_detainer_policy", "effective_from": "2011-02-03",
                  "value": "felony", "summary": "Collin County holds on detainers for felonies.",
                  "source": "county sheriff's memo of 2011-02-01"}],
}
ENTRIES_SCHEMA: dict[str, Any] = {"anyOf": [
    ENTRY_SCHEMA, {"type": "array", "minItems": 1, "items": ENTRY_SCHEMA}]}


def _shown(v: Any) -> str:
    """A value quoted in a message: its repr, cut short."""
    r = repr(v)
    return r if len(r) <= 60 else r[:57] + "..."


def parse_entry(d: Mapping, origin: str = "user", where: str = "") -> PolicyEntry:
    """One entry from a dict, or ``PolicyFileError`` naming each problem."""
    problems = entry_problems(d, where)
    if problems:
        raise PolicyFileError(problems, "policy entry")
    try:
        return PolicyEntry.from_dict(d, origin=origin)
    except PolicyDataError as exc:       # a rule entry_problems does not know yet
        raise PolicyFileError([(where or "entry", str(exc))], "policy entry") from None


def parse_entries(rows: Any, origin: str = "user") -> list[PolicyEntry]:
    """One entry dict or a list of them; all problems of all entries at once."""
    rows = [rows] if isinstance(rows, Mapping) else rows
    if not isinstance(rows, list) or not rows:
        raise PolicyFileError([("entries", "an entry object or a non-empty list of them")])
    problems = [p for i, r in enumerate(rows) for p in entry_problems(r, f"[{i}]")]
    if problems:
        raise PolicyFileError(problems, "policy entries")
    return [parse_entry(r, origin, f"[{i}]") for i, r in enumerate(rows)]


# ---------------------------------------------------------------- answers

@dataclass(frozen=True)
class FrameworkChoice:
    framework: Framework
    reason: str

    @property
    def id(self) -> str:
        return self.framework.id


@dataclass(frozen=True)
class Forwarding:
    """CJIS's side: may the prints go to IDENT (as far as policy goes; activation is
    separate), and does the state bureau pass the IDR on to the local agency?"""
    stopped: bool
    reason: str
    entries: tuple[PolicyEntry, ...]
    sib_forwards_idr: Finding

    def entry_ids(self) -> list[str]:
        return [e.id for e in self.entries]


@dataclass(frozen=True)
class PolicySet:
    """The policy in force: see the module docstring. Build with ``packaged()``,
    ``from_dict``/``from_file``/``counterfactual``; lay user entries with
    ``with_user_entries``."""
    name: str = PACKAGED
    description: str = "the historical record packaged with scomm"
    base_entries: tuple[PolicyEntry, ...] = field(default_factory=load_entries)
    user_entries: tuple[PolicyEntry, ...] = ()
    file_entries: tuple[PolicyEntry, ...] = ()
    frameworks: Schedule = FRAMEWORK_SCHEDULE
    detainer_policies: Schedule = DETAINER_SCHEDULE
    pep_forms_from: date = dt.PEP_FORMS_FROM
    no_detainer_levels: frozenset[str] = frozenset()
    opt_out_honoured: bool = True
    path: str | None = None

    # ------------------------------------------------------------ construction
    @classmethod
    def packaged(cls) -> PolicySet:
        return cls()

    @classmethod
    def from_dict(cls, d: Any, source: str = "policy file") -> PolicySet:
        """A policy set from a policy file's JSON; every problem named at once."""
        if not isinstance(d, Mapping):
            raise PolicyFileError([("(file)", "a policy file is a JSON object")], source)
        problems: list[tuple[str, str]] = [(k, f"unknown key; known: {', '.join(FILE_KEYS)}")
                                           for k in d if k not in FILE_KEYS]
        name = d.get("name")
        if not isinstance(name, str) or not name.strip():
            problems.append(("name", "required: a short name for the policy"))
            name = "unnamed"
        label = f"policy file {name!r}"
        rows = d.get("entries", [])
        if not isinstance(rows, list):
            problems.append(("entries", "a list of policy entries"))
            rows = []
        for i, r in enumerate(rows):
            problems += entry_problems(r, f"entries[{i}]")
        fw_moves = _dates(d.get("frameworks", {}), "frameworks", problems)
        det = d.get("detainer", {})
        if not isinstance(det, Mapping):
            problems.append(("detainer", "an object with " + ", ".join(DETAINER_KEYS)))
            det = {}
        problems += [(f"detainer.{k}", f"unknown key; known: {', '.join(DETAINER_KEYS)}")
                     for k in det if k not in DETAINER_KEYS]
        pol_moves = _dates(det.get("policies", {}), "detainer.policies", problems)
        forms = det.get("pep_forms_from")
        if forms is not None and not _is_date(forms):
            problems.append(("detainer.pep_forms_from", f"not a date YYYY-MM-DD: {forms!r}"))
        levels = det.get("no_detainer_levels", [])
        if not isinstance(levels, list) or any(x not in SC_LEVELS for x in levels):
            problems.append(("detainer.no_detainer_levels",
                             f"a list of SC levels among {', '.join(SC_LEVELS)}"))
            levels = []
        honoured = d.get("opt_out_honoured", True)
        if not isinstance(honoured, bool):
            problems.append(("opt_out_honoured", "true or false"))
        if problems:
            raise PolicyFileError(problems, label)
        origin = f"file:{name}"
        entries = [parse_entry(r, origin, f"entries[{i}]") for i, r in enumerate(rows)]
        for fid, policy in PAIRED_POLICY.items():
            if fid in fw_moves and policy not in pol_moves:
                pol_moves[policy] = fw_moves[fid]
        try:
            fws = FRAMEWORK_SCHEDULE.moved(fw_moves, label)
        except PolicyFileError as exc:
            problems += [(f"frameworks.{f}", m) for f, m in exc.problems]
        try:
            pols = DETAINER_SCHEDULE.moved(pol_moves, label)
        except PolicyFileError as exc:
            problems += [(f"detainer.policies.{f}", m) for f, m in exc.problems]
        if problems:
            raise PolicyFileError(problems, label)
        return cls(name=name, description=str(d.get("description", "")),
                   file_entries=tuple(entries), frameworks=fws, detainer_policies=pols,
                   pep_forms_from=date.fromisoformat(forms) if forms else dt.PEP_FORMS_FROM,
                   no_detainer_levels=frozenset(levels), opt_out_honoured=honoured)

    @classmethod
    def from_file(cls, path: str | Path) -> PolicySet:
        p = Path(path)
        try:
            d = json.loads(p.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise PolicyFileError([("(file)", f"not JSON: {exc}")], str(p)) from None
        return replace(cls.from_dict(d, str(p)), path=str(p))

    @classmethod
    def counterfactual(cls, name: str) -> PolicySet:
        """A packaged counterfactual by file stem, e.g. ``"pep-2011"``."""
        p = COUNTERFACTUALS / f"{name.removesuffix('.json')}.json"
        if not p.exists():
            raise KeyError(f"no counterfactual {name!r}; packaged: "
                           + ", ".join(counterfactual_names()))
        return cls.from_file(p)

    def with_user_entries(self, entries: Iterable[PolicyEntry]) -> PolicySet:
        return replace(self, user_entries=tuple(entries))

    # ------------------------------------------------------------ entries
    @property
    def entries(self) -> tuple[PolicyEntry, ...]:
        return merge_entries(merge_entries(self.base_entries, self.user_entries),
                             self.file_entries)

    @property
    def label(self) -> str:
        base = "the packaged record" if self.name == PACKAGED else f"policy file {self.name!r}"
        n = len(self.user_entries)
        return base + (f" with {n} user entr{'y' if n == 1 else 'ies'}" if n else "")

    # ------------------------------------------------------------ frameworks
    def framework_on(self, on: date) -> Framework:
        return self.framework_choice(on).framework

    def framework_choice(self, on: date) -> FrameworkChoice:
        s = self.frameworks.in_force(on)
        why = (f"{s.id} in force on {on.isoformat()} (from {s.start.isoformat()}"
               + (f", moved from {s.registry_start.isoformat()} by {s.source}" if s.moved else
                  ", registry date") + ")")
        return FrameworkChoice(framework(s.id), why)

    def framework_table(self) -> list[dict]:
        """The registry (titles, sources) with this set's periods."""
        info = {f.id: f for f in FRAMEWORKS}
        out = []
        for p in self.frameworks.periods():
            f = info[p["id"]]
            out.append({**p, "title": f.title, "issued": f.issued.isoformat(),  # type: ignore[attr-defined]
                        "source": f.source, "note": f.note})                     # type: ignore[attr-defined]
        return out

    # ------------------------------------------------------------ agreements
    def agreement(self, state: str, county_fips: str | None, on: date, *,
                  convictions: Sequence[Conviction] | None = None, level: str | None = None,
                  pending_charge: bool = False, prior_removal: bool = False) -> AgreementState:
        return agreement_state(state, county_fips, on, convictions=convictions, level=level,
                               pending_charge=pending_charge, prior_removal=prior_removal,
                               entries=self.entries)

    def forwarding(self, state: str, county_fips: str | None, on: date) -> Forwarding:
        a = self.agreement(state, county_fips, on)
        eff = a.opt_out_effective
        opt = [e for e in eff.entries if e.topic == "opt_out"]
        if eff.value is True and self.opt_out_honoured:
            e = opt[0]
            return Forwarding(True, f"opt-out in effect for {state} from "
                              f"{e.effective_from.isoformat()} ({e.id}, {_origin(e)}): "
                              f"{e.summary}", tuple(opt), a.sib_forwards_idr)
        if eff.value is True:
            return Forwarding(False, f"opt-out {opt[0].id} recorded as effective but not "
                              f"honoured by {self.label}", tuple(opt), a.sib_forwards_idr)
        return Forwarding(False, "no opt-out in effect", tuple(opt), a.sib_forwards_idr)

    # ------------------------------------------------------------ detainers
    def detainer(self, status: ImmigrationStatus, classification: Classification, *,
                 convictions: Sequence[Conviction] = (),
                 context: ImmigrationContext | None = None, on: date,
                 jail_honours: bool | None = None) -> dt.DetainerDecision:
        """``detainer.decide_detainer`` under this set's detainer schedule and overrides.

        When the schedule puts a detainer policy outside its real period (a
        counterfactual), its rules are applied as of a date inside that period
        (chosen so that the PEP forms follow ``pep_forms_from``) and the reasons
        say so."""
        s = self.detainer_policies.in_force(on)
        rule_date = self._rule_date(s, on)
        d = dt.decide_detainer(status, classification.level, on=rule_date,
                               classification=classification, convictions=convictions,
                               context=context or ImmigrationContext(on=on),
                               jail_honours=jail_honours)
        reasons = list(d.reasons)
        if rule_date != on:
            real = dt.PEP_FORMS_FROM.isoformat()
            reasons = [r.replace(f"detainer policy in force on {rule_date.isoformat()}",
                                 f"detainer policy in force on {on.isoformat()} under {s.source} "
                                 f"({s.id} from {s.start.isoformat()}, moved from "
                                 f"{s.registry_start.isoformat()}; rules applied as of "
                                 f"{rule_date.isoformat()})")
                       .replace(f"(from {real})", f"(from {self.pep_forms_from.isoformat()} "
                                                  f"under {self.label})") for r in reasons]
            d = replace(d, reasons=reasons)
        if d.issued and classification.level in self.no_detainer_levels:
            return dt.DetainerDecision(False, None, reasons + [
                f"{self.label}: no detainer for SC level {classification.level} "
                f"(no_detainer_levels: {', '.join(sorted(self.no_detainer_levels))})"],
                None, d.policy)
        return d

    def _rule_date(self, s: Scheduled, on: date) -> date:
        """``on`` itself unless this set's policy or PEP forms on ``on`` differ from
        the real ones; then the nearest date in the real period that gives them."""
        real_forms = on >= dt.PEP_FORMS_FROM
        if s.id == dt.detainer_policy_in_force(on).id and (
                s.id != "PEP" or (on >= self.pep_forms_from) == real_forms):
            return on
        pol = next(p for p in dt.DETAINER_POLICIES if p.id == s.id)
        lo, hi = pol.effective_from, (pol.effective_to or date.max) - timedelta(days=1)
        if s.id == "PEP":   # PEP forms: from pep_forms_from in this set
            forms = on >= self.pep_forms_from
            lo, hi = ((max(lo, dt.PEP_FORMS_FROM), hi) if forms
                      else (lo, min(hi, dt.PEP_FORMS_FROM - timedelta(days=1))))
        return min(max(on, lo), hi)

    def to_dict(self) -> dict:
        return {"name": self.name, "description": self.description, "path": self.path,
                "frameworks": self.frameworks.periods(),
                "detainer_policies": self.detainer_policies.periods(),
                "pep_forms_from": self.pep_forms_from.isoformat(),
                "no_detainer_levels": sorted(self.no_detainer_levels),
                "opt_out_honoured": self.opt_out_honoured,
                "entries": {"packaged": len(self.base_entries), "user": len(self.user_entries),
                            "file": len(self.file_entries)}}


def _origin(e: PolicyEntry) -> str:
    return ("packaged record" if e.origin == "scomm" else "user entry" if e.origin == "user"
            else e.origin.replace("file:", "policy file "))


def _dates(v: Any, where: str, problems: list) -> dict[str, date]:
    if not isinstance(v, Mapping):
        problems.append((where, "an object of id -> YYYY-MM-DD"))
        return {}
    out = {}
    for k, d in v.items():
        if _is_date(d):
            out[str(k)] = date.fromisoformat(str(d))
        else:
            problems.append((f"{where}.{k}", f"not a date YYYY-MM-DD: {d!r}"))
    return out


COUNTERFACTUALS = Path(__file__).resolve().parent.parent / "data" / "counterfactuals"


def counterfactual_names() -> list[str]:
    return sorted(p.stem for p in COUNTERFACTUALS.glob("*.json"))


def policy_origin(e: PolicyEntry) -> str:
    """Where an entry comes from, in words (packaged record, user entry, policy file X)."""
    return _origin(e)
