"""The publish and amendment rules of tendering.open and tendering.invited, at their boundaries."""
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from plugins.tendering import ggzy_check_rules
from trading.legal_limits import legal
from trading.rules import AmendmentView, LotView, ProjectView
from tests.unit.trading.test_timeline_rules import WeekendCalendar, warned

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI)  # the announcement, a Tuesday
CALENDAR = WeekendCalendar()


def at(month, day, hour=9, minute=0):
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def tender(method="tendering.open", lots=None, params=None, **timeline):
    """A tender at every minimum: documents from the announcement for 5 days, bids due 20 days after."""
    instants = {"docs_from": NOW, "docs_until": at(12, 6, 17), "bid_deadline": at(12, 21, 9, 30)}
    instants.update(timeline)
    if params is None:
        params = {"invitees": ["org-a", "org-b", "org-c"]} if method == "tendering.invited" else {}
    if lots is None:
        lots = [LotView(id="lot-1", number=1, title="Lot 1", budget=Decimal("5000000.00"),
                        deposit=Decimal("100000.00"))]
    return ProjectView(id="p1", method=method, sector="tendering", params=params, lots=lots,
                       timeline={name: moment for name, moment in instants.items() if moment is not None})


LEGAL = legal()  # the legal values: an app without ggzy.rules.* settings


def check(project, now=NOW, amendment=None, calendar=CALENDAR, limits=LEGAL):
    return ggzy_check_rules(project=project, now=now, calendar=calendar, amendment=amendment, limits=limits)


def blocking(results):
    return [r for r in results if r.blocking]


def codes(results):
    return sorted(r.rule for r in blocking(results))


@pytest.mark.parametrize("method", ["tendering.open", "tendering.invited"])
def test_a_tender_at_every_minimum_is_accepted(method):
    results = check(tender(method))

    assert blocking(results) == []


def test_other_methods_are_ignored():
    for method in ("procurement.open", "land.listing", "equity.transfer"):
        project = tender(docs_until=at(11, 1))
        project.method = method
        assert check(project) == []


def test_bid_period_of_20_days_is_accepted():
    assert codes(check(tender(bid_deadline=at(12, 21, 0, 1)))) == []


def test_bid_period_of_19_days_is_refused():
    [violation] = blocking(check(tender(bid_deadline=at(12, 20, 23, 59))))

    assert violation.rule == "timeline.bid_period_short"
    assert (violation.source, violation.policy) == ("TBL Art 24", "TBL")
    assert violation.extra == {"field": "bid_deadline", "minimum": 20, "actual": 19, "unit": "days"}
    assert violation.message.interpolate() == (
        "The bid deadline must be at least 20 days after the documents are first offered (now 19)."
    )


def test_docs_period_of_5_days_is_accepted():
    assert codes(check(tender(docs_until=at(12, 6, 0, 0)))) == []


def test_docs_period_of_4_days_is_refused():
    [violation] = blocking(check(tender(docs_until=at(12, 5, 23, 59))))

    assert violation.rule == "timeline.docs_period_short"
    assert (violation.source, violation.policy) == ("Reg Art 16", "Reg")
    assert violation.extra["minimum"] == 5 and violation.extra["actual"] == 4


def test_the_first_instant_may_equal_the_announcement():
    assert codes(check(tender(docs_from=NOW))) == []


def test_an_instant_a_minute_before_the_announcement_is_refused():
    results = check(tender(docs_from=at(12, 1, 8, 59)))

    assert codes(results) == ["timeline.order"]


def test_documents_closing_after_the_bid_deadline_are_out_of_order():
    results = check(tender(docs_until=at(12, 21, 9, 31)))

    assert codes(results) == ["timeline.order"]


def test_questions_after_the_bid_deadline_are_out_of_order():
    assert codes(check(tender(questions_until=at(12, 21, 9, 30)))) == []
    assert codes(check(tender(questions_until=at(12, 21, 9, 31)))) == ["timeline.order"]


def test_every_broken_rule_is_reported():
    lots = [LotView(id="l1", number=1, title="A", budget=Decimal("100.00"), deposit=Decimal("2.01"))]
    project = tender("tendering.invited", lots=lots, params={"invitees": ["a", "b"]},
                     docs_from=at(11, 30), docs_until=at(12, 3), bid_deadline=at(12, 19))

    assert codes(check(project)) == [
        "deposit.too_high", "invited.too_few", "timeline.bid_period_short", "timeline.docs_period_short",
        "timeline.order",
    ]


def test_a_deposit_of_2_percent_of_the_budget_is_accepted():
    lots = [LotView(id="l1", number=1, title="A", budget=Decimal("1000000.00"), deposit=Decimal("20000.00"))]

    assert codes(check(tender(lots=lots))) == []


