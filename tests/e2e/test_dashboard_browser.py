"""The dashboard in Debian's headless Chromium, driven by Playwright, against the real app.

A small database gets bookings written in the shapes ``booking_facts`` reads
(transactions, the IDENT forwarding event, IDRs, cases with outcomes); the
expected numbers are computed here from what was written and from the
activation table, not through the code under test. The test moves the month
slider, reads the map's and charts' data attributes, and checks that no
request left 127.0.0.1.
"""
from __future__ import annotations

import calendar
import json
import random
import shutil
import socket
import threading
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from scomm.api.app import create_app
from scomm.bootstrap import bootstrap
from scomm.domain.jurisdictions import Jurisdictions
from scomm.statistics.oversight import oversight_figures
from scomm.storage.tables import CaseRow, EventRow, ResponseRow, TransactionRow

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHAPES = Path(__file__).resolve().parents[2] / "scomm" / "web" / "static" / "vendor" / "counties-albers-10m.json"
LEVELS = ("1", "2", "3", "non-criminal")
# Harris TX (2008-10-27), Los Angeles CA, Cook IL, Barbour AL (2013-01-22), Kusilvak AK (shape 02158
# shows table county 02270, Wade Hampton)
COUNTIES = ("48201", "06037", "17031", "01005", "02270")
SLIDER_MONTH = "2011-06"

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")


def _month_end(month: str) -> date:
    y, m = map(int, month.split("-"))
    return date(y, m, calendar.monthrange(y, m)[1])


def _write_bookings(hub, n: int = 240, seed: int = 4) -> list[dict]:
    """Insert finished bookings; return what each one is (the test's own record)."""
    j = hub.deps.jurisdictions
    rng = random.Random(seed)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    spec = []
    with hub.db.session() as s:
        for i in range(n):
            fips = rng.choice(COUNTIES)
            day = date(2008, 10, 1) + timedelta(days=rng.randrange(0, 1700))
            searched = j.activation(fips, day).activated
            match = searched and rng.random() < 0.3
            level = rng.choice(LEVELS) if match else None
            outcome = rng.choice(["removed", "returned", "released", None]) if match else None
            t = TransactionRow(received_at=now, sha256=f"{i:064d}", raw=b"", filename=None,
                               submission_key=f"dash-{i}", tcn=f"DASH{i:05d}", ori=j.sheriff_ori(fips),
                               tot="CAR", accepted=True, errors=[], state="done", county_fips=fips,
                               booking_date=day, booking={}, completed_at=now)
            s.add(t)
            s.flush()
            if searched:
                s.add(EventRow(transaction_id=t.id, at=now, actor="cjis", kind="forwarded-to-ident",
                               data={}, elapsed_ms=None))
                s.add(ResponseRow(transaction_id=t.id, kind="IDR", created_at=now, body=b"",
                                  summary={"match": match}))
            if match:
                s.add(CaseRow(transaction_id=t.id, field_office=None, opened_at=now, level=level,
                              classification={}, removable=True, status="no-action", detainer={},
                              outcome=outcome, outcome_at=now if outcome else None))
            spec.append({"fips": fips, "month": day.strftime("%Y-%m"), "searched": searched,
                         "match": match, "level": level,
                         "removed": outcome in ("removed", "returned")})
    return spec


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The real app under uvicorn on a free port, on a database of known bookings."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM}: apt-get install -y chromium to run the browser test")
    import uvicorn

    hub = bootstrap(database_url=f"sqlite:///{tmp_path_factory.mktemp('dash') / 'dash.db'}")
    spec = _write_bookings(hub)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(hub, worker_thread=True), host="127.0.0.1",
                                          port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}", hub, spec
    server.should_exit = True
    thread.join(timeout=10)
    hub.db.engine.dispose()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                              args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        yield b
        b.close()


def _expected_activated_paths(hub, month: str) -> int:
    """Shapes whose county (or, for a newer shape, its predecessor) was activated by month's end."""
    from scomm.statistics.dashboard import SHAPE_SUCCESSORS
    j, end = hub.deps.jurisdictions, _month_end(month)
    table = {c.fips: c for c in j.counties()}
    ids = [g["id"] for g in json.loads(SHAPES.read_text())["objects"]["counties"]["geometries"]]
    n = 0
    for fips in ids:
        c = table.get(fips) or table.get(SHAPE_SUCCESSORS.get(fips, ""))
        n += bool(c and c.activation_date and c.activation_date <= end)
    return n


