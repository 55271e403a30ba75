"""Documents in the content-addressed store, audited downloads, anonymous questions with public answers."""
import hashlib

import pytest
from sqlalchemy import select

from trading.models import AuditEvent

from .sealed import Parties, at, create_and_publish, register_and_pay, set_clock, tendering_body


@pytest.fixture
def parties(api, script):
    return Parties(api, script)


@pytest.fixture
def project(api, parties):
    return create_and_publish(api, tendering_body(parties))


def upload(api, project, content=b"tender document body", name="招标文件.pdf", kind="tender", status=201, user="officer1"):
    return api.app.post(f"/api/v1/projects/{project['id']}/documents", params=[("kind", kind)],
                        upload_files=[("file", name, content)], headers=api.headers(user), status=status)


def test_officer_uploads_and_anyone_lists_the_metadata(api, project):
    body = upload(api, project).json
    assert body["sha256"] == hashlib.sha256(b"tender document body").hexdigest()
    assert body["size"] == 20 and body["name"] == "招标文件.pdf"
    listed = api.get(f"projects/{project['id']}/documents").json["items"]
    assert [d["id"] for d in listed] == [body["id"]]


def test_upload_over_the_limit_is_413(api, project, registry):
    registry.settings["ggzy.upload_max_bytes"] = 1000
    try:
        upload(api, project, content=b"y" * 1000, status=201)  # the limit itself is allowed
        response = upload(api, project, content=b"x" * 1001, status=413)
    finally:
        registry.settings["ggzy.upload_max_bytes"] = 104857600
    assert response.json["error"]["code"] == "upload.too_large"


def test_path_traversal_names_are_reduced_to_a_file_name(api, project):
    body = upload(api, project, name="../../etc/passwd").json
    assert body["name"] == "passwd"


def test_empty_upload_and_unknown_kind_are_400(api, project):
    upload(api, project, content=b"", status=400)
    upload(api, project, kind="secret", status=400)


def test_registered_bidder_downloads_and_the_download_is_audited(api, project, dbsession):
    document = upload(api, project).json
    api.get(f"documents/{document['id']}/content", as_user="bidder1", status=403)
    register_and_pay(api, project, "bidder1")
    response = api.get(f"documents/{document['id']}/content", as_user="bidder1")
    assert response.body == b"tender document body"
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    events = dbsession.execute(select(AuditEvent).where(AuditEvent.action == "document.download")).scalars().all()
    assert [e.object_id for e in events] == [document["id"]]


def test_download_only_while_documents_are_on_offer(api, project):
    document = upload(api, project).json
    register_and_pay(api, project, "bidder1")
    set_clock(api, at(8, 17, 1))
    response = api.get(f"documents/{document['id']}/content", as_user="bidder1", status=409)
    assert response.json["error"]["code"] == "document.not_on_offer"
    api.get(f"documents/{document['id']}/content", as_user="inspector1", status=200)


def test_anonymous_download_is_401(api, project):
    document = upload(api, project).json
    api.get(f"documents/{document['id']}/content", status=401)


def test_questions_are_anonymous_and_answers_public(api, project):
    register_and_pay(api, project, "bidder1")
    asked = api.post(f"projects/{project['id']}/questions", {"text": "工期是否可以调整？"}, as_user="bidder1",
                     status=201).json
    api.post(f"questions/{asked['id']}/answer", {"text": "工期不可调整。"}, as_user="officer1")
    public = api.get(f"projects/{project['id']}/questions").json["items"]
    assert public[0]["answer"] == "工期不可调整。" and "asked_by" not in public[0]
    assert "asked_by" in api.get(f"projects/{project['id']}/questions", as_user="inspector1").json["items"][0]


def test_unregistered_bidder_cannot_ask(api, project):
    api.post(f"projects/{project['id']}/questions", {"text": "?"}, as_user="bidder2", status=403)


def test_questions_close_at_questions_until(api, project):
    register_and_pay(api, project, "bidder1")
    set_clock(api, at(21, 9, 30))
    response = api.post(f"projects/{project['id']}/questions", {"text": "太晚了吗？"}, as_user="bidder1", status=409)
    assert response.json["error"]["code"] == "question.closed"
