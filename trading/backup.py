"""Backup and restore of the database and the file store, with a manifest that proves a backup whole.

A backup directory holds ``manifest.json``, one database file and ``files/``, a
copy of the content-addressed store laid out like the store itself. The
database is copied first and the files after it: a file is always stored
before the transaction that names it commits, so every file the database copy
names is already in the store when the files are copied (later files are
harmless extras). Files already in the directory are not copied again, so a
second backup into the same directory only adds what is new.

The database copy is, by kind:

- ``sqlite``: SQLite's online backup API, a consistent copy of a live database;
- ``pg_dump``: ``pg_dump --format=custom`` in the snapshot the manifest was read in;
- ``logical``: every table as JSON lines in foreign-key order, read in one
  transaction through SQLAlchemy Core. Used for PostgreSQL when pg_dump is not
  installed, and on request (``--logical``) for either database, which also
  moves a site from SQLite to PostgreSQL.
"""
import base64
import glob
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import inspect, text

from . import audit
from .i18n import _

FORMAT = "ggzy-backup/1"
MANIFEST = "manifest.json"
FILES = "files"
DATABASE_FILES = {"sqlite": "database.sqlite", "pg_dump": "database.pgdump", "logical": "database.jsonl"}
CHUNK = 1024 * 1024

# the columns that hold file store keys: after a restore each key they name must be in the store. Not
# rendered_pdfs.file_key: a kept PDF is derived, and one missing from the store is rendered again (trading/pdf.py)
STORE_KEY_COLUMNS = (("documents", "sha256"), ("bid_files", "cipher_key"), ("bid_files", "plain_key"))

# a database "holds data" when it has users or audit events; reference data alone (after `ggzy initdb`) does not count
DATA_TABLES = ("users", "audit_events")

# libpq reads these from the environment: the password never shows on a command line
LIBPQ_QUERY_ENV = {"sslmode": "PGSSLMODE", "sslrootcert": "PGSSLROOTCERT", "sslcert": "PGSSLCERT",
                   "sslkey": "PGSSLKEY", "connect_timeout": "PGCONNECT_TIMEOUT", "host": "PGHOST", "port": "PGPORT"}


class BackupError(Exception):
    """A backup or restore that cannot go on; ``problems`` are translatable messages, the first is ``message``."""

    def __init__(self, message, problems=()):
        super().__init__(str(message))
        self.message = message
        self.problems = list(problems) or [message]


# --- backup --------------------------------------------------------------------------------------


def backup(registry, directory, logical=False):
    """Copy the database and the file store into ``directory``; return (manifest, problems)."""
    engine = registry["dbengine"]
    store_root = Path(registry["file_store"].root)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    kind = engine.dialect.name
    if logical:
        method = "logical"
    elif kind == "sqlite":
        method = "sqlite"
    else:
        method = "pg_dump" if pg_tool("pg_dump") else "logical"
    database_file = DATABASE_FILES[method]
    # a previous backup of another kind would otherwise sit beside this one unlisted
    for other in DATABASE_FILES.values():
        if other != database_file and (directory / other).exists():
            (directory / other).unlink()
    target = directory / database_file
    partial = directory / (database_file + ".partial")
    if method == "sqlite":
        state = _backup_sqlite(engine, partial)
    elif method == "pg_dump":
        state = _backup_pg_dump(engine, partial)
    else:
        state = _backup_logical(engine, partial)
    os.replace(partial, target)

    files, problems = _copy_store(store_root, directory / FILES)
    checksums = {database_file: file_sha256(target)}
    checksums.update({f"{FILES}/{relative}": key for relative, key, _size in files})
    manifest = {
        "format": FORMAT,
        "created_at": registry["clock"].now().isoformat(),
        "database": {"kind": kind, "method": method, "file": database_file},
        "schema_revision": state["revision"],
        "audit": {"seq": state["audit_seq"], "hash": state["audit_hash"]},
        "files": {"count": len(files), "total_bytes": sum(size for _r, _k, size in files)},
        "sha256": checksums,
    }
    # written last, through a rename: a directory with a manifest holds a finished backup
    _write_json(directory / MANIFEST, manifest)
    return manifest, problems


