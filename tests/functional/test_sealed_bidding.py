"""Sealed bidding end to end: draft → published → registrations and deposits → bids → opening → record."""
import os
import re

import pytest
from sqlalchemy import select

from trading.models import AuditEvent, metadata

from .sealed import (at, bank_notice, create_and_publish, procurement_body, register_and_pay, set_clock,
                     submit_bid, tendering_body)


@pytest.mark.parametrize("body_of", [tendering_body, procurement_body], ids=["tendering.open", "procurement.open"])
def test_walk_from_draft_to_a_closed_opening(api, parties, body_of, dbsession):
    project = create_and_publish(api, body_of(parties))
    assert re.fullmatch(r"LY-(GC|CG)-2026-\d{4}", project["code"])
    prices = {"bidder1": "950000.00", "bidder2": "930000.50", "bidder3": "990000.00"}
    for username, _org in parties.bidders:
        register_and_pay(api, project, username)
    receipts = {}
    for username, price in prices.items():
        body = submit_bid(api, project, username, price, secret=f"{username}-secret").json
        assert body["status"] == "sealed" and len(body["receipt_hash"]) == 64
        receipts[username] = body
    # nobody reads the opening before the deadline
    assert api.get(f"projects/{project['id']}/opening").json["status"] == "not_started"
    transitions = set_clock(api, at(21, 9, 30))["transitions"]
    assert [t["name"] for t in transitions if t["name"].startswith("sealed.")] == ["sealed.opening"]
    progress = api.get(f"projects/{project['id']}/opening").json
    assert progress["status"] == "opening"
    assert progress["lots"][0]["bids_total"] == 3 and progress["lots"][0]["bids_opened"] == 0
    for username in ("bidder1", "bidder2"):
        opened = api.post(f"bids/{receipts[username]['id']}/decrypt", {"unlock_secret": f"{username}-secret"},
                          as_user=username).json
        assert opened["status"] == "opened" and opened["offer"]["price"] == prices[username]
    assert api.get(f"projects/{project['id']}/opening").json["lots"][0]["bids_opened"] == 2
    # bidder3 never decrypts; the clock closes the window
    closed = set_clock(api, at(21, 10, 0))["transitions"]
    assert [t["name"] for t in closed if t["name"].startswith("sealed.")] == ["sealed.opening_close"]
    record = api.get(f"projects/{project['id']}/opening").json
    assert record["status"] == "closed"
    bids = {b["bidder_name"]: b for b in record["lots"][0]["bids"]}
    assert bids["投标公司1"]["price"] == "950000.00" and bids["投标公司1"]["status"] == "opened"
    assert bids["投标公司3"]["status"] == "decrypt_failed" and bids["投标公司3"]["price"] is None
    assert api.get(f"projects/{project['id']}").json["status"] == "evaluating"
    actions = dbsession.execute(select(AuditEvent.action).where(AuditEvent.project_id == project["id"])).scalars().all()
    assert actions.count("opening.start") == 1 and actions.count("opening.close") == 1
    pdf = api.get(f"projects/{project['id']}/opening/record.pdf")
    assert pdf.content_type == "application/pdf" and pdf.body.startswith(b"%PDF")


def test_sealed_offer_and_files_are_unreadable_before_decryption(api, parties, dbsession, app_settings):
    project = create_and_publish(api, tendering_body(parties))
    for username, _org in parties.bidders:
        register_and_pay(api, project, username)
    phrase = "污水处理独特工艺短语XJ-4471"
    submit_bid(api, project, "bidder1", "7654321.98",
               files=[("files", "方案.txt", f"我们的方案：{phrase}".encode("utf-8"))])
    needles = [b"7654321.98", b"7654321", phrase.encode("utf-8")]
    for table in metadata.sorted_tables:
        for row in dbsession.execute(select(table)).all():
            for value in row:
                raw = value if isinstance(value, (bytes, bytearray, memoryview)) else str(value).encode("utf-8")
                for needle in needles:
                    assert needle not in bytes(raw), f"{table.name} holds {needle!r}"
    store = app_settings["ggzy.storage_dir"]
    for folder, _dirs, files in os.walk(store):
        for name in files:
            data = open(os.path.join(folder, name), "rb").read()
            for needle in needles:
                assert needle not in data, f"the file store holds {needle!r} in {name}"


def test_bid_one_second_late_is_refused(api, parties):
    project = create_and_publish(api, tendering_body(parties))
    register_and_pay(api, project, "bidder1")
    set_clock(api, at(21, 9, 29).replace(second=59))
    submit_bid(api, project, "bidder1", "900000.00")
    set_clock(api, at(21, 9, 30).replace(second=1))
    response = submit_bid(api, project, "bidder1", "900000.00", status=409)
    assert response.json["error"]["code"] == "bid.deadline_passed"


def test_bid_at_the_deadline_is_refused_although_no_scheduler_ran(api, parties, clock):
    project = create_and_publish(api, tendering_body(parties))
    register_and_pay(api, project, "bidder1")
    clock.set(at(21, 9, 30))  # the clock moves, the sweep does not run
    response = submit_bid(api, project, "bidder1", "900000.00", status=409)
    assert response.json["error"]["code"] == "bid.deadline_passed"
    # reading the project applies the due opening: one bid, under the minimum, so the lot fails
    assert api.get(f"projects/{project['id']}").json["status"] == "failed"


