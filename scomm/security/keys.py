"""The hub's key files: created once (mode 0600, in a 0700 folder), refused when others
can read them. ``audit-signing.key``: the Ed25519 key that signs audit checkpoints (PEM,
PKCS#8). The folder is the setting ``key_dir`` (``SCOMM_KEY_DIR``)."""
from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)

AUDIT_KEY = "audit-signing.key"


class KeyFileError(Exception):
    """A key file is missing, unreadable, or readable by others than its owner."""


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)   # never replaces a key
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _read_private(path: Path) -> bytes:
    if not path.exists():
        raise KeyFileError(f"{path} is missing: run `scomm init` first")
    if path.stat().st_mode & 0o077:
        raise KeyFileError(f"{path} is readable by group or others: chmod 600 it")
    return path.read_bytes()


def ensure_keys(folder: Path) -> list[Path]:
    """Create the key files that do not exist yet (safe to run twice); the new ones."""
    made = []
    audit = folder / AUDIT_KEY
    if not audit.exists():
        pem = Ed25519PrivateKey.generate().private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
        _write_private(audit, pem)
        made.append(audit)
    return made


def audit_signing_key(folder: Path) -> Ed25519PrivateKey:
    key = load_pem_private_key(_read_private(folder / AUDIT_KEY), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"{folder / AUDIT_KEY} is not an Ed25519 key")
    return key
