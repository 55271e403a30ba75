"""Each alert rule: a test that triggers it and one that just misses at its boundary."""
import json

import pytest

from trading.demo import full_uscc
from trading.services import accounts

from ...conftest import PASSWORD
from ..auction_helpers import equity_body, land_auction_body, lot_path, parties_and_project, register_paid
from ..evaluation_helpers import committee, opened_project
from ..sealed import (Parties, at, bank_notice, create_and_publish, iso, procurement_body, register_and_pay, set_clock,
                      tendering_body)
from ..test_evaluation import finalized_lowest_price, vote_and_score


def alerts(api, rule=None, **filters):
    query = "&".join(f"{k}={v}" for k, v in ({"rule": rule} if rule else {}) .items() | filters.items())
    return api.get("alerts?" + query, as_user="inspector1").json["items"]


def bid_from(api, project, username, price, address="127.0.0.1", device=None, content=None, status=201):
    lot_id = project["lots"][0]["id"]
    headers = api.headers(username)
    if device:
        headers["X-Client-Device"] = device
    files = [("files", "方案.txt", content or f"{username} 独有的方案 {price}".encode("utf-8"))]
    return api.app.post(f"/api/v1/projects/{project['id']}/lots/{lot_id}/bids",
                        params=[("offer", json.dumps({"price": price})), ("unlock_secret", "open sesame")],
                        upload_files=files, headers=headers, extra_environ={"REMOTE_ADDR": address}, status=status)


@pytest.fixture
def tender(api, script):
    parties = Parties(api, script)
    project = create_and_publish(api, tendering_body(parties))
    for username, _org in parties.bidders:
        register_and_pay(api, project, username)
    return parties, project


def test_same_ip_raises_a_red_alert_with_both_bids(api, tender):
    _parties, project = tender
    bid_from(api, project, "bidder1", "900000.00", address="203.0.113.7")
    bid_from(api, project, "bidder2", "910000.00", address="203.0.113.7")
    found = alerts(api, "collusion.same_ip")
    assert len(found) == 1 and found[0]["severity"] == "red" and found[0]["lot_id"] == project["lots"][0]["id"]
    evidence = found[0]["evidence"][0]
    assert evidence["ip"] == "203.0.113.7" and evidence["organizations"] == ["投标公司1", "投标公司2"]
    bid_from(api, project, "bidder3", "920000.00", address="203.0.113.7")
    again = alerts(api, "collusion.same_ip")
    assert len(again) == 1 and len(again[0]["evidence"]) == 2  # one alert per rule and lot; more evidence


def test_different_addresses_raise_nothing(api, tender):
    _parties, project = tender
    bid_from(api, project, "bidder1", "900000.00", address="203.0.113.7")
    bid_from(api, project, "bidder2", "910000.00", address="203.0.113.8")
    bid_from(api, project, "bidder1", "890000.00", address="203.0.113.7")  # the same organisation again
    assert alerts(api, "collusion.same_ip") == []


def test_same_device_and_its_miss(api, tender):
    _parties, project = tender
    bid_from(api, project, "bidder1", "900000.00", address="198.51.100.1", device="dev-A")
    bid_from(api, project, "bidder2", "910000.00", address="198.51.100.2", device="dev-B")
    assert alerts(api, "collusion.same_device") == []
    bid_from(api, project, "bidder3", "920000.00", address="198.51.100.3", device="dev-A")
    assert alerts(api, "collusion.same_device")[0]["evidence"][0]["device"] == "dev-A"


def test_identical_files_and_its_miss(api, tender):
    _parties, project = tender
    bid_from(api, project, "bidder1", "900000.00", content=b"same technical proposal")
    bid_from(api, project, "bidder2", "910000.00", content=b"same technical proposal.")
    assert alerts(api, "collusion.identical_files") == []
    bid_from(api, project, "bidder3", "920000.00", content=b"same technical proposal")
    found = alerts(api, "collusion.identical_files")
    assert found[0]["evidence"][0]["files"][0]["sha256"] and len(found[0]["evidence"][0]["organizations"]) == 2


