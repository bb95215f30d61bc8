"""`scomm report` and the statistics API on a database filled by the factory."""
from __future__ import annotations

import csv
import io
import json

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from scomm.api.app import create_app
from scomm.bootstrap import bootstrap
from scomm.cli import app
from scomm.cli_common import operator

from ..accounts import bearer
from .factory import insert_bookings, new_database
from .test_oversight import random_bookings

runner = CliRunner()


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    path = tmp_path_factory.mktemp("reports") / "reports.db"
    db = new_database(path)
    insert_bookings(db, random_bookings(300, seed=9))
    db.engine.dispose()
    return f"sqlite:///{path}"


def report(url, *args):
    r = runner.invoke(app, ["report", *args, "--database", url], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return r.stdout


def _table(text: str) -> list[dict]:
    return list(csv.DictReader(line for line in io.StringIO(text) if not line.startswith("#")))


def test_monthly_csv_is_internal_by_default_and_adds_up(url):
    text = report(url, "monthly", "--month", "2010-03")
    assert "# Synthetic data" in text and f"# Source database: {url}" in text
    assert "internal (no suppression)" in text and "# Generated: " in text
    rows = _table(text)
    nat = [r for r in rows if r["row_type"] == "national"]
    counties = [r for r in rows if r["row_type"] == "county"]
    assert len(nat) == 1
    for key in ("month.submissions.total", "cumulative.ident_matches.non-criminal",
                "cumulative.removed.total"):
        assert int(nat[0][key]) == sum(int(r[key]) for r in counties)
    assert int(nat[0]["cumulative.submissions.total"]) > 0


def test_monthly_public_csv_html_pdf(url, tmp_path):
    rows = _table(report(url, "monthly", "--month", "2010-03", "--public"))
    shown = {r[k] for r in rows for k in r if k.startswith(("month.", "cumulative."))}
    assert not shown & {str(n) for n in range(1, 10)}
    html = report(url, "monthly", "--month", "2010-03", "--format", "html")
    assert "Synthetic data" in html and "public (small counts suppressed)" in html
    assert 'id="monthly"' in html and "Harris County" in html
    out = tmp_path / "m.pdf"
    report(url, "monthly", "--month", "2010-03", "--format", "pdf", "--out", str(out))
    pdf = out.read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) > 5000


def test_bad_month_is_refused(url):
    r = runner.invoke(app, ["report", "monthly", "--month", "2010-3", "--database", url])
    assert r.exit_code != 0


def test_oversight_formats(url):
    data = json.loads(report(url, "oversight"))
    assert not data["public"] and data["synthetic"]
    trail = json.loads(runner.invoke(app, ["audit", "show", "--json", "--action", "disclose-",
                                           "--database", url]).output)
    assert (trail[-1]["actor"], trail[-1]["role"], trail[-1]["target"]) == (
        operator().name, "console", "statistics/oversight")
    ids = {f["id"] for f in data["figures"]}
    assert {"removals-noncriminal-share", "citizens-cleared", "time-to-iar",
            "detainers-by-county", "rates-by-state", "removals-by-month"} <= ids
    pub = json.loads(report(url, "oversight", "--public"))
    assert pub["public"] and pub["suppression_rule"]
    html = report(url, "oversight", "--format", "html")
    assert "The query behind it" in html and "Synthetic data" in html
    lines = report(url, "oversight", "--format", "csv").splitlines()
    assert lines[0] == "figure,title,unit,value,row,column,cell" and len(lines) > 20


def test_api_and_pages(url):
    hub = bootstrap(database_url=url)
    auditor = bearer(hub, "auditor")
    with TestClient(create_app(hub, worker_thread=True)) as client:
        internal = {"month": "2010-03", "public": "false"}
        refused = client.get("/api/statistics/monthly", params=internal)
        assert refused.status_code == 401
        r = client.get("/api/statistics/monthly", params=internal, headers=auditor)
        assert r.status_code == 200, r.text
        trail = client.get("/api/audit", params={"action": "disclose-"}, headers=auditor).json()
        assert [(a["actor"], a["data"].get("month"), a["data"].get("via")) for a in trail
                if a["target"] == "statistics/monthly"][-1] == ("t-auditor", "2010-03", None)
        t = r.json()
        assert t["month"] == "2010-03" and not t["public"]
        for key in t["columns"]:
            assert t["national"]["cells"][key] == sum(x["cells"][key] for x in t["rows"])
        pub = client.get("/api/statistics/monthly", params={"month": "2010-03"}).json()
        assert pub["public"] and all(v is None or not 0 < v < 10
                                     for x in pub["rows"] for v in x["cells"].values())
        assert client.get("/api/statistics/monthly", params={"month": "2010-3"}).status_code == 422
        o = client.get("/api/statistics/oversight").json()
        assert o["public"] and o["figures"][0]["sql"].startswith("WITH fact AS")
        page = client.get("/reports/monthly", params={"month": "2010-03"})
        assert page.status_code == 200 and "IDENT/IAFIS Interoperability Statistics" in page.text
        assert client.get("/reports/oversight").status_code == 200
        spec = client.get("/openapi.json").json()
        assert "/api/statistics/monthly" in spec["paths"]
        assert "MonthlyTableModel" in spec["components"]["schemas"]
    hub.db.engine.dispose()
