"""The bid refusal memo on its own: what it answers, for how long, and what makes it forget."""
import threading
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from types import SimpleNamespace

import pytest

from plugins.equity.auction import TransferPolicy
from trading import bid_memo
from trading.auction import AuctionPolicy

NOW = datetime(2026, 12, 23, 2, 0, tzinfo=timezone.utc)
LATER = NOW + timedelta(minutes=5)


class Row(SimpleNamespace):
    """The quick look's row, as far as the memo reads it."""

    @property
    def _mapping(self):
        return vars(self)


def row(current="10000000.00", seq=1, leader="org-leader", start="10000000.00", increment="100000.00"):
    return Row(start_price=Decimal(start), increment=Decimal(increment), current=Decimal(current) if current else None,
               seq=seq, leader_org_id=leader, phase="live", ends_at=LATER)


class Clock:
    def __init__(self):
        self.at = 1000.0

    def __call__(self):
        return self.at


@pytest.fixture
def monotonic(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(bid_memo.time, "monotonic", clock)
    return clock


def remembered(monotonic, state=None, policy=None, org="org-a", horizon=LATER, expires=LATER, seconds=1.0):
    memo = bid_memo.BidRefusalMemo(seconds)
    since = monotonic.at
    monotonic.at += 0.001
    memo.remember(since, "digest-a", expires, org, "p1", "l1", state or row(), policy or AuctionPolicy(), horizon)
    return memo


def refusal(memo, amount, digest="digest-a", project="p1", lot="l1", now=NOW):
    return memo.refusal(digest, project, lot, Decimal(amount), now)


def test_a_bid_below_the_remembered_minimum_is_refused_as_the_policy_words_it(monotonic):
    memo = remembered(monotonic)
    answer = refusal(memo, "10050000.00")
    assert answer.code == "auction.too_low" and answer.details == [{"minimum": "10100000.00"}]


def test_the_minimum_itself_and_anything_above_it_go_the_full_path(monotonic):
    memo = remembered(monotonic)
    assert refusal(memo, "10100000.00") is None
    assert refusal(memo, "99999999.00") is None


def test_only_the_token_and_lot_it_saw_and_only_for_that_project(monotonic):
    memo = remembered(monotonic)
    assert refusal(memo, "1.00", digest="digest-b") is None
    assert refusal(memo, "1.00", lot="l2") is None
    assert refusal(memo, "1.00", project="p2") is None
    assert refusal(memo, "1.00") is not None


def test_its_time_runs_out(monotonic):
    memo = remembered(monotonic, seconds=1.0)
    monotonic.at += 0.9
    assert refusal(memo, "1.00") is not None
    monotonic.at += 0.2
    assert refusal(memo, "1.00") is None


def test_not_past_the_tokens_expiry_nor_the_projects_next_deadline(monotonic):
    assert refusal(remembered(monotonic, expires=NOW), "1.00") is None
    assert refusal(remembered(monotonic, horizon=NOW), "1.00") is None
    assert refusal(remembered(monotonic, horizon=NOW + timedelta(seconds=1)), "1.00") is not None


def test_the_leader_is_answered_by_the_full_path(monotonic):
    """The leader's own bid is auction.already_leading, which the memo never says."""
    assert refusal(remembered(monotonic, org="org-leader"), "1.00") is None


def test_an_equity_bid_off_the_grid_but_above_the_minimum_is_not_refused_from_memory(monotonic):
    """Off the grid of a newer price it may be on it: only 'below the minimum' holds as the price rises."""
    memo = remembered(monotonic, state=row(current="5000000.00", increment="50000.00", start="5000000.00"),
                      policy=TransferPolicy())
    assert refusal(memo, "5060000.00") is None  # above 5,050,000 and off the grid: the full path judges it
    answer = refusal(memo, "5040000.00")
    assert answer.code == "auction.too_low" and answer.details[0]["minimum"] == "5050000.00"


def test_forgetting_everything_and_refusals_judged_before_it(monotonic):
    memo = remembered(monotonic)
    since = monotonic.at
    monotonic.at += 0.001
    memo.forget_all()
    assert refusal(memo, "1.00") is None
    monotonic.at += 0.001
    # a refusal read before the forget, remembered after it, is not kept
    memo.remember(since, "digest-a", LATER, "org-a", "p1", "l1", row(), AuctionPolicy(), LATER)
    assert refusal(memo, "1.00") is None
    memo.remember(monotonic.at, "digest-a", LATER, "org-a", "p1", "l1", row(), AuctionPolicy(), LATER)
    monotonic.at += 0.001
    assert refusal(memo, "1.00") is not None


def test_an_accepted_bid_forgets_its_bidder_and_raises_the_lots_minimum(monotonic):
    memo = remembered(monotonic, org="org-a")
    memo.remember(monotonic.at, "digest-b", LATER, "org-b", "p1", "l1", row(), AuctionPolicy(), LATER)
    monotonic.at += 0.001
    memo.accepted("l1", "org-a", 2, Decimal("10500000.00"))
    assert refusal(memo, "1.00") is None  # org-a leads now
    raised = refusal(memo, "10550000.00", digest="digest-b")
    assert raised.details == [{"minimum": "10600000.00"}]


def test_an_older_state_never_lowers_the_lots_minimum(monotonic):
    memo = remembered(monotonic, state=row(current="10500000.00", seq=5))
    memo.remember(monotonic.at, "digest-b", LATER, "org-b", "p1", "l1", row(current="10000000.00", seq=2),
                  AuctionPolicy(), LATER)
    monotonic.at += 0.001
    assert refusal(memo, "10550000.00", digest="digest-b").details == [{"minimum": "10600000.00"}]
    memo.accepted("l1", "org-c", 4, Decimal("10400000.00"))  # committed before what the memo holds
    assert refusal(memo, "10550000.00", digest="digest-b").details == [{"minimum": "10600000.00"}]


def test_a_refusal_of_a_bidder_forgotten_since_keeps_only_the_lots_state(monotonic):
    memo = bid_memo.BidRefusalMemo(1.0)
    since = monotonic.at
    monotonic.at += 0.001
    memo.forget_bidder("l1", "org-a")  # its bid is being accepted
    monotonic.at += 0.001
    memo.remember(since, "digest-a", LATER, "org-a", "p1", "l1", row(current="10700000.00", seq=3), AuctionPolicy(),
                  LATER)
    memo.remember(monotonic.at, "digest-b", LATER, "org-b", "p1", "l1", row(seq=1), AuctionPolicy(), LATER)
    monotonic.at += 0.001
    assert refusal(memo, "1.00") is None
    assert refusal(memo, "10750000.00", digest="digest-b").details == [{"minimum": "10800000.00"}]


def test_it_stays_bounded(monotonic, monkeypatch):
    monkeypatch.setattr(bid_memo, "MAX_BIDDERS", 10)
    memo = bid_memo.BidRefusalMemo(1.0)
    for index in range(25):
        memo.remember(monotonic.at, f"digest-{index}", LATER, f"org-{index}", "p1", "l1", row(), AuctionPolicy(), LATER)
        monotonic.at += 0.001
    assert len(memo._bidders) <= 10
    monotonic.at += 0.001
    assert refusal(memo, "1.00", digest="digest-24") is not None


def test_a_bid_waits_for_one_being_taken_on_its_lot_until_it_ends(monotonic):
    memo = bid_memo.BidRefusalMemo(1.0)
    assert memo.wait_taken("l1") is False  # nothing being taken: no wait
    memo.taking("l1")
    threading.Timer(0.01, memo.taken, ["l1"]).start()
    started = time.perf_counter()
    assert memo.wait_taken("l1") is True
    assert time.perf_counter() - started < bid_memo.TAKING_WAIT
    assert memo.wait_taken("l1") is False and memo.wait_taken("l2") is False


def test_the_wait_is_bounded_and_a_stale_taking_is_not_waited_for(monotonic):
    memo = bid_memo.BidRefusalMemo(1.0)
    memo.taking("l1")
    started = time.perf_counter()
    assert memo.wait_taken("l1") is True
    assert bid_memo.TAKING_WAIT <= time.perf_counter() - started < 1.0
    monotonic.at += bid_memo.TAKING_STALE + 0.1  # a transaction that never told its end
    started = time.perf_counter()
    assert memo.wait_taken("l1") is False and time.perf_counter() - started < 0.01
