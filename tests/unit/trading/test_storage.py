"""The content-addressed store: a file's key is its SHA-256, and a write is whole or absent."""
import errno
import hashlib
import io

import pytest

from trading.storage import FileStore, StorageFull


def test_the_key_is_the_sha256_and_a_second_put_writes_nothing(tmp_path):
    store = FileStore(tmp_path)
    key, size = store.put_bytes(b"tender document")
    assert key == hashlib.sha256(b"tender document").hexdigest() and size == 15
    assert store.put_stream(io.BytesIO(b"tender document")) == (key, 15)
    assert store.read(key) == b"tender document"


@pytest.mark.parametrize("write", ["bytes", "stream"])
def test_a_full_disk_is_a_clear_error_and_leaves_nothing_behind(tmp_path, monkeypatch, write):
    store = FileStore(tmp_path)

    def full(*_args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("trading.storage.os.replace", full)
    with pytest.raises(StorageFull) as raised:
        store.put_bytes(b"x" * 100) if write == "bytes" else store.put_stream(io.BytesIO(b"x" * 100))
    assert raised.value.status == 507 and raised.value.code == "storage.full"
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_a_stream_over_the_limit_is_refused_and_removed(tmp_path):
    store = FileStore(tmp_path)
    with pytest.raises(ValueError):
        store.put_stream(io.BytesIO(b"x" * 11), limit=10)
    assert store.put_stream(io.BytesIO(b"x" * 10), limit=10)[1] == 10
    assert len([p for p in tmp_path.rglob("*") if p.is_file()]) == 1
