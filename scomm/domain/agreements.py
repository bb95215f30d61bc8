"""Jurisdiction agreements and choices as dated records with sources.

Each ``PolicyEntry`` says that from ``effective_from`` something holds for a
scope (the nation "US", a state, or some counties of a state) on one topic:

* ``moa``                  bool: a Secure Communities MOA is in force
* ``opt_out``              "requested" (no legal effect on activation) | "effective" | "none"
* ``sib_forwards_idr``     bool: the state bureau passes IDENT responses to local agencies
* ``jail_detainer_policy`` a condition under which the jail honours a detainer
                           (``jail_conditions.CONDITION_ATOMS``)
* ``event``                context only (court rulings, activations), never decides

An entry lasts until a later entry for the same scope and topic. For a county,
the national, state and county entries all apply: for ``jail_detainer_policy``
the latest of *each* scope must allow the hold (a state law limits every jail),
for the other topics the latest entry of any scope answers. The packaged
record is ``scomm/data/jurisdiction_policies.json``; ``merge_entries`` lays a
user's entries over it (same key = same scope, topic and date: replaced).
"""
from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date

from .jail_conditions import ConditionError, PersonFacts, describe_condition, evaluate, parse_condition
from .jurisdictions import POSTAL_TO_FIPS, data_file
from .rapsheet import Conviction

DATA_FILE = "jurisdiction_policies.json"
NATIONAL = "US"
TOPICS = ("moa", "opt_out", "sib_forwards_idr", "jail_detainer_policy", "event")
OPT_OUT_VALUES = ("requested", "effective", "none")


class PolicyDataError(ValueError):
    """A policy entry that does not validate."""


@dataclass(frozen=True)
class PolicyEntry:
    id: str
    state: str                      # postal code, or "US" for the nation
    topic: str
    effective_from: date
    value: bool | str
    summary: str
    effect: str                     # its legal or practical effect, in words
    source: str                     # the document(s) it rests on
    counties: tuple[str, ...] = ()  # 5-digit FIPS; empty = the whole state (or nation)
    note: str = ""
    uncertain: bool = False
    origin: str = "scomm"           # "scomm" (packaged) or "user"

    @property
    def key(self) -> tuple[str, tuple[str, ...], str, date]:
        return (self.state, self.counties, self.topic, self.effective_from)

    @property
    def scope(self) -> str:
        return "county" if self.counties else "national" if self.state == NATIONAL else "state"

    def applies_to(self, state: str, county_fips: str | None) -> bool:
        if self.state == NATIONAL:
            return True
        if self.state != state:
            return False
        return not self.counties or county_fips in self.counties

    def cite(self) -> str:
        flag = " (uncertain)" if self.uncertain else ""
        return f"{self.id} [{self.effective_from.isoformat()}]{flag}: {self.source}"

    def to_dict(self) -> dict:
        return {"id": self.id, "state": self.state, "counties": list(self.counties),
                "topic": self.topic, "effective_from": self.effective_from.isoformat(),
                "value": self.value, "summary": self.summary, "effect": self.effect,
                "source": self.source, "note": self.note, "uncertain": self.uncertain,
                "origin": self.origin}

    @classmethod
    def from_dict(cls, d: Mapping, origin: str | None = None) -> PolicyEntry:
        try:
            e = cls(id=str(d.get("id") or ""), state=str(d["state"]).upper(), topic=d["topic"],
                    effective_from=date.fromisoformat(str(d["effective_from"])),
                    value=d.get("value", ""), summary=d.get("summary", ""),
                    effect=d.get("effect", ""), source=d.get("source", ""),
                    counties=tuple(str(c).zfill(5) for c in d.get("counties") or ()),
                    note=d.get("note", ""), uncertain=bool(d.get("uncertain", False)),
                    origin=origin or d.get("origin", "scomm"))
        except (KeyError, ValueError, TypeError) as exc:
            raise PolicyDataError(f"bad policy entry {dict(d)!r}: {exc}") from None
        if not e.id:
            e = replace(e, id=made_id(e.state, e.counties, e.topic, e.effective_from))
        validate(e)
        return e


def made_id(state: str, counties: Sequence[str], topic: str, effective_from: date) -> str:
    """The id of an entry given without one: state, counties, date and topic."""
    return (f"{state}-{'-'.join(counties) + '-' if counties else ''}"
            f"{effective_from.isoformat()}-{topic}")


