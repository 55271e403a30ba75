"""The working-day calendar (工作日): statutory holidays, adjusted working weekends and the administrator's overrides."""
import functools
from datetime import date, datetime, timedelta, timezone

import chinese_calendar
from sqlalchemy import select

from . import audit
from .errors import NotFound, RuleWarning
from .i18n import LOCAL_TZ, _
from .models import CalendarOverride, CalendarYear
from .rules import local_date

NON_WORKING_DAY = "timeline.non_working_day"
UNCONFIRMED = "calendar.unconfirmed"
ONE_DAY = timedelta(days=1)


@functools.cache
def package_covers(year):
    """Whether the chinesecalendar package knows the official calendar of ``year``."""
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


def _package_workday(day):
    if package_covers(day.year):
        return chinese_calendar.is_workday(day)
    # RULES.md: until a year's calendar is published, weekends are its only non-working days
    return day.weekday() < 5


def _as_date(value):
    """A date as given, or the Asia/Shanghai date of an instant."""
    if isinstance(value, datetime):
        return local_date(value)
    if isinstance(value, date):
        return value
    raise TypeError(f"a date or an aware datetime is needed, not {value!r}")


class WorkCalendar:
    """Working days on the official calendar, with the overrides table winning over the package.

    The overrides and the confirmed years are read once, on first use, and kept
    for the life of the instance: make one per request or job, not per lookup.
    """

    def __init__(self, dbsession):
        self.dbsession = dbsession
        self._overrides = None
        self._confirmed_years = None

    # --- what the database says, loaded once ---------------------------------------------------

    def _override_rows(self):
        if self._overrides is None:
            rows = self.dbsession.scalars(select(CalendarOverride)).all()
            self._overrides = {row.day: row for row in rows}
        return self._overrides

    def _confirmed(self):
        if self._confirmed_years is None:
            self._confirmed_years = set(self.dbsession.scalars(select(CalendarYear.year)).all())
        return self._confirmed_years

    def overrides(self, year):
        """The override rows of ``year``, by day."""
        return [row for day, row in sorted(self._override_rows().items()) if day.year == year]

    # --- questions -----------------------------------------------------------------------------

    def is_workday(self, day):
        """Whether ``day`` (a date, or an instant taken as its Asia/Shanghai date) is a working day."""
        day = _as_date(day)
        override = self._override_rows().get(day)
        if override is not None:
            return override.workday
        return _package_workday(day)

    def is_confirmed(self, year):
        """Whether the official calendar of ``year`` is known: in the package, or entered by an administrator."""
        return package_covers(year) or year in self._confirmed()

    def non_working_days(self, year):
        """Every non-working date of ``year``, in order."""
        day, end = date(year, 1, 1), date(year, 12, 31)
        found = []
        while day <= end:
            if not self.is_workday(day):
                found.append(day)
            day += ONE_DAY
        return found

    def working_days_between(self, start, end):
        """The working days after date(start) up to and including date(end) (RULES.md "Counting days")."""
        day, last = _as_date(start), _as_date(end)
        count = 0
        while day < last:
            day += ONE_DAY
            if self.is_workday(day):
                count += 1
        return count

    def add_working_days(self, start, n):
        """The same local time of day on the ``n``-th working day after start's local date, as aware UTC."""
        if start.tzinfo is None:
            raise ValueError("add_working_days needs an aware datetime")
        if n < 0:
            raise ValueError(f"cannot add a negative number of working days ({n})")
        local = start.astimezone(LOCAL_TZ)
        day = local.date()
        remaining = n
        while remaining:
            day += ONE_DAY
            if self.is_workday(day):
                remaining -= 1
        # Asia/Shanghai keeps no daylight saving time, so the wall time always exists
        return datetime.combine(day, local.timetz()).astimezone(timezone.utc)

    def warnings_for(self, moment, name):
        """RuleWarnings for an instant: on a non-working day, or in a year whose calendar is unconfirmed.

        ``name`` is put into the message as given (a field name or an already
        translated label). Callers checking several instants should keep one
        ``calendar.unconfirmed`` warning per ``year``.
        """
        day = _as_date(moment)
        warnings = []
        if not self.is_workday(day):
            warnings.append(RuleWarning(
                NON_WORKING_DAY,
                _("${name} falls on a non-working day (${date}).", mapping={"name": name, "date": day.isoformat()}),
                date=day.isoformat(),
            ))
        if not self.is_confirmed(day.year):
            warnings.append(RuleWarning(
                UNCONFIRMED,
                _("The official calendar of ${year} is not confirmed yet; weekends are taken as the only "
                  "non-working days.", mapping={"year": day.year}),
                year=day.year,
            ))
        return warnings


# --- changes by an administrator -----------------------------------------------------------------


def override_json(row):
    return {"day": row.day.isoformat(), "workday": row.workday, "note": row.note}


def set_override(request, day, workday, note=None):
    """Make ``day`` a working or a non-working day whatever the package says."""
    dbsession = request.dbsession
    row = dbsession.get(CalendarOverride, day)
    previous = override_json(row) if row is not None else None
    if row is None:
        row = CalendarOverride(day=day)
        dbsession.add(row)
    row.workday = workday
    row.note = note
    row.updated_at = request.clock.now()
    dbsession.flush()
    audit.record(request, "calendar.override", object_type="calendar_override", object_id=day.isoformat(),
                 data={**override_json(row), "previous": previous})
    return row


def remove_override(request, day):
    """Give ``day`` back to the package's calendar; NotFound when it has no override."""
    dbsession = request.dbsession
    row = dbsession.get(CalendarOverride, day)
    if row is None:
        raise NotFound()
    removed = override_json(row)
    dbsession.delete(row)
    dbsession.flush()
    audit.record(request, "calendar.override_delete", object_type="calendar_override", object_id=day.isoformat(),
                 data=removed)


def confirm_year(request, year, note=None):
    """Record that the official calendar of ``year`` has been entered; confirming again keeps the first date."""
    dbsession = request.dbsession
    row = dbsession.get(CalendarYear, year)
    if row is None:
        row = CalendarYear(year=year, confirmed_at=request.clock.now())
        dbsession.add(row)
    row.note = note
    dbsession.flush()
    audit.record(request, "calendar.confirm_year", object_type="calendar_year", object_id=str(year),
                 data={"year": year, "note": note})
    return row
