"""Bidder pages: self-registration, the workspace, registering and paying, documents, questions, sealed bids."""
import hashlib
import json
import re

import pytest
from sqlalchemy import select
from webtest import TestApp

from trading.demo import full_uscc
from trading.models import AuditEvent, Bid, Organization

from ..conftest import PASSWORD
from .sealed import (Parties, at, bank_notice, create_and_publish, procurement_body, register_and_pay,
                     set_clock, submit_bid, tendering_body)
from .test_pages import csrf_of

SECRET = "kept in the safe 2026"


@pytest.fixture
def parties(api, script):
    return Parties(api, script)


@pytest.fixture
def project(api, parties):
    return create_and_publish(api, tendering_body(parties))


def browser(api):
    """A browser of its own, so that the api's app stays cookie-less for bearer-token and bank calls."""
    return TestApp(api.app.app, extra_environ=api.app.extra_environ)


def log_in(api, username):
    client = browser(api)
    form = client.get("/login")
    client.post("/login", {"username": username, "password": PASSWORD, "csrf_token": csrf_of(form)}, status=303)
    return client


def page_url(project):
    return f"/bidder/projects/{project['id']}"


def post_action(client, project, action, status=303, upload_files=None, **fields):
    page = client.get(page_url(project))
    params = [("csrf_token", csrf_of(page)), ("action", action)]
    for name, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            params.append((name, item))
    return client.post(page_url(project), params=params, upload_files=upload_files, status=status)


def submit_through_page(client, project, price="950,000.5", secret=SECRET, confirm=None, files=None, status=303,
                        **extra):
    files = files if files is not None else [("files", "技术标.pdf", b"technical proposal"),
                                             ("files", "商务标.xlsx", b"commercial proposal")]
    return post_action(client, project, "submit", status=status, upload_files=files, lot_id=project["lots"][0]["id"],
                       price=price, unlock_secret=secret, unlock_secret_confirm=secret if confirm is None else confirm,
                       **extra)


def actions(dbsession, action, object_id=None):
    query = select(AuditEvent).where(AuditEvent.action == action)
    if object_id is not None:
        query = query.where(AuditEvent.object_id == object_id)
    return dbsession.execute(query).scalars().all()


def upload_document(api, project, content=b"tender document body", name="招标文件.pdf"):
    return api.app.post(f"/api/v1/projects/{project['id']}/documents", params=[("kind", "tender")],
                        upload_files=[("file", name, content)], headers=api.headers("officer1"), status=201).json


def registration_values(**over):
    values = {"name": "城南建设工程有限公司", "uscc": full_uscc("91330100MA2X00001"), "legal_representative": "王五",
              "contact_name": "赵六", "phone": "0571-88001234", "email": "zhao@example.com", "username": "chengnan",
              "password": "a long enough password", "password_confirm": "a long enough password"}
    values.update(over)
    return values


def wrong_check_character(code):
    return code[:-1] + ("0" if code[-1] != "0" else "1")


# --- organisation self-registration ----------------------------------------------------------


def test_an_organisation_with_a_wrong_check_character_is_told_at_the_uscc_field_then_registers_and_lands_logged_in(
        api, dbsession):
    client = browser(api)
    form = client.get("/register")
    for name in ("name", "uscc", "legal_representative", "contact_name", "phone", "email", "username", "password",
                 "password_confirm"):
        assert f'<label for="{name}">' in form.text and f'id="{name}"' in form.text
    good = registration_values()
    refused = client.post("/register", {**good, "uscc": wrong_check_character(good["uscc"]),
                                        "csrf_token": csrf_of(form)}, status=422)
    assert 'id="uscc-error"' in refused.text
    field = re.search(r'<input id="uscc"[^>]*>', refused.text).group(0)
    assert 'aria-invalid="true"' in field and "uscc-error" in field
    assert "not valid" in refused.text.split('id="uscc-error"')[1].split("</p>")[0]
    assert 'value="城南建设工程有限公司"' in refused.text  # what was typed stays
    assert dbsession.execute(select(Organization).where(Organization.name == good["name"])).first() is None

    landed = client.post("/register", {**good, "csrf_token": csrf_of(refused)}, status=303)
    assert landed.location.endswith("/bidder")
    workspace = landed.follow()
    assert "城南建设工程有限公司" in workspace.text and "Log out" in workspace.text and "chengnan" in workspace.text
    assert "is registered and you are logged in" in workspace.text
    assert actions(dbsession, "organization.register") and actions(dbsession, "user.register")


