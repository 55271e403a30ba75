"""Land listing and auction, equity transfer: phases at their boundaries, live bidding, results."""
from datetime import timedelta

import pytest

from .auction_helpers import equity_body, land_auction_body, land_listing_body, lot_path, parties_and_project, register_paid
from .sealed import at, set_clock


def bid(api, project, user, amount, status=201, **kw):
    return api.post(lot_path(project) + "/auction/bids", {"amount": amount}, as_user=user, status=status, **kw)


def state(api, project, user=None):
    return api.get(lot_path(project) + "/auction", as_user=user).json


@pytest.fixture
def live_land(api, script):
    parties, project = parties_and_project(api, script, land_auction_body)
    register_paid(api, project, ["bidder1", "bidder2", "bidder3"])
    set_clock(api, at(23, 10))
    return project


def test_land_auction_goes_live_at_auction_at_and_is_won_above_the_reserve(api, live_land):
    project = live_land
    before = state(api, project, "bidder1")
    assert before["phase"] == "live" and before["current"] is None and len(before["my_paddle"]) == 3
    assert before["ends_at"] == "2026-12-23T10:05:00+08:00"
    bid(api, project, "bidder1", "10000000.00")
    too_low = bid(api, project, "bidder2", "10050000.00", status=409)
    assert too_low.json["error"]["code"] == "auction.too_low"
    bid(api, project, "bidder2", "10100000.00")
    again = bid(api, project, "bidder2", "10300000.00", status=409)
    assert again.json["error"]["code"] == "auction.already_leading"
    set_clock(api, at(23, 10, 4))
    accepted = bid(api, project, "bidder3", "12500000.00").json
    assert accepted["ends_at"] == "2026-12-23T10:09:00+08:00"  # the countdown restarts from this bid
    current = state(api, project)
    assert current["current"] == "12500000.00" and current["leader_paddle"] == accepted["paddle"]
    assert current["bids"] == 3 and "reserve_price" not in current
    history = api.get(lot_path(project) + "/quotes").json["items"]
    assert [h["seq"] for h in history] == [1, 2, 3] and all(h["phase"] == "live" for h in history)
    amounts = [float(h["amount"]) for h in history]
    assert amounts == sorted(amounts) and "org_id" not in history[0]
    transitions = set_clock(api, at(23, 10, 9))["transitions"]
    assert [t["outcome"] for t in transitions] == ["ended: awarded"]
    award = api.get(lot_path(project) + "/award").json
    assert award["winner_name"] == "投标公司3" and award["amount"] == "12500000.00"
    assert award["awarded_at"] == "2026-12-23T02:09:00.000000Z"
    assert api.get(f"projects/{project['id']}").json["status"] == "awarded"
    ended = bid(api, project, "bidder1", "13000000.00", status=409)
    assert ended.json["error"]["code"] == "auction.ended"


def test_land_auction_below_the_reserve_fails(api, live_land):
    project = live_land
    bid(api, project, "bidder1", "10000000.00")
    bid(api, project, "bidder2", "11900000.00")
    set_clock(api, at(23, 10, 6))
    final = state(api, project)
    assert final["phase"] == "ended" and final["result"] == "failed"
    assert api.get(f"projects/{project['id']}").json["status"] == "failed"
    api.get(lot_path(project) + "/award", status=404)


def test_a_bid_at_ends_at_is_refused_even_without_the_scheduler(api, live_land, clock):
    project = live_land
    bid(api, project, "bidder1", "12000000.00")
    clock.set(at(23, 10, 5))  # exactly ends_at; no sweep runs
    response = bid(api, project, "bidder2", "12100000.00", status=409)
    assert response.json["error"]["code"] == "auction.ended"
    assert state(api, project)["result"] == "awarded"


def test_bids_before_the_auction_and_unqualified_bidders_are_refused(api, script):
    _parties, project = parties_and_project(api, script, land_auction_body)
    register_paid(api, project, ["bidder1"])
    response = bid(api, project, "bidder1", "10000000.00", status=409)
    assert response.json["error"]["code"] == "auction.not_live"
    api.post(f"projects/{project['id']}/registrations", {"lot_ids": [project["lots"][0]["id"]]}, as_user="bidder2",
             status=201)  # registered but the deposit is unpaid
    set_clock(api, at(23, 10))
    assert bid(api, project, "bidder2", "10000000.00", status=403).json["error"]["code"] == "bid.not_qualified"


def test_land_auction_without_qualified_bidders_fails_at_auction_at(api, script):
    _parties, project = parties_and_project(api, script, land_auction_body)
    assert [t["outcome"] for t in set_clock(api, at(23, 10))["transitions"]] == ["failed"]


def test_registration_for_a_land_auction_closes_at_registration_until(api, script):
    _parties, project = parties_and_project(api, script, land_auction_body)
    set_clock(api, at(22, 17))
    response = api.post(f"projects/{project['id']}/registrations", {"lot_ids": [project["lots"][0]["id"]]},
                        as_user="bidder1", status=409)
    assert response.json["error"]["code"] == "registration.closed"