def _read_state(connection):
    revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    head = connection.execute(text("SELECT seq, hash FROM audit_head WHERE id = :id"), {"id": audit.HEAD_ID}).one()
    return {"revision": revision, "audit_seq": head.seq, "audit_hash": head.hash}


def _sqlite_path(engine):
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError(_("Only an SQLite database in a file can be backed up or restored, not ${url}.",
                            mapping={"url": engine.url.render_as_string()}))
    return Path(database)


def _backup_sqlite(engine, partial):
    source = sqlite3.connect(_sqlite_path(engine), timeout=30)
    try:
        destination = sqlite3.connect(partial)
        try:
            source.backup(destination)
            # the copy is a plain file: no -wal or -shm beside it
            destination.execute("PRAGMA journal_mode=DELETE")
            state = _read_state_sqlite(destination)
        finally:
            destination.close()
    finally:
        source.close()
    return state


def _read_state_sqlite(db):
    revision = db.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    seq, digest = db.execute("SELECT seq, hash FROM audit_head WHERE id = ?", (audit.HEAD_ID,)).fetchone()
    return {"revision": revision, "audit_seq": seq, "audit_hash": digest}


def pg_tool(name):
    """pg_dump or pg_restore: on the PATH, else the newest of Debian's /usr/lib/postgresql/*/bin."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                        key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    return candidates[-1] if candidates else None


def _libpq_env(url):
    env = dict(os.environ)
    for key in ("PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE", "PGSERVICE"):
        env.pop(key, None)
    if url.host:
        env["PGHOST"] = url.host
    if url.port:
        env["PGPORT"] = str(url.port)
    if url.username:
        env["PGUSER"] = url.username
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    for name, value in url.query.items():
        if name in LIBPQ_QUERY_ENV:
            env[LIBPQ_QUERY_ENV[name]] = value if isinstance(value, str) else value[0]
    return env


def _run_pg_tool(name, args, url):
    tool = pg_tool(name)
    if tool is None:
        raise BackupError(_("${tool} is not installed; use --logical.", mapping={"tool": name}))
    result = subprocess.run([tool, *args], env=_libpq_env(url), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(_("${tool} failed: ${error}", mapping={"tool": name, "error": result.stderr.strip()}))


def _backup_pg_dump(engine, partial):
    with engine.connect() as connection:
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            # pg_dump reads the snapshot this transaction holds open: the manifest describes exactly the dump
            snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar()
            state = _read_state(connection)
            _run_pg_tool("pg_dump", ["--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}",
                                     f"--file={partial}", f"--dbname={engine.url.database}"], engine.url)
    return state


def _encode(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    raise TypeError(f"cannot write {type(value).__name__} into a logical backup")


def _backup_logical(engine, partial):
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            state = _read_state(connection)
            tables = _reflect(connection)
            with open(partial, "w", encoding="utf-8") as out:
                for table in tables:
                    out.write(json.dumps({"table": table.name}) + "\n")
                    result = connection.execution_options(stream_results=True, yield_per=1000).execute(
                        sa.select(table))
                    for row in result.mappings():
                        out.write(json.dumps({"row": dict(row)}, default=_encode, ensure_ascii=False) + "\n")
    return state


def _reflect(connection):
    """Every table of the database in foreign-key order, as the database itself describes them."""
    metadata = sa.MetaData()
    metadata.reflect(bind=connection)
    return [table for table in metadata.sorted_tables if table.name != "alembic_version"]


STORE_ENTRY = re.compile(r"([0-9a-f]{2})/([0-9a-f]{2})/([0-9a-f]{64})")


def _is_store_entry(relative, digest):
    """A store path xx/yy/key whose key is the file's SHA-256: nothing else may be copied into the store."""
    match = STORE_ENTRY.fullmatch(relative)
    return bool(match) and match.group(3) == digest and match.group(3).startswith(match.group(1) + match.group(2))


