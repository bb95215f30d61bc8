"""Sealing at rest, as pure functions: values open whole under their key and column and
nowhere else; any changed byte is refused; the master key file is read strictly."""
from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import given, strategies as st

from scomm.security.keys import KeyFileError, MasterKey, read_master_keys, write_master_keys
from scomm.security.sealing import SealError, key_id_of, new_data_key, open_sealed, seal, unwrap, wrap

KEY_ID, KEY = new_data_key()
AEAD = AESGCM(KEY)


@given(st.binary(max_size=4096), st.sampled_from(["persons.name", "transactions.raw"]))
def test_a_sealed_value_opens_whole_and_only_in_its_column(plain, column):
    blob = seal(KEY_ID, AEAD, plain, column)
    assert key_id_of(blob, column) == KEY_ID and open_sealed(AEAD, blob, column) == plain
    assert len(plain) < 16 or plain not in blob   # (a short one may occur by chance)
    with pytest.raises(SealError, match="persons.dob"):
        open_sealed(AEAD, blob, "persons.dob")


@given(st.binary(min_size=1, max_size=200), st.data())
def test_any_changed_byte_is_refused(plain, data):
    blob = bytearray(seal(KEY_ID, AEAD, plain, "persons.name"))
    i = data.draw(st.integers(0, len(blob) - 1))
    blob[i] ^= data.draw(st.integers(1, 255))
    with pytest.raises(SealError):
        if key_id_of(bytes(blob), "persons.name") != KEY_ID:
            raise SealError("another key id")
        open_sealed(AEAD, bytes(blob), "persons.name")


def test_two_seals_of_one_value_differ():
    assert seal(KEY_ID, AEAD, b"DOE,JOHN", "persons.name") != seal(KEY_ID, AEAD, b"DOE,JOHN", "persons.name")


def test_a_wrapped_data_key_unwraps_under_its_master_and_its_id_only():
    master, other = MasterKey.new(), MasterKey.new()
    wrapped = wrap(master, KEY_ID, KEY)
    assert unwrap(master, KEY_ID, wrapped) == KEY
    for m, kid in ((other, KEY_ID), (master, KEY_ID + 1)):
        with pytest.raises(SealError, match="does not unwrap"):
            unwrap(m, kid, wrapped)


def test_the_master_key_file_is_read_strictly(tmp_path):
    path = tmp_path / "keys" / "master.key"
    keys = [MasterKey.new(), MasterKey.new()]
    write_master_keys(path, keys, replace=False)
    assert read_master_keys(path) == keys and (path.stat().st_mode & 0o777) == 0o600
    assert str(keys[0].key) not in repr(keys[0])
    with pytest.raises(FileExistsError):
        write_master_keys(path, keys, replace=False)        # never replaces a key by accident
    path.chmod(0o640)
    with pytest.raises(KeyFileError, match="readable by group"):
        read_master_keys(path)
    path.chmod(0o600)
    kid, b64 = path.read_text().splitlines()[1].split()
    for bad in (f"{kid} {b64[:-4]}AAA=\n", f"{'0' * 16} {b64}\n", "not a key line at all\n", "# nothing\n"):
        path.write_text(bad)
        with pytest.raises(KeyFileError):
            read_master_keys(path)
