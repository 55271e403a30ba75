"""`ggzy backup` and `ggzy restore`: a site restored into a fresh one verifies, a damaged backup is refused."""
import hashlib
import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from pyramid.paster import get_appsettings
from sqlalchemy import text

from trading import testing
from trading.config import configure
from trading.models import get_engine

from ..conftest import BACKENDS, PASSWORD
from .sealed import Parties, register_and_pay, submit_bid, tendering_body

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
BANK_SECRET = "development-bank-secret"  # development.ini's
DOCUMENT = "招标文件：城东污水处理厂扩建工程 backup-test".encode()

pytestmark = pytest.mark.slow


def ggzy(*args, check=True):
    result = subprocess.run([str(BIN / "ggzy"), *map(str, args)], capture_output=True, text=True, timeout=300, check=False)
    if check and result.returncode != 0:
        raise AssertionError(f"ggzy {' '.join(map(str, args))} exited {result.returncode}: {result.stderr}")
    return result


class Site:
    """A copy of development.ini in its own folder, on SQLite there or on a PostgreSQL database of its own."""

    def __init__(self, folder, backend):
        self.folder = folder
        self.pg_name = None
        (folder / "var").mkdir(parents=True)
        # English messages, so that the assertions on what the command prints do not depend on the catalogs
        text = (ROOT / "development.ini").read_text(encoding="utf-8").replace(
            "ggzy.default_locale = zh_CN", "ggzy.default_locale = en")
        if backend == "postgresql":
            self.pg_name, url = testing.create_pg_database("ggzy_backup")
            text = "\n".join(f"sqlalchemy.url = {url}" if line.startswith("sqlalchemy.url") else line
                             for line in text.splitlines()) + "\n"
        self.ini = folder / "development.ini"
        self.ini.write_text(text, encoding="utf-8")
        self.store = folder / "var" / "files"
        self._config = None

    def app(self):
        """The site's app in this process, on the manual clock, with cheap argon2: (registry, Api)."""
        if self._config is None:
            settings = {**get_appsettings(str(self.ini), name="main"), "ggzy.scheduler": "off", "ggzy.clock": "manual",
                        **testing.FAST_SETTINGS}
            self._config = configure(settings)
            self._app = self._config.make_wsgi_app()
            self._config.registry["clock"].reset(testing.TEST_START)
        return self._config.registry, testing.Api(self._app, {"REMOTE_ADDR": "127.0.0.1"})

    def close(self):
        if self._config is not None:
            self._config.registry["dbengine"].dispose()
            self._config = None
        if self.pg_name:
            testing.drop_pg_database(self.pg_name)


@pytest.fixture(scope="module")
def site_folders(tmp_path_factory):
    made = []

    def make(name, backend):
        site = Site(tmp_path_factory.mktemp(name), backend)
        made.append(site)
        return site

    yield make
    for site in made:
        site.close()


@pytest.fixture
def make_site(site_folders):
    return site_folders


class Source:
    def __init__(self, site, data, backup_dir, manifest):
        self.site, self.data, self.backup_dir, self.manifest = site, data, backup_dir, manifest


@pytest.fixture(scope="module")
def sources(site_folders, tmp_path_factory):
    """A used site and its backup, per backend, built once for the module (no test changes them)."""
    built = {}

    def get(backend):
        if backend not in built:
            site = site_folders("source", backend)
            ggzy("initdb", site.ini)
            data = build_data(site)
            backup_dir = tmp_path_factory.mktemp("backup")
            manifest = json.loads(ggzy("backup", site.ini, backup_dir).stdout)
            built[backend] = Source(site, data, backup_dir, manifest)
        return built[backend]

    return get


def build_data(site):
    """Users, a published project with a tender document, and sealed bids with files; returns what to look for."""
    registry, api = site.app()

    def script(**kw):
        return testing.ScriptRequest(registry, registry["dbsession_factory"], **kw)

    parties = Parties(api, script)
    project = api.post("projects", tendering_body(parties), as_user="officer1", status=201).json
    document = api.app.post(f"/api/v1/projects/{project['id']}/documents", params=[("kind", "tender")],
                            upload_files=[("file", "招标文件.txt", DOCUMENT)], headers=api.headers("officer1"),
                            status=201).json
    project = api.post(f"projects/{project['id']}/publish", as_user="officer1", status=200).json
    bids = []
    for username, _org in parties.bidders:
        register_and_pay(api, project, username, secret=BANK_SECRET)
        bids.append(submit_bid(api, project, username, "900000.00").json)
    registry["dbengine"].dispose()
    return {"project": project, "document": document, "bids": bids}