def sign_in(page, base: str, user) -> None:
    """Through the sign-in form: password and the authenticator's current code."""
    from scomm.clock import now
    from scomm.security.credentials import totp_now
    page.goto(f"{base}/sign-in?next=/dashboard")
    page.fill('input[name="username"]', user.name)
    page.fill('input[name="password"]', user.password)
    page.fill('input[name="totp"]', totp_now(user.totp_secret, now()))
    page.click('button[type="submit"]')
    page.wait_for_selector("#signed-in")
    assert page.locator("#signed-in").inner_text() == f"{user.name} (auditor)"


def test_dashboard_renders_the_right_numbers(served, browser):
    """The internal figures, for a signed-in auditor, against what was written."""
    from ..accounts import new_account
    base, hub, spec = served
    page = browser.new_page(viewport={"width": 1280, "height": 1400})
    sign_in(page, base, new_account(hub, "auditor", name="dashboard-auditor"))
    requests, errors = [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{base}/dashboard?public=false")
    page.wait_for_selector('#map[data-ready="1"]', timeout=30_000)
    assert page.locator("path.county").count() == 3142          # us-atlas 2017 counties

    # Move the slider with the keyboard to SLIDER_MONTH.
    months = page.evaluate("() => Array.from({length: +document.getElementById('month-slider').max + 1})"
                           ".map((_, i) => i)")
    assert len(months) >= 52                                  # 2008-10 .. at least 2013-01
    slider = page.locator("#month-slider")
    slider.focus()
    page.keyboard.press("Home")
    y, m = map(int, SLIDER_MONTH.split("-"))
    for _ in range((y - 2008) * 12 + m - 10):
        page.keyboard.press("ArrowRight")
    page.wait_for_selector(f'#map[data-month="{SLIDER_MONTH}"][data-ready="1"]', timeout=15_000)
    assert page.locator("#month-label").inner_text() == SLIDER_MONTH

    # Map, activation: coloured (activated) shapes = the activation table's count for the month.
    j = hub.deps.jurisdictions
    end = _month_end(SLIDER_MONTH)
    table_count = sum(1 for c in j.counties() if c.activation_date and c.activation_date <= end)
    assert int(page.locator("#summary-activated").get_attribute("data-value")) == table_count
    expected_paths = _expected_activated_paths(hub, SLIDER_MONTH)
    assert page.locator('path.county[data-activated="1"]').count() == expected_paths
    fills = page.eval_on_selector_all('path.county[data-activated="1"]',
                                      "ps => ps.map(p => p.getAttribute('fill'))")
    not_yet = page.eval_on_selector_all('path.county[data-bucket="not-yet"]',
                                        "ps => ps.map(p => p.getAttribute('fill'))")
    assert not_yet and set(fills).isdisjoint(set(not_yet))
    assert page.locator('path.county[data-fips="01005"]').get_attribute("data-activated") == "0"  # 2013
    assert page.locator('path.county[data-fips="02158"]').get_attribute("data-county") == "02270"

    # Map, matches per 1,000 (cumulative through the month) for each county with bookings.
    page.locator("#mode-matches").check()
    page.wait_for_selector('#map[data-mode="matches"]')
    for fips in COUNTIES:
        mine = [b for b in spec if b["fips"] == fips and b["month"] <= SLIDER_MONTH and b["searched"]]
        shape = "02158" if fips == "02270" else fips
        p = page.locator(f'path.county[data-fips="{shape}"]')
        assert int(p.get_attribute("data-submissions")) == len(mine)
        assert int(p.get_attribute("data-matches")) == sum(b["match"] for b in mine)
        per = p.get_attribute("data-per1000")
        if mine:
            assert float(per) == round(1000 * sum(b["match"] for b in mine) / len(mine), 1)
            assert p.get_attribute("data-bucket").startswith("rate-")
        else:
            assert per == ""
    page.locator('path.county[data-fips="48201"]').hover()
    assert page.locator("#county-name").inner_text().startswith("Harris")
    harris = [b for b in spec if b["fips"] == "48201" and b["month"] <= SLIDER_MONTH and b["searched"]]
    assert page.locator("#county-submissions").inner_text() == f"{len(harris):,}"

    # Charts: one point per month equal to the month's submissions / matches; removals by level.
    subs = Counter(b["month"] for b in spec if b["searched"])
    matches = Counter(b["month"] for b in spec if b["match"])
    removed = Counter((b["month"], b["level"]) for b in spec if b["removed"])
    pts = page.eval_on_selector_all("#chart-submissions circle",
                                    "cs => cs.map(c => [c.dataset.series, c.dataset.month, +c.dataset.value])")
    assert len(pts) == 2 * len(months)
    for series, month, value in pts:
        assert value == (subs if series == "submissions" else matches)[month], (series, month)
    bars = page.eval_on_selector_all("#chart-removals rect",
                                     "rs => rs.map(r => [r.dataset.level, r.dataset.month, +r.dataset.value])")
    assert len(bars) == 4 * len(months)
    assert all(v == removed[(month, lv)] for lv, month, v in bars)
    assert sum(v for _, _, v in bars) == sum(b["removed"] for b in spec) > 0

    # Oversight: every figure, each with its definition.
    ids = page.eval_on_selector_all("#oversight tbody tr", "trs => trs.map(t => t.dataset.id)")
    assert ids == [f.id for f in oversight_figures([], Jurisdictions.load_default())]
    assert all(t.strip() for t in page.eval_on_selector_all(
        "#oversight tbody tr td:nth-child(3)", "tds => tds.map(t => t.textContent)"))

    assert not errors, errors
    assert requests and all(u.startswith(base + "/") for u in requests), \
        [u for u in requests if not u.startswith(base + "/")]
    page.close()


def test_dashboard_json_rejects_a_bad_month(served):
    import httpx
    base, _hub, _spec = served
    assert httpx.get(f"{base}/api/dashboard", params={"month": "2010-13"}).status_code == 422
    d = httpx.get(f"{base}/api/dashboard", params={"month": "2010-06"}).json()
    assert d["month"] == "2010-06" and len(d["counties"]) == 3147
    lean = httpx.get(f"{base}/api/dashboard", params={"month": "2010-06", "counties": "false"}).json()
    assert lean["counties"] is None and lean["county_stats"] == d["county_stats"]


def test_the_public_dashboard_shows_no_small_count(served, browser):
    base, _hub, _spec = served
    page = browser.new_page(viewport={"width": 1280, "height": 1400})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{base}/dashboard")
    page.wait_for_selector('#map[data-ready="1"]', timeout=30_000)
    shown = page.evaluate("() => Array.from(document.querySelectorAll('.chart [data-value]'), "
                          "e => e.dataset.value)")
    assert shown and not [v for v in shown if v and 0 < float(v) < 10]
    counties = page.evaluate("() => Array.from(document.querySelectorAll('path.county'), "
                             "p => [p.dataset.submissions, p.dataset.matches, p.dataset.suppressed])")
    assert not [c for c in counties if any(v and 0 < float(v) < 10 for v in c[:2])]
    assert any(c[2] == "1" for c in counties)                 # some county is suppressed, and marked
    assert page.locator('[data-legend="suppressed"]').count() == 0   # activation mode: no such colour
    assert not errors
    page.close()


def test_sign_in_with_totp_then_the_pages_then_sign_out(served, browser):
    """The transaction list needs a signed-in principal: the browser is sent to the form,
    signs in with password and authenticator code, sees the list, signs out."""
    from scomm.clock import now
    from scomm.security.credentials import totp_now

    from ..accounts import new_account

    base, hub, _spec = served
    user = new_account(hub, "examiner", name="browser-examiner")
    page = browser.new_page()
    page.goto(f"{base}/")
    assert page.url.startswith(f"{base}/sign-in")
    page.fill('input[name="username"]', user.name)
    page.fill('input[name="password"]', "not the password")
    page.fill('input[name="totp"]', totp_now(user.totp_secret, now()))
    page.click('button[type="submit"]')
    assert page.locator("#sign-in-error").inner_text() == "invalid credentials"
    page.fill('input[name="username"]', user.name)
    page.fill('input[name="password"]', user.password)
    page.fill('input[name="totp"]', totp_now(user.totp_secret, now()))
    page.click('button[type="submit"]')
    page.wait_for_selector("#transactions")
    assert page.url == f"{base}/" and page.locator("#signed-in").inner_text() == "browser-examiner (examiner)"
    cookie = next(c for c in page.context.cookies() if c["name"] == "scomm_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    page.click('header button[type="submit"]')
    page.wait_for_selector("#sign-in")
    page.goto(f"{base}/")
    assert page.url.startswith(f"{base}/sign-in")
    page.close()
