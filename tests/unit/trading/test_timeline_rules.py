"""The rule checks the sector plugins share: instants in order, counted periods, amendments, deposits, criteria."""
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from trading import timeline_rules as rules
from trading.errors import RuleViolation, RuleWarning
from trading.i18n import _
from trading.rules import AmendmentView, LotView, ProjectView, local_date

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(month, day, hour=9, minute=0, year=2026):
    """An instant in Beijing time; 2026-12-01 is a Tuesday."""
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


class WeekendCalendar:
    """A stand-in for ``trading.workdays.WorkCalendar``: weekends off, plus ``holidays``, minus ``working_weekends``."""

    def __init__(self, holidays=(), working_weekends=()):
        self.holidays = set(holidays)
        self.working_weekends = set(working_weekends)

    def is_workday(self, day):
        if day in self.holidays:
            return False
        return day.weekday() < 5 or day in self.working_weekends

    def working_days_between(self, start, end):
        first, last = local_date(start), local_date(end)
        return sum(1 for n in range(1, (last - first).days + 1) if self.is_workday(first + timedelta(days=n)))

    def add_working_days(self, start, n):
        moment = start
        while n > 0:
            moment += timedelta(days=1)
            n -= self.is_workday(local_date(moment))
        return moment

    def warnings_for(self, moment, name):
        day = local_date(moment)
        if self.is_workday(day):
            return []
        return [RuleWarning("timeline.non_working_day",
                            _("${name} falls on a non-working day (${date}).",
                              mapping={"name": name, "date": day.isoformat()}),
                            date=day.isoformat())]


def warned(results):
    """(rule, instant) of each non-working-day warning among a check's results."""
    return [(w.rule, w.message.mapping["name"]) for w in results if not w.blocking]


def project(timeline, method="tendering.open", lots=(), params=None, published_at=None):
    return ProjectView(id="p1", method=method, sector=method.split(".")[0], timeline=dict(timeline),
                       params=dict(params or {}), lots=list(lots), published_at=published_at)


def sealed(**changes):
    timeline = {"docs_from": at(12, 1), "docs_until": at(12, 8, 17), "bid_deadline": at(12, 21, 9, 30)}
    timeline.update(changes)
    return project({name: moment for name, moment in timeline.items() if moment is not None})


def rule_codes(violations):
    return [v.rule for v in violations]


# counting days


def test_days_are_counted_on_beijing_dates_so_23_30_and_00_30_are_a_day_apart():
    late = rules.at_least("x.short", at(12, 1, 23, 30), at(12, 21, 0, 30), 20, "m", source="s", policy="p")
    early = rules.at_least("x.short", at(12, 2, 0, 30), at(12, 21, 23, 30), 20, "m", source="s", policy="p")

    assert late == []  # 19 days and one hour, but 20 calendar days
    assert rule_codes(early) == ["x.short"]  # 19 days and 23 hours, but 19 calendar days
    assert early[0].extra["actual"] == 19


def test_utc_instants_are_counted_on_their_beijing_date():
    start = datetime(2026, 12, 1, 16, 30, tzinfo=timezone.utc)  # 2026-12-02 00:30 in Beijing

    assert rules.at_least("x.short", start, at(12, 22), 20, "m", source="s", policy="p") == []
    assert rule_codes(rules.at_least("x.short", start, at(12, 21), 20, "m", source="s", policy="p")) == ["x.short"]


def test_a_period_of_exactly_the_minimum_passes_and_one_day_less_is_refused():
    assert rules.at_least("x.short", at(12, 1), at(12, 6), 5, "m", source="s", policy="p") == []

    [violation] = rules.at_least("x.short", at(12, 1), at(12, 5), 5, "m", source="Reg Art 16", policy="Reg",
                                 field="docs_until")
    assert violation.blocking
    assert violation.as_detail() == {
        "rule": "x.short", "message": "m", "source": "Reg Art 16", "policy": "Reg",
        "minimum": 5, "actual": 4, "unit": "days", "field": "docs_until",
    }