def _store_keys(root):
    """(path relative to the root, key) of every file in a store laid out as xx/yy/key."""
    root = Path(root)
    if not root.is_dir():
        return []
    found = []
    for first in sorted(os.listdir(root)):
        if len(first) != 2 or not (root / first).is_dir():
            continue
        for second in sorted(os.listdir(root / first)):
            if len(second) != 2 or not (root / first / second).is_dir():
                continue
            for name in sorted(os.listdir(root / first / second)):
                # temporary names start with a dot (.part-, .upload-): never a finished file
                if len(name) == 64 and name.startswith(first + second) and all(c in "0123456789abcdef" for c in name):
                    found.append((f"{first}/{second}/{name}", name))
    return found


def _copy_store(source_root, target_root):
    """Copy the files not yet in the backup, checking each against its name; return (files, problems)."""
    files, problems = [], []
    for relative, key in _store_keys(source_root):
        source = Path(source_root) / relative
        target = Path(target_root) / relative
        size = source.stat().st_size
        if target.is_file() and target.stat().st_size == size:
            files.append((relative, key, size))  # content-addressed: the same name holds the same bytes
            continue
        digest = _copy_hashing(source, target)
        if digest != key:
            target.unlink()
            problems.append(_("The stored file ${key} is damaged (its SHA-256 is ${digest}); it was not backed up.",
                              mapping={"key": key, "digest": digest}))
            continue
        files.append((relative, key, size))
    return files, problems


def _copy_hashing(source, target):
    """Copy through a temporary name (whole or absent) and return the SHA-256 of what was copied."""
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".part-")
    try:
        with os.fdopen(fd, "wb") as out, open(source, "rb") as inp:
            while chunk := inp.read(CHUNK):
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return digest.hexdigest()


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as inp:
        while chunk := inp.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _write_json(path, value):
    tmp = path.with_name(path.name + ".partial")
    with open(tmp, "w", encoding="utf-8") as out:
        json.dump(value, out, indent=1, sort_keys=True)
        out.write("\n")
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)


# --- checking a backup ---------------------------------------------------------------------------


def read_manifest(directory):
    path = Path(directory) / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(_("${dir} holds no backup (no manifest.json).", mapping={"dir": str(directory)})) from None
    except (ValueError, UnicodeDecodeError):
        raise BackupError(_("The manifest ${path} is not valid JSON.", mapping={"path": str(path)})) from None
    try:
        well_formed = (manifest["format"] == FORMAT and manifest["database"]["method"] in DATABASE_FILES
                       and manifest["database"]["file"] == DATABASE_FILES[manifest["database"]["method"]]
                       and isinstance(manifest["sha256"], dict) and isinstance(manifest["files"]["count"], int)
                       and isinstance(manifest["audit"]["seq"], int) and "schema_revision" in manifest)
    except (KeyError, TypeError):
        well_formed = False
    if not well_formed:
        raise BackupError(_("The manifest ${path} is not a ${format} manifest.",
                            mapping={"path": str(path), "format": FORMAT}))
    return manifest


def check_backup(directory, manifest):
    """Every file the manifest lists is present with its SHA-256; return the problems found."""
    directory = Path(directory).resolve()
    problems = []
    checksums = manifest.get("sha256") or {}
    if manifest["database"]["file"] not in checksums:
        problems.append(_("The manifest lists no checksum for the database file."))
    for relative, expected in sorted(checksums.items()):
        path = (directory / relative).resolve()
        if relative.startswith(FILES + "/") and not _is_store_entry(relative[len(FILES) + 1:], expected):
            problems.append(_("The manifest lists ${path}, which is not a stored file named by its SHA-256.",
                              mapping={"path": relative}))
            continue
        if directory not in path.parents:
            problems.append(_("The manifest names a file outside the backup: ${path}", mapping={"path": relative}))
            continue
        if not path.is_file():
            problems.append(_("The backup file ${path} is missing.", mapping={"path": relative}))
        elif file_sha256(path) != expected:
            problems.append(_("The backup file ${path} does not match its SHA-256 in the manifest.",
                              mapping={"path": relative}))
    listed = sum(1 for relative in checksums if relative.startswith(FILES + "/"))
    if listed != manifest["files"]["count"]:
        problems.append(_("The manifest counts ${count} files but lists ${listed}.",
                          mapping={"count": manifest["files"]["count"], "listed": listed}))
    return problems


