"""The auction room page: watching, bidding with and without JavaScript, the result, who sees the reserve price."""
import re
from datetime import timedelta

import pytest

from .auction_helpers import (
    equity_body,
    land_auction_body,
    land_listing_body,
    lot_path,
    parties_and_project,
    register_paid,
)
from .sealed import at, create_and_publish, set_clock, tendering_body
from .test_bidder_pages import browser, log_in
from .test_pages import csrf_of


def room_url(project):
    return f"/auction/{project['id']}/{project['lots'][0]['id']}"


def meta_token(page):
    return re.search(r'<meta name="csrf-token" content="([^"]+)">', page.text).group(1)


def my_paddle_on(page):
    return re.search(r'id="ar-my-paddle">([^<]+)<', page.text).group(1)


def bid_form(client, project, steps, base, mode="bid", status=303):
    page = client.get(room_url(project))
    return client.post(room_url(project), {"csrf_token": csrf_of(page), "mode": mode, "base": base, "steps": steps},
                       status=status)


def state(api, project, user=None):
    return api.get(lot_path(project) + "/auction", as_user=user).json


@pytest.fixture
def live_land(api, script):
    """A land auction gone live, bidders 1-3 qualified, bidder 4 registered with the deposit unpaid."""
    _parties, project = parties_and_project(api, script, land_auction_body, bidders=5)
    register_paid(api, project, ["bidder1", "bidder2", "bidder3"])
    api.post(f"projects/{project['id']}/registrations", {"lot_ids": [project["lots"][0]["id"]]}, as_user="bidder4",
             status=201)
    set_clock(api, at(23, 10))
    return project


def test_a_qualified_bidder_bids_through_the_plain_form_and_comes_back_to_the_room_with_a_flash(api, live_land):
    project = live_land
    bidder1 = log_in(api, "bidder1")
    landed = bid_form(bidder1, project, steps="0", base="10000000.00")
    assert landed.location.endswith(room_url(project) + "#bid")
    room = landed.follow()
    assert "Your bid of 10,000,000.00 CNY is accepted (no. 1)." in room.text
    paddle = my_paddle_on(room)
    assert state(api, project)["leader_paddle"] == paddle and state(api, project)["current"] == "10000000.00"
    history = room.text.split('id="ar-history-body"')[1].split("</tbody>")[0]
    assert "10,000,000.00" in history and paddle in history and "(you)" in history
    assert 'id="ar-you-lead">' in room.text  # shown, not hidden

    # the next bid must be at least one increment more: the room says so, with the minimum
    bidder2 = log_in(api, "bidder2")
    refused = bid_form(bidder2, project, steps="0", base="10000000.00", status=409)
    assert "Your bid is too low: the lowest acceptable bid now is 10,100,000.00 CNY." in refused.text
    assert "auction.too_low" in refused.text and 'role="alert"' in refused.text
    assert state(api, project)["bids"] == 1

    # the leader bidding again is told so
    again = bid_form(bidder1, project, steps="1", base="10000000.00", status=409)
    assert "You are already the highest bidder" in again.text

    accepted = bid_form(bidder2, project, steps="3", base="10000000.00")
    assert "Your bid of 10,300,000.00 CNY is accepted (no. 2)." in accepted.follow().text
    assert state(api, project)["current"] == "10300000.00"


def test_the_plain_form_refuses_a_malformed_number_of_increments(api, live_land):
    bidder1 = log_in(api, "bidder1")
    refused = bid_form(bidder1, live_land, steps="-2", base="10000000.00", status=400)
    assert 'id="ar-steps-error"' in refused.text and "from 0 to 100" in refused.text
    assert state(api, live_land)["bids"] == 0


def test_a_bid_through_the_json_api_needs_the_session_and_the_pages_csrf_token(api, live_land):
    project = live_land
    bidder1 = log_in(api, "bidder1")
    page = bidder1.get(room_url(project))
    token = meta_token(page)
    url = "/api/v1/" + lot_path(project) + "/auction/bids"
    refused = bidder1.post_json(url, {"amount": "10000000.00"}, status=403)
    assert refused.json["error"]["code"] == "auth.forbidden"
    assert state(api, project)["bids"] == 0
    accepted = bidder1.post_json(url, {"amount": "10000000.00"}, headers={"X-CSRF-Token": token}, status=201).json
    assert accepted["amount"] == "10000000.00" and accepted["paddle"] == my_paddle_on(page)
    # the page polls the state with the same session: it names the bidder's paddle and says it leads
    polled = bidder1.get("/api/v1/" + lot_path(project) + "/auction").json
    assert polled["my_paddle"] == accepted["paddle"] and polled["leading"] is True and polled["server_time"]
    # the data the script starts from are on the page, with the endpoints it polls
    page = bidder1.get(room_url(project))
    assert f'data-state-url="/api/v1/{lot_path(project)}/auction"' in page.text
    assert f'data-quotes-url="/api/v1/{lot_path(project)}/quotes"' in page.text
    assert 'data-server-time="2026-12-23T10:00:00+08:00"' in page.text and 'data-last-seq="1"' in page.text
    assert 'aria-live="polite"' in page.text and 'role="timer"' in page.text


