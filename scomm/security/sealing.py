"""Envelope encryption at rest (SC-28): AES-256-GCM under data keys, data keys wrapped
by a master key (AES-256-GCM too), all from ``cryptography``.

A sealed value is ``version (1) | data key id (4) | nonce (12) | ciphertext | tag (16)``.
Its associated data is that header and the column it belongs to, so a sealed value
copied into another column, or given another key id, does not open. Nonces are random
(96 bits): a data key is good for 2**32 values, far past what a rotation interval writes.
"""
from __future__ import annotations

import secrets
import struct

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .keys import MasterKey

VERSION = 1
_HEADER = struct.Struct(">BI")
_NONCE = 12


class SealError(Exception):
    """A sealed value or a wrapped key did not open: wrong key, or altered. Names the
    column or key, never the content."""


def new_data_key() -> tuple[int, bytes]:
    """A fresh data key and its id (31 bits: fits every database's INTEGER)."""
    return secrets.randbelow(2**31 - 1) + 1, AESGCM.generate_key(bit_length=256)


def _wrap_context(key_id: int) -> bytes:
    return b"scomm data key %d" % key_id


def wrap(master: MasterKey, key_id: int, key: bytes) -> bytes:
    nonce = secrets.token_bytes(_NONCE)
    return nonce + AESGCM(master.key).encrypt(nonce, key, _wrap_context(key_id))


def unwrap(master: MasterKey, key_id: int, wrapped: bytes) -> bytes:
    try:
        return AESGCM(master.key).decrypt(wrapped[:_NONCE], wrapped[_NONCE:], _wrap_context(key_id))
    except InvalidTag:
        raise SealError(f"data key {key_id} does not unwrap under master key {master.id}") from None


def seal(key_id: int, aead: AESGCM, plaintext: bytes, column: str) -> bytes:
    header = _HEADER.pack(VERSION, key_id)
    nonce = secrets.token_bytes(_NONCE)
    return header + nonce + aead.encrypt(nonce, plaintext, header + column.encode())


def key_id_of(blob: bytes, column: str) -> int:
    if len(blob) < _HEADER.size + _NONCE + 16:
        raise SealError(f"{column}: a value too short to be sealed")
    version, key_id = _HEADER.unpack_from(blob)
    if version != VERSION:
        raise SealError(f"{column}: sealed with unknown version {version}")
    return int(key_id)


def open_sealed(aead: AESGCM, blob: bytes, column: str) -> bytes:
    header, nonce = blob[:_HEADER.size], blob[_HEADER.size:_HEADER.size + _NONCE]
    body = memoryview(blob)[_HEADER.size + _NONCE:]    # not copied: a gallery segment is tens of MB
    try:
        return aead.decrypt(nonce, body, header + column.encode())
    except InvalidTag:
        raise SealError(f"{column}: a sealed value does not open (altered, or moved from another column)") from None