@pytest.mark.parametrize("prices, expected", [
    (("1000000.00", "1002000.00", "1005000.00"), "close"),  # (max − min) / min = 0.5%
    (("1000000.00", "1001000.00", "1006000.00"), None),  # 0.6%, and not arithmetic
    (("900000.00", "950000.00", "1000000.00"), "arithmetic"),
])
def test_price_pattern_at_its_boundary(api, script, prices, expected):
    lots = [{"title": "一标段", "budget": "2000000.00", "deposit": "20000.00"}]
    opened_project(api, script, tendering_body, list(prices), lots=lots)
    found = alerts(api, "collusion.price_pattern")
    if expected is None:
        assert found == []
    else:
        assert found[0]["severity"] == "yellow" and found[0]["evidence"][0]["pattern"] == expected


def test_shared_contact_and_its_miss(api, tender, script):
    parties, project = tender
    with script() as request:
        org = accounts.create_organization(request, name="影子公司", uscc=full_uscc("91330100MA2D00077"), kind="bidder",
                                           phone=" 0571-8800 0000 ", email="shadow@example.com", legal_representative="某甲")
        accounts.create_user(request, username="shadow", password=PASSWORD, role="bidder", org_id=org.id)
    api.login("shadow", PASSWORD)
    bid_from(api, project, "bidder2", "910000.00", address="192.0.2.2")
    register_and_pay(api, project, "shadow")
    bid_from(api, project, "shadow", "905000.00", address="192.0.2.9")
    assert alerts(api, "collusion.shared_contact") == []  # bidder2's phone is 0571-88000001
    bid_from(api, project, "bidder1", "900000.00", address="192.0.2.1")  # bidder1's phone is 0571-88000000
    shared = alerts(api, "collusion.shared_contact")[0]["evidence"][0]["shared"]
    assert shared[0]["field"] == "phone" and shared[0]["organizations"] == ["影子公司", "投标公司1"]


def test_same_deposit_account_and_its_miss(api, script):
    parties = Parties(api, script)
    project = create_and_publish(api, tendering_body(parties))
    lot_ids = [project["lots"][0]["id"]]
    accounts_of = {}
    for username, _org in parties.bidders:
        accounts_of[username] = api.post(f"projects/{project['id']}/registrations", {"lot_ids": lot_ids},
                                         as_user=username, status=201).json["deposit_account"]
    bank_notice(api, "test-bank-secret", accounts_of["bidder1"], "20000.00", "D1", payer="6222000000000001")
    bank_notice(api, "test-bank-secret", accounts_of["bidder2"], "20000.00", "D2", payer="6222000000000002")
    assert alerts(api, "collusion.same_deposit_account") == []
    bank_notice(api, "test-bank-secret", accounts_of["bidder3"], "20000.00", "D3", payer="6222000000000001")
    evidence = alerts(api, "collusion.same_deposit_account")[0]["evidence"][0]
    assert evidence["payer_account"] == "6222000000000001" and evidence["references"] == ["D1", "D3"]


def test_sealed_access_attempt(api, tender):
    _parties, project = tender
    bid = bid_from(api, project, "bidder1", "900000.00").json
    api.get(f"bids/{bid['id']}", as_user="bidder1")
    assert alerts(api, "sealed.access_attempt") == []
    api.get(f"bids/{bid['id']}", as_user="bidder2", status=404)
    found = alerts(api, "sealed.access_attempt")
    assert found[0]["object_id"] == bid["id"] and found[0]["evidence"][0]["role"] == "bidder"


CRITERIA = [{"code": "tech", "name": "技术", "max": 70, "kind": "technical"},
            {"code": "price", "name": "价格", "max": 30, "kind": "price"}]