def validate(e: PolicyEntry) -> None:
    def bad(why: str) -> PolicyDataError:
        return PolicyDataError(f"policy entry {e.id}: {why}")
    if e.topic not in TOPICS:
        raise bad(f"unknown topic {e.topic!r}; expected one of {', '.join(TOPICS)}")
    if e.state != NATIONAL and e.state not in POSTAL_TO_FIPS:
        raise bad(f"unknown state {e.state!r}")
    if e.state == NATIONAL and e.counties:
        raise bad("a national entry has no counties")
    for c in e.counties:
        if len(c) != 5 or not c.isdigit() or c[:2] != POSTAL_TO_FIPS.get(e.state):
            raise bad(f"county {c!r} is not a 5-digit FIPS code of {e.state}")
    if not e.source.strip():
        raise bad("every entry needs a source")
    if e.topic in ("moa", "sib_forwards_idr") and not isinstance(e.value, bool):
        raise bad(f"{e.topic} takes true or false, not {e.value!r}")
    if e.topic == "opt_out" and e.value not in OPT_OUT_VALUES:
        raise bad(f"opt_out takes one of {', '.join(OPT_OUT_VALUES)}")
    if e.topic == "jail_detainer_policy":
        try:
            parse_condition(str(e.value))
        except ConditionError as exc:
            raise bad(str(exc)) from None


# ---------------------------------------------------------------- loading and merging

@functools.cache
def load_entries() -> tuple[PolicyEntry, ...]:
    """The packaged historical record (IL, NY, MA, CA and national entries)."""
    raw = json.loads(data_file(DATA_FILE).read_text(encoding="utf-8"))
    entries = tuple(PolicyEntry.from_dict(d, origin="scomm") for d in raw["entries"])
    seen: dict = {}
    for e in entries:
        if e.key in seen or e.id in {x.id for x in seen.values()}:
            raise PolicyDataError(f"duplicate policy entry {e.id}")
        seen[e.key] = e
    return entries


def entries_from_dicts(rows: Iterable[Mapping], origin: str = "user") -> list[PolicyEntry]:
    return [PolicyEntry.from_dict(r, origin=origin) for r in rows]


def merge_entries(base: Sequence[PolicyEntry], overrides: Iterable[PolicyEntry]) -> tuple[PolicyEntry, ...]:
    """``base`` with ``overrides`` laid over it: an override with the key (scope,
    topic, date) of an earlier entry replaces it in place; others are appended.
    Later overrides win over earlier ones."""
    merged: dict = {e.key: e for e in base}
    for e in overrides:
        merged[e.key] = e
    return tuple(merged.values())


# ---------------------------------------------------------------- answering

@dataclass(frozen=True)
class Finding:
    value: bool | str | None
    reason: str
    entries: tuple[PolicyEntry, ...] = ()   # the entries that decided it

    def to_dict(self) -> dict:
        return {"value": self.value, "reason": self.reason,
                "entries": [{"id": e.id, "source": e.source, "effective_from":
                             e.effective_from.isoformat(), "uncertain": e.uncertain,
                             "origin": e.origin} for e in self.entries]}


@dataclass(frozen=True)
class AgreementState:
    state: str
    county_fips: str | None
    on: date
    moa_in_force: Finding
    opt_out_requested: Finding
    opt_out_effective: Finding
    sib_forwards_idr: Finding
    jail_honours_detainer: Finding
    events: tuple[PolicyEntry, ...] = field(default=())   # context entries up to ``on``

    def to_dict(self) -> dict:
        return {"state": self.state, "county_fips": self.county_fips, "on": self.on.isoformat(),
                "moa_in_force": self.moa_in_force.to_dict(),
                "opt_out_requested": self.opt_out_requested.to_dict(),
                "opt_out_effective": self.opt_out_effective.to_dict(),
                "sib_forwards_idr": self.sib_forwards_idr.to_dict(),
                "jail_honours_detainer": self.jail_honours_detainer.to_dict(),
                "events": [e.id for e in self.events]}


def in_force(entries: Iterable[PolicyEntry], topic: str, state: str, county_fips: str | None,
             on: date) -> dict[str, PolicyEntry]:
    """The latest entry of each scope ("national", "state", "county") on ``on``."""
    latest: dict[str, PolicyEntry] = {}
    for e in entries:
        if e.topic == topic and e.effective_from <= on and e.applies_to(state, county_fips):
            cur = latest.get(e.scope)
            if cur is None or e.effective_from >= cur.effective_from:
                latest[e.scope] = e
    return latest