def test_working_days_skip_weekends_and_holidays():
    calendar = WeekendCalendar(holidays={date(2026, 12, 3)})
    # Tuesday 1 → Tuesday 8: the 2nd, 4th, 7th and 8th (the 3rd is a holiday)
    refused = rules.at_least("x.short", at(12, 1), at(12, 8), 5, "m", source="s", policy="p",
                             unit=rules.WORKING_DAYS, calendar=calendar)
    passed = rules.at_least("x.short", at(12, 1), at(12, 9), 5, "m", source="s", policy="p",
                            unit=rules.WORKING_DAYS, calendar=calendar)

    assert refused[0].extra["actual"] == 4 and refused[0].extra["unit"] == "working_days"
    assert passed == []


def test_the_minimum_and_actual_fill_the_message():
    [violation] = rules.at_least("x.short", at(12, 1), at(12, 20), 20,
                                 _("at least ${minimum} days (now ${actual}) for ${who}", mapping={"who": "bidders"}),
                                 source="s", policy="p")

    assert violation.message.interpolate() == "at least 20 days (now 19) for bidders"


def test_a_missing_instant_is_left_to_the_order_rule():
    assert rules.at_least("x.short", None, at(12, 1), 5, "m", source="s", policy="p") == []


# timeline.order


def test_a_timeline_starting_at_the_announcement_is_in_order():
    assert rules.check_sealed_order(sealed(), at(12, 1), None) == []


def test_an_instant_before_the_announcement_is_refused():
    [violation] = rules.check_sealed_order(sealed(docs_from=at(12, 1, 8, 59)), at(12, 1), None)

    assert violation.rule == "timeline.order"
    assert violation.extra["field"] == "docs_from"


def test_instants_out_of_order_are_each_refused():
    violations = rules.check_sealed_order(
        sealed(docs_until=at(12, 22), questions_until=at(12, 21, 9, 31)), at(12, 1), None,
    )

    assert sorted((v.extra["field"], v.extra.get("after")) for v in violations) == [
        ("bid_deadline", "docs_until"), ("bid_deadline", "questions_until"),
    ]


def test_equal_instants_are_in_order():
    timeline = sealed(docs_until=at(12, 21, 9, 30), questions_until=at(12, 21, 9, 30))

    assert rules.check_sealed_order(timeline, at(12, 1), None) == []


def test_questions_until_defaults_to_the_bid_deadline():
    assert rules.sealed_timeline({"bid_deadline": at(12, 21)})["questions_until"] == at(12, 21)
    assert rules.sealed_timeline({"bid_deadline": at(12, 21), "questions_until": at(12, 18)})["questions_until"] == (
        at(12, 18)
    )


def test_a_missing_instant_is_left_to_the_project_service():
    # the service reports timeline.missing from the method's required_timeline
    assert rules.check_sealed_order(sealed(docs_until=None), at(12, 1), None) == []


def test_a_defaulted_questions_until_is_not_reported_twice():
    late = sealed(docs_from=at(11, 30), docs_until=at(11, 30, 12), bid_deadline=at(11, 30, 18))
    late.timeline["questions_until"] = late.timeline["bid_deadline"]  # as the service fills it in

    violations = rules.check_sealed_order(late, at(12, 1), None)

    assert sorted(v.extra["field"] for v in violations) == ["bid_deadline", "docs_from", "docs_until"]


def test_an_explicit_questions_until_before_the_announcement_is_refused():
    violations = rules.check_sealed_order(sealed(questions_until=at(11, 30)), at(12, 1), None)

    assert [v.extra["field"] for v in violations] == ["questions_until"]


def test_an_amendment_checks_only_the_changed_instants_against_its_issue():
    old = sealed().timeline
    issued = at(12, 10)
    moved = sealed(bid_deadline=at(12, 28), docs_until=at(12, 9))  # docs_from stays in the past: fine
    amendment = AmendmentView(old_timeline=old, issued_at=issued)

    violations = rules.check_sealed_order(moved, issued, amendment)

    assert [(v.rule, v.extra["field"]) for v in violations] == [("timeline.order", "docs_until")]


