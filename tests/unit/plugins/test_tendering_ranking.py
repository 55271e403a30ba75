"""Tendering's ranking of an evaluated lot (ggzy_rank): lowest price, and scoring with both price formulas."""
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from plugins.tendering import ggzy_rank
from trading.plugins import make_plugin_manager
from trading.services.evaluation import BidView

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Project:
    def __init__(self, method, params):
        self.method, self.params = method, params


class Lot:
    def __init__(self, method="tendering.open", budget=Decimal("2000000.00"), **params):
        self.project = Project(method, params)
        self.budget = budget


def bid(bid_id, price, minute, qualified=True, above_ceiling=False):
    """A bid submitted at 09:<minute> on the deadline's day."""
    return BidView(bid_id=bid_id, bidder_name=f"Bidder {bid_id}", org_id=f"org-{bid_id}", price=Decimal(price),
                   opened_price=Decimal(price), sme=False,
                   submitted_at=datetime(2026, 12, 21, 9, minute, tzinfo=SHANGHAI),
                   qualified=qualified, above_ceiling=above_ceiling)


def rank(lot, bids, scores=None):
    return ggzy_rank(lot=lot, bids=bids, scores=scores or {})


def by_id(entries):
    return {e["bid_id"]: e for e in entries}


def test_deviation_scores_from_the_discounted_mean_of_the_qualified_prices_only():
    criteria = [{"code": "tech", "name": "Technical", "max": 40, "kind": "technical"},
                {"code": "biz", "name": "Business", "max": 20, "kind": "business"},
                {"code": "price", "name": "Price", "max": 40, "kind": "price"}]
    lot = Lot(evaluation="scoring", criteria=criteria, price_formula="deviation", benchmark_discount=0.02,
              points_above=0.8, points_below=0.5)
    bids = [bid("a", "1030000.00", 0), bid("b", "1000000.00", 1), bid("c", "970000.00", 2),
            bid("d", "700000.00", 3, qualified=False)]  # failed by the committee: not in the mean
    scores = {"a": {"tech": Decimal("30.50"), "biz": Decimal("15.00")},
              "b": {"tech": Decimal("33.33"), "biz": Decimal("16.67")},
              "c": {"tech": Decimal("28.00"), "biz": Decimal("14.00")},
              "d": {"tech": Decimal("35.00"), "biz": Decimal("18.00")}}

    entries = rank(lot, bids, scores)

    # mean of a, b, c = 3,000,000.00 / 3 = 1,000,000.00; benchmark = 1,000,000.00 × (1 − 0.02) = 980,000.00
    # a: d = 50,000 / 980,000 × 100 = 5.10204081…; 40 − 0.8 × 5.10204081… = 35.9183673… → 35.92
    # b: d = 20,000 / 980,000 × 100 = 2.04081632…; 40 − 0.8 × 2.04081632… = 38.3673469… → 38.37
    # c: d = −10,000 / 980,000 × 100 = −1.02040816…; 40 − 0.5 × 1.02040816… = 39.4897959… → 39.49
    assert [e["bid_id"] for e in entries] == ["b", "c", "a", "d"]
    got = by_id(entries)
    assert got["a"]["price_score"] == Decimal("35.92")
    assert got["b"]["price_score"] == Decimal("38.37")
    assert got["c"]["price_score"] == Decimal("39.49")
    assert got["a"]["total"] == Decimal("30.50") + Decimal("15.00") + Decimal("35.92")  # 81.42
    assert got["b"]["total"] == Decimal("33.33") + Decimal("16.67") + Decimal("38.37")  # 88.37
    assert got["c"]["total"] == Decimal("28.00") + Decimal("14.00") + Decimal("39.49")  # 81.49
    assert [got[x]["rank"] for x in "bca"] == [1, 2, 3]
    assert got["b"]["scores"] == {"tech": Decimal("33.33"), "biz": Decimal("16.67")}
    assert got["d"] == {"bid_id": "d", "bidder_name": "Bidder d", "price": Decimal("700000.00"),
                        "evaluated_price": None, "qualified": False,
                        "scores": {"tech": Decimal("35.00"), "biz": Decimal("18.00")},
                        "price_score": None, "total": None, "rank": None}


def test_lowest_formula_scores_against_the_lowest_qualified_price_rounding_half_up():
    criteria = [{"code": "tech", "name": "Technical", "max": 60, "kind": "technical"},
                {"code": "price", "name": "Price", "max": 40, "kind": "price"}]
    lot = Lot(evaluation="scoring", criteria=criteria, price_formula="lowest")
    bids = [bid("a", "290000.00", 0), bid("b", "640000.00", 1),
            bid("c", "200000.00", 2, qualified=False),  # lower still, but failed: not the benchmark
            bid("d", "400000.00", 3)]
    scores = {"a": {"tech": Decimal("30.00")}, "b": {"tech": Decimal("55.00")}, "c": {"tech": Decimal("59.00")},
              "d": {"tech": Decimal("45.50")}}

    got = by_id(rank(lot, bids, scores))

    # benchmark = 290,000.00
    assert got["a"]["price_score"] == Decimal("40.00")  # 40 × 290,000 / 290,000
    assert got["b"]["price_score"] == Decimal("18.13")  # 40 × 290,000 / 640,000 = 40 × 29/64 = 18.125, half up
    assert got["d"]["price_score"] == Decimal("29.00")  # 40 × 290,000 / 400,000 = 29
    assert got["a"]["total"] == Decimal("70.00")  # 30.00 + 40.00
    assert got["b"]["total"] == Decimal("73.13")  # 55.00 + 18.13
    assert got["d"]["total"] == Decimal("74.50")  # 45.50 + 29.00
    assert (got["d"]["rank"], got["b"]["rank"], got["a"]["rank"], got["c"]["rank"]) == (1, 2, 3, None)


