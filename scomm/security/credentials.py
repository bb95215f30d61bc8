"""Credentials: argon2id password hashes, TOTP second factors (RFC 6238), and the random
secrets of machine clients and bearer tokens.

Passwords are chosen by people, so they are hashed slowly (argon2id, RFC 9106's
parameters as ``argon2-cffi`` ships them). Client secrets and tokens are 256 random bits:
no dictionary reaches them, so one SHA-256 is enough and keeps the token check cheap.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()   # argon2id, t=3, m=64 MiB, p=4
TOTP_STEP = 30               # seconds (RFC 6238's default, what authenticator apps use)


def new_password() -> str:
    """An initial password (about 144 bits), to be handed to the person once."""
    return secrets.token_urlsafe(18)


MIN_PASSWORD = 15    # NIST SP 800-63B-4: what a password used alone must reach; no composition rules
MAX_PASSWORD = 200


def password_problems(password: str, account: str) -> list[str]:
    """What is wrong with a password a person chose (IA-5); [] when nothing is."""
    problems = []
    if len(password) < MIN_PASSWORD:
        problems.append(f"at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        problems.append(f"at most {MAX_PASSWORD} characters")
    if account and account.casefold() in password.casefold():
        problems.append("must not contain the account's name")
    if len(set(password)) < 5:
        problems.append("at least 5 different characters")
    return problems


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def password_ok(stored: str, password: str) -> bool:
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_now(secret: str, at: datetime) -> str:
    """The code an authenticator shows at ``at`` (for the demo and the tests)."""
    return pyotp.TOTP(secret).at(at)


def totp_uri(secret: str, account: str) -> str:
    """otpauth:// URI for an authenticator app's QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name="scomm")


def totp_step(secret: str, code: str, at: datetime, after: int | None) -> int | None:
    """The time step ``code`` belongs to (one step of clock drift either way), or None.

    A step at or before ``after`` (the last one accepted) is refused: a code is good once.
    """
    code = code.strip()
    if not (code.isascii() and code.isdigit()):   # compare_digest takes ASCII text only
        return None
    totp = pyotp.TOTP(secret)
    for drift in (0, -1, 1):
        t = at + timedelta(seconds=drift * TOTP_STEP)
        if hmac.compare_digest(totp.at(t), code):
            step = totp.timecode(t)
            return step if after is None or step > after else None
    return None


def new_secret() -> str:
    """A client secret or a bearer token: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """How a high-entropy secret is stored and looked up (SHA-256, hex)."""
    return hashlib.sha256(secret.encode()).hexdigest()
