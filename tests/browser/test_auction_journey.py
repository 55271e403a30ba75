"""Two bidders in the demo's live land auction see each other's bids arrive without reloading their pages."""
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from .conftest import log_in

pytestmark = pytest.mark.browser


def room_of_live_auction(server):
    project = next(p for p in server.api.get("projects?method=land.auction&status=auction").json["items"])
    return project, f"/auction/{project['id']}/{project['lots'][0]['id']}"


def grouped(amount):
    """An amount as the room shows it: thousands grouped, two places."""
    return f"{amount:,.2f}"


def test_two_bidders_see_each_others_bids_live(server, contexts, shot):
    locale = "zh_CN"
    project, room = room_of_live_auction(server)
    state = server.api.get(f"projects/{project['id']}/lots/{project['lots'][0]['id']}/auction").json
    current, step = Decimal(state["current"]), Decimal(state["increment"])
    pages = {}
    for username in ("bidder", "bidder2"):
        page = contexts(locale).new_page()
        log_in(page, username)
        page.goto(room)
        pages[username] = page
    first, second = pages["bidder"], pages["bidder2"]
    for page in pages.values():
        expect(page.locator("#ar-controls")).to_be_visible()
        expect(page.locator("#ar-current")).to_have_text(grouped(current))
        assert page.locator("#ar-server-time").inner_text().strip()
        page.evaluate("window.notReloaded = true")  # a page load would forget it
    shot(first, "bidder-room")
    history_rows = second.locator("#ar-history-body tr").count()

    # the first bidder takes the quick bid (current price + one increment) ...
    expect(first.locator("#ar-quick-amount")).to_have_text(grouped(current + step))
    first.locator("#ar-quick").click()
    expect(first.locator("#ar-you-lead")).to_be_visible()
    paddle = first.locator("#ar-my-paddle").inner_text()
    # ... and the second sees it on its open page: the price, the leader, a new row in the history
    expect(second.locator("#ar-current")).to_have_text(grouped(current + step))
    expect(second.locator("#ar-leader")).to_have_text(paddle)
    expect(second.locator("#ar-history-body tr")).to_have_count(history_rows + 1)
    expect(second.locator("#ar-quick-amount")).to_have_text(grouped(current + 2 * step))
    shot(second, "second-sees-first")

    # the second bids back; the first sees it and no longer leads
    second.locator("#ar-quick").click()
    expect(second.locator("#ar-you-lead")).to_be_visible()
    expect(first.locator("#ar-current")).to_have_text(grouped(current + 2 * step))
    expect(first.locator("#ar-you-lead")).to_be_hidden()
    expect(first.locator("#ar-leader")).to_have_text(second.locator("#ar-my-paddle").inner_text())
    shot(first, "first-sees-second")

    # neither page was reloaded; the API agrees with what they show
    assert all(page.evaluate("window.notReloaded === true") for page in pages.values())
    state = server.api.get(f"projects/{project['id']}/lots/{project['lots'][0]['id']}/auction").json
    assert Decimal(state["current"]) == current + 2 * step and state["phase"] == "live"