@pytest.mark.parametrize("low, expected", [(42, False), (41.99, True)])
def test_score_deviation_at_its_boundary(api, script, low, expected):
    """Four members give 60, the fifth `low`: |42 − 60| = 18 is exactly 30% of 60, not more; 41.99 deviates."""
    params = {"evaluation": "scoring", "criteria": CRITERIA, "price_formula": "lowest"}
    _parties, project, bids = opened_project(api, script, tendering_body, ["950000.00", "900000.00", "980000.00"],
                                             params=params)
    members = committee(api, script, project)
    base = f"projects/{project['id']}/lots/{project['lots'][0]['id']}/evaluation"
    api.post(base, as_user="officer1", status=201)
    for index, member in enumerate(members):
        for name, bid_id in bids.items():
            api.put(base + "/qualification", {"bid_id": bid_id, "pass": True}, as_user=member)
            score = low if index == 4 and name == "bidder1" else 60
            api.put(base + "/scores", {"bid_id": bid_id, "criterion": "tech", "score": score}, as_user=member)
        api.post(base + "/sign", as_user=member)
    api.post(base + "/finalize", as_user="officer1")
    assert bool(alerts(api, "expert.score_deviation")) is expected


def test_record_late_five_working_days_after_finalisation(api, script):
    project, _bids, _members, _ranking = finalized_lowest_price(api, script)
    evaluation = api.get(f"projects/{project['id']}/lots/{project['lots'][0]['id']}/evaluation", as_user="officer1").json
    path = f"projects/{project['id']}/lots/{project['lots'][0]['id']}/expert-records"
    for member in evaluation["members"][1:]:
        api.post(path, {"expert_id": member["expert_id"], "rating": 4}, as_user="officer1", status=201)
    # finalised on Monday 21 December 09:30: five working days later is Monday 28 December 09:30
    set_clock(api, at(28, 9, 29))
    assert alerts(api, "expert.record_late") == []
    set_clock(api, at(28, 9, 30))
    found = alerts(api, "expert.record_late")
    assert [m["expert_id"] for m in found[0]["evidence"][0]["members_without_record"]] == \
        [evaluation["members"][0]["expert_id"]]


def test_no_record_late_when_every_member_is_rated(api, script):
    project, _bids, _members, _ranking = finalized_lowest_price(api, script)
    evaluation = api.get(f"projects/{project['id']}/lots/{project['lots'][0]['id']}/evaluation", as_user="officer1").json
    path = f"projects/{project['id']}/lots/{project['lots'][0]['id']}/expert-records"
    for member in evaluation["members"]:
        api.post(path, {"expert_id": member["expert_id"], "rating": 5}, as_user="officer1", status=201)
    set_clock(api, at(29))
    assert alerts(api, "expert.record_late") == []


def awarded(api, script, bid_name="bidder2", reason=None):
    project, bids, _members, _ranking = finalized_lowest_price(api, script)
    path = f"projects/{project['id']}/lots/{project['lots'][0]['id']}"
    api.post(path + "/publicity", as_user="officer1", status=201)
    set_clock(api, at(24, 9, 30))
    body = {"bid_id": bids[bid_name]} | ({"reason": reason} if reason else {})
    award = api.post(path + "/award", body, as_user="officer1", status=201).json
    return project, path, award


def test_award_to_the_first_candidate_raises_nothing(api, script):
    project, path, award = awarded(api, script)
    assert alerts(api, "award.not_first_candidate") == [] and alerts(api, "award.above_budget") == []
    api.post(path + "/contract", {"signed_at": iso(at(28)), "amount": award["amount"]}, as_user="officer1", status=201)
    assert alerts(api, "contract.amount_deviation") == []


def test_award_to_rank_two_and_a_contract_off_the_award(api, script):
    _project, path, award = awarded(api, script, bid_name="bidder1", reason="第一名放弃")
    found = alerts(api, "award.not_first_candidate")
    assert found[0]["severity"] == "red" and found[0]["evidence"][0]["rank"] == 2
    api.post(path + "/contract", {"signed_at": iso(at(28)), "amount": "949999.99"}, as_user="officer1", status=201)
    deviation = alerts(api, "contract.amount_deviation")[0]["evidence"][0]
    assert (deviation["amount"], deviation["awarded_amount"]) == ("949999.99", "950000.00")