@pytest.fixture
def listing(api, script):
    _parties, project = parties_and_project(api, script, land_listing_body)
    register_paid(api, project, ["bidder1", "bidder2", "bidder3"])
    return project


def quote(api, project, user, amount, status=201):
    return api.post(lot_path(project) + "/quotes", {"amount": amount}, as_user=user, status=status)


def test_listing_quotes_follow_the_window_and_the_increment(api, listing):
    project = listing
    assert quote(api, project, "bidder1", "10000000.00", status=409).json["error"]["code"] == "quote.closed"
    set_clock(api, at(22, 9))
    assert state(api, project)["phase"] == "listing"
    assert quote(api, project, "bidder1", "9999999.99", status=409).json["error"]["code"] == "quote.too_low"
    first = quote(api, project, "bidder1", "10000000.00").json
    assert first["seq"] == 1 and first["paddle"]
    assert quote(api, project, "bidder2", "10099999.99", status=409).json["error"]["code"] == "quote.too_low"
    quote(api, project, "bidder2", "10100000.00")
    set_clock(api, at(8, 15, 59, month=1, year=2027))
    quote(api, project, "bidder1", "10200000.00")
    # the close comes at listing_until; then the token of December must be refreshed
    transitions = set_clock(api, at(8, 16, month=1, year=2027))["transitions"]
    assert [t["outcome"] for t in transitions if t["name"] == "auction.listing_close"] == ["live"]
    live = state(api, project)
    assert live["phase"] == "live" and live["current"] == "10200000.00"
    assert quote(api, project, "bidder3", "10400000.00", status=409).json["error"]["code"] == "quote.closed"
    bid(api, project, "bidder3", "10300000.00")
    history = api.get(lot_path(project) + "/quotes").json["items"]
    assert [h["phase"] for h in history] == ["listing", "listing", "listing", "live"]


def test_listing_with_one_quote_at_the_reserve_is_awarded(api, listing):
    project = listing
    set_clock(api, at(22, 9))
    quote(api, project, "bidder1", "12000000.00")
    transitions = set_clock(api, at(8, 16, month=1, year=2027))["transitions"]
    assert [t["outcome"] for t in transitions if t["name"] == "auction.listing_close"] == ["awarded"]


def test_listing_with_one_quote_below_the_reserve_fails(api, listing):
    project = listing
    set_clock(api, at(22, 9))
    quote(api, project, "bidder1", "11999999.00")
    transitions = set_clock(api, at(8, 16, month=1, year=2027))["transitions"]
    assert [t["outcome"] for t in transitions if t["name"] == "auction.listing_close"] == ["failed"]


def test_listing_without_quotes_fails(api, listing):
    transitions = set_clock(api, at(8, 16, month=1, year=2027))["transitions"]
    assert [t["outcome"] for t in transitions if t["name"] == "auction.listing_close"] == ["failed"]


def test_equity_with_one_transferee_is_an_agreement_transfer(api, script):
    _parties, project = parties_and_project(api, script, equity_body)
    register_paid(api, project, ["bidder1"])
    transitions = set_clock(api, at(30, 10))["transitions"]
    assert [t["outcome"] for t in transitions] == ["awarded"]
    award = api.get(lot_path(project) + "/award").json
    assert award["amount"] == "5000000.00" and award["winner_name"] == "投标公司1"
    assert award["awarded_at"] == "2026-12-30T02:00:00.000000Z"


def test_equity_without_transferees_fails(api, script):
    _parties, project = parties_and_project(api, script, equity_body)
    assert [t["outcome"] for t in set_clock(api, at(30, 10))["transitions"]] == ["failed"]


def test_equity_bids_are_whole_multiples_of_the_increment(api, script):
    _parties, project = parties_and_project(api, script, equity_body)
    register_paid(api, project, ["bidder1", "bidder2"])
    set_clock(api, at(30, 10))
    assert state(api, project)["phase"] == "waiting"
    set_clock(api, at(31, 10))
    bid(api, project, "bidder1", "5000000.00")  # the start price itself: 0 increments
    odd = bid(api, project, "bidder2", "5075000.00", status=409)
    assert odd.json["error"]["code"] == "auction.too_low"
    bid(api, project, "bidder2", "5100000.00")  # two increments
    bid(api, project, "bidder1", "5150000.00")
    set_clock(api, at(31, 10) + timedelta(minutes=10))
    award = api.get(lot_path(project) + "/award").json
    assert award["winner_name"] == "投标公司1" and award["amount"] == "5150000.00"


def test_equity_first_bid_off_the_grid_is_refused(api, script):
    _parties, project = parties_and_project(api, script, equity_body)
    register_paid(api, project, ["bidder1", "bidder2"])
    set_clock(api, at(31, 10))
    assert bid(api, project, "bidder1", "5010000.00", status=409).json["error"]["code"] == "auction.too_low"


