"""The publish and amendment rules of the government procurement methods, at their boundaries."""
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from plugins.procurement import ggzy_check_rules
from trading.legal_limits import legal
from trading.rules import AmendmentView, LotView, ProjectView
from tests.unit.trading.test_timeline_rules import WeekendCalendar, warned

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI)  # the announcement, a Tuesday
CALENDAR = WeekendCalendar()


def at(month, day, hour=9, minute=0):
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


# each method's timeline at its minimum periods, from the Tuesday announcement
TIMELINES = {
    # documents Tue 1 → Tue 8 (5 working days), bids 20 days after Tue 1
    "procurement.open": {"docs_from": NOW, "docs_until": at(12, 8, 17), "bid_deadline": at(12, 21, 9, 30)},
    # documents from Fri 4, responses Wed 9: Mon 7, Tue 8, Wed 9 are 3 working days
    "procurement.competitive_negotiation": {"docs_from": at(12, 4), "docs_until": at(12, 8, 17),
                                            "bid_deadline": at(12, 9, 9, 30)},
    "procurement.inquiry": {"docs_from": at(12, 4), "docs_until": at(12, 8, 17), "bid_deadline": at(12, 9, 9, 30)},
    # documents Tue 1 → Tue 8 (5 working days), responses 10 days after Tue 1
    "procurement.competitive_consultation": {"docs_from": NOW, "docs_until": at(12, 8, 17),
                                             "bid_deadline": at(12, 11, 9, 30)},
    # publicity Tue 1 → Tue 8 (5 working days) before the documents
    "procurement.single_source": {"docs_from": at(12, 8), "docs_until": at(12, 9, 17), "bid_deadline": at(12, 10)},
}
CRITERIA_50 = [{"code": "price", "name": "Price", "max": 50, "kind": "price"},
               {"code": "tech", "name": "Technical", "max": 50, "kind": "technical"}]


def purchase(method="procurement.open", lots=None, params=None, **timeline):
    instants = dict(TIMELINES[method])
    instants.update(timeline)
    if params is None:
        params = {"category": "goods"}
        if method == "procurement.single_source":
            params["supplier_org_id"] = "org-s"
        if method == "procurement.competitive_consultation":
            params["criteria"] = CRITERIA_50
    if lots is None:
        lots = [LotView(id="lot-1", number=1, title="Lot 1", budget=Decimal("1000000.00"), deposit=Decimal("20000.00"))]
    return ProjectView(id="p1", method=method, sector="procurement", params=params, lots=lots,
                       timeline={name: moment for name, moment in instants.items() if moment is not None},
                       published_at=None)


LEGAL = legal()  # the legal values: an app without ggzy.rules.* settings


def check(project, now=NOW, amendment=None, calendar=CALENDAR, limits=LEGAL):
    return ggzy_check_rules(project=project, now=now, calendar=calendar, amendment=amendment, limits=limits)


def blocking(results):
    return [r for r in results if r.blocking]


def codes(results):
    return sorted(r.rule for r in blocking(results))


def only(results, rule):
    [violation] = [r for r in results if r.rule == rule]
    return violation


@pytest.mark.parametrize("method", sorted(TIMELINES))
def test_a_purchase_at_every_minimum_is_accepted(method):
    assert codes(check(purchase(method))) == []


def test_other_methods_are_ignored():
    project = purchase(docs_until=at(11, 1))
    for method in ("tendering.open", "land.auction", "equity.transfer"):
        project.method = method
        assert check(project) == []


# procurement.open


def test_open_tender_bid_period_of_20_days_is_accepted():
    assert codes(check(purchase(bid_deadline=at(12, 21, 0, 1)))) == []


def test_open_tender_bid_period_of_19_days_is_refused():
    [violation] = blocking(check(purchase(bid_deadline=at(12, 20, 23, 59))))

    assert violation.rule == "timeline.bid_period_short"
    assert (violation.source, violation.policy) == ("GPL Art 35", "GPL")
    assert violation.extra["minimum"] == 20 and violation.extra["actual"] == 19


def test_open_tender_documents_on_offer_5_working_days_are_accepted():
    assert codes(check(purchase(docs_until=at(12, 8, 0, 1)))) == []


def test_open_tender_documents_on_offer_4_working_days_are_refused_though_6_days_long():
    [violation] = blocking(check(purchase(docs_until=at(12, 7, 17))))

    assert violation.rule == "timeline.docs_period_short"
    assert (violation.source, violation.policy) == ("O87 Art 18", "O87")
    assert violation.extra == {"field": "docs_until", "minimum": 5, "actual": 4, "unit": "working_days"}


def test_open_tender_document_days_skip_holidays():
    calendar = WeekendCalendar(holidays={date(2026, 12, 3)})

    assert codes(check(purchase(docs_until=at(12, 8, 17)), calendar=calendar)) == ["timeline.docs_period_short"]
    assert codes(check(purchase(docs_until=at(12, 9, 17)), calendar=calendar)) == []


