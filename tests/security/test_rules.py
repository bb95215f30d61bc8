"""The pure security rules: the access table, scoping, lockout, TOTP, the audit chain."""
from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, strategies as st

from scomm.security import credentials, lockout
from scomm.security.access import (
    PERSONAL,
    TABLE,
    Forbidden,
    NotSignedIn,
    OutOfScope,
    Scope,
    UseCase,
    authorise,
    authorise_on,
    receives,
)
from scomm.security.audit_chain import GENESIS, Entry, Stored, first_break, link, sign, signature_ok
from scomm.security.principal import ANONYMOUS, Principal, Role

T0 = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def test_every_use_case_has_its_roles_and_admin_sees_no_person_data():
    assert set(TABLE) == set(UseCase)
    for use in PERSONAL:
        assert Role.ADMIN not in TABLE[use] and Role.ANONYMOUS not in TABLE[use], use
    assert {u for u, roles in TABLE.items() if Role.ANONYMOUS in roles} == {UseCase.READ_PUBLIC_STATISTICS}
    assert TABLE[UseCase.READ_MATCH] - {Role.CONSOLE, Role.SYSTEM} == {Role.EXAMINER}


def test_refusals_say_sign_in_or_forbidden():
    with pytest.raises(NotSignedIn):
        authorise(ANONYMOUS, UseCase.READ_TRANSACTION)
    with pytest.raises(Forbidden) as e:
        authorise(Principal("a", Role.ADMIN), UseCase.READ_TRANSACTION, "transaction/1")
    assert not isinstance(e.value, NotSignedIn) and e.value.target == "transaction/1"


@pytest.mark.parametrize("who, where, sees", [
    (Principal("a", Role.BOOKING_AGENCY, ori="TX1010000"), Scope("TX1010000", "TX", "HOU"), True),
    (Principal("a", Role.BOOKING_AGENCY, ori="TX1010000"), Scope("TX1020000", "TX", "HOU"), False),
    (Principal("b", Role.STATE_BUREAU, state="TX"), Scope("TX1020000", "TX", None), True),
    (Principal("b", Role.STATE_BUREAU, state="IL"), Scope("TX1020000", "TX", None), False),
    (Principal("f", Role.FIELD_OFFICE, field_office="HOU"), Scope("TX1020000", "TX", "HOU"), True),
    (Principal("f", Role.FIELD_OFFICE, field_office="HOU"), Scope("TX1020000", "TX", None), False),
    (Principal("g", Role.FIELD_OFFICE), Scope(None, None, None), False),   # unbound: nothing
    (Principal("e", Role.EXAMINER), Scope("TX1020000", "TX", None), True),
    # a file refused for claiming another agency's ORI: its submitter's, not that agency's
    (Principal("a", Role.BOOKING_AGENCY, ori="AL0030000"), Scope(None, None, None, "ori:AL0030000"), True),
    (Principal("b", Role.STATE_BUREAU, state="AL"), Scope(None, None, None, "ori:AL0030000"), False),
])
def test_scoped_roles_see_only_their_scope(who, where, sees):
    if sees:
        authorise_on(who, UseCase.READ_TRANSACTION, where, "transaction/1", "no transaction '1'")
    else:
        with pytest.raises(OutOfScope, match="^no transaction '1'$"):
            authorise_on(who, UseCase.READ_TRANSACTION, where, "transaction/1", "no transaction '1'")


def test_a_booking_agency_gets_an_idr_only_where_its_bureau_passes_them_on():
    agency, bureau = Principal("a", Role.BOOKING_AGENCY, ori="TX1"), Principal("b", Role.STATE_BUREAU, state="TX")
    assert receives(agency, "IDR", lambda: True) and not receives(agency, "idr", lambda: None)
    assert not receives(agency, "IDR", lambda: False) and receives(bureau, "IDR", lambda: False)
    assert receives(agency, "SRE", lambda: pytest.fail("not asked for an SRE"))