def test_registration_shows_a_weak_password_and_a_mismatch_at_their_fields(api):
    client = browser(api)
    form = client.get("/register")
    weak = client.post("/register", {**registration_values(password="short", password_confirm="short"),
                                     "csrf_token": csrf_of(form)}, status=422)
    assert 'id="password-error"' in weak.text and "at least 10 characters" in weak.text
    mismatch = client.post("/register", {**registration_values(password_confirm="something else entirely"),
                                         "csrf_token": csrf_of(form)}, status=400)
    assert 'id="password_confirm-error"' in mismatch.text
    missing = client.post("/register", {**registration_values(email="", legal_representative=""),
                                        "csrf_token": csrf_of(form)}, status=400)
    assert 'id="email-error"' in missing.text and 'id="legal_representative-error"' in missing.text


def test_a_known_uscc_is_refused_at_the_uscc_field(api, users):
    client = browser(api)
    form = client.get("/register")
    known = full_uscc("91330100MA2T00001")  # the users fixture's organisation
    refused = client.post("/register", {**registration_values(uscc=known), "csrf_token": csrf_of(form)}, status=409)
    assert 'id="uscc-error"' in refused.text and "org.exists" in refused.text


def test_registration_without_csrf_token_is_refused(api):
    client = browser(api)
    client.get("/register")
    client.post("/register", registration_values(), status=403)


# --- the workspace and access ------------------------------------------------------------------


def test_workspace_needs_a_bidder(api, users):
    assert "/login" in browser(api).get("/bidder", status=302).location
    log_in(api, "officer").get("/bidder", status=403)


def test_workspace_lists_projects_open_for_registration_with_both_links(api, project):
    page = log_in(api, "bidder1").get("/bidder")
    assert project["title"] in page.text
    assert f'href="/bidder/projects/{project["id"]}"' in page.text
    assert f'href="/projects/{project["id"]}"' in page.text


# --- the whole sealed-bid walk through the pages ---------------------------------------------