def test_open_tender_documents_may_close_on_an_adjusted_working_weekend():
    calendar = WeekendCalendar(working_weekends={date(2026, 12, 5)})

    assert codes(check(purchase(docs_until=at(12, 7, 17)), calendar=calendar)) == []


def _amend(method, issued, **new_timeline):
    old = purchase(method)
    return purchase(method, **new_timeline), AmendmentView(old_timeline=dict(old.timeline), issued_at=issued)


def test_open_tender_amendment_15_days_before_the_deadline_leaves_it_alone():
    project, amendment = _amend("procurement.open", at(12, 6, 23, 59))

    assert codes(check(project, now=amendment.issued_at, amendment=amendment)) == []


def test_open_tender_amendment_14_days_before_the_deadline_must_move_it():
    kept, amendment = _amend("procurement.open", at(12, 7))
    moved, moved_amendment = _amend("procurement.open", at(12, 7), bid_deadline=at(12, 22, 9, 30))
    short, short_amendment = _amend("procurement.open", at(12, 7), bid_deadline=at(12, 21, 23, 59))

    violation = only(check(kept, now=at(12, 7), amendment=amendment), "timeline.amendment_too_late")
    assert (violation.source, violation.policy) == ("O87 Art 27", "O87")
    assert codes(check(moved, now=at(12, 7), amendment=moved_amendment)) == []
    assert codes(check(short, now=at(12, 7), amendment=short_amendment)) == ["timeline.amendment_too_late"]


def test_the_15_day_amendment_rule_is_for_open_tender_only():
    project, amendment = _amend("procurement.inquiry", at(12, 7))

    assert codes(check(project, now=amendment.issued_at, amendment=amendment)) == []


# negotiation, inquiry, consultation


@pytest.mark.parametrize("method", ["procurement.competitive_negotiation", "procurement.inquiry"])
def test_response_period_of_3_working_days_is_accepted(method):
    assert codes(check(purchase(method, bid_deadline=at(12, 9, 0, 1)))) == []


@pytest.mark.parametrize("method", ["procurement.competitive_negotiation", "procurement.inquiry"])
def test_response_period_of_2_working_days_is_refused_though_4_days_long(method):
    [violation] = blocking(check(purchase(method, bid_deadline=at(12, 8, 23, 59))))

    assert violation.rule == "timeline.response_period_short"
    assert (violation.source, violation.policy) == ("O74 Art 29, 45", "O74")
    assert violation.extra == {"field": "bid_deadline", "minimum": 3, "actual": 2, "unit": "working_days"}


def test_consultation_response_period_of_10_days_is_accepted():
    assert codes(check(purchase("procurement.competitive_consultation", bid_deadline=at(12, 11, 0, 1)))) == []


def test_consultation_response_period_of_9_days_is_refused():
    results = check(purchase("procurement.competitive_consultation", bid_deadline=at(12, 10, 23, 59)))

    violation = only(blocking(results), "timeline.response_period_short")
    assert codes(results) == ["timeline.response_period_short"]
    assert (violation.source, violation.policy) == ("C214 Art 10", "C214")
    assert violation.extra["minimum"] == 10 and violation.extra["actual"] == 9


def test_consultation_documents_on_offer_4_working_days_are_refused():
    results = check(purchase("procurement.competitive_consultation", docs_until=at(12, 7, 17)))

    violation = only(blocking(results), "timeline.docs_period_short")
    assert codes(results) == ["timeline.docs_period_short"]
    assert (violation.source, violation.policy) == ("C214 Art 10", "C214")
    assert violation.extra["actual"] == 4


# single source


def test_single_source_publicity_of_5_working_days_is_accepted():
    assert codes(check(purchase("procurement.single_source", docs_from=at(12, 8, 0, 0)))) == []


def test_single_source_publicity_of_4_working_days_is_refused():
    [violation] = blocking(check(purchase("procurement.single_source", docs_from=at(12, 7, 23, 59))))

    assert violation.rule == "timeline.announcement_short"
    assert (violation.source, violation.policy) == ("GPL Reg Art 38", "GPLReg")
    assert violation.extra == {"field": "docs_from", "minimum": 5, "actual": 4, "unit": "working_days"}


def test_single_source_publicity_on_an_amendment_counts_from_the_announcement_not_the_amendment():
    # Tue 1 → Tue 8 is 5 working days; Wed 2 (the amendment) → Tue 8 would be 4
    project = purchase("procurement.single_source", docs_from=at(12, 8, 10))
    project.published_at = NOW
    amendment = AmendmentView(old_timeline=dict(purchase("procurement.single_source").timeline),
                              issued_at=at(12, 2))
    earlier = purchase("procurement.single_source", docs_from=at(12, 7, 10))
    earlier.published_at = NOW

    assert codes(check(project, now=at(12, 2), amendment=amendment)) == []
    assert codes(check(earlier, now=at(12, 2), amendment=amendment)) == ["timeline.announcement_short"]


def test_single_source_names_its_supplier():
    results = check(purchase("procurement.single_source", params={"category": "goods"}))

    violation = only(blocking(results), "single_source.supplier_required")
    assert (violation.source, violation.policy) == ("GPL Reg Art 38", "GPLReg")


