"""The publish rules of land listing and auction and of equity transfer, at their boundaries."""
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

import plugins.equity
import plugins.land
from trading.legal_limits import legal
from trading.rules import AmendmentView, LotView, ProjectView
from tests.unit.trading.test_timeline_rules import WeekendCalendar, warned

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI)  # the announcement, a Tuesday
CALENDAR = WeekendCalendar(holidays={date(2027, 1, 1)})


def at(month, day, hour=9, minute=0, year=2026):
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


TIMELINES = {
    # listing 20 days after the announcement, open Dec 22–25, 28–31, Jan 4, 5: 10 working days (Jan 1 is a holiday)
    "land.listing": {"listing_from": at(12, 21), "listing_until": at(1, 5, 17, year=2027)},
    "land.auction": {"registration_until": at(12, 18, 17), "auction_at": at(12, 21, 10)},
    # disclosure Dec 2–4, 7–11, 14–18, 21–25, 28, 29: 20 working days
    "equity.transfer": {"disclosure_until": at(12, 29, 17), "auction_at": at(12, 30, 10)},
}


def land_lot(**amounts):
    values = {"start_price": Decimal("80000000.00"), "increment": Decimal("500000.00"),
              "reserve_price": Decimal("85000000.00"), "deposit": Decimal("16000000.00")}
    values.update(amounts)
    return LotView(id="lot-1", number=1, title="Parcel 2026-07", **values)


def equity_lot(**amounts):
    values = {"start_price": Decimal("900000.00"), "increment": Decimal("10000.00"), "deposit": Decimal("90000.00")}
    values.update(amounts)
    return LotView(id="lot-1", number=1, title="60% of Company A", **values)


def sale(method, lots=None, params=None, **timeline):
    instants = dict(TIMELINES[method])
    instants.update(timeline)
    if method == "equity.transfer":
        lots = [equity_lot()] if lots is None else lots
        params = {"appraisal": "1000000.00"} if params is None else params
    else:
        lots = [land_lot()] if lots is None else lots
        params = {} if params is None else params
    return ProjectView(id="p1", method=method, sector=method.split(".")[0], params=params, lots=lots,
                       timeline={name: moment for name, moment in instants.items() if moment is not None})


LEGAL = legal()  # the legal values: an app without ggzy.rules.* settings


def check(project, now=NOW, amendment=None, calendar=CALENDAR, limits=LEGAL):
    plugin = plugins.equity if project.method.startswith("equity.") else plugins.land
    return plugin.ggzy_check_rules(project=project, now=now, calendar=calendar, amendment=amendment, limits=limits)


def blocking(results):
    return [r for r in results if r.blocking]


def codes(results):
    return sorted(r.rule for r in blocking(results))


@pytest.mark.parametrize("method", sorted(TIMELINES))
def test_a_sale_at_every_minimum_is_accepted(method):
    assert codes(check(sale(method))) == []


def test_each_plugin_ignores_the_others_methods():
    for method in ("tendering.open", "procurement.open", "equity.transfer"):
        project = sale("land.listing", listing_from=at(11, 1))
        project.method = method
        assert plugins.land.ggzy_check_rules(project=project, now=NOW, calendar=CALENDAR, amendment=None, limits=LEGAL) == []
    for method in ("tendering.open", "land.listing", "land.auction"):
        project = sale("equity.transfer", disclosure_until=at(11, 1))
        project.method = method
        assert plugins.equity.ggzy_check_rules(project=project, now=NOW, calendar=CALENDAR, amendment=None, limits=LEGAL) == []


# land.listing


def test_listing_announced_20_days_before_it_starts_is_accepted():
    assert codes(check(sale("land.listing", listing_from=at(12, 21, 0, 0)))) == []


def test_listing_announced_19_days_before_it_starts_is_refused():
    [violation] = blocking(check(sale("land.listing", listing_from=at(12, 20, 23, 59))))

    assert violation.rule == "timeline.announcement_short"
    assert (violation.source, violation.policy) == ("L39", "L39")
    assert violation.extra == {"field": "listing_from", "minimum": 20, "actual": 19, "unit": "days"}


def test_listing_open_10_working_days_is_accepted():
    assert codes(check(sale("land.listing", listing_until=at(1, 5, 0, 1, year=2027)))) == []


def test_listing_open_9_working_days_is_refused():
    [violation] = blocking(check(sale("land.listing", listing_until=at(1, 4, 17, year=2027))))

    assert violation.rule == "timeline.listing_period_short"
    assert (violation.source, violation.policy) == ("L39 Art 17", "L39")
    assert violation.extra == {"field": "listing_until", "minimum": 10, "actual": 9, "unit": "working_days"}


def test_listing_closing_before_it_opens_is_out_of_order():
    results = check(sale("land.listing", listing_until=at(12, 20)))

    assert "timeline.order" in codes(results)


def test_listing_ending_on_a_holiday_only_warns():
    results = check(sale("land.listing", listing_until=at(1, 1, 17, year=2027)))

    assert codes(results) == ["timeline.listing_period_short"]  # Dec 22 to 31 is 8 working days
    assert warned(results) == [("timeline.non_working_day", "listing_until")]


# land.auction


def test_auction_announced_20_days_before_it_is_accepted():
    assert codes(check(sale("land.auction", auction_at=at(12, 21, 0, 0)))) == []


def test_auction_announced_19_days_before_it_is_refused():
    results = check(sale("land.auction", auction_at=at(12, 20, 23, 59)))

    [violation] = blocking(results)
    assert violation.rule == "timeline.announcement_short"
    assert violation.extra == {"field": "auction_at", "minimum": 20, "actual": 19, "unit": "days"}
    assert warned(results) == [("timeline.non_working_day", "auction_at")]  # a Sunday