def test_five_failures_in_fifteen_minutes_lock_for_ten():
    fails = [T0 + timedelta(minutes=m) for m in (0, 3, 6, 9, 12)]
    assert lockout.locked_until(fails[:4], T0 + timedelta(minutes=12)) is None
    assert lockout.locked_until(fails, T0 + timedelta(minutes=13)) == T0 + timedelta(minutes=22)
    assert lockout.locked_until(fails, T0 + timedelta(minutes=22)) is None
    spread = [T0 + timedelta(minutes=m) for m in (0, 4, 8, 12, 16)]   # 16 minutes: no lock
    assert lockout.locked_until(spread, T0 + timedelta(minutes=16)) is None


@given(st.lists(st.integers(0, 10_000), max_size=12), st.integers(0, 12_000))
def test_lockout_remembers_enough_to_decide(minutes, at):
    fails = sorted(T0 + timedelta(minutes=m) for m in minutes)
    now = max([T0 + timedelta(minutes=at), *fails])
    kept = lockout.remembered(fails, now)
    assert len(kept) <= lockout.MAX_FAILURES
    assert lockout.locked_until(kept, now) == lockout.locked_until(fails, now)


def test_a_totp_code_is_good_once_and_within_one_step():
    secret = credentials.new_totp_secret()
    code = credentials.totp_now(secret, T0)
    step = credentials.totp_step(secret, code, T0, None)
    assert step is not None
    assert credentials.totp_step(secret, code, T0, step) is None                      # replayed
    assert credentials.totp_step(secret, code, T0 + timedelta(seconds=30), None) == step
    assert credentials.totp_step(secret, code, T0 + timedelta(seconds=95), None) is None
    assert credentials.totp_step(secret, "000000" if code != "000000" else "111111", T0, None) is None
    assert credentials.totp_step(secret, "１２３４５６", T0, None) is None    # not ASCII: refused, not a crash


def test_passwords_are_argon2id():
    h = credentials.hash_password("correct horse")
    assert h.startswith("$argon2id$")
    assert credentials.password_ok(h, "correct horse") and not credentials.password_ok(h, "wrong")
    assert not credentials.password_ok("not a hash", "x")


def _chain(n: int) -> list[Stored]:
    rows, prev = [], GENESIS
    for i in range(1, n + 1):
        e = Entry(at=T0 + timedelta(seconds=i), principal="p", role="auditor", action="read", target=f"t/{i}")
        h = link(prev, e)
        rows.append(Stored(i, e, prev, h))
        prev = h
    return rows


def test_the_chain_names_the_first_changed_deleted_or_inserted_entry():
    rows = _chain(6)
    assert first_break(rows)[0] is None
    changed = [*rows[:2], replace(rows[2], entry=replace(rows[2].entry, target="t/x")), *rows[3:]]
    assert first_break(changed)[0].id == 3
    deleted = rows[:2] + rows[3:]
    assert first_break(deleted)[0].id == 4
    fake = Entry(at=T0, principal="x", role="admin", action="read", target="t/fake")
    inserted = [*rows[:3], Stored(99, fake, rows[2].hash, link(rows[2].hash, fake)), *rows[3:]]
    assert first_break(inserted)[0].id == 4
    assert first_break(rows[:4])[0] is None          # truncation: only a checkpoint tells


def test_time_is_hashed_to_the_hundredth_of_a_second_whatever_the_zone():
    e = Entry(at=datetime(2026, 1, 1, 12, 0, 0, 123456, tzinfo=UTC), principal="p", role="r", action="a", target="t")
    naive = replace(e, at=datetime(2026, 1, 1, 12, 0, 0, 120000))
    assert link(GENESIS, e) == link(GENESIS, naive)


def test_a_checkpoint_verifies_with_its_key_only():
    key = Ed25519PrivateKey.generate()
    c = sign(_chain(3)[-1], 3, key, T0)
    assert signature_ok(c, key.public_key())
    assert not signature_ok(replace(c, entries=2), key.public_key())
    assert not signature_ok(c, Ed25519PrivateKey.generate().public_key())