def test_wrong_unlock_secret_is_422_and_may_be_retried(api, parties):
    project = create_and_publish(api, tendering_body(parties))
    ids = {}
    for username, _org in parties.bidders:
        register_and_pay(api, project, username)
        ids[username] = submit_bid(api, project, username, "900000.00", secret="right secret").json["id"]
    set_clock(api, at(21, 9, 30))
    wrong = api.post(f"bids/{ids['bidder1']}/decrypt", {"unlock_secret": "wrong secret"}, as_user="bidder1", status=422)
    assert wrong.json["error"]["details"][0]["rule"] == "bid.unlock_failed"
    right = api.post(f"bids/{ids['bidder1']}/decrypt", {"unlock_secret": "right secret"}, as_user="bidder1")
    assert right.json["status"] == "opened"


def test_superseded_and_withdrawn_bids(api, parties):
    project = create_and_publish(api, tendering_body(parties))
    for username, _org in parties.bidders:
        register_and_pay(api, project, username)
    first = submit_bid(api, project, "bidder1", "900000.00").json
    second = submit_bid(api, project, "bidder1", "880000.00").json
    assert api.get(f"bids/{first['id']}", as_user="bidder1").json["status"] == "superseded"
    assert api.get(f"bids/{second['id']}", as_user="bidder1").json["status"] == "sealed"
    withdrawn = submit_bid(api, project, "bidder2", "910000.00").json
    assert api.delete(f"bids/{withdrawn['id']}", as_user="bidder2").json["status"] == "withdrawn"
    submit_bid(api, project, "bidder3", "920000.00")
    set_clock(api, at(21, 9, 30))
    # bidder1's live bid and bidder3's: two bids, under the minimum of three → the lot fails unopened
    record = api.get(f"projects/{project['id']}/opening").json
    assert record["status"] == "closed" and record["lots"][0]["status"] == "failed"
    conflict = api.post(f"bids/{first['id']}/decrypt", {"unlock_secret": "open sesame"}, as_user="bidder1", status=409)
    assert conflict.json["error"]["code"] in ("bid.not_decryptable", "opening.not_decrypting")


def test_lot_with_two_bids_fails_unopened(api, parties):
    project = create_and_publish(api, tendering_body(parties))
    for username in ("bidder1", "bidder2"):
        register_and_pay(api, project, username)
        submit_bid(api, project, username, "900000.00")
    set_clock(api, at(21, 9, 30))
    detail = api.get(f"projects/{project['id']}").json
    assert detail["status"] == "failed" and detail["lots"][0]["status"] == "failed"


def test_bank_notice_with_bad_signature_is_401_and_a_replay_changes_nothing(api, parties):
    project = create_and_publish(api, tendering_body(parties))
    registration = api.post(f"projects/{project['id']}/registrations", {"lot_ids": [project["lots"][0]["id"]]},
                            as_user="bidder1", status=201).json
    assert registration["status"] == "pending_deposit"
    bad = bank_notice(api, "not-the-secret", registration["deposit_account"], "20000.00", "R1", status=401)
    assert bad.json["error"]["code"] == "auth.required"
    first = bank_notice(api, "test-bank-secret", registration["deposit_account"], "10000.00", "R1").json
    assert first["status"] == "pending_deposit" and first["amount_paid"] == "10000.00"
    replay = bank_notice(api, "test-bank-secret", registration["deposit_account"], "10000.00", "R1").json
    assert replay["amount_paid"] == "10000.00"
    done = bank_notice(api, "test-bank-secret", registration["deposit_account"], "10000.00", "R2").json
    assert done["status"] == "qualified" and done["amount_paid"] == "20000.00"
    bank_notice(api, "test-bank-secret", "6229000000000000", "1.00", "R3", status=404)


def test_officer_cannot_see_registrants_before_the_deadline(api, parties):
    project = create_and_publish(api, tendering_body(parties))
    register_and_pay(api, project, "bidder1")
    api.get(f"projects/{project['id']}/registrations", as_user="officer1", status=403)
    assert len(api.get(f"projects/{project['id']}/registrations", as_user="inspector1").json["items"]) == 1
    assert len(api.get(f"projects/{project['id']}/registrations", as_user="bidder1").json["items"]) == 1
    assert api.get(f"projects/{project['id']}/registrations", as_user="bidder2").json["items"] == []
    set_clock(api, at(21, 9, 30))
    assert len(api.get(f"projects/{project['id']}/registrations", as_user="officer1").json["items"]) == 1


def test_someone_elses_bid_is_404_and_audited(api, parties, dbsession):
    project = create_and_publish(api, tendering_body(parties))
    register_and_pay(api, project, "bidder1")
    bid = submit_bid(api, project, "bidder1", "900000.00").json
    for user in ("bidder2", "officer1", "inspector1"):
        assert api.get(f"bids/{bid['id']}", as_user=user, status=404).json["error"]["code"] == "not_found"
    denied = dbsession.execute(select(AuditEvent).where(AuditEvent.action == "sealed.access_denied")).scalars().all()
    assert len(denied) == 3 and {e.object_id for e in denied} == {bid["id"]}


def test_receipt_pdf_for_the_owner(api, parties):
    project = create_and_publish(api, tendering_body(parties))
    register_and_pay(api, project, "bidder1")
    bid = submit_bid(api, project, "bidder1", "900000.00").json
    pdf = api.get(f"bids/{bid['id']}/receipt.pdf", as_user="bidder1")
    assert pdf.body.startswith(b"%PDF")
    api.get(f"bids/{bid['id']}/receipt.pdf", as_user="bidder2", status=404)