def test_equal_totals_rank_the_lower_price_first_then_the_earlier_submission():
    criteria = [{"code": "tech", "name": "Technical", "max": 50, "kind": "technical"},
                {"code": "price", "name": "Price", "max": 50, "kind": "price"}]
    lot = Lot(evaluation="scoring", criteria=criteria)  # price_formula defaults to lowest
    early, cheap, late = bid("early", "125000.00", 0), bid("cheap", "100000.00", 10), bid("late", "125000.00", 20)
    scores = {"early": {"tech": Decimal("50.00")}, "cheap": {"tech": Decimal("40.00")},
              "late": {"tech": Decimal("50.00")}}

    entries = rank(lot, [late, early, cheap], scores)

    # early, late: 50.00 + 50 × 100,000 / 125,000 = 50.00 + 40.00 = 90.00; cheap: 40.00 + 50.00 = 90.00
    assert [e["total"] for e in entries] == [Decimal("90.00")] * 3
    assert [(e["bid_id"], e["rank"]) for e in entries] == [("cheap", 1), ("early", 2), ("late", 3)]


def test_lowest_price_ranks_qualified_prices_ascending_then_unqualified_by_submission():
    lot = Lot(budget=Decimal("1000000.00"))  # evaluation defaults to lowest_price
    bids = [bid("e", "920000.00", 0, qualified=False), bid("a", "980000.00", 5), bid("c", "950000.00", 10),
            bid("b", "950000.00", 30), bid("d", "1200000.00", 40, qualified=False, above_ceiling=True)]

    entries = rank(lot, list(reversed(bids)))

    assert [(e["bid_id"], e["rank"]) for e in entries] == [("c", 1), ("b", 2), ("a", 3), ("e", None), ("d", None)]
    assert [e["price"] for e in entries[:3]] == [Decimal("950000.00"), Decimal("950000.00"), Decimal("980000.00")]
    assert all(e["scores"] == {} and e["price_score"] is None and e["total"] is None for e in entries)
    assert [e["qualified"] for e in entries] == [True, True, True, False, False]


def test_no_qualified_bid_gives_only_unranked_entries():
    criteria = [{"code": "tech", "name": "Technical", "max": 60, "kind": "technical"},
                {"code": "price", "name": "Price", "max": 40, "kind": "price"}]
    lot = Lot(evaluation="scoring", criteria=criteria, price_formula="deviation", points_above=1, points_below=1)
    bids = [bid("b", "900000.00", 7, qualified=False),
            bid("a", "2100000.00", 3, qualified=False, above_ceiling=True)]

    entries = rank(lot, bids, {"b": {"tech": Decimal("20.00")}})

    assert [(e["bid_id"], e["qualified"], e["rank"], e["price_score"], e["total"]) for e in entries] == [
        ("a", False, None, None, None), ("b", False, None, None, None)]
    assert entries[0]["scores"] == {}  # above the ceiling: never scored


def test_deviation_score_never_falls_below_zero():
    criteria = [{"code": "tech", "name": "Technical", "max": 90, "kind": "technical"},
                {"code": "price", "name": "Price", "max": 10, "kind": "price"}]
    lot = Lot(evaluation="scoring", criteria=criteria, price_formula="deviation", points_above=2, points_below=0.1)
    bids = [bid("a", "1000000.00", 0), bid("b", "2000000.00", 1)]
    scores = {"a": {"tech": Decimal("80.00")}, "b": {"tech": Decimal("85.00")}}

    got = by_id(rank(lot, bids, scores))

    # benchmark = (1,000,000 + 2,000,000) / 2 × (1 − 0) = 1,500,000
    # b: d = 500,000 / 1,500,000 × 100 = 33.33…; 10 − 2 × 33.33… = −56.67 → 0
    # a: d = −33.33…; 10 − 0.1 × 33.33… = 6.666… → 6.67
    assert got["b"]["price_score"] == Decimal("0.00")
    assert got["a"]["price_score"] == Decimal("6.67")
    assert (got["a"]["total"], got["b"]["total"]) == (Decimal("86.67"), Decimal("85.00"))
    assert (got["a"]["rank"], got["b"]["rank"]) == (1, 2)


def test_other_methods_are_left_to_their_plugins():
    assert rank(Lot(method="procurement.open", category="goods"), [bid("a", "1.00", 0)]) is None
    assert ggzy_rank(lot="not a lot", bids=[], scores={}) is None


def test_the_plugin_manager_asks_tendering_for_a_tendering_lot():
    pm = make_plugin_manager()
    entries = pm.hook.ggzy_rank(lot=Lot(method="tendering.invited"), bids=[bid("a", "10.00", 0)], scores={})
    assert [(e["bid_id"], e["rank"]) for e in entries] == [("a", 1)]
