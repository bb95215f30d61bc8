"""Column types that are stored sealed (security/sealing.py) and read back in the clear.

A sealed column is a BLOB/BYTEA; each value is encrypted as it is bound to a statement
and decrypted as it is read, by the sealer of the engine it travels on (attached by
``make_engine``). The column's name is the value's associated data. SQL cannot filter,
sort or aggregate on these columns: only code that has the keys sees their content.
"""
from __future__ import annotations

import json
from datetime import date
from typing import Any, Protocol

from sqlalchemy import LargeBinary
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.types import TypeDecorator

_ATTR = "scomm_sealer"


class Sealing(Protocol):
    def seal(self, plaintext: bytes, column: str) -> bytes: ...
    def open(self, blob: bytes, column: str) -> bytes: ...


def attach(engine: Engine, sealer: Sealing) -> None:
    setattr(engine.dialect, _ATTR, sealer)


def sealer_of(dialect: Dialect) -> Sealing:
    sealer: Sealing | None = getattr(dialect, _ATTR, None)
    if sealer is None:
        raise RuntimeError("this engine has no sealer: make it with storage.db.make_engine")
    return sealer


class _Sealed(TypeDecorator[Any]):
    impl = LargeBinary
    cache_ok = True

    def __init__(self, column: str):
        super().__init__()
        self.column = column   # "table.column": the associated data of every value

    def encode(self, value: Any) -> bytes:
        raise NotImplementedError

    def decode(self, data: bytes) -> Any:
        raise NotImplementedError

    def process_bind_param(self, value: Any, dialect: Dialect) -> bytes | None:
        return None if value is None else sealer_of(dialect).seal(self.encode(value), self.column)

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        return None if value is None else self.decode(sealer_of(dialect).open(bytes(value), self.column))


class SealedBytes(_Sealed):
    cache_ok = True   # SQLAlchemy asks each class itself

    def encode(self, value: bytes) -> bytes:
        return bytes(value)

    def decode(self, data: bytes) -> bytes:
        return data


class SealedText(_Sealed):
    cache_ok = True   # SQLAlchemy asks each class itself

    def encode(self, value: str) -> bytes:
        return value.encode("utf-8")

    def decode(self, data: bytes) -> str:
        return data.decode("utf-8")


class SealedDate(_Sealed):
    cache_ok = True   # SQLAlchemy asks each class itself

    def encode(self, value: date) -> bytes:
        return value.isoformat().encode("ascii")

    def decode(self, data: bytes) -> date:
        return date.fromisoformat(data.decode("ascii"))


class SealedJSON(_Sealed):
    cache_ok = True   # SQLAlchemy asks each class itself

    def encode(self, value: Any) -> bytes:
        return json.dumps(value, separators=(",", ":")).encode("utf-8")

    def decode(self, data: bytes) -> Any:
        return json.loads(data)