def fetch(site, sql, **params):
    """Rows straight from the site's database, not through the app."""
    engine = get_engine({"sqlalchemy.url": get_appsettings(str(site.ini), name="main")["sqlalchemy.url"]})
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql), params)]
    finally:
        engine.dispose()


def store_files(root):
    return sorted(p for p in Path(root).rglob("*") if p.is_file() and not p.name.startswith("."))


@pytest.fixture(params=BACKENDS)
def backend(request):
    return request.param


def test_a_backup_restores_into_a_fresh_site_that_verifies(make_site, sources, backend):
    built = sources(backend)
    source, data, backup_dir, out = built.site, built.data, built.backup_dir, built.manifest
    manifest = json.loads((backup_dir / "manifest.json").read_text(encoding="utf-8"))
    assert out["database"] == manifest["database"] == {
        "kind": backend, "method": "sqlite" if backend == "sqlite" else "pg_dump",
        "file": "database.sqlite" if backend == "sqlite" else "database.pgdump"}
    assert manifest["schema_revision"] and manifest["audit"]["seq"] > 0 and len(manifest["audit"]["hash"]) == 64
    files = store_files(source.store)
    assert manifest["files"] == {"count": len(files), "total_bytes": sum(p.stat().st_size for p in files)}
    # the document, and each bid's encrypted file
    assert manifest["files"]["count"] >= 1 + len(data["bids"])
    for path, digest in manifest["sha256"].items():
        assert hashlib.sha256((backup_dir / path).read_bytes()).hexdigest() == digest

    target = make_site("target", backend)
    report = json.loads(ggzy("restore", target.ini, backup_dir).stdout)
    assert report["ok"] and report["audit"]["ok"]
    assert (report["audit"]["seq"], report["audit"]["hash"]) == (manifest["audit"]["seq"], manifest["audit"]["hash"])
    assert report["files"] == {"checked": manifest["files"]["count"], "damaged": 0, "missing": 0}
    assert [p.relative_to(target.store) for p in store_files(target.store)] == \
        [p.relative_to(source.store) for p in files]
    assert json.loads(ggzy("audit-verify", target.ini).stdout.splitlines()[-1])["ok"] is True

    # known rows, read through the restored site's own app
    project_id = data["project"]["id"]
    assert fetch(target, "SELECT title, status FROM projects WHERE id = :id", id=project_id) == [
        (data["project"]["title"], "announced")]
    _registry, api = target.app()
    api.login("officer1", PASSWORD)
    assert api.get(f"projects/{project_id}").json["title"] == data["project"]["title"]
    content = api.get(f"documents/{data['document']['id']}/content", as_user="officer1")
    assert content.body == DOCUMENT
    api.login("bidder1", PASSWORD)
    mine = api.get(f"bids/{data['bids'][0]['id']}", as_user="bidder1").json
    assert mine["status"] == "sealed" and mine["receipt_hash"] == data["bids"][0]["receipt_hash"]

    # the target now holds data: a second restore needs --force
    again = ggzy("restore", target.ini, backup_dir, check=False)
    assert again.returncode == 1 and "--force" in again.stderr
    assert json.loads(ggzy("restore", target.ini, backup_dir, "--force").stdout)["ok"] is True


def test_a_second_backup_into_the_same_directory_copies_only_new_files(make_site, sources, tmp_path):
    # a copy of the used site, so that the shared one stays as its backup describes it
    original = sources("sqlite")
    site = make_site("site", "sqlite")
    shutil.copytree(original.site.folder / "var", site.folder / "var", dirs_exist_ok=True)
    backup_dir = tmp_path / "backup"
    shutil.copytree(original.backup_dir, backup_dir)
    before = {p: p.stat().st_mtime_ns for p in store_files(backup_dir / "files")}
    registry, api = site.app()
    api.login("officer1", PASSWORD)
    project = api.get("projects").json["items"][0]
    api.app.post(f"/api/v1/projects/{project['id']}/documents", params=[("kind", "other")],
                 upload_files=[("file", "补充.txt", b"a later file")], headers=api.headers("officer1"), status=201)
    registry["dbengine"].dispose()
    manifest = json.loads(ggzy("backup", site.ini, backup_dir).stdout)
    after = {p: p.stat().st_mtime_ns for p in store_files(backup_dir / "files")}
    assert manifest["files"]["count"] == len(after) == len(before) + 1
    assert all(after[p] == mtime for p, mtime in before.items())  # not copied again


