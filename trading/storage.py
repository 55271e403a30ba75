"""The content-addressed file store: a file's key is its SHA-256; writes are whole or absent."""
import errno
import hashlib
import os
import tempfile
from pathlib import Path

from .errors import DomainError
from .i18n import _

CHUNK = 1024 * 1024


class StorageFull(DomainError):
    status = 507
    code = "storage.full"

    def default_message(self):
        return _("The file store is full; the upload was not kept. Please tell the trading centre.")


class FileStore:
    def __init__(self, root):
        self.root = Path(root)

    def path(self, key):
        if len(key) != 64 or any(c not in "0123456789abcdef" for c in key):
            raise ValueError(f"not a store key: {key!r}")
        return self.root / key[:2] / key[2:4] / key

    def exists(self, key):
        return self.path(key).is_file()

    def put_bytes(self, data):
        """Store ``data``; return (key, size). A second put of the same bytes writes nothing."""
        key = hashlib.sha256(data).hexdigest()
        target = self.path(key)
        if not target.is_file():
            self._write(target, [data])
        return key, len(data)

    def put_stream(self, stream, limit=None):
        """Store a file-like object chunk by chunk; return (key, size). Raises ValueError past ``limit``."""
        digest = hashlib.sha256()
        size = 0
        self.root.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                while True:
                    chunk = stream.read(CHUNK)
                    if not chunk:
                        break
                    size += len(chunk)
                    if limit is not None and size > limit:
                        raise ValueError("too large")
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            key = digest.hexdigest()
            target = self.path(key)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, target)
            return key, size
        except BaseException as error:
            _failed(tmp, error)

    def _write(self, target, chunks):
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".part-")
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, target)
        except BaseException as error:
            _failed(tmp, error)

    def discard(self, key):
        """Remove a file that only its writer refers to (a sealed bid's ciphertext), if it is there."""
        _unlink(self.path(key))

    def read(self, key):
        return self.path(key).read_bytes()

    def open(self, key):
        return self.path(key).open("rb")


def _failed(tmp, error):
    """A write that did not finish leaves nothing behind; a full disk says so in words."""
    _unlink(tmp)
    if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
        raise StorageFull() from None
    raise error


def _unlink(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def get_store(registry):
    return registry["file_store"]


def includeme(config):
    config.registry["file_store"] = FileStore(config.get_settings()["ggzy.storage_dir"])