def test_bidder_registers_pays_downloads_asks_bids_withdraws_resubmits_and_decrypts_through_the_pages(
        api, parties, project, dbsession):
    document = upload_document(api, project)
    client = log_in(api, "bidder1")
    lot_id = project["lots"][0]["id"]

    # register for the lot: pending deposit, with the virtual account and the amount due
    registered = post_action(client, project, "register", lot_ids=[lot_id]).follow()
    assert "pending_deposit" in registered.text
    account = re.search(r'<code class="account">(\d+)</code>', registered.text).group(1)
    assert "20000.00" in registered.text
    # before registration documents had no link; the rule is shown
    assert "while they are on offer" in registered.text

    bank_notice(api, "test-bank-secret", account, "20000.00", "ref-page-1")
    page = client.get(page_url(project))
    assert re.search(r'class="status status-qualified">Qualified<', page.text)
    workspace = client.get("/bidder")
    assert account in workspace.text and "qualified" in workspace.text

    # the document link is the API's content route, which audits the download
    link = f'/api/v1/documents/{document["id"]}/content'
    assert f'href="{link}"' in page.text
    assert client.get(link).body == b"tender document body"
    assert [e.object_id for e in actions(dbsession, "document.download")] == [document["id"]]

    # a question, answered publicly
    asked = post_action(client, project, "ask", text="工期是否可以调整？").follow()
    assert "工期是否可以调整？" in asked.text and "Not answered yet." in asked.text
    question_id = actions(dbsession, "question.ask")[0].object_id
    api.post(f"questions/{question_id}/answer", {"text": "工期不可调整。"}, as_user="officer1")
    assert "工期不可调整。" in client.get(page_url(project)).text

    # a sealed bid with two files; the receipt page shows what the receipt covers
    submitted = submit_through_page(client, project)
    receipt = submitted.follow()
    bid_id = submitted.location.rsplit("/", 1)[1]
    bid = dbsession.get(Bid, bid_id)
    assert bid.status == "sealed" and [f.name for f in bid.files] == ["技术标.pdf", "商务标.xlsx"]
    for content in (b"technical proposal", b"commercial proposal"):
        assert hashlib.sha256(content).hexdigest() in receipt.text
    assert bid.receipt_hash in receipt.text and bid_id in receipt.text
    assert f'href="/api/v1/bids/{bid_id}/receipt.pdf"' in receipt.text
    assert client.get(f"/api/v1/bids/{bid_id}/receipt.pdf").body.startswith(b"%PDF")
    assert "Your bid is sealed" in receipt.text
    assert SECRET not in receipt.text

    # withdraw, then submit again
    post_action(client, project, "withdraw", bid_id=bid_id)
    dbsession.expire_all()
    assert dbsession.get(Bid, bid_id).status == "withdrawn"
    again = submit_through_page(client, project, price="950000.50")
    new_id = again.location.rsplit("/", 1)[1]
    assert new_id != bid_id and dbsession.get(Bid, new_id).status == "sealed"

    # two more bidders, so that the lot reaches the method's minimum and is opened
    for username in ("bidder2", "bidder3"):
        register_and_pay(api, project, username)
        submit_bid(api, project, username, "990000.00")
    set_clock(api, at(21, 9, 30))
    opening = client.get(page_url(project))
    assert 'id="unlock_secret-' + new_id + '"' in opening.text and "Decrypt my bid" in opening.text
    assert 'id="unlock_secret-' + bid_id + '"' not in opening.text  # the withdrawn bid has no decrypt form
    assert "0 of 3 bids decrypted" in opening.text

    # a wrong secret: shown at the form, committed to the audit trail, and a retry is possible
    wrong = post_action(client, project, "decrypt", status=422, bid_id=new_id, unlock_secret="not the secret")
    assert "does not open this bid" in wrong.text and "bid.unlock_failed" in wrong.text
    assert 'id="unlock_secret-' + new_id + '"' in wrong.text
    assert [e.object_id for e in actions(dbsession, "bid.unlock_failed")] == [new_id]

    opened = post_action(client, project, "decrypt", bid_id=new_id, unlock_secret=SECRET).follow()
    assert "950000.50" in opened.text
    dbsession.expire_all()
    assert dbsession.get(Bid, new_id).status == "opened"
    assert "950000.50" in client.get(f"/bidder/bids/{new_id}").text

    # after the close: the opening record, on its public page and as PDF
    set_clock(api, at(21, 10, 0))
    closed = client.get(page_url(project))
    assert f'href="/projects/{project["id"]}/opening"' in closed.text
    assert f'href="/api/v1/projects/{project["id"]}/opening/record.pdf"' in closed.text


def test_another_bidder_gets_404_for_a_bid_page_and_the_attempt_is_audited(api, parties, project, dbsession):
    register_and_pay(api, project, "bidder1")
    bid_id = submit_bid(api, project, "bidder1", "950000.00").json["id"]
    owner = log_in(api, "bidder1")
    assert bid_id in owner.get(f"/bidder/bids/{bid_id}").text
    intruder = log_in(api, "bidder2")
    refused = intruder.get(f"/bidder/bids/{bid_id}", status=404)
    assert refused.content_type == "text/html"
    events = actions(dbsession, "sealed.access_denied", bid_id)
    assert len(events) == 1 and json.loads(events[0].data)["path"] == f"/bidder/bids/{bid_id}"


