"""Working days on the 2026 official calendar, the weekend fallback for uncovered years, and overrides."""
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from trading.errors import RuleWarning
from trading.models import CalendarOverride, CalendarYear
from trading.workdays import NON_WORKING_DAY, UNCONFIRMED, WorkCalendar, package_covers

UTC = timezone.utc
STAMP = datetime(2026, 1, 1, tzinfo=UTC)


class FakeSession:
    """Answers WorkCalendar's two selects from lists, and counts them."""

    def __init__(self, overrides=(), years=()):
        self.overrides = [CalendarOverride(day=day, workday=workday, note=None, updated_at=STAMP)
                          for day, workday in overrides]
        self.years = list(years)
        self.queries = []

    def scalars(self, statement):
        entity = statement.column_descriptions[0]["entity"]
        self.queries.append(entity.__name__)
        return _Rows(self.overrides if entity is CalendarOverride else self.years)


class _Rows:
    def __init__(self, rows):
        self.rows = rows

    def all(self):
        return list(self.rows)


def calendar(overrides=(), years=()):
    return WorkCalendar(FakeSession(overrides, years))


def beijing(*args):
    """An instant given in Beijing time, as an aware UTC datetime."""
    return datetime(*args, tzinfo=timezone(timedelta(hours=8))).astimezone(UTC)


# --- the 2026 official calendar ---------------------------------------------------------------------


def test_national_day_week_is_not_working():
    cal = calendar()
    assert [cal.is_workday(date(2026, 10, d)) for d in range(1, 8)] == [False] * 7


def test_adjusted_working_saturday_after_national_day_is_a_working_day():
    cal = calendar()
    assert date(2026, 10, 10).weekday() == 5
    assert cal.is_workday(date(2026, 10, 10)) is True
    assert cal.is_workday(date(2026, 10, 11)) is False  # the Sunday after stays a rest day


def test_adjusted_working_sunday_before_national_day_is_a_working_day():
    assert calendar().is_workday(date(2026, 9, 20)) is True


def test_period_spanning_national_day_counts_only_working_days():
    cal = calendar()
    # after Wed 30 Sep: 1-7 Oct holiday, Thu 8, Fri 9, Sat 10 (adjusted), Sun 11 rest, Mon 12
    assert cal.working_days_between(date(2026, 9, 30), date(2026, 10, 7)) == 0
    assert cal.working_days_between(date(2026, 9, 30), date(2026, 10, 8)) == 1
    assert cal.working_days_between(date(2026, 9, 30), date(2026, 10, 11)) == 3
    assert cal.working_days_between(date(2026, 9, 30), date(2026, 10, 12)) == 4


def test_start_day_is_not_counted_and_end_day_is():
    cal = calendar()
    assert cal.working_days_between(date(2026, 12, 1), date(2026, 12, 1)) == 0
    assert cal.working_days_between(date(2026, 12, 1), date(2026, 12, 2)) == 1


def test_empty_and_backward_ranges_count_zero():
    cal = calendar()
    assert cal.working_days_between(date(2026, 12, 8), date(2026, 12, 1)) == 0


def test_instants_are_counted_by_their_beijing_dates():
    cal = calendar()
    # 2026-10-09 20:00 UTC is already Saturday 10 Oct (the adjusted working day) in Beijing
    assert cal.working_days_between(beijing(2026, 10, 9, 9, 0), datetime(2026, 10, 9, 20, 0, tzinfo=UTC)) == 1
    assert cal.working_days_between(beijing(2026, 10, 9, 9, 0), datetime(2026, 10, 9, 15, 59, tzinfo=UTC)) == 0
    assert cal.is_workday(datetime(2026, 10, 10, 17, 0, tzinfo=UTC)) is False  # Sunday 11 Oct 01:00 in Beijing


def test_a_whole_year_counts_the_official_working_days():
    cal = calendar()
    nonworking = cal.non_working_days(2026)
    assert cal.working_days_between(date(2025, 12, 31), date(2026, 12, 31)) == 365 - len(nonworking)
    assert date(2026, 10, 1) in nonworking and date(2026, 10, 10) not in nonworking
    assert date(2026, 2, 14) not in nonworking  # Spring Festival adjusted working Saturday


def test_add_working_days_ends_at_the_same_beijing_time_on_the_nth_working_day():
    cal = calendar()
    start = beijing(2026, 9, 30, 9, 30)
    assert cal.add_working_days(start, 1) == beijing(2026, 10, 8, 9, 30)
    assert cal.add_working_days(start, 3) == beijing(2026, 10, 10, 9, 30)
    assert cal.add_working_days(start, 4) == beijing(2026, 10, 12, 9, 30)
    assert cal.add_working_days(start, 0) == start
    assert cal.add_working_days(start, 4).tzinfo == UTC


def test_add_working_days_and_counting_agree():
    cal = calendar()
    start = beijing(2026, 9, 18, 23, 45)
    for n in range(0, 30):
        assert cal.working_days_between(start, cal.add_working_days(start, n)) == n


