"""``scomm demo``: seed a world, stream bookings through the chain, print what happened."""
from __future__ import annotations

import os
import statistics
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor

from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select

from ..application import accounts
from ..security.principal import Role, system
from ..storage.tables import CaseRow, EventRow, PersonRow, ResponseRow, TransactionRow
from .booking import BookingOrder, make_car, tcn_for
from .prints import parallel_map
from .seed import seed_world
from .stream import booking_stream


def run_demo(hub, *, subjects: int, bookings: int, world_seed: int, console: Console,
             progress, started: float) -> dict:
    j = hub.deps.jurisdictions
    with hub.db.session() as s:
        have = s.scalar(select(func.count()).select_from(PersonRow)
                        .where(PersonRow.id.like(f"P{world_seed:04d}-%"))) or 0
    with progress() as bar:
        if have < subjects:
            task = bar.add_task(f"seeding {subjects - have} people", total=None)
            with hub.db.session() as s:
                seed_world(s, j, subjects - have, world_seed,
                           progress=lambda k: bar.advance(task, k), extractor=hub.deps.extractor)
        with hub.db.session() as s:
            orders = booking_stream(s, j, bookings, seed=world_seed)
        task = bar.add_task("bookings through the chain", total=len(orders))
        t0 = time.perf_counter()
        truth: dict[int, str] = {}

        def through(item: tuple[BookingOrder, bytes]) -> tuple[int, str]:
            order, raw = item
            receipt = hub.submit(raw, f"{tcn_for(order)}.an2")
            hub.bus.drain([receipt.transaction_id])
            return receipt.transaction_id, order.person.id

        # one booking in flight per core: extraction (OpenVINO, ONNX Runtime) runs outside the GIL
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            for tid, person_id in pool.map(through, zip(orders, parallel_map(make_car, orders))):
                truth[tid] = person_id
                bar.advance(task)
        chain_seconds = time.perf_counter() - t0
    summary = summarise(hub, truth, chain_seconds)
    print_summary(console, summary, time.perf_counter() - started)
    return summary


def summarise(hub, truth: dict[int, str], chain_seconds: float) -> dict:
    ids = list(truth)
    with hub.db.session() as s:
        txs = list(s.scalars(select(TransactionRow).where(TransactionRow.id.in_(ids))))
        responses = list(s.scalars(select(ResponseRow).where(ResponseRow.transaction_id.in_(ids))))
        events = list(s.scalars(select(EventRow).where(EventRow.transaction_id.in_(ids))))
        cases = list(s.scalars(select(CaseRow).where(CaseRow.transaction_id.in_(ids))))
        persons = {p.id: p for p in s.scalars(select(PersonRow).where(
            PersonRow.id.in_(set(truth.values()))))}
    sre = {r.transaction_id: r.summary for r in responses if r.kind == "SRE"}
    idr = {r.transaction_id: r.summary for r in responses if r.kind == "IDR"}
    iar = {r.transaction_id: r.summary for r in responses if r.kind == "IAR"}
    timings = defaultdict(list)
    for e in events:
        if e.elapsed_ms is not None:
            timings[e.actor].append(e.elapsed_ms)
    # Ground truth (the world knows who each booking really was): audit the engine. Bookings
    # run concurrently, so a person's second booking may be the one that enrolled them.
    cjis_truth: Counter[str] = Counter()
    enrolled: dict[str, set[str]] = defaultdict(set)      # person -> UCNs their bookings created
    for tid in sorted(truth):
        r = sre.get(tid)
        if r is not None and not r["identified"]:
            enrolled[truth[tid]].add(r["ucn"])
    first_enrolment: set[str] = set()
    for tid, person_id in sorted(truth.items()):
        p, r = persons[person_id], sre.get(tid)
        if r is None:
            continue
        expected = {p.ucn} if p.ucn else enrolled[person_id]  # no seeded record: what a booking made
        if r["identified"]:
            cjis_truth["correct identification" if r["ucn"] in expected else "FALSE MATCH"] += 1
        elif p.ucn or person_id in first_enrolment:
            cjis_truth["missed (enrolled again)"] += 1
        else:
            first_enrolment.add(person_id)
            cjis_truth["correctly new"] += 1
    ident_truth: Counter[str] = Counter()
    for tid, r in idr.items():
        fin = persons[truth[tid]].fin
        if r["match"]:
            ident_truth["correct match" if r["fin"] == fin else "FALSE MATCH"] += 1
        else:
            ident_truth["missed match" if fin else "correct no-match"] += 1
    return {
        "extractor": hub.deps.extractor,
        "submissions": len(txs),
        "accepted": sum(t.accepted for t in txs),
        "states": dict(Counter(t.state for t in txs)),
        "cjis_identified": sum(1 for r in sre.values() if r["identified"]),
        "cjis_new": sum(1 for r in sre.values() if not r["identified"]),
        "ident_searches": len(idr),
        "not_forwarded": sum(1 for e in events if e.kind == "not-forwarded"),
        "ident_matches": sum(1 for r in idr.values() if r["match"]),
        "lesc_status": dict(Counter(r["status"] for r in iar.values())),
        "levels": dict(Counter(c.level for c in cases)),
        "detainers": sum(1 for c in cases if c.detainer.get("issued")),
        "cases": len(cases),
        "stage_median_ms": {k: round(statistics.median(v), 1) for k, v in timings.items()},
        "bookings_per_minute": round(len(txs) / chain_seconds * 60, 1) if chain_seconds else None,
        "cjis_vs_truth": dict(cjis_truth),
        "ident_vs_truth": dict(ident_truth),
    }