# --- restore -------------------------------------------------------------------------------------


def holds_data(engine):
    """Whether the database has users or audit events (a site that has been used)."""
    with engine.connect() as connection:
        names = set(inspect(connection).get_table_names())
        for table in DATA_TABLES:
            if table in names and connection.execute(text(f"SELECT 1 FROM {table} LIMIT 1")).first() is not None:
                return True
    return False


def restore(registry, directory, force=False):
    """Check the backup, restore it into the configured database and store, then verify; return the report.

    Raises BackupError before anything is changed when the backup is damaged or
    the database holds data and ``force`` is not given.
    """
    directory = Path(directory)
    manifest = read_manifest(directory)
    problems = check_backup(directory, manifest)
    if problems:
        raise BackupError(_("The backup in ${dir} is damaged; nothing was restored.", mapping={"dir": str(directory)}),
                          problems)
    engine = registry["dbengine"]
    method = manifest["database"]["method"]
    kind = engine.dialect.name
    if (method == "sqlite" and kind != "sqlite") or (method == "pg_dump" and kind != "postgresql"):
        raise BackupError(_("A ${method} backup cannot be restored into ${kind}; make the backup with --logical.",
                            mapping={"method": method, "kind": kind}))
    if kind == "sqlite":
        _sqlite_path(engine)
    if holds_data(engine) and not force:
        raise BackupError(_("The database already holds data (users or audit events); restore with --force "
                            "to replace it."))
    database_file = directory / manifest["database"]["file"]
    if method == "sqlite":
        _restore_sqlite(engine, database_file)
    else:
        if kind == "postgresql":
            _wipe_postgresql(engine)
        elif kind == "sqlite":
            _wipe_sqlite(engine)
        if method == "pg_dump":
            _run_pg_tool("pg_restore", ["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
                                        f"--dbname={engine.url.database}", str(database_file)], engine.url)
        else:
            _restore_logical(engine, database_file, manifest["schema_revision"])
    copied = _restore_files(directory / FILES, Path(registry["file_store"].root), manifest)
    report = verify_site(registry, manifest)
    report["files_copied"] = copied
    return report


def _restore_sqlite(engine, database_file):
    engine.dispose()
    target = _sqlite_path(engine)
    target.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(f"{database_file.resolve().as_uri()}?mode=ro", uri=True)
    try:
        destination = sqlite3.connect(target, timeout=30)
        try:
            source.backup(destination)
            destination.execute("PRAGMA journal_mode=WAL")
        finally:
            destination.close()
    finally:
        source.close()
    engine.dispose()


def _wipe_postgresql(engine):
    with engine.begin() as connection:
        for name in inspect(connection).get_table_names():
            connection.execute(text(f'DROP TABLE IF EXISTS "{name}" CASCADE'))
        connection.execute(text("DROP FUNCTION IF EXISTS ggzy_audit_append_only() CASCADE"))


def _wipe_sqlite(engine):
    with engine.begin() as connection:
        connection.exec_driver_sql("PRAGMA defer_foreign_keys=ON")
        for table in reversed(_reflect(connection)):
            connection.execute(text(f'DROP TABLE IF EXISTS "{table.name}"'))
        connection.execute(text('DROP TABLE IF EXISTS "alembic_version"'))


def _decoder(column_type):
    if isinstance(column_type, sa.DateTime):
        return datetime.fromisoformat
    if isinstance(column_type, sa.Date):
        return date.fromisoformat
    if isinstance(column_type, sa.Numeric) and not isinstance(column_type, sa.Float):
        return Decimal
    if isinstance(column_type, sa.LargeBinary):
        return base64.b64decode
    return None