def test_add_working_days_refuses_naive_or_negative_input():
    cal = calendar()
    with pytest.raises(ValueError):
        cal.add_working_days(datetime(2026, 10, 1, 9, 0), 1)
    with pytest.raises(ValueError):
        cal.add_working_days(beijing(2026, 10, 1, 9, 0), -1)


# --- years the package does not cover -----------------------------------------------------------------


def test_uncovered_year_takes_weekends_as_the_only_non_working_days():
    assert not package_covers(2099)
    cal = calendar()
    assert cal.is_workday(date(2099, 1, 1)) is True  # a Thursday; no New Year's Day without the calendar
    assert cal.is_workday(date(2099, 1, 3)) is False  # Saturday
    assert cal.working_days_between(date(2099, 1, 2), date(2099, 1, 9)) == 5
    assert len(cal.non_working_days(2099)) == 104


def test_uncovered_year_is_unconfirmed_until_an_administrator_confirms_it():
    assert calendar().is_confirmed(2099) is False
    assert calendar(years=[2099]).is_confirmed(2099) is True


def test_covered_year_is_confirmed_without_a_row():
    assert calendar().is_confirmed(2026) is True


# --- overrides ----------------------------------------------------------------------------------------


def test_override_makes_an_official_holiday_a_working_day():
    cal = calendar(overrides=[(date(2026, 10, 5), True)])
    assert cal.is_workday(date(2026, 10, 5)) is True
    assert cal.working_days_between(date(2026, 9, 30), date(2026, 10, 7)) == 1


def test_override_makes_an_official_working_day_a_holiday():
    cal = calendar(overrides=[(date(2026, 10, 10), False)])
    assert cal.is_workday(date(2026, 10, 10)) is False
    assert cal.add_working_days(beijing(2026, 9, 30, 9, 0), 3) == beijing(2026, 10, 12, 9, 0)


def test_overrides_enter_an_uncovered_years_holidays():
    cal = calendar(overrides=[(date(2099, 1, 1), False), (date(2099, 1, 3), True)])
    assert cal.is_workday(date(2099, 1, 1)) is False
    assert cal.is_workday(date(2099, 1, 3)) is True
    assert [row.day for row in cal.overrides(2099)] == [date(2099, 1, 1), date(2099, 1, 3)]
    assert cal.overrides(2026) == []


def test_a_calendar_reads_each_table_once_however_much_it_counts():
    session = FakeSession(overrides=[(date(2026, 10, 5), True)], years=[2099])
    cal = WorkCalendar(session)
    assert session.queries == []  # nothing is read until asked
    cal.working_days_between(date(2025, 1, 1), date(2027, 12, 31))
    cal.non_working_days(2099)
    cal.is_confirmed(2099)
    cal.is_confirmed(2098)
    cal.warnings_for(beijing(2099, 1, 3, 9, 0), "bid_deadline")
    assert sorted(session.queries) == ["CalendarOverride", "CalendarYear"]


# --- warnings -----------------------------------------------------------------------------------------


def test_deadline_on_a_holiday_warns_non_working_day():
    (warning,) = calendar().warnings_for(beijing(2026, 10, 2, 9, 30), "bid_deadline")
    assert isinstance(warning, RuleWarning) and not warning.blocking
    assert warning.rule == NON_WORKING_DAY
    assert warning.message.interpolate() == "bid_deadline falls on a non-working day (2026-10-02)."


def test_deadline_on_an_adjusted_working_saturday_does_not_warn():
    assert calendar().warnings_for(beijing(2026, 10, 10, 9, 30), "bid_deadline") == []


def test_deadline_in_an_unconfirmed_year_warns_unconfirmed():
    warnings = calendar().warnings_for(beijing(2099, 1, 3, 9, 30), "bid_deadline")
    assert [w.rule for w in warnings] == [NON_WORKING_DAY, UNCONFIRMED]
    assert warnings[1].as_detail()["year"] == 2099
    assert "2099" in warnings[1].message.interpolate()
    assert calendar(years=[2099]).warnings_for(beijing(2099, 1, 5, 9, 30), "bid_deadline") == []


def test_warning_uses_the_beijing_date_of_the_instant():
    # 2026-09-30 16:30 UTC is 1 Oct 00:30 in Beijing
    (warning,) = calendar().warnings_for(datetime(2026, 9, 30, 16, 30, tzinfo=UTC), "docs_until")
    assert warning.as_detail()["date"] == "2026-10-01"


# --- against the database -----------------------------------------------------------------------------


def test_calendar_reads_overrides_and_years_from_the_database(dbsession):
    dbsession.add(CalendarOverride(day=date(2099, 1, 1), workday=False, note="New Year's Day", updated_at=STAMP))
    dbsession.add(CalendarYear(year=2099, confirmed_at=STAMP))
    dbsession.flush()
    cal = WorkCalendar(dbsession)
    assert cal.is_workday(date(2099, 1, 1)) is False
    assert cal.is_confirmed(2099) is True
    assert dbsession.scalars(select(CalendarYear.year)).all() == [2099]