def test_a_deposit_one_cent_above_2_percent_is_refused():
    lots = [
        LotView(id="l1", number=1, title="A", budget=Decimal("1000000.00"), deposit=Decimal("20000.00")),
        LotView(id="l2", number=2, title="B", budget=Decimal("1000000.00"), deposit=Decimal("20000.01")),
    ]

    [violation] = blocking(check(tender(lots=lots)))

    assert violation.rule == "deposit.too_high"
    assert (violation.source, violation.policy) == ("Reg Art 26", "Reg")
    assert violation.extra["lot"] == 2
    assert violation.message.interpolate() == (
        "Lot 2: the deposit 20000.01 is more than 2% of the budget 1000000.00; it may be at most 20000.00."
    )


def test_three_invitees_are_enough():
    assert codes(check(tender("tendering.invited", params={"invitees": ["a", "b", "c"]}))) == []


def test_two_distinct_invitees_are_refused():
    [violation] = blocking(check(tender("tendering.invited", params={"invitees": ["a", "b", "b"]})))

    assert violation.rule == "invited.too_few"
    assert (violation.source, violation.policy) == ("TBL Art 17", "TBL")
    assert violation.extra["actual"] == 2 and violation.extra["minimum"] == 3


def test_open_tendering_needs_no_invitees():
    assert codes(check(tender("tendering.open", params={}))) == []


def test_scoring_criteria_must_add_up_to_100_with_one_price_criterion():
    good = [{"code": "price", "name": "Price", "max": 60.7, "kind": "price"},
            {"code": "tech", "name": "Technical", "max": 30.1, "kind": "technical"},
            {"code": "biz", "name": "Business", "max": 9.2, "kind": "business"}]
    short = [dict(good[0], max=60.69), *good[1:]]
    no_price = [dict(c, kind="technical") for c in good]

    assert codes(check(tender(params={"evaluation": "scoring", "criteria": good}))) == []
    assert codes(check(tender(params={"evaluation": "scoring", "criteria": short}))) == ["evaluation.criteria_total"]
    assert codes(check(tender(params={"evaluation": "scoring", "criteria": no_price}))) == [
        "evaluation.price_criterion"
    ]


def test_lowest_price_evaluation_does_not_check_criteria():
    assert codes(check(tender(params={"evaluation": "lowest_price"}))) == []


def test_a_bid_deadline_on_a_sunday_only_warns():
    results = check(tender(docs_until=at(12, 7, 17), bid_deadline=at(12, 27, 9, 30)))

    assert blocking(results) == []
    assert warned(results) == [("timeline.non_working_day", "bid_deadline")]


# amendments (Reg Art 21, TBL Art 23)


def amend(issued, **new_timeline):
    old = tender()
    return tender(**new_timeline), AmendmentView(old_timeline=dict(old.timeline), issued_at=issued)


def test_an_amendment_15_days_before_the_deadline_leaves_it_alone():
    project, amendment = amend(at(12, 6, 20))

    assert codes(check(project, now=amendment.issued_at, amendment=amendment)) == []


def test_an_amendment_14_days_before_the_deadline_that_keeps_it_is_refused():
    project, amendment = amend(at(12, 7, 8))

    [violation] = blocking(check(project, now=amendment.issued_at, amendment=amendment))

    assert violation.rule == "timeline.amendment_too_late"
    assert (violation.source, violation.policy) == ("Reg Art 21, TBL Art 23", "Reg")
    assert violation.extra["actual"] == 14


def test_an_amendment_14_days_before_may_move_the_deadline_to_15_days_after_it():
    project, amendment = amend(at(12, 7, 8), bid_deadline=at(12, 22, 9, 30))

    assert codes(check(project, now=amendment.issued_at, amendment=amendment)) == []


def test_an_amendment_14_days_before_moving_the_deadline_to_14_days_after_is_refused():
    project, amendment = amend(at(12, 7, 8), bid_deadline=at(12, 21, 23, 59))

    assert codes(check(project, now=amendment.issued_at, amendment=amendment)) == ["timeline.amendment_too_late"]


def test_an_amendment_keeps_the_past_instants_it_does_not_change():
    project, amendment = amend(at(12, 10), bid_deadline=at(12, 28, 9, 30))

    assert codes(check(project, now=amendment.issued_at, amendment=amendment)) == []


def test_an_amendment_moving_an_instant_into_its_past_is_refused():
    project, amendment = amend(at(12, 10), docs_until=at(12, 9), bid_deadline=at(12, 28, 9, 30))

    assert codes(check(project, now=amendment.issued_at, amendment=amendment)) == ["timeline.order"]


def test_an_amendment_still_applies_the_periods_to_the_new_timeline():
    project, amendment = amend(at(12, 2), docs_until=at(12, 5, 17))

    assert codes(check(project, now=amendment.issued_at, amendment=amendment)) == ["timeline.docs_period_short"]
