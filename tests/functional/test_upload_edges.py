"""Every upload the API takes (tender documents, sealed bids, the expert import) under hostile or careless input.

Oversize files get 413 upload.too_large; an empty file is a 400 naming the field; a file name is
only ever a display name (the store is content-addressed), so path-traversal names are reduced to
a bare file name and nothing is written outside the store; a declared content type is taken as
the client's word, not trusted (API.md restricts no type): it is kept only when it is a well-formed
media type, and downloads are attachments under nosniff. After every refusal no row and no store
file was added, and no audit event either.
"""
import csv
import hashlib
import io
import json
import uuid
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from experts.models import Expert
from trading.models import AuditEvent, Bid, BidFile, Document

from .experts.helpers import id_number
from .sealed import create_and_publish, register_and_pay, tendering_body

LIMIT = 4096
EMPTY = hashlib.sha256(b"").hexdigest()
TRAVERSAL_NAMES = [
    "../../etc/passwd",
    "/etc/passwd",
    "..\\..\\windows\\win.ini",
    "C:\\Windows\\System32\\drivers\\etc\\hosts",
    "evil\x00.pdf",
    "....//....//x.pdf",
    "..",
    "a" * 5000 + ".pdf",
    "合同\u202efdp.exe",
]


@pytest.fixture
def project(api, parties):
    project = create_and_publish(api, tendering_body(parties))
    register_and_pay(api, project, "bidder1")
    return project


@pytest.fixture
def limit(registry, monkeypatch):
    monkeypatch.setitem(registry.settings, "ggzy.upload_max_bytes", LIMIT)
    return LIMIT


@pytest.fixture
def store_root(registry):
    return Path(registry.settings["ggzy.storage_dir"])


class Snapshot:
    """Rows, audit events and store files before a call, to assert that a refusal added none of them."""

    def __init__(self, dbsession, store_root):
        self.dbsession, self.store_root = dbsession, store_root
        self.before = self.take()

    def take(self):
        counts = {model.__name__: self.dbsession.execute(select(func.count()).select_from(model)).scalar()
                  for model in (Document, Bid, BidFile, Expert, AuditEvent)}
        files = {p for p in self.store_root.rglob("*") if p.is_file()}
        return counts, files

    def unchanged(self):
        counts, files = self.take()
        assert counts == self.before[0]
        assert files == self.before[1], files - self.before[1]

    def new_files(self):
        return self.take()[1] - self.before[1]


@pytest.fixture
def snapshot(dbsession, store_root):
    return lambda: Snapshot(dbsession, store_root)


def assert_error(response, status, code):
    assert response.status_int == status
    assert response.content_type == "application/json"
    body = response.json
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code and body["error"]["message"]
    return body["error"]


def upload_document(api, project, name="招标文件.pdf", content=b"%PDF-1.7 tender document", content_type=None,
                    status=201):
    file = ("file", name, content) if content_type is None else ("file", name, content, content_type)
    return api.app.post(f"/api/v1/projects/{project['id']}/documents", params=[("kind", "tender")],
                        upload_files=[file], headers=api.headers("officer1"), status=status)


def submit(api, project, files, status=201):
    lot_id = project["lots"][0]["id"]
    fields = [("offer", json.dumps({"price": "900000.00"})), ("unlock_secret", "open sesame")]
    return api.app.post(f"/api/v1/projects/{project['id']}/lots/{lot_id}/bids", params=fields, upload_files=files,
                        headers=api.headers("bidder1"), status=status)


def import_experts(api, name, content, content_type=None, status=200):
    file = ("file", name, content) if content_type is None else ("file", name, content, content_type)
    return api.app.post("/api/v1/experts/import", upload_files=[file], headers=api.headers("admin1"), status=status)


def experts_csv(rows=1):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["name", "id_number", "phone", "employer_name", "employer_uscc", "specialties", "region_code", "title"])
    for index in range(rows):
        writer.writerow([f"专家{index}", id_number(serial=index + 1), "13800000000", "某设计院", "", "A01", "330100",
                         "高级工程师"])
    return out.getvalue().encode("utf-8")


def assert_safe_name(name):
    assert name and len(name) <= 200
    assert "/" not in name and "\\" not in name and "\x00" not in name and "\u202e" not in name
    assert not name.startswith(".")


# --- oversize --------------------------------------------------------------------------------------


def test_a_document_just_over_the_limit_is_413_and_nothing_is_stored(api, project, limit, snapshot):
    before = snapshot()
    assert_error(upload_document(api, project, content=b"%PDF-" + b"x" * (limit - 4), status=413), 413,
                 "upload.too_large")
    before.unchanged()
    assert upload_document(api, project, content=b"%PDF-" + b"x" * (limit - 5)).json["size"] == limit


