"""The file store runs out of space in the middle of an upload: a clear error, nothing half-written, no row.

The disk is made to fill part-way through a write: file objects the store opens under its root
accept a given number of bytes and then fail with ENOSPC, as a full disk does. API.md gives no
status for it; the store answers 507 `storage.full` (Insufficient Storage) in the error shape,
which the OpenAPI description documents for every upload. The chain still verifies, and once
space is back the same upload goes through.
"""
import errno
import json
import os
from pathlib import Path

import pytest
from sqlalchemy import func, select

from trading import audit, storage
from trading.models import AuditEvent, Bid, BidFile, Document

from .sealed import create_and_publish, register_and_pay, tendering_body

pytestmark = pytest.mark.faults


class Disk:
    """Room left on the store's disk, shared by every file the store writes; None is plenty."""

    def __init__(self, root):
        self.root = str(root)
        self.room = None
        self.failures = 0


class FillingFile:
    def __init__(self, disk, real):
        self.disk, self.real = disk, real

    def write(self, data):
        if self.disk.room is not None and len(data) > self.disk.room:
            self.real.write(data[:self.disk.room])  # what fits is written, as on a real disk
            self.disk.room = 0
            self.disk.failures += 1
            raise OSError(errno.ENOSPC, "No space left on device")
        if self.disk.room is not None:
            self.disk.room -= len(data)
        return self.real.write(data)

    def __getattr__(self, name):
        return getattr(self.real, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return self.real.__exit__(*exc)


@pytest.fixture
def disk(registry, monkeypatch):
    """The store's writes go through a disk that can fill; other files are untouched."""
    root = Path(registry.settings["ggzy.storage_dir"])
    state = Disk(root)
    real_fdopen = os.fdopen

    def fdopen(fd, *args, **kw):
        opened = real_fdopen(fd, *args, **kw)
        if os.readlink(f"/proc/self/fd/{fd}").startswith(state.root + os.sep):
            return FillingFile(state, opened)
        return opened

    monkeypatch.setattr(storage.os, "fdopen", fdopen)
    monkeypatch.setattr(storage, "CHUNK", 1024)  # several chunks per upload, so the disk fills midway
    return state


@pytest.fixture
def project(api, parties):
    project = create_and_publish(api, tendering_body(parties))
    register_and_pay(api, project, "bidder1")
    return project


def state(dbsession, root):
    counts = {model.__name__: dbsession.execute(select(func.count()).select_from(model)).scalar()
              for model in (Document, Bid, BidFile, AuditEvent)}
    return counts, {p for p in Path(root).rglob("*") if p.is_file()}


def assert_storage_full(response):
    assert response.status_int == 507 and response.content_type == "application/json"
    error = response.json["error"]
    assert error["code"] == "storage.full" and error["details"] == []
    assert "full" in error["message"]


def upload_document(api, project, content, status):
    return api.app.post(f"/api/v1/projects/{project['id']}/documents", params=[("kind", "tender")],
                        upload_files=[("file", "招标文件.pdf", content)], headers=api.headers("officer1"), status=status)


def submit(api, project, files, status):
    lot_id = project["lots"][0]["id"]
    fields = [("offer", json.dumps({"price": "900000.00"})), ("unlock_secret", "open sesame")]
    return api.app.post(f"/api/v1/projects/{project['id']}/lots/{lot_id}/bids", params=fields, upload_files=files,
                        headers=api.headers("bidder1"), status=status)


def test_a_document_upload_on_a_full_disk_is_507_and_leaves_nothing(api, project, disk, dbsession, connection):
    content = b"%PDF-1.7 " + os.urandom(5000)
    before = state(dbsession, disk.root)
    disk.room = 2500  # two chunks fit, the third does not
    assert_storage_full(upload_document(api, project, content, status=507))
    assert disk.failures == 1
    assert state(dbsession, disk.root) == before  # no partial or temporary file, no row, no event
    assert audit.verify(connection).ok

    disk.room = None
    document = upload_document(api, project, content, status=201).json
    assert document["size"] == len(content)
    assert audit.verify(connection).ok


@pytest.mark.parametrize("room", [500, 2500], ids=["first file", "second file"])
def test_a_sealed_bid_on_a_full_disk_is_507_and_leaves_no_file_of_it(api, project, disk, dbsession, connection, room):
    files = [("files", f"part{i}.pdf", os.urandom(1500)) for i in range(3)]
    before = state(dbsession, disk.root)
    disk.room = room  # each file's ciphertext is a little over 1,500 bytes: the disk fills inside one of them
    assert_storage_full(submit(api, project, files, status=507))
    assert disk.failures == 1
    # not even the files that were written whole before the disk filled: they belong to no bid
    assert state(dbsession, disk.root) == before
    assert audit.verify(connection).ok

    disk.room = None
    bid = submit(api, project, files, status=201).json
    assert bid["status"] == "sealed" and len(bid["files"]) == 3
    assert audit.verify(connection).ok


def test_a_sealed_bid_whose_transaction_does_not_commit_leaves_no_file(api, project, script, dbsession, registry):
    """Written whole, then the transaction fails after the service returned (a lost connection, a retry)."""
    from trading.demo_projects import Upload
    from trading.models import User
    from trading.services import bids, projects

    root = registry.settings["ggzy.storage_dir"]
    before = state(dbsession, root)
    user = dbsession.execute(select(User).where(User.username == "bidder1")).scalar_one()
    with pytest.raises(RuntimeError), script(user=user, client_addr="127.0.0.1") as request:
        request.headers, request.cookies = {}, {}
        found = projects.get_project(request, project["id"])
        lot = projects.get_lot(request, found, project["lots"][0]["id"])
        bid = bids.submit(request, found, lot, json.dumps({"price": "900000.00"}), "open sesame",
                          [Upload("part.pdf", os.urandom(1500))])
        assert all(Path(storage.get_store(registry).path(f.cipher_key)).is_file() for f in bid.files)
        raise RuntimeError("the connection was lost before the commit")
    assert state(dbsession, root) == before
