"""One booking through the whole chain, driven through the CLI on files from make-booking."""
from __future__ import annotations

import json
from itertools import count

from typer.testing import CliRunner

from scomm.cli import app
from scomm.cli_common import operator

from .conftest import ACTIVE_2008, BOOKED_ON, LATE_COUNTY, person

runner = CliRunner()
_impressions = count(1)


def cli(url: str, *args: str):
    return runner.invoke(app, [*args, "--database", url], catch_exceptions=False)


def book(url: str, tmp_path, *, subject: str | None = None, county: str = ACTIVE_2008,
         on=BOOKED_ON, charges=("1313",)) -> str:
    out = tmp_path / f"booking{next(_impressions)}.an2"
    who = ["--subject", subject] if subject else ["--new"]
    args = ["make-booking", *who, "--county", county, "--date", on.isoformat(),
            "--impression", str(next(_impressions)), "-o", str(out)]
    for c in charges:
        args += ["--charge", c]
    r = cli(url, *args)
    assert r.exit_code == 0, r.output
    return str(out)


def submit(url: str, *files: str) -> tuple[int, list[dict]]:
    r = cli(url, "submit", *files, "--json")
    return r.exit_code, json.loads(r.stdout)


def status(url: str, tcn: str) -> dict:
    r = cli(url, "status", tcn, "--json")
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_known_to_both_in_activated_county_is_matched_and_levelled(hub, world_url, tmp_path):
    p = person(hub, "noncitizen")
    code, [res] = submit(world_url, book(world_url, tmp_path, subject=p.id))
    assert code == 0 and res["accepted"], res
    st = status(world_url, res["tcn"])
    assert st["state"] == "done"
    assert st["cjis"]["identified"] and st["cjis"]["ucn"] == p.ucn
    assert st["ident"]["searched"] and st["ident"]["match"] and st["ident"]["fin"] == p.fin
    assert st["lesc"]["status"] in {"EWI", "OVERSTAY", "PRIOR_REMOVAL", "LPR", "NONIMMIGRANT"}
    assert st["level"] in {"1", "2", "3", "non-criminal"}
    assert st["level_reasons"], "a level always says why"
    assert st["detainer"] is not None and st["detainer"]["reasons"]
    kinds = [r["kind"] for r in st["responses"]]
    assert kinds == ["SRE", "IDR", "IAR"]


def test_same_subject_in_county_not_yet_activated_is_not_searched(hub, world_url, tmp_path):
    p = person(hub, "noncitizen")
    code, [res] = submit(world_url, book(world_url, tmp_path, subject=p.id, county=LATE_COUNTY))
    assert code == 0, res
    st = status(world_url, res["tcn"])
    assert st["cjis"]["identified"] and st["cjis"]["ucn"] == p.ucn
    assert st["ident"]["searched"] is False
    assert "not activated" in st["ident"]["reason_not_searched"]
    assert "2013-01-22" in st["ident"]["reason_not_searched"]
    assert st["level"] is None and st["detainer"] is None


def test_person_never_seen_gets_new_ucn_and_no_match(world_url, tmp_path):
    code, [res] = submit(world_url, book(world_url, tmp_path))
    assert code == 0, res
    st = status(world_url, res["tcn"])
    assert st["cjis"]["identified"] is False and st["cjis"]["ucn"]
    assert st["ident"]["searched"] and st["ident"]["match"] is False
    assert st["lesc"] is None and st["level"] is None


def test_naturalised_citizen_matches_but_is_citizen_without_detainer(hub, world_url, tmp_path):
    p = person(hub, "naturalised")
    code, [res] = submit(world_url, book(world_url, tmp_path, subject=p.id))
    assert code == 0, res
    st = status(world_url, res["tcn"])
    assert st["ident"]["match"] and st["ident"]["fin"] == p.fin
    assert st["lesc"]["status"] == "USC" and st["lesc"]["removable"] is False
    assert st["detainer"]["issued"] is False
    assert any("citizen" in r for r in st["detainer"]["reasons"])


def test_resubmission_returns_first_result_and_tcn_reuse_is_rejected(hub, world_url, tmp_path):
    p = person(hub, "citizen")
    first = book(world_url, tmp_path, subject=p.id)
    code, [a] = submit(world_url, first)
    code2, [b] = submit(world_url, first)
    assert code == code2 == 0
    assert b["duplicate"] and b["transaction"] == a["transaction"]
    st = status(world_url, a["tcn"])
    assert sum(e["kind"] == "identified" or e["kind"] == "enrolled" for e in st["events"]) == 1
    # Same ORI and TCN, different content (a later impression): rejected as reuse.
    other = tmp_path / "reuse.an2"
    r = cli(world_url, "make-booking", "--subject", p.id, "--county", ACTIVE_2008, "--date",
            BOOKED_ON.isoformat(), "--charge", "2303", "--impression", "99", "--tcn", a["tcn"],
            "-o", str(other))
    assert r.exit_code == 0, r.output
    code3, [c] = submit(world_url, str(other))
    assert code3 == 1 and not c["accepted"]
    assert any(e["field"] == "1.009 TCN" and "already used" in e["reason"] for e in c["errors"])


def test_outcome_is_recorded_and_audited(hub, world_url, tmp_path):
    p = person(hub, "noncitizen")
    _, [res] = submit(world_url, book(world_url, tmp_path, subject=p.id))
    r = cli(world_url, "outcome", res["tcn"], "removed")
    assert r.exit_code == 0, r.output
    st = status(world_url, res["tcn"])
    assert st["case"]["outcome"] == "removed"
    assert any(e["kind"] == "outcome-recorded" and e["data"]["by"] == operator().name   # the login name
               for e in st["events"])
    bad = cli(world_url, "outcome", res["tcn"], "vanished")
    assert bad.exit_code == 2


def test_transactions_lists_accepted_and_rejected(world_url, tmp_path):
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x00garbage\xff" * 10)
    submit(world_url, str(junk))
    r = cli(world_url, "transactions", "--json")
    rows = json.loads(r.stdout)
    assert {"rejected", "done"} <= {row["state"] for row in rows}