def test_a_body_far_over_the_limit_is_refused_from_its_length(api, project, limit, snapshot):
    before = snapshot()
    assert_error(upload_document(api, project, content=b"x" * (limit + 1024 * 1024 + 1), status=413), 413,
                 "upload.too_large")
    before.unchanged()


@pytest.mark.parametrize("sizes", [[LIMIT + 1], [LIMIT // 2, LIMIT // 2 + 1]], ids=["one file", "together"])
def test_bid_files_over_the_limit_are_413_and_nothing_is_sealed(api, project, limit, snapshot, sizes):
    before = snapshot()
    files = [("files", f"part{i}.txt", bytes([65 + i]) * size) for i, size in enumerate(sizes)]
    assert_error(submit(api, project, files, status=413), 413, "upload.too_large")
    before.unchanged()


def test_an_expert_import_over_the_limit_is_413_and_nobody_is_imported(api, parties, limit, snapshot):
    before = snapshot()
    content = experts_csv() + b"#" * LIMIT
    assert_error(import_experts(api, "experts.csv", content, status=413), 413, "upload.too_large")
    before.unchanged()


# --- path-traversal names --------------------------------------------------------------------------


@pytest.mark.parametrize("name", TRAVERSAL_NAMES, ids=range(len(TRAVERSAL_NAMES)))
def test_a_document_name_is_only_a_display_name(api, project, snapshot, store_root, name):
    before = snapshot()
    content = f"%PDF-1.7 {uuid.uuid4()}".encode()
    body = upload_document(api, project, name=name, content=content).json
    assert_safe_name(body["name"])
    # the only file written is the content under its hash, inside the store
    (written,) = before.new_files()
    assert written == store_root / body["sha256"][:2] / body["sha256"][2:4] / body["sha256"]
    assert written.read_bytes() == content
    response = api.get(f"documents/{body['id']}/content", as_user="officer1")
    assert response.body == content
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "/" not in disposition.split("filename*=")[0]


def test_names_aimed_outside_the_store_write_nothing_there(api, project, store_root):
    marker = f"ggzy-escape-{uuid.uuid4().hex}"
    targets = [store_root.parent / marker, store_root.parent.parent / marker, Path("/tmp") / marker]
    names = [f"../{marker}", f"../../{marker}", f"/tmp/{marker}", f"..\\..\\{marker}"]
    for name in names:
        upload_document(api, project, name=name, content=f"%PDF- {name}".encode())
    submit(api, project, [("files", name, f"bid file {name}".encode()) for name in names[:1]])
    assert [t for t in targets if t.exists()] == []


@pytest.mark.parametrize("name", TRAVERSAL_NAMES, ids=range(len(TRAVERSAL_NAMES)))
def test_a_bid_file_name_is_only_a_display_name(api, project, snapshot, store_root, name):
    before = snapshot()
    bid = submit(api, project, [("files", name, b"technical proposal")]).json
    (file,) = bid["files"]
    assert_safe_name(file["name"])
    written = before.new_files()
    assert written and all(p.parent.parent.parent == store_root for p in written)


def test_two_bid_files_whose_names_reduce_to_one_are_400(api, project, snapshot):
    before = snapshot()
    error = assert_error(submit(api, project, [("files", "../a/offer.pdf", b"one"), ("files", "b\\offer.pdf", b"two")],
                                status=400), 400, "request.invalid")
    assert [d["field"] for d in error["details"]] == ["files"]
    before.unchanged()


def test_the_expert_import_reads_a_traversal_name_as_a_name_only(api, parties, store_root, snapshot):
    before = snapshot()
    result = import_experts(api, "../../../etc/experts.csv", experts_csv()).json
    assert result["created"] == 1, result
    assert before.new_files() == set()


# --- empty files -----------------------------------------------------------------------------------


def test_an_empty_document_is_400_and_nothing_is_stored(api, project, snapshot, store_root):
    before = snapshot()
    error = assert_error(upload_document(api, project, content=b"", status=400), 400, "request.invalid")
    assert [d["field"] for d in error["details"]] == ["file"]
    before.unchanged()
    assert not (store_root / EMPTY[:2] / EMPTY[2:4] / EMPTY).exists()


def test_an_empty_bid_file_is_400_naming_it_and_nothing_is_sealed(api, project, snapshot):
    before = snapshot()
    error = assert_error(submit(api, project, [("files", "a.pdf", b"content"), ("files", "b.pdf", b"")], status=400),
                         400, "request.invalid")
    assert [d["field"] for d in error["details"]] == ["files[1]"]
    before.unchanged()


def test_an_empty_expert_import_is_400(api, parties, snapshot):
    before = snapshot()
    error = assert_error(import_experts(api, "experts.csv", b"", status=400), 400, "request.invalid")
    assert [d["field"] for d in error["details"]] == ["file"]
    before.unchanged()


@pytest.mark.parametrize("call", ["document", "bid", "import"])
def test_a_text_field_where_a_file_belongs_is_400(api, project, snapshot, call):
    before = snapshot()
    headers = api.headers({"document": "officer1", "bid": "bidder1", "import": "admin1"}[call])
    if call == "document":
        url, params = f"/api/v1/projects/{project['id']}/documents", [("kind", "tender"), ("file", "not a file")]
    elif call == "bid":
        url = f"/api/v1/projects/{project['id']}/lots/{project['lots'][0]['id']}/bids"
        params = [("offer", json.dumps({"price": "1.00"})), ("unlock_secret", "open sesame"), ("files", "x")]
    else:
        url, params = "/api/v1/experts/import", [("file", "name,id_number")]
    response = api.app.post(url, params=params, headers=headers, content_type="multipart/form-data", status=400)
    assert_error(response, 400, "request.invalid")
    before.unchanged()


# --- declared content types ------------------------------------------------------------------------


def test_a_document_declared_as_pdf_is_kept_but_served_as_an_attachment_under_nosniff(api, project):
    content = b"MZ\x90\x00 not a PDF at all <script>alert(1)</script>"
    body = upload_document(api, project, name="招标文件.pdf", content=content, content_type="application/pdf").json
    response = api.get(f"documents/{body['id']}/content", as_user="officer1")
    assert response.body == content
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("declared, stored", [
    ("text/html", "text/html"),
    ("Application/PDF", "application/pdf"),
    ("nonsense", "application/octet-stream"),
    ("text/html, application/pdf", "application/octet-stream"),
    ("a" * 120 + "/pdf", "application/octet-stream"),
])
def test_a_declared_type_is_kept_only_when_well_formed(api, project, declared, stored):
    content = f"<html><body>{uuid.uuid4()}</body></html>".encode()
    body = upload_document(api, project, name="page.html", content=content, content_type=declared).json
    assert body["content_type"] == stored
    response = api.get(f"documents/{body['id']}/content", as_user="officer1")
    assert response.content_type == stored
    assert response.headers["Content-Disposition"].startswith("attachment;")


def test_a_bid_file_of_any_declared_type_is_sealed_with_its_plain_hash(api, project, dbsession):
    content = b"\x7fELF not what it claims"
    bid = submit(api, project, [("files", "offer.pdf", content, "application/pdf")]).json
    assert bid["files"][0]["sha256"] == hashlib.sha256(content).hexdigest()
    stored = dbsession.execute(select(BidFile).where(BidFile.sha256 == bid["files"][0]["sha256"])).scalar_one()
    assert stored.content_type == "application/pdf"


@pytest.mark.parametrize("name, content, content_type", [
    ("experts.xlsx", b"PK\x03\x04 not a workbook", None),
    ("experts.csv", "姓名".encode("gbk") + b",id_number\n", "text/csv"),
    ("experts.csv", b"\x00\x01\x02\xff", "application/pdf"),
    ("experts.zip", "empty zip", "application/zip"),
], ids=["zip that is no workbook", "gbk csv", "binary", "empty zip"])
def test_an_expert_import_that_is_neither_csv_nor_xlsx_is_400(api, parties, snapshot, name, content, content_type):
    if content == "empty zip":
        buffer = io.BytesIO()
        zipfile.ZipFile(buffer, "w").close()
        content = buffer.getvalue()
    before = snapshot()
    error = assert_error(import_experts(api, name, content, content_type=content_type, status=400), 400,
                         "request.invalid")
    assert [d["field"] for d in error["details"]] == ["file"]
    before.unchanged()


def test_an_expert_import_is_judged_by_its_content_not_its_declared_type(api, parties):
    result = import_experts(api, "experts.csv", experts_csv(), content_type="application/pdf").json
    assert result["created"] == 1 and result["errors"] == [], result


def test_a_policy_sent_as_a_file_is_400_until_the_library_takes_files(api, parties, snapshot, dbsession):
    from trading.models import Policy

    policies = dbsession.execute(select(func.count()).select_from(Policy)).scalar()
    before = snapshot()
    response = api.app.post("/api/v1/policies", params=[("title", "招标投标法")],
                            upload_files=[("file", "../../policy.pdf", b"%PDF-1.7 law")], headers=api.headers("admin1"),
                            status=400)
    assert_error(response, 400, "request.invalid")
    before.unchanged()
    assert dbsession.execute(select(func.count()).select_from(Policy)).scalar() == policies