@pytest.fixture
def sqlite_backup(sources):
    return sources("sqlite").backup_dir


def test_a_tampered_database_file_is_detected_and_nothing_is_restored(make_site, tmp_path, sqlite_backup):
    tampered = tmp_path / "tampered"
    shutil.copytree(sqlite_backup, tampered)
    with sqlite3.connect(tampered / "database.sqlite") as db:
        db.execute("UPDATE audit_events SET ip = '6.6.6.6' WHERE seq = 2")
    db.close()
    target = make_site("target", "sqlite")
    out = ggzy("restore", target.ini, tampered, check=False)
    assert out.returncode == 1
    assert "damaged" in out.stderr and "database.sqlite" in out.stderr
    assert not (target.folder / "var" / "ggzy.sqlite").exists()


def test_a_tampered_stored_file_in_the_backup_is_named(make_site, tmp_path, sqlite_backup):
    tampered = tmp_path / "tampered"
    shutil.copytree(sqlite_backup, tampered)
    victim = store_files(tampered / "files")[0]
    victim.write_bytes(b"not what was stored")
    out = ggzy("restore", make_site("target", "sqlite").ini, tampered, check=False)
    assert out.returncode == 1 and victim.name in out.stderr


def test_a_damaged_file_already_in_the_target_store_fails_the_verification(make_site, sqlite_backup):
    target = make_site("target", "sqlite")
    ggzy("restore", target.ini, sqlite_backup)
    victim = store_files(target.store)[0]
    victim.write_bytes(b"bit rot")
    out = ggzy("restore", target.ini, sqlite_backup, "--force", check=False)
    assert out.returncode == 1 and victim.name in out.stderr
    assert json.loads(out.stdout)["files"]["damaged"] == 1


def test_a_restore_without_a_backup_says_so(make_site, tmp_path):
    out = ggzy("restore", make_site("target", "sqlite").ini, tmp_path / "nothing", check=False)
    assert out.returncode == 1 and "manifest.json" in out.stderr


def test_a_logical_backup_moves_a_site_between_databases(make_site, sources, tmp_path):
    source, data = sources("sqlite").site, sources("sqlite").data
    backup_dir = tmp_path / "logical"
    manifest = json.loads(ggzy("backup", source.ini, backup_dir, "--logical").stdout)
    assert manifest["database"]["method"] == "logical"
    target = make_site("target", "postgresql" if "postgresql" in BACKENDS else "sqlite")
    report = json.loads(ggzy("restore", target.ini, backup_dir).stdout)
    assert report["ok"] and report["audit"]["seq"] == manifest["audit"]["seq"]
    _registry, api = target.app()
    api.login("officer1", PASSWORD)
    assert api.get(f"projects/{data['project']['id']}").json["lots"][0]["budget"] == "1000000.00"
    assert api.get(f"documents/{data['document']['id']}/content", as_user="officer1").body == DOCUMENT


def test_a_manifest_naming_a_file_outside_the_store_layout_is_refused(make_site, tmp_path, sqlite_backup):
    tampered = tmp_path / "tampered"
    shutil.copytree(sqlite_backup, tampered)
    manifest = json.loads((tampered / "manifest.json").read_text(encoding="utf-8"))
    database = manifest["sha256"]["database.sqlite"]
    manifest["sha256"]["files/../database.sqlite"] = database
    manifest["files"]["count"] += 1
    (tampered / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    target = make_site("target", "sqlite")
    out = ggzy("restore", target.ini, tampered, check=False)
    assert out.returncode == 1 and "files/../database.sqlite" in out.stderr
    assert not (target.folder / "var" / "database.sqlite").exists()
