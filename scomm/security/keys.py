"""The hub's key files: created once (mode 0600, in a 0700 folder), refused when others
can read them. The folder is the setting ``key_dir`` (``SCOMM_KEY_DIR``).

- ``audit-signing.key``: the Ed25519 key that signs audit checkpoints (PEM, PKCS#8).
- ``master.key`` (or ``SCOMM_MASTER_KEY_FILE``): the AES-256 master keys that wrap the
  database's data keys, one per line as ``<id> <key, base64>``; the first is current
  (a rotation holds two for a moment: the new one, then the one it replaces).
"""
from __future__ import annotations

import base64
import hashlib
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)

AUDIT_KEY = "audit-signing.key"
MASTER_KEY = "master.key"
_MASTER_HEADER = "# scomm master keys (AES-256): <id> <key, base64>; the first is current\n"


class KeyFileError(Exception):
    """A key file is missing, unreadable, or readable by others than its owner."""


def _write_private(path: Path, data: bytes, *, replace: bool = False) -> None:
    """Write whole or not at all: a reader never sees half a key file. Without ``replace``
    an existing file is kept (FileExistsError), so two processes never make two keys."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if replace:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


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


@dataclass(frozen=True)
class MasterKey:
    """An AES-256 key that wraps data keys; ``id`` (a digest of it) names it in the database."""
    id: str
    key: bytes = field(repr=False)   # never in a log line or a traceback's locals

    @classmethod
    def new(cls) -> MasterKey:
        return cls.of(secrets.token_bytes(32))

    @classmethod
    def of(cls, key: bytes) -> MasterKey:
        return cls(hashlib.sha256(b"scomm master key id:" + key).hexdigest()[:16], key)


def audit_signing_key(folder: Path) -> Ed25519PrivateKey:
    key = load_pem_private_key(_read_private(folder / AUDIT_KEY), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"{folder / AUDIT_KEY} is not an Ed25519 key")
    return key


def ensure_master_key(path: Path) -> bool:
    """Create the master key file if it does not exist (safe to run twice, and from two
    processes at once); whether this call made it."""
    if path.exists():
        return False
    try:
        write_master_keys(path, [MasterKey.new()], replace=False)
    except FileExistsError:
        return False
    return True


def read_master_keys(path: Path) -> list[MasterKey]:
    """The master keys in ``path``, current first."""
    keys = []
    for n, line in enumerate(_read_private(path).decode("ascii").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        try:
            kid, b64 = line.split()
            key = MasterKey.of(base64.b64decode(b64, validate=True))
        except ValueError:
            raise KeyFileError(f"{path}, line {n}: not '<id> <key, base64>'") from None
        if len(key.key) != 32 or key.id != kid:
            raise KeyFileError(f"{path}, line {n}: not a 256-bit key, or not the key its id names")
        keys.append(key)
    if not keys:
        raise KeyFileError(f"{path} holds no key")
    return keys


def write_master_keys(path: Path, keys: list[MasterKey], *, replace: bool) -> None:
    lines = "".join(f"{k.id} {base64.b64encode(k.key).decode('ascii')}\n" for k in keys)
    _write_private(path, (_MASTER_HEADER + lines).encode("ascii"), replace=replace)