def print_summary(console: Console, m: dict, total_seconds: float) -> None:
    t = Table(title="scomm demo: what happened", show_header=False)
    rows = [
        ("minutiae extractor (SCOMM_EXTRACTOR)", m["extractor"]),
        ("submissions (accepted)", f"{m['submissions']} ({m['accepted']})"),
        ("states", _fmt(m["states"])),
        ("CJIS identifications / new subjects", f"{m['cjis_identified']} / {m['cjis_new']}"),
        ("CJIS decisions vs ground truth", _fmt(m["cjis_vs_truth"])),
        ("not forwarded (county not yet activated)", str(m["not_forwarded"])),
        ("IDENT searches / matches", f"{m['ident_searches']} / {m['ident_matches']}"),
        ("IDENT decisions vs ground truth", _fmt(m["ident_vs_truth"])),
        ("LESC status", _fmt(m["lesc_status"])),
        ("field-office cases by level", _fmt(m["levels"])),
        ("detainers issued", f"{m['detainers']} of {m['cases']} cases"),
        ("median stage time, ms", _fmt(m["stage_median_ms"])),
        ("bookings per minute (chain, incl. rendering)", str(m["bookings_per_minute"])),
        ("total time", f"{total_seconds:.0f} s"),
    ]
    for k, v in rows:
        t.add_row(k, v)
    console.print(t)


def _fmt(d: dict) -> str:
    return ", ".join(f"{k}: {v}" for k, v in sorted(d.items(), key=lambda kv: str(kv[0]))) or "-"


DEMO_ACCOUNTS = (("demo-admin", Role.ADMIN), ("demo-examiner", Role.EXAMINER),
                 ("demo-auditor", Role.AUDITOR), ("demo-policy", Role.POLICY_ADMIN))


def demo_accounts(hub) -> list[tuple[str, str, str, str]]:
    """The demo's accounts (name, role, password, TOTP secret): made, or on a second run
    given a new password and secret (the old ones were printed before)."""
    by = system("demo")
    out = []
    with hub.db.session() as s:
        existing = {a["name"] for a in accounts.list_accounts(s, by)}
        for name, role in DEMO_ACCOUNTS:
            if name in existing:
                password = accounts.reset_password(s, by, name)
                secret, _ = accounts.reset_mfa(s, by, name)
            else:
                u = accounts.add_user(s, by, name, accounts.Binding(role), hub.deps.jurisdictions)
                password, secret = u.password, u.totp_secret
            out.append((name, str(role), password, secret))
    return out


def print_accounts(console: Console, rows: list[tuple[str, str, str, str]], base: str) -> None:
    t = Table(title=f"sign in at {base}/sign-in (a code: add the secret to an authenticator app, or run "
                    "the line below the table)")
    for col in ("account", "role", "password", "TOTP secret"):
        t.add_column(col)
    for row in rows:
        t.add_row(*row)
    console.print(t)
    console.print(f"current code: .venv/bin/python -c \"import pyotp; print(pyotp.TOTP('{rows[0][3]}').now())\" "
                  "(each account: its own secret)")
