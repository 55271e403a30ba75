"""Government procurement's ranking of an evaluated lot (ggzy_rank): SME deductions, scoring and final quotes."""
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from plugins.procurement import ggzy_rank
from trading.plugins import make_plugin_manager
from trading.services.evaluation import BidView

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Project:
    def __init__(self, method, params):
        self.method, self.params = method, params


class Lot:
    def __init__(self, method="procurement.open", budget=Decimal("2000000.00"), **params):
        self.project = Project(method, params)
        self.budget = budget


def bid(bid_id, price, minute, sme=False, qualified=True, quote=None):
    """A bid submitted at 09:<minute>; with a final ``quote`` its price is the quote, as the evaluation gives it."""
    opened = Decimal(price)
    final = Decimal(quote) if quote is not None else None
    return BidView(bid_id=bid_id, bidder_name=f"Supplier {bid_id}", org_id=f"org-{bid_id}",
                   price=final if final is not None else opened, opened_price=opened, sme=sme,
                   submitted_at=datetime(2026, 12, 21, 9, minute, tzinfo=SHANGHAI), qualified=qualified,
                   above_ceiling=False, final_quote=final)


def rank(lot, bids, scores=None):
    return ggzy_rank(lot=lot, bids=bids, scores=scores or {})


def by_id(entries):
    return {e["bid_id"]: e for e in entries}


def test_scoring_deducts_for_sme_bidders_but_keeps_the_offered_price():
    criteria = [{"code": "tech", "name": "Technical", "max": 40, "kind": "technical"},
                {"code": "biz", "name": "Business", "max": 30, "kind": "business"},
                {"code": "price", "name": "Price", "max": 30, "kind": "price"}]
    lot = Lot(category="goods", evaluation="scoring", criteria=criteria, sme_deduction=0.10)
    bids = [bid("a", "1000000.00", 0, sme=True), bid("b", "920000.00", 1), bid("c", "1050000.00", 2, sme=True),
            bid("d", "800000.00", 3, qualified=False)]  # failed: not the benchmark
    scores = {"a": {"tech": Decimal("32.50"), "biz": Decimal("20.00")},
              "b": {"tech": Decimal("32.00"), "biz": Decimal("21.00")},
              "c": {"tech": Decimal("33.00"), "biz": Decimal("20.50")},
              "d": {"tech": Decimal("38.00"), "biz": Decimal("28.00")}}

    entries = rank(lot, bids, scores)
    got = by_id(entries)

    # evaluated: a 1,000,000.00 × 0.90 = 900,000.00; b 920,000.00 (not SME); c 1,050,000.00 × 0.90 = 945,000.00
    assert got["a"]["evaluated_price"] == Decimal("900000.00")
    assert got["b"]["evaluated_price"] == Decimal("920000.00")
    assert got["c"]["evaluated_price"] == Decimal("945000.00")
    # the awarded amount stays the offered price
    assert (got["a"]["price"], got["c"]["price"]) == (Decimal("1000000.00"), Decimal("1050000.00"))
    # benchmark = 900,000.00 (a)
    assert got["a"]["price_score"] == Decimal("30.00")  # 30 × 900,000 / 900,000
    assert got["b"]["price_score"] == Decimal("29.35")  # 30 × 900,000 / 920,000 = 29.3478… → 29.35
    assert got["c"]["price_score"] == Decimal("28.57")  # 30 × 900,000 / 945,000 = 28.5714… → 28.57
    assert got["a"]["total"] == Decimal("82.50")  # 32.50 + 20.00 + 30.00
    assert got["b"]["total"] == Decimal("82.35")  # 32.00 + 21.00 + 29.35
    assert got["c"]["total"] == Decimal("82.07")  # 33.00 + 20.50 + 28.57
    # without the deduction b would lead (a: 27.60 → 80.10, b: 30.00 → 83.00)
    assert [(e["bid_id"], e["rank"]) for e in entries] == [("a", 1), ("b", 2), ("c", 3), ("d", None)]
    assert (got["d"]["price_score"], got["d"]["total"]) == (None, None)