def test_the_public_and_unqualified_bidders_watch_without_bid_controls(api, live_land):
    project = live_land
    public = browser(api).get(room_url(project))
    assert "Live auction" in public.text and "Log in to bid" in public.text
    for page in (public, log_in(api, "bidder4").get(room_url(project)), log_in(api, "bidder5").get(room_url(project))):
        assert 'name="steps"' not in page.text and "data-ar-form" not in page.text
        assert 'name="csrf-token"' not in page.text and 'id="ar-my-paddle"' not in page.text
    pending = log_in(api, "bidder4").get(room_url(project))
    assert "Your registration waits for the deposit" in pending.text
    closed = log_in(api, "bidder5").get(room_url(project))
    assert "the registration is closed" in closed.text

    qualified = log_in(api, "bidder1").get(room_url(project))
    assert my_paddle_on(qualified) == state(api, project, "bidder1")["my_paddle"]
    assert 'name="steps"' in qualified.text and '<label for="ar-steps-input">' in qualified.text


def test_an_unqualified_bidder_posting_the_form_is_told_to_register_and_pay(api, live_land):
    bidder4 = log_in(api, "bidder4")
    refused = bid_form(bidder4, live_land, steps="0", base="10000000.00", status=403)
    assert "bid.not_qualified" in refused.text and "pay the deposit" in refused.text
    assert f'/bidder/projects/{live_land["id"]}#registration' in refused.text


def test_an_ended_auction_shows_the_award_and_a_link_to_verify_it(api, live_land):
    project = live_land
    bid_form(log_in(api, "bidder1"), project, steps="0", base="10000000.00")
    bid_form(log_in(api, "bidder2"), project, steps="25", base="10000000.00")
    leader = state(api, project)["leader_paddle"]
    set_clock(api, at(23, 10, 6))
    award = api.get(lot_path(project) + "/award").json
    for page in (browser(api).get(room_url(project)), log_in(api, "bidder2").get(room_url(project))):
        assert "Ended" in page.text
        assert f"Awarded to paddle {leader} · 投标公司2 at 12,500,000.00 CNY." in page.text
        assert f'href="/verify/{award["notice_code"]}"' in page.text
        assert 'data-ar-form' not in page.text
    refused = bid_form(log_in(api, "bidder1"), project, steps="1", base="12500000.00", status=409)
    assert "The auction has ended" in refused.text and "data-ar-form" not in refused.text


def test_an_auction_below_the_reserve_shows_that_the_lot_failed(api, live_land):
    bid_form(log_in(api, "bidder1"), live_land, steps="0", base="10000000.00")
    set_clock(api, at(23, 10, 6))
    page = browser(api).get(room_url(live_land))
    assert "The lot failed (流拍)" in page.text and "did not reach the reserve price" in page.text


def test_a_bid_after_the_end_is_refused_through_the_form_and_the_end_is_kept(api, live_land, clock):
    project = live_land
    bidder1 = log_in(api, "bidder1")
    bid_form(bidder1, project, steps="20", base="10000000.00")
    bidder2 = log_in(api, "bidder2")
    page = bidder2.get(room_url(project))
    clock.set(at(23, 10, 5))  # exactly ends_at; no sweep has run
    refused = bidder2.post(room_url(project), {"csrf_token": csrf_of(page), "mode": "bid", "base": "12000000.00",
                                                "steps": "1"}, status=409)
    assert "The auction has ended" in refused.text and "Awarded to paddle" in refused.text
    assert state(api, project)["result"] == "awarded"


def test_an_officer_sees_the_reserve_price_and_bidders_and_the_public_never_do(api, live_land):
    project = live_land
    officer = log_in(api, "officer1").get(room_url(project))
    assert "Reserve price (CNY)" in officer.text and "12,000,000.00" in officer.text
    inspector = log_in(api, "inspector1").get(room_url(project))
    assert "12,000,000.00" in inspector.text and "Officers and inspectors do not bid" in inspector.text
    for page in (log_in(api, "bidder1").get(room_url(project)), log_in(api, "bidder4").get(room_url(project)),
                 browser(api).get(room_url(project))):
        assert "Reserve price" not in page.text
        assert "12,000,000.00" not in page.text and "12000000" not in page.text