def test_an_amendment_still_checks_the_order_of_the_new_timeline():
    amendment = AmendmentView(old_timeline=sealed().timeline, issued_at=at(12, 10))

    violations = rules.check_sealed_order(sealed(docs_until=at(12, 29)), at(12, 10), amendment)

    assert [(v.extra["field"], v.extra.get("after")) for v in violations] == [("bid_deadline", "docs_until")]


# timeline.amendment_too_late


def _amendment(issued, new_deadline, old_deadline=at(12, 21, 9, 30)):
    old = sealed(bid_deadline=old_deadline).timeline
    return sealed(bid_deadline=new_deadline), AmendmentView(old_timeline=old, issued_at=issued)


def test_an_amendment_15_days_before_the_deadline_needs_no_extension():
    amended, amendment = _amendment(at(12, 6, 18), at(12, 21, 9, 30))

    assert rules.check_amendment_notice(amended, amendment, source="Reg Art 21", policy="Reg") == []


def test_an_amendment_14_days_before_the_deadline_must_move_it_to_15_days_after():
    amended, amendment = _amendment(at(12, 7, 8), at(12, 21, 9, 30))

    [violation] = rules.check_amendment_notice(amended, amendment, source="Reg Art 21, TBL Art 23", policy="Reg")

    assert violation.rule == "timeline.amendment_too_late"
    assert (violation.source, violation.policy) == ("Reg Art 21, TBL Art 23", "Reg")
    assert violation.extra == {"field": "bid_deadline", "minimum": 15, "actual": 14, "unit": "days"}
    assert violation.message.mapping["earliest"] == "2026-12-22"


def test_a_late_amendment_moving_the_deadline_15_days_out_passes_and_14_is_refused():
    passed, amendment = _amendment(at(12, 7, 8), at(12, 22, 0, 1))
    refused, refused_amendment = _amendment(at(12, 7, 8), at(12, 21, 23, 59))

    assert rules.check_amendment_notice(passed, amendment, source="s", policy="p") == []
    assert rule_codes(rules.check_amendment_notice(refused, refused_amendment, source="s", policy="p")) == [
        "timeline.amendment_too_late"
    ]


def test_publishing_is_no_amendment():
    assert rules.check_amendment_notice(sealed(), None, source="s", policy="p") == []


# deposit.too_high


def test_a_deposit_of_exactly_2_percent_passes_and_one_cent_more_is_refused():
    lots = [
        LotView(id="l1", number=1, title="A", budget=Decimal("1234567.89"), deposit=Decimal("24691.35")),
        LotView(id="l2", number=2, title="B", budget=Decimal("1234567.89"), deposit=Decimal("24691.36")),
    ]

    [violation] = rules.check_deposits(lots, source="Reg Art 26", policy="Reg")

    assert violation.rule == "deposit.too_high"
    assert violation.extra["lot"] == 2 and violation.extra["lot_id"] == "l2"
    assert violation.extra["maximum"] == "24691.35" and violation.extra["actual"] == "24691.36"
    assert "Lot 2" in violation.message.interpolate()


def test_a_lot_without_a_deposit_or_budget_is_not_checked():
    lots = [LotView(id=None, number=1, title="A", budget=Decimal("100.00")), LotView(id=None, number=2, title="B")]

    assert rules.check_deposits(lots, source="s", policy="p") == []


# scoring criteria


def _criteria(*maxima, kinds=None):
    kinds = kinds or ["price"] + ["technical"] * (len(maxima) - 1)
    return {"criteria": [{"code": f"c{i}", "name": f"C{i}", "max": m, "kind": k}
                         for i, (m, k) in enumerate(zip(maxima, kinds))]}


def test_criteria_adding_up_to_100_in_decimal_pass_where_floats_would_not():
    assert sum([60.7, 30.1, 9.2]) != 100  # the float sum is 100.00000000000001

    violations, price_max = rules.check_criteria(_criteria(60.7, 30.1, 9.2), source="s", policy="p")

    assert violations == []
    assert price_max == Decimal("60.7")


def test_criteria_adding_up_to_99_99_are_refused():
    violations, _price_max = rules.check_criteria(_criteria(30, 69.99), source="O87 Art 55", policy="O87")

    assert rule_codes(violations) == ["evaluation.criteria_total"]
    assert violations[0].extra["actual"] == 99.99