def test_lowest_price_ranks_evaluated_prices_then_lower_offered_price_then_earlier_submission():
    lot = Lot(category="goods", sme_deduction=0.20)  # procurement.open defaults to lowest_price
    bids = [bid("a", "850000.00", 0), bid("b", "1000000.00", 1, sme=True), bid("c", "1062500.00", 2, sme=True),
            bid("e", "850000.00", 4), bid("d", "700000.00", 3, qualified=False)]

    entries = rank(lot, bids)
    got = by_id(entries)

    # evaluated: a 850,000.00; b 1,000,000.00 × 0.80 = 800,000.00; c 1,062,500.00 × 0.80 = 850,000.00; e 850,000.00
    assert got["b"]["evaluated_price"] == Decimal("800000.00")
    assert got["c"]["evaluated_price"] == Decimal("850000.00")
    assert got["b"]["price"] == Decimal("1000000.00")
    # a, c and e tie at 850,000.00: a and e offered less than c; a was submitted before e
    assert [(e["bid_id"], e["rank"]) for e in entries] == [("b", 1), ("a", 2), ("e", 3), ("c", 4), ("d", None)]
    assert all(e["scores"] == {} and e["price_score"] is None and e["total"] is None for e in entries)


def test_an_sme_declaration_changes_nothing_without_a_deduction():
    entries = rank(Lot(category="services"), [bid("a", "100.00", 0, sme=True), bid("b", "95.00", 1)])
    assert [(e["bid_id"], e["evaluated_price"], e["rank"]) for e in entries] == [
        ("b", Decimal("95.00"), 1), ("a", Decimal("100.00"), 2)]


def test_negotiation_ranks_by_the_lowest_final_quote():
    lot = Lot(method="procurement.competitive_negotiation", category="services")
    bids = [bid("a", "500000.00", 0, quote="450000.00"), bid("b", "460000.00", 1),  # b gave no quote
            bid("c", "480000.00", 2, quote="440000.00")]

    entries = rank(lot, bids)

    assert [(e["bid_id"], e["price"], e["rank"]) for e in entries] == [
        ("c", Decimal("440000.00"), 1), ("a", Decimal("450000.00"), 2), ("b", Decimal("460000.00"), 3)]


def test_consultation_scores_the_final_quote_by_default():
    criteria = [{"code": "tech", "name": "Technical", "max": 80, "kind": "technical"},
                {"code": "price", "name": "Price", "max": 20, "kind": "price"}]
    lot = Lot(method="procurement.competitive_consultation", category="services", criteria=criteria)
    bids = [bid("a", "100000.00", 0, quote="90000.00"), bid("b", "95000.00", 1)]
    scores = {"a": {"tech": Decimal("60.00")}, "b": {"tech": Decimal("61.00")}}

    got = by_id(rank(lot, bids, scores))

    # benchmark = a's quote 90,000.00; b: 20 × 90,000 / 95,000 = 18.947… → 18.95
    assert (got["a"]["price"], got["a"]["price_score"], got["a"]["total"]) == (
        Decimal("90000.00"), Decimal("20.00"), Decimal("80.00"))
    assert (got["b"]["price_score"], got["b"]["total"]) == (Decimal("18.95"), Decimal("79.95"))
    assert (got["a"]["rank"], got["b"]["rank"]) == (1, 2)


def test_no_qualified_bid_gives_only_unranked_entries():
    criteria = [{"code": "tech", "name": "Technical", "max": 70, "kind": "technical"},
                {"code": "price", "name": "Price", "max": 30, "kind": "price"}]
    lot = Lot(category="goods", evaluation="scoring", criteria=criteria, sme_deduction=0.1)
    bids = [bid("b", "200.00", 5, sme=True, qualified=False), bid("a", "300.00", 1, qualified=False)]

    entries = rank(lot, bids, {"a": {"tech": Decimal("50.00")}})

    assert [(e["bid_id"], e["qualified"], e["rank"], e["price_score"], e["total"]) for e in entries] == [
        ("a", False, None, None, None), ("b", False, None, None, None)]


def test_other_methods_are_left_to_their_plugins():
    assert rank(Lot(method="tendering.open"), [bid("a", "1.00", 0)]) is None
    assert ggzy_rank(lot="not a lot", bids=[], scores={}) is None


def test_the_plugin_manager_asks_procurement_for_a_procurement_lot():
    pm = make_plugin_manager()
    entries = pm.hook.ggzy_rank(lot=Lot(method="procurement.inquiry", category="goods"),
                                bids=[bid("a", "10.00", 0)], scores={})
    assert [(e["bid_id"], e["price"], e["rank"]) for e in entries] == [("a", Decimal("10.00"), 1)]