def test_officers_and_inspectors_see_the_reserve_price(api, live_land):
    project = live_land
    assert state(api, project, "inspector1")["reserve_price"] == "12000000.00"
    assert "reserve_price" not in state(api, project, "bidder1")
    assert "reserve_price" not in api.get(f"projects/{project['id']}").json["lots"][0]


def test_a_terminated_auction_takes_no_bids(api, live_land):
    project = live_land
    bid(api, project, "bidder1", "10000000.00")
    api.post(f"projects/{project['id']}/terminate", {"reason": "规划调整"}, as_user="officer1")
    assert bid(api, project, "bidder2", "10100000.00", status=409).json["error"]["code"] == "auction.ended"
    set_clock(api, at(23, 11))
    assert api.get(f"projects/{project['id']}").json["status"] == "terminated"


def test_history_pages_with_a_cursor(api, live_land):
    project = live_land
    for index, user in enumerate(["bidder1", "bidder2", "bidder3", "bidder1", "bidder2"]):
        bid(api, project, user, f"{10000000 + index * 100000}.00")
    first = api.get(lot_path(project) + "/quotes?limit=2").json
    assert [h["seq"] for h in first["items"]] == [1, 2] and first["next_cursor"]
    second = api.get(lot_path(project) + f"/quotes?limit=2&cursor={first['next_cursor']}").json
    assert [h["seq"] for h in second["items"]] == [3, 4]
    last = api.get(lot_path(project) + f"/quotes?limit=2&cursor={second['next_cursor']}").json
    assert [h["seq"] for h in last["items"]] == [5] and last["next_cursor"] is None


def test_paddles_are_given_when_the_registration_qualifies(api, script):
    _parties, project = parties_and_project(api, script, land_auction_body)
    registration = api.post(f"projects/{project['id']}/registrations", {"lot_ids": [project["lots"][0]["id"]]},
                            as_user="bidder1", status=201).json
    assert "my_paddle" not in state(api, project, "bidder1")
    from .sealed import bank_notice

    bank_notice(api, "test-bank-secret", registration["deposit_account"], registration["amount_due"], "P-1")
    paddle = state(api, project, "bidder1")["my_paddle"]
    assert paddle and paddle == state(api, project, "bidder1")["my_paddle"]


def test_the_rooms_one_statement_state_answers_exactly_as_the_full_path(api, live_land, monkeypatch):
    from trading.services import auction

    bid(api, live_land, "bidder1", "12000000.00")
    answered = []
    quick_state = auction.quick_state

    def recording(*args):
        answered.append(quick_state(*args))
        return answered[-1]

    for user in ("bidder1", "bidder2", "officer1", "inspector1", None):
        monkeypatch.setattr(auction, "quick_state", recording)
        quick = state(api, live_land, user)
        monkeypatch.setattr(auction, "quick_state", lambda *args: None)
        assert quick == state(api, live_land, user)
    assert all(answered)  # every answer above came from the one statement
    assert answered[0]["leading"] is True and answered[1]["leading"] is False and "reserve_price" in answered[2]
    assert "my_paddle" not in answered[4] and "reserve_price" not in answered[4]
    set_clock(api, at(23, 10, 6))  # past ends_at: the clock ends the round, and the ended room is read quickly too
    monkeypatch.setattr(auction, "quick_state", recording)
    ended = state(api, live_land)
    assert ended["phase"] == "ended" and ended["result"] == "awarded" and answered[-1] == ended


def test_a_long_client_device_is_kept_to_its_column_not_answered_with_a_500(api, live_land, dbsession):
    """X-Client-Device feeds the same-device collusion rule; a client may send anything in it."""
    from sqlalchemy import select

    from trading.models import AuctionBid

    long_device = "设备-" + "x" * 300
    path = lot_path(live_land) + "/auction/bids"
    api.post(path, {"amount": "10000000.00"}, as_user="bidder1", headers={"X-Client-Device": long_device}, status=201)
    assert dbsession.execute(select(AuctionBid.device)).scalars().all() == [long_device[:128]]


def test_live_bids_at_their_minimum_to_the_cent_and_the_refusal_names_it(api, live_land, clock):
    """API.md: below the start price (first bid) or current + increment → 409 auction.too_low; its details carry
    the lowest acceptable amount, which a client may bid next. One second before ends_at a bid still counts."""
    def refused(user, amount):
        response = bid(api, live_land, user, amount, status=409).json["error"]
        assert response["code"] == "auction.too_low"
        return response["details"][0]["minimum"]

    assert refused("bidder1", "9999999.99") == "10000000.00"
    bid(api, live_land, "bidder1", "10000000.00")
    assert refused("bidder2", "10099999.99") == "10100000.00"
    clock.set(at(23, 10, 4) + timedelta(seconds=59))  # ends_at 10:05:00 less one second
    assert bid(api, live_land, "bidder2", "10100000.00").json["ends_at"] == "2026-12-23T10:09:59+08:00"