def test_registration_closing_at_the_auction_is_accepted():
    assert codes(check(sale("land.auction", registration_until=at(12, 21, 10)))) == []


def test_registration_closing_after_the_auction_is_refused():
    [violation] = blocking(check(sale("land.auction", registration_until=at(12, 21, 10, 1))))

    assert violation.rule == "timeline.order"
    assert violation.extra == {"field": "auction_at", "after": "registration_until"}


def test_registration_closing_before_the_announcement_is_refused():
    [violation] = blocking(check(sale("land.auction", registration_until=at(12, 1, 8, 59))))

    assert violation.rule == "timeline.order"
    assert violation.extra == {"field": "registration_until"}


@pytest.mark.parametrize("method", ["land.listing", "land.auction"])
@pytest.mark.parametrize("field", ["start_price", "increment"])
def test_a_zero_start_price_or_increment_is_refused(method, field):
    [violation] = blocking(check(sale(method, lots=[land_lot(**{field: Decimal("0.00")})])))

    assert violation.rule == "lot.amount_not_positive"
    assert violation.extra["field"] == field and violation.extra["lot"] == 1


def test_a_one_cent_increment_is_accepted():
    assert codes(check(sale("land.auction", lots=[land_lot(increment=Decimal("0.01"))]))) == []


def test_a_reserve_price_below_the_start_price_is_not_a_rule():
    lots = [land_lot(start_price=Decimal("80000000.00"), reserve_price=Decimal("1.00"))]

    assert codes(check(sale("land.listing", lots=lots))) == []


def test_a_land_lot_without_a_reserve_price_is_refused():
    [violation] = blocking(check(sale("land.auction", lots=[land_lot(reserve_price=None)])))

    assert violation.rule == "lot.incomplete"
    assert violation.extra["field"] == "reserve_price"


def test_a_land_amendment_counts_the_announcement_from_the_publish_time():
    project = sale("land.auction", auction_at=at(12, 21, 14))
    project.published_at = NOW
    amendment = AmendmentView(old_timeline=dict(TIMELINES["land.auction"]), issued_at=at(12, 10))

    assert codes(check(project, now=at(12, 10), amendment=amendment)) == []


# equity.transfer


def test_disclosure_of_20_working_days_is_accepted():
    assert codes(check(sale("equity.transfer", disclosure_until=at(12, 29, 0, 1)))) == []


def test_disclosure_of_19_working_days_is_refused():
    [violation] = blocking(check(sale("equity.transfer", disclosure_until=at(12, 28, 23, 59))))

    assert violation.rule == "timeline.disclosure_short"
    assert (violation.source, violation.policy) == ("S32", "S32")
    assert violation.extra == {"field": "disclosure_until", "minimum": 20, "actual": 19, "unit": "working_days"}


def test_disclosure_days_skip_holidays():
    calendar = WeekendCalendar(holidays={date(2026, 12, 24)})

    assert codes(check(sale("equity.transfer"), calendar=calendar)) == ["timeline.disclosure_short"]
    assert codes(check(sale("equity.transfer", disclosure_until=at(12, 30, 9)), calendar=calendar)) == []


def test_bidding_at_the_end_of_disclosure_is_accepted():
    assert codes(check(sale("equity.transfer", auction_at=at(12, 29, 17)))) == []


def test_bidding_before_disclosure_ends_is_refused():
    [violation] = blocking(check(sale("equity.transfer", auction_at=at(12, 29, 16, 59))))

    assert violation.rule == "timeline.order"
    assert violation.extra == {"field": "auction_at", "after": "disclosure_until"}


def test_a_start_price_of_90_percent_of_the_appraisal_needs_no_approval():
    assert codes(check(sale("equity.transfer", lots=[equity_lot(start_price=Decimal("900000.00"))]))) == []


def test_a_start_price_one_cent_below_90_percent_of_the_appraisal_needs_approval():
    lots = [equity_lot(start_price=Decimal("899999.99"))]

    [violation] = blocking(check(sale("equity.transfer", lots=lots)))

    assert violation.rule == "equity.price_below_appraisal"
    assert (violation.source, violation.policy) == ("国资委 120号文 Art 21", "SASAC120")
    assert violation.extra["lot"] == 1
    assert violation.extra["minimum"] == "900000.00" and violation.extra["actual"] == "899999.99"


def test_a_low_start_price_with_an_approval_reference_is_accepted():
    project = sale("equity.transfer", lots=[equity_lot(start_price=Decimal("500000.00"))],
                   params={"appraisal": "1000000.00", "approval_ref": "SASAC [2026] 12"})

    assert codes(check(project)) == []


def test_the_least_price_without_approval_is_rounded_up_to_the_cent():
    project = sale("equity.transfer", lots=[equity_lot(start_price=Decimal("90.00"))], params={"appraisal": "100.01"})

    [violation] = blocking(check(project))

    assert violation.extra["minimum"] == "90.01"  # 90% is 90.009


@pytest.mark.parametrize("field", ["start_price", "increment"])
def test_an_equity_lot_with_a_zero_amount_is_refused(field):
    project = sale("equity.transfer", lots=[equity_lot(**{field: Decimal("0.00")})])

    assert "lot.amount_not_positive" in codes(check(project))


def test_every_broken_equity_rule_is_reported():
    project = sale("equity.transfer", lots=[equity_lot(start_price=Decimal("1.00"))],
                   disclosure_until=at(12, 28), auction_at=at(12, 27))

    assert codes(check(project)) == ["equity.price_below_appraisal", "timeline.disclosure_short", "timeline.order"]