def test_withdrawing_someone_elses_bid_through_the_form_is_404_and_audited(api, parties, project, dbsession):
    register_and_pay(api, project, "bidder1")
    bid_id = submit_bid(api, project, "bidder1", "950000.00").json["id"]
    intruder = log_in(api, "bidder2")
    post_action(intruder, project, "withdraw", status=404, bid_id=bid_id)
    assert len(actions(dbsession, "sealed.access_denied", bid_id)) == 1
    assert dbsession.get(Bid, bid_id).status == "sealed"


# --- refusals shown in the page ----------------------------------------------------------------


def test_invited_tendering_refusal_is_shown_at_the_registration_form(api, parties, script):
    from trading.services import accounts

    with script() as request:
        org = accounts.create_organization(request, name="未受邀公司", uscc=full_uscc("91330100MA2C99999"), kind="bidder")
        accounts.create_user(request, username="outsider", password=PASSWORD, role="bidder", org_id=org.id)
    body = tendering_body(parties, method="tendering.invited",
                          params={"evaluation": "lowest_price", "invitees": [b[1] for b in parties.bidders]})
    project = create_and_publish(api, body)
    client = log_in(api, "outsider")
    page = client.get(page_url(project))
    assert "only the organisations the tenderer invited may register" in page.text
    refused = post_action(client, project, "register", status=403, lot_ids=[project["lots"][0]["id"]])
    assert 'role="alert"' in refused.text and "registration.not_invited" in refused.text
    assert "Only the organisations invited by the tenderer may register." in refused.text


def test_registration_after_the_deadline_is_refused_with_409(api, project):
    client = log_in(api, "bidder1")
    page = client.get(page_url(project))
    set_clock(api, at(21, 9, 30))
    assert "Registration is closed." in client.get(page_url(project)).text
    refused = client.post(page_url(project), {"csrf_token": csrf_of(page), "action": "register",
                                              "lot_ids": project["lots"][0]["id"]}, status=409)
    assert "registration.closed" in refused.text


def test_bid_form_errors_are_shown_at_their_fields_and_nothing_is_sealed(api, project, dbsession):
    register_and_pay(api, project, "bidder1")
    client = log_in(api, "bidder1")
    lot_id = project["lots"][0]["id"]
    refused = submit_through_page(client, project, price="九十五万", confirm="another secret", status=400)
    assert f'id="price-{lot_id}-error"' in refused.text and f'id="unlock_secret_confirm-{lot_id}-error"' in refused.text
    no_files = submit_through_page(client, project, files=[], status=400)
    assert f'id="files-{lot_id}-error"' in no_files.text
    short = submit_through_page(client, project, secret="abc", status=400)
    assert f'id="unlock_secret-{lot_id}-error"' in short.text
    assert dbsession.execute(select(Bid)).first() is None


def test_bid_before_the_deposit_is_paid_is_refused_with_403(api, project):
    client = log_in(api, "bidder1")
    post_action(client, project, "register", lot_ids=[project["lots"][0]["id"]])
    page = client.get(page_url(project))
    assert "Pay the deposit to qualify" in page.text and "Seal and submit the bid" not in page.text
    refused = submit_through_page(client, project, status=403)
    assert "bid.not_qualified" in refused.text


def test_bid_after_the_deadline_is_refused_with_409(api, project):
    register_and_pay(api, project, "bidder1")
    client = log_in(api, "bidder1")
    page = client.get(page_url(project))
    set_clock(api, at(21, 9, 30))
    refused = client.post(page_url(project), [("csrf_token", csrf_of(page)), ("action", "submit"),
                                              ("lot_id", project["lots"][0]["id"]), ("price", "1.00"),
                                              ("unlock_secret", SECRET), ("unlock_secret_confirm", SECRET)],
                          upload_files=[("files", "a.txt", b"a")], status=409)
    assert "bid.deadline_passed" in refused.text