def test_during_a_land_listing_the_form_submits_a_quote(api, script):
    _parties, project = parties_and_project(api, script, land_listing_body)
    register_paid(api, project, ["bidder1", "bidder2"])
    bidder1 = log_in(api, "bidder1")
    before = bidder1.get(room_url(project))
    assert "Registration open" in before.text and "Listing opens in" in before.text
    assert 'id="ar-controls" hidden' in before.text  # ready, shown by the script once the listing opens
    set_clock(api, at(22, 9))
    page = bidder1.get(room_url(project))
    assert "Listing: quotes accepted" in page.text and 'name="mode" value="quote"' in page.text
    landed = bid_form(bidder1, project, steps="0", base="10000000.00", mode="quote").follow()
    assert "Your quote of 10,000,000.00 CNY is accepted (no. 1)." in landed.text
    low = bid_form(log_in(api, "bidder2"), project, steps="0", base="10000000.00", mode="quote", status=409)
    assert "Your quote is too low: the lowest acceptable quote now is 10,100,000.00 CNY." in low.text
    # a live bid during the listing is not live yet
    early = bid_form(log_in(api, "bidder2"), project, steps="1", base="10000000.00", mode="bid", status=409)
    assert "The live auction has not started" in early.text
    history = api.get(lot_path(project) + "/quotes").json["items"]
    assert [(h["phase"], h["amount"]) for h in history] == [("listing", "10000000.00")]


def test_equity_bidding_starts_at_the_start_price_with_zero_increments(api, script):
    _parties, project = parties_and_project(api, script, equity_body)
    register_paid(api, project, ["bidder1", "bidder2"])
    set_clock(api, at(30, 10))
    waiting = log_in(api, "bidder1").get(room_url(project))
    assert "Waiting for the live auction" in waiting.text and "Live auction starts in" in waiting.text
    set_clock(api, at(31, 10))
    bidder1 = log_in(api, "bidder1")
    page = bidder1.get(room_url(project))
    assert 'min="0"' in page.text and "The start price: the lowest first bid." in page.text
    bid_form(bidder1, project, steps="0", base="5000000.00")
    page = log_in(api, "bidder2").get(room_url(project))
    assert 'name="base" value="5000000.00"' in page.text and 'min="1"' in page.text
    assert "5,050,000.00" in page.text  # the quick bid: current plus one increment
    bid_form(log_in(api, "bidder2"), project, steps="2", base="5000000.00")
    assert state(api, project)["current"] == "5100000.00"
    set_clock(api, at(31, 10) + timedelta(minutes=10))
    ended = browser(api).get(room_url(project))
    assert "at 5,100,000.00 CNY" in ended.text and "投标公司2" in ended.text


def test_the_room_speaks_chinese(api, live_land, registry):
    page = browser(api).get(room_url(live_land), headers={"Accept-Language": "zh-CN"})
    assert '<html lang="zh-CN">' in page.text and 'id="ar-phase"' in page.text


@pytest.mark.parametrize("language, label", [("zh-CN", "按此金额出价"), ("en", "Bid this amount")])
def test_the_bid_buttons_read_as_one_phrase_in_each_language(api, live_land, language, label):
    page = log_in(api, "bidder1").get(room_url(live_land), headers={"Accept-Language": language})
    button = re.search(r'<button type="submit" id="ar-steps-button" data-ar-steps-verb>([^<]*)</button>', page.text)
    assert button.group(1) == label  # one message, not a verb and "this amount" translated apart
    assert f'<li data-key="steps.bid">{label}</li>' in page.text  # what the script writes when the phase changes


def test_a_sealed_project_has_no_auction_room(api, script):
    from .sealed import Parties

    parties = Parties(api, script)
    project = create_and_publish(api, tendering_body(parties))
    browser(api).get(room_url(project), status=404)


def test_the_project_pages_link_to_the_room(api, live_land):
    public = browser(api).get(f"/projects/{live_land['id']}")
    assert room_url(live_land) in public.text
    workspace = log_in(api, "bidder1").get(f"/bidder/projects/{live_land['id']}")
    assert room_url(live_land) in workspace.text


def test_the_plain_form_names_a_missing_price_and_an_unknown_action(api, live_land):
    bidder1 = log_in(api, "bidder1")
    page = bidder1.get(room_url(live_land))
    refused = bidder1.post(room_url(live_land), {"csrf_token": csrf_of(page), "mode": "sell", "base": "", "steps": "1"},
                           status=400)
    assert "The page&#39;s current price is missing; reload the page." in refused.text
    assert "Unknown action." in refused.text
    assert state(api, live_land)["bids"] == 0


def test_the_plain_form_without_the_csrf_token_is_refused(api, live_land):
    bidder1 = log_in(api, "bidder1")
    bidder1.post(room_url(live_land), {"mode": "bid", "base": "10000000.00", "steps": "0"}, status=403)
    assert state(api, live_land)["bids"] == 0


def test_a_terminated_project_shows_no_bid_controls(api, live_land):
    api.post(f"projects/{live_land['id']}/terminate", {"reason": "规划调整"}, as_user="officer1", status=200)
    page = log_in(api, "bidder1").get(room_url(live_land))
    assert "This project was terminated." in page.text and "规划调整" in page.text
    assert 'id="ar-phase">Terminated<' in page.text and "data-ar-form" not in page.text
