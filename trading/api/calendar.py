"""Working-day calendar API: read a year's calendar; administrators override days and confirm years."""
import re
from datetime import date

from .. import workdays
from ..errors import RequestInvalid, field_error
from ..i18n import _
from ..security import Permission
from . import api_view

MIN_YEAR, MAX_YEAR = 2000, 2100
DAY_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
NOTE = {"type": ["string", "null"], "maxLength": 200}

OVERRIDE = {
    "type": "object",
    "properties": {"workday": {"type": "boolean"}, "note": NOTE},
    "required": ["workday"],
}

CONFIRM = {"type": "object", "properties": {"note": NOTE}}


def _year(raw, field="year"):
    """A year from the query or the path: an integer from MIN_YEAR to MAX_YEAR."""
    if raw is None or raw == "":
        raise RequestInvalid(details=[field_error(field, _("This field is required."))])
    if isinstance(raw, str) and not re.fullmatch(r"[0-9]{1,6}", raw):
        raise RequestInvalid(details=[field_error(field, _("Must be of type ${kind}.", mapping={"kind": "integer"}))])
    year = int(raw)
    if year < MIN_YEAR:
        raise RequestInvalid(details=[field_error(field, _("Must be at least ${n}.", mapping={"n": MIN_YEAR}))])
    if year > MAX_YEAR:
        raise RequestInvalid(details=[field_error(field, _("Must be at most ${n}.", mapping={"n": MAX_YEAR}))])
    return year


def _day(request):
    raw = request.matchdict["day"]
    try:
        if DAY_PATTERN.fullmatch(raw):
            return date.fromisoformat(raw)
    except ValueError:
        pass
    raise RequestInvalid(details=[field_error("day", _("Has the wrong format (${format}).", mapping={"format": "YYYY-MM-DD"}))])


@api_view("api.calendar", "GET", Permission.PUBLIC, query={"year": "integer"}, required_query=("year",),
          summary="A year's working-day calendar: its overrides and all its non-working days")
def get_calendar(request):
    year = _year(request.query_input.get("year"))
    calendar = workdays.WorkCalendar(request.dbsession)
    return {
        "year": year,
        "confirmed": calendar.is_confirmed(year),
        "items": [workdays.override_json(row) for row in calendar.overrides(year)],
        "next_cursor": None,
        "non_working_days": [day.isoformat() for day in calendar.non_working_days(year)],
    }


@api_view("api.calendar.day", "PUT", Permission.CALENDAR_MANAGE, body=OVERRIDE,
          summary="Make a day a working or a non-working day, whatever the official calendar says")
def put_override(request):
    day = _day(request)
    data = request.json_input
    row = workdays.set_override(request, day, data["workday"], data.get("note"))
    return workdays.override_json(row)


@api_view("api.calendar.day", "DELETE", Permission.CALENDAR_MANAGE, status=204,
          summary="Remove a day's override; the official calendar applies again")
def delete_override(request):
    day = _day(request)
    workdays.remove_override(request, day)
    response = request.response
    response.status_int = 204
    del response.content_type
    return response


@api_view("api.calendar.year", "PUT", Permission.CALENDAR_MANAGE, body=CONFIRM,
          summary="Confirm that a year's official calendar has been entered, so publish stops warning")
def put_year(request):
    year = _year(request.matchdict["year"])
    row = workdays.confirm_year(request, year, request.json_input.get("note"))
    return {"year": row.year, "confirmed": True}