def test_withdrawal_after_the_deadline_is_refused_with_409(api, project, dbsession):
    register_and_pay(api, project, "bidder1")
    bid_id = submit_bid(api, project, "bidder1", "950000.00").json["id"]
    client = log_in(api, "bidder1")
    page = client.get(page_url(project))
    set_clock(api, at(21, 9, 30))
    refused = client.post(page_url(project), {"csrf_token": csrf_of(page), "action": "withdraw", "bid_id": bid_id},
                          status=409)
    assert 'role="alert"' in refused.text and "bid.deadline_passed" in refused.text
    assert dbsession.get(Bid, bid_id).status == "sealed"


def test_unknown_action_is_400_not_500(api, project):
    client = log_in(api, "bidder1")
    post_action(client, project, "explode", status=400)


def test_procurement_bid_carries_the_sme_declaration(api, parties, dbsession):
    project = create_and_publish(api, procurement_body(parties))
    register_and_pay(api, project, "bidder1")
    client = log_in(api, "bidder1")
    page = client.get(page_url(project))
    assert 'name="sme"' in page.text and "(SME)" in page.text
    bid_id = submit_through_page(client, project, price="800000", sme="1").location.rsplit("/", 1)[1]
    for username in ("bidder2", "bidder3"):
        register_and_pay(api, project, username)
        submit_bid(api, project, username, "990000.00")
    set_clock(api, at(21, 9, 30))
    opened = api.post(f"bids/{bid_id}/decrypt", {"unlock_secret": SECRET}, as_user="bidder1").json
    assert opened["offer"] == {"price": "800000.00", "sme": True}


def test_tendering_page_has_no_sme_field(api, project):
    register_and_pay(api, project, "bidder1")
    assert 'name="sme"' not in log_in(api, "bidder1").get(page_url(project)).text


# --- the clock and the page itself -----------------------------------------------------------


def test_countdown_is_given_the_server_time_and_the_deadline(api, project, clock):
    page = log_in(api, "bidder1").get(page_url(project))
    box = re.search(r'<div class="clock-box"[^>]*>', page.text).group(0)
    now_ms = int(clock.now().timestamp() * 1000)
    deadline_ms = int(at(21, 9, 30).timestamp() * 1000)
    assert f'data-server-now="{now_ms}"' in box and f'data-target="{deadline_ms}"' in box
    assert "2026-12-21 09:30" in page.text  # Beijing time
    assert re.search(r'<script src="/static/bidder\.js[^"]*" defer></script>', page.text)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page.text)  # no inline scripts


def test_every_bidder_page_renders_in_chinese(api, project):
    register_and_pay(api, project, "bidder1")
    bid_id = submit_bid(api, project, "bidder1", "950000.00").json["id"]
    client = log_in(api, "bidder1")
    for path in ("/register", "/bidder", page_url(project), f"/bidder/bids/{bid_id}"):
        page = client.get(path, headers={"Accept-Language": "zh-CN"})
        assert '<html lang="zh-CN">' in page.text


def test_every_form_field_has_a_label_and_every_form_a_csrf_token(api, project):
    register_and_pay(api, project, "bidder1")
    client = log_in(api, "bidder1")
    checked = 0
    for page in (browser(api).get("/register"), client.get(page_url(project))):
        for form in re.findall(r"<form .*?</form>", page.text, re.DOTALL):
            assert 'name="csrf_token"' in form
            for field_id in re.findall(r'<(?:input|textarea|select)\s+(?:type="(?!hidden)[^"]*"\s+)?id="([^"]+)"', form):
                assert f'for="{field_id}"' in form, field_id
                checked += 1
    assert checked >= 14  # nine registration fields, the question, price, files and both secrets