def _latest(entries, topic, state, county_fips, on) -> PolicyEntry | None:
    rank = {"national": 0, "state": 1, "county": 2}
    found = in_force(entries, topic, state, county_fips, on).values()
    return max(found, key=lambda e: (e.effective_from, rank[e.scope]), default=None)


def _simple(entries, topic, state, county_fips, on, none_reason: str) -> Finding:
    e = _latest(entries, topic, state, county_fips, on)
    if e is None:
        return Finding(None if topic == "sib_forwards_idr" else False, none_reason)
    return Finding(e.value, f"{e.summary} Effect: {e.effect}", (e,))


def agreement_state(state: str, county_fips: str | None, on: date, *,
                    convictions: Sequence[Conviction] | None = None, level: str | None = None,
                    judicial_warrant: bool = False, pending_charge: bool = False,
                    prior_removal: bool = False, watchlist: bool = False,
                    entries: Sequence[PolicyEntry] | None = None) -> AgreementState:
    """What the record says for a state (postal code) and county on a date: MOA in
    force? opt-out requested, and effective? does the state bureau forward IDRs?
    does the county jail honour a detainer for this person? Each answer names
    the entries (with sources) that decided it."""
    state = state.upper()
    es = load_entries() if entries is None else entries
    where = f"{state}{' county ' + county_fips if county_fips else ''} on {on.isoformat()}"
    moa = _simple(es, "moa", state, county_fips, on, f"no MOA on record for {where}")
    opt = _latest(es, "opt_out", state, county_fips, on)
    if opt is None:
        requested = Finding(False, f"no opt-out request on record for {where}")
        effective = Finding(False, "no opt-out request, so none in effect")
    else:
        requested = Finding(opt.value in ("requested", "effective"), opt.summary, (opt,))
        ended = _latest(es, "moa", NATIONAL, None, on)
        why = opt.effect + (f" ICE: {ended.summary}" if ended and ended.value is False else "")
        effective = Finding(opt.value == "effective", why, (opt,) + ((ended,) if ended else ()))
    sib = _simple(es, "sib_forwards_idr", state, county_fips, on,
                  f"no record for {where} of whether the state bureau passes IDRs to local agencies")
    facts = PersonFacts(on, convictions, level, judicial_warrant, False, pending_charge,
                        prior_removal, watchlist)
    events = tuple(sorted((e for e in es if e.topic == "event" and e.effective_from <= on
                           and e.applies_to(state, county_fips)), key=lambda e: e.effective_from))
    return AgreementState(state, county_fips, on, moa, requested, effective, sib,
                          jail_finding(es, state, county_fips, facts), events)


def jail_finding(entries: Sequence[PolicyEntry], state: str, county_fips: str | None,
                 facts: PersonFacts) -> Finding:
    """The hold is honoured only if the latest jail entry of every scope allows it;
    the deciding entry is the first (most specific) that refuses, else all that allow."""
    scopes = in_force(entries, "jail_detainer_policy", state, county_fips, facts.on)
    if not scopes:
        return Finding(True, "no jail policy on record: detainers honoured (scomm default)")
    order = [scopes[s] for s in ("county", "state", "national") if s in scopes]
    results = [(e, evaluate(str(e.value), facts)) for e in order]
    for e, ok in results:
        if ok is False:
            return Finding(False, f"not honoured: {e.summary} Requires "
                           f"{describe_condition(str(e.value))}. Effect: {e.effect}", (e,))
    if any(ok is None for _, ok in results):
        unsettled = [e for e, ok in results if ok is None]
        return Finding(None, "depends on the person's record: " + "; ".join(
            f"{e.id} requires {describe_condition(str(e.value))}" for e in unsettled),
            tuple(unsettled))
    return Finding(True, "honoured: " + "; ".join(
        f"{e.id} allows it ({describe_condition(str(e.value))})" for e, _ in results),
        tuple(e for e, _ in results))


def history(state: str, county_fips: str | None = None,
            entries: Sequence[PolicyEntry] | None = None) -> list[PolicyEntry]:
    """Every entry that applies to the county (national, state and its own entries),
    or without a county every entry of the state and its counties, in date order."""
    es = load_entries() if entries is None else entries
    state = state.upper()
    return sorted((e for e in es if e.applies_to(state, county_fips)
                   or (county_fips is None and e.state == state)),
                  key=lambda e: (e.effective_from, e.scope, e.topic))