# deposit


@pytest.mark.parametrize("method", sorted(TIMELINES))
def test_a_deposit_one_cent_above_2_percent_is_refused(method):
    lots = [LotView(id="l1", number=3, title="A", budget=Decimal("1000000.00"), deposit=Decimal("20000.01"))]

    [violation] = blocking(check(purchase(method, lots=lots)))

    assert violation.rule == "deposit.too_high"
    assert (violation.source, violation.policy) == ("GPL Reg Art 33", "GPLReg")
    assert violation.extra["lot"] == 3


# scoring


def scoring(method, category, price_max, **params):
    criteria = [{"code": "price", "name": "Price", "max": price_max, "kind": "price"},
                {"code": "tech", "name": "Technical", "max": float(Decimal(100) - Decimal(str(price_max))),
                 "kind": "technical"}]
    return purchase(method, params={"category": category, "evaluation": "scoring", "criteria": criteria, **params})


@pytest.mark.parametrize("category, floor", [("goods", 30), ("services", 10)])
def test_open_tender_price_weight_at_its_floor_is_accepted(category, floor):
    assert codes(check(scoring("procurement.open", category, floor))) == []


@pytest.mark.parametrize("category, below", [("goods", 29.99), ("services", 9.99)])
def test_open_tender_price_weight_below_its_floor_is_refused(category, below):
    [violation] = blocking(check(scoring("procurement.open", category, below)))

    assert violation.rule == "evaluation.price_weight"
    assert (violation.source, violation.policy) == ("O87 Art 55", "O87")
    assert violation.extra["actual"] == below and violation.extra["category"] == category


def test_open_tender_for_works_has_no_price_floor():
    assert codes(check(scoring("procurement.open", "works", 5))) == []


@pytest.mark.parametrize("category, price_max", [("goods", 30), ("goods", 60), ("services", 10), ("services", 30)])
def test_consultation_price_weight_at_either_end_of_its_range_is_accepted(category, price_max):
    assert codes(check(scoring("procurement.competitive_consultation", category, price_max))) == []


@pytest.mark.parametrize("category, price_max", [
    ("goods", 29.99), ("goods", 60.01), ("services", 9.99), ("services", 30.01),
])
def test_consultation_price_weight_outside_its_range_is_refused(category, price_max):
    [violation] = blocking(check(scoring("procurement.competitive_consultation", category, price_max)))

    assert violation.rule == "evaluation.price_weight"
    assert (violation.source, violation.policy) == ("C214 Art 24", "C214")


def test_criteria_must_add_up_to_100():
    criteria = [{"code": "price", "name": "Price", "max": 30, "kind": "price"},
                {"code": "tech", "name": "Technical", "max": 70.01, "kind": "technical"}]
    project = purchase(params={"category": "goods", "evaluation": "scoring", "criteria": criteria})

    violation = only(check(project), "evaluation.criteria_total")
    assert codes(check(project)) == ["evaluation.criteria_total"]
    assert (violation.source, violation.policy) == ("O87 Art 55", "O87")


def test_scoring_needs_one_price_criterion():
    criteria = [{"code": "tech", "name": "Technical", "max": 100, "kind": "technical"}]
    project = purchase(params={"category": "goods", "evaluation": "scoring", "criteria": criteria})

    assert codes(check(project)) == ["evaluation.price_criterion"]


def test_consultation_always_scores():
    project = purchase("procurement.competitive_consultation", params={"category": "goods", "criteria": [
        {"code": "tech", "name": "Technical", "max": 99, "kind": "technical"},
    ]})

    assert codes(check(project)) == ["evaluation.criteria_total", "evaluation.price_criterion"]


# SME deduction


@pytest.mark.parametrize("category, deduction", [
    ("goods", 0.10), ("goods", 0.2), ("services", 0.1), ("services", 0.20), ("works", 0.03), ("works", 0.05),
])
def test_sme_deduction_at_either_end_of_its_range_is_accepted(category, deduction):
    assert codes(check(purchase(params={"category": category, "sme_deduction": deduction}))) == []


@pytest.mark.parametrize("category, deduction", [
    ("goods", 0.09), ("goods", 0.21), ("services", 0.09), ("services", 0.21), ("works", 0.02), ("works", 0.06),
])
def test_sme_deduction_outside_its_range_is_refused(category, deduction):
    [violation] = blocking(check(purchase(params={"category": category, "sme_deduction": deduction})))

    assert violation.rule == "evaluation.sme_deduction"
    assert (violation.source, violation.policy) == ("SME Art 9", "SME")
    assert violation.extra["actual"] == deduction


def test_sme_deduction_is_checked_for_every_procurement_method():
    project = purchase("procurement.inquiry", params={"category": "works", "sme_deduction": 0.1})

    assert codes(check(project)) == ["evaluation.sme_deduction"]


# warnings


def test_a_deadline_on_a_saturday_only_warns():
    results = check(purchase(bid_deadline=at(12, 26, 9, 30)))

    assert blocking(results) == []
    assert warned(results) == [("timeline.non_working_day", "bid_deadline")]