def test_a_criterion_maximum_with_three_decimals_is_refused():
    violations, _price_max = rules.check_criteria(_criteria(30.005, 69.995), source="s", policy="p")

    assert rule_codes(violations) == ["evaluation.criteria_max", "evaluation.criteria_max"]


def test_scoring_needs_exactly_one_price_criterion():
    none, none_max = rules.check_criteria(_criteria(50, 50, kinds=["technical", "business"]), source="s", policy="p")
    two, two_max = rules.check_criteria(_criteria(50, 50, kinds=["price", "price"]), source="s", policy="p")

    assert rule_codes(none) == ["evaluation.price_criterion"] and none_max is None
    assert rule_codes(two) == ["evaluation.price_criterion"] and two_max is None


# warnings and lot amounts


def test_a_deadline_on_a_non_working_day_only_warns():
    warnings = rules.deadline_warnings(sealed(docs_until=at(12, 5, 17)), WeekendCalendar(), None)

    assert warned(warnings) == [("timeline.non_working_day", "docs_until")]
    assert [(w.blocking, w.extra["date"]) for w in warnings] == [(False, "2026-12-05")]


def test_a_start_instant_on_a_weekend_does_not_warn():
    assert rules.deadline_warnings(sealed(docs_from=at(12, 5)), WeekendCalendar(), None) == []


def test_an_amendment_warns_only_about_the_deadlines_it_moves():
    old = sealed(docs_until=at(12, 5, 17)).timeline
    moved = sealed(docs_until=at(12, 5, 17), bid_deadline=at(12, 27))
    amendment = AmendmentView(old_timeline=old, issued_at=at(12, 2))

    assert warned(rules.deadline_warnings(moved, WeekendCalendar(), amendment)) == [
        ("timeline.non_working_day", "bid_deadline")
    ]


def test_identical_calendar_warnings_are_given_once():
    class Unconfirmed(WeekendCalendar):
        def warnings_for(self, moment, name):
            year = local_date(moment).year
            return [RuleWarning("calendar.unconfirmed", _("The calendar of ${year} is unconfirmed.",
                                                          mapping={"year": year}), year=year)]

    warnings = rules.deadline_warnings(sealed(), Unconfirmed(), None)

    assert rule_codes(warnings) == ["calendar.unconfirmed"]


def test_auction_lot_amounts_must_be_present_and_positive():
    lots = [
        LotView(id="l1", number=1, title="A", start_price=Decimal("0.01"), increment=Decimal("0.01")),
        LotView(id="l2", number=2, title="B", start_price=Decimal("0.00"), increment=None),
    ]

    violations = rules.check_auction_lots(lots, required=("start_price", "increment"),
                                          positive=("start_price", "increment"), source="L39", policy="L39")

    assert sorted((v.rule, v.extra["lot"], v.extra["field"]) for v in violations) == [
        ("lot.amount_not_positive", 2, "start_price"),
        ("lot.incomplete", 2, "increment"),
    ]
    assert all(isinstance(v, RuleViolation) and v.blocking for v in violations)


def test_numbers_are_read_exactly_and_written_as_json_numbers():
    assert rules.number(0.1) == Decimal("0.1")
    assert rules.number(True) is None and rules.number("abc") is None and rules.number(float("nan")) is None
    assert rules.json_number(Decimal("30.00")) == 30 and isinstance(rules.json_number(Decimal("30.00")), int)
    assert rules.json_number(Decimal("29.99")) == 29.99
    assert rules.plain(Decimal("100.00")) == "100" and rules.plain(Decimal("0.10")) == "0.1"


def test_the_announcement_is_now_on_publish_and_the_publish_time_on_an_amendment():
    published = project({}, published_at=at(12, 1))
    amendment = AmendmentView(old_timeline={}, issued_at=at(12, 10))

    assert rules.announced_at(published, at(12, 10), amendment) == at(12, 1)
    assert rules.announced_at(published, at(12, 3), None) == at(12, 3)