def _restore_logical(engine, database_file, revision):
    from .migrate import upgrade

    upgrade(engine, revision)
    with engine.begin() as connection:
        tables = {table.name: table for table in _reflect(connection)}
        for table in reversed(list(tables.values())):
            connection.execute(table.delete())  # rows the migrations insert (the audit head)
        table, decoders, batch = None, {}, []

        def flush():
            if batch:
                connection.execute(table.insert(), batch)
                batch.clear()

        with open(database_file, encoding="utf-8") as inp:
            for line in inp:
                item = json.loads(line)
                if "table" in item:
                    flush()
                    table = tables[item["table"]]
                    decoders = {c.name: _decoder(c.type) for c in table.columns}
                    continue
                row = {name: (decoders[name](value) if value is not None and decoders.get(name) else value)
                       for name, value in item["row"].items()}
                batch.append(row)
                if len(batch) >= 1000:
                    flush()
        flush()
        if engine.dialect.name == "postgresql":
            _reset_sequences(connection, tables.values())


def _reset_sequences(connection, tables):
    """Serial columns continue after the restored rows."""
    for table in tables:
        for column in table.primary_key.columns:
            sequence = connection.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                          {"t": table.name, "c": column.name}).scalar()
            if sequence:
                connection.execute(text(f'SELECT setval(:s, COALESCE((SELECT MAX("{column.name}") FROM "{table.name}"), 0) + 1, false)'),
                                   {"s": sequence})


def _restore_files(backup_root, store_root, manifest):
    copied = 0
    for relative in sorted(manifest["sha256"]):
        if not relative.startswith(FILES + "/"):
            continue
        inner = relative[len(FILES) + 1:]
        target = store_root / inner
        if target.is_file():
            continue
        _copy_hashing(backup_root / inner, target)
        copied += 1
    return copied


def verify_site(registry, manifest=None):
    """The audit chain holds, every stored file's SHA-256 equals its name, and every file the database names is there."""
    engine = registry["dbengine"]
    store_root = Path(registry["file_store"].root)
    problems = []
    with engine.connect() as connection:
        chain = audit.verify(connection)
        if not chain.ok:
            problems.append(_("The audit chain is broken at event ${seq}.", mapping={"seq": chain["first_bad_seq"]}))
        state = _read_state(connection)
        names = set(inspect(connection).get_table_names())
        referenced = set()
        for table, column in STORE_KEY_COLUMNS:
            if table in names:
                referenced.update(key for (key,) in connection.execute(
                    text(f'SELECT DISTINCT "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL')))
    if manifest is not None:
        if (state["audit_seq"], state["audit_hash"]) != (manifest["audit"]["seq"], manifest["audit"]["hash"]):
            problems.append(_("The restored audit head (event ${seq}) is not the one in the manifest (event ${expected}).",
                              mapping={"seq": state["audit_seq"], "expected": manifest["audit"]["seq"]}))
        if state["revision"] != manifest["schema_revision"]:
            problems.append(_("The restored schema revision ${revision} is not the manifest's ${expected}.",
                              mapping={"revision": state["revision"], "expected": manifest["schema_revision"]}))
    stored = _store_keys(store_root)
    bad_files = 0
    for relative, key in stored:
        if file_sha256(store_root / relative) != key:
            bad_files += 1
            problems.append(_("The stored file ${key} does not match its SHA-256.", mapping={"key": key}))
    present = {key for _relative, key in stored}
    missing = sorted(referenced - present)
    for key in missing:
        problems.append(_("The file ${key} named in the database is not in the file store.", mapping={"key": key}))
    return {
        "ok": not problems,
        "audit": {"ok": chain.ok, "checked": chain["checked"], "first_bad_seq": chain["first_bad_seq"],
                  "seq": state["audit_seq"], "hash": state["audit_hash"]},
        "schema_revision": state["revision"],
        "files": {"checked": len(stored), "damaged": bad_files, "missing": len(missing)},
        "problems": problems,
    }
