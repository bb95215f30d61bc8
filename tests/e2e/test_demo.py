"""The README's first command: `scomm demo --no-serve`, small, on its own database."""
from __future__ import annotations

import pytest
from typer.testing import CliRunner

from scomm.cli import app

pytestmark = pytest.mark.slow


def test_the_demo_reaches_its_summary_with_every_booking_done(tmp_path):
    r = CliRunner().invoke(app, ["demo", "--subjects", "5", "--bookings", "4", "--no-serve",
                                 "--database", f"sqlite:///{tmp_path / 'demo.db'}"])
    assert r.exit_code == 0, r.output
    assert "what happened" in r.output and "leader" in r.output
    assert "submissions (accepted)" in r.output and "4 (4)" in r.output and "done: 4" in r.output
    assert "FALSE MATCH" not in r.output
    assert "/sign-in" in r.output and "demo-examiner" in r.output and "demo-admin" in r.output
    again = CliRunner().invoke(app, ["demo", "--subjects", "5", "--bookings", "1", "--no-serve",
                                     "--database", f"sqlite:///{tmp_path / 'demo.db'}"])
    assert again.exit_code == 0 and "demo-auditor" in again.output   # the accounts given new secrets