def test_award_above_the_budget_through_a_final_quote(api, script):
    body = {"method": "procurement.competitive_negotiation",
            "timeline": {"docs_from": iso(at(1)), "docs_until": iso(at(3, 17)), "bid_deadline": iso(at(21, 9, 30))},
            "params": {"category": "goods", "evaluation": "lowest_price"}}
    _parties, project, bids = opened_project(api, script, procurement_body, ["990000.00", "995000.00", "998000.00"],
                                             **body)
    path = f"projects/{project['id']}/lots/{project['lots'][0]['id']}"
    api.post(path + "/final-quotes/round", {"until": iso(at(21, 15))}, as_user="officer1", status=201)
    for name in ("bidder1", "bidder2", "bidder3"):
        api.post(path + "/final-quotes", {"price": {"bidder1": "1010000.00", "bidder2": "1020000.00",
                                                    "bidder3": "1030000.00"}[name]}, as_user=name, status=201)
    set_clock(api, at(21, 15))
    members = committee(api, script, project, size=3, specialty="B0101")
    api.post(path + "/evaluation", as_user="officer1", status=201)
    for member in members:
        for bid_id in bids.values():
            vote_and_score(api, project, member, bid_id, tech=None)
        api.post(path + "/evaluation/sign", as_user=member)
    api.post(path + "/evaluation/finalize", as_user="officer1")
    api.post(path + "/publicity", as_user="officer1", status=201)
    set_clock(api, at(23, 15))  # one working day after Monday 21 December
    api.post(path + "/award", {"bid_id": bids["bidder1"]}, as_user="officer1", status=201)
    evidence = alerts(api, "award.above_budget")[0]["evidence"][0]
    assert (evidence["amount"], evidence["budget"]) == ("1010000.00", "1000000.00")


def test_contract_late_raises_a_yellow_alert(api, script, clock):
    _project, _path, _award = awarded(api, script)
    clock.set(at(23, 23, 59, month=1, year=2027))
    api.login("admin1", PASSWORD)
    api.login("inspector1", PASSWORD)
    set_clock(api, at(23, 23, 59, month=1, year=2027))
    assert alerts(api, "contract.late") == []
    set_clock(api, at(24, 0, 0, month=1, year=2027))
    assert alerts(api, "contract.late")[0]["severity"] == "yellow"


def test_single_bidder_auction_and_its_miss(api, script):
    _parties, equity = parties_and_project(api, script, equity_body)
    register_paid(api, equity, ["bidder1"])
    set_clock(api, at(30, 10))
    found = alerts(api, "auction.single_bidder")
    assert len(found) == 1 and found[0]["lot_id"] == equity["lots"][0]["id"]


def test_two_bidder_auction_raises_no_single_bidder_alert(api, script):
    _parties, land = parties_and_project(api, script, land_auction_body)
    register_paid(api, land, ["bidder1", "bidder2"])
    set_clock(api, at(23, 10))
    api.post(lot_path(land) + "/auction/bids", {"amount": "12000000.00"}, as_user="bidder1", status=201)
    api.post(lot_path(land) + "/auction/bids", {"amount": "12100000.00"}, as_user="bidder2", status=201)
    set_clock(api, at(23, 10, 10))
    assert api.get(lot_path(land) + "/auction").json["result"] == "awarded"
    assert alerts(api, "auction.single_bidder") == []


def test_shared_contact_in_a_live_auction_is_found_once_at_the_later_first_bid(api, script):
    _parties, land = parties_and_project(api, script, land_auction_body)
    with script() as request:
        org = accounts.create_organization(request, name="影子公司", uscc=full_uscc("91330100MA2D00077"), kind="bidder",
                                           phone="0571-88000000", email="shadow@example.com", legal_representative="某甲")
        accounts.create_user(request, username="shadow", password=PASSWORD, role="bidder", org_id=org.id)
    api.login("shadow", PASSWORD)
    register_paid(api, land, ["bidder1", "shadow"])
    set_clock(api, at(23, 10))
    amount = 12_000_000
    for turn in range(6):  # bidder1 opens: the pair is first compared at shadow's first bid
        api.post(lot_path(land) + "/auction/bids", {"amount": f"{amount}.00"},
                 as_user="bidder1" if turn % 2 == 0 else "shadow", status=201)
        amount += 100_000
    found = alerts(api, "collusion.shared_contact")
    assert len(found) == 1 and len(found[0]["evidence"]) == 1
    assert found[0]["evidence"][0]["shared"][0]["organizations"] == ["影子公司", "投标公司1"]
