"""Administrator pages: the working-day calendar (工作日历): a year's non-working days, overrides, confirmation."""
import calendar as month_calendar
import re
from datetime import date

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.view import view_config

from .. import workdays
from ..errors import DomainError, NotFound, RequestInvalid, field_error
from ..i18n import _
from ..rules import local_date
from ..security import Permission
from ..services.accounts import MIN_PASSWORD_LENGTH
from . import flash, form_errors

MIN_YEAR, MAX_YEAR = 2000, 2100
NOTE_CHARS = 200
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")

MONTHS = [_("January"), _("February"), _("March"), _("April"), _("May"), _("June"), _("July"), _("August"),
          _("September"), _("October"), _("November"), _("December")]
WEEKDAYS = [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]


def _this_year(request):
    return local_date(request.clock.now()).year


def _year(raw, field="year"):
    """A year from 2000 to 2100, or RequestInvalid naming the field."""
    raw = (raw or "").strip()
    if not re.fullmatch(r"\d{4}", raw) or not MIN_YEAR <= int(raw) <= MAX_YEAR:
        raise RequestInvalid(details=[field_error(field, _("Enter a year from ${min} to ${max}.",
                                                           mapping={"min": MIN_YEAR, "max": MAX_YEAR}))])
    return int(raw)


def _day(raw, field="day"):
    raw = (raw or "").strip()
    try:
        if DAY.match(raw):
            day = date.fromisoformat(raw)
            if MIN_YEAR <= day.year <= MAX_YEAR:
                return day
    except ValueError:
        pass
    raise RequestInvalid(details=[field_error(field, _("Enter a date (YYYY-MM-DD)."))])


def _note(request):
    note = request.POST.get("note", "").strip()
    if len(note) > NOTE_CHARS:
        raise RequestInvalid(details=[field_error("note", _("Must be at most ${n} characters long.",
                                                            mapping={"n": NOTE_CHARS}))])
    return note or None


def _months(year, calendar, overrides):
    """Twelve month grids (weeks of day cells, Monday first) marking non-working days and overrides."""
    off = set(calendar.non_working_days(year))
    months = []
    for index in range(12):
        weeks = []
        for week in month_calendar.Calendar(firstweekday=0).monthdatescalendar(year, index + 1):
            weeks.append([None if day.month != index + 1 else
                          {"day": day, "off": day in off, "override": overrides.get(day)} for day in week])
        months.append({"name": MONTHS[index], "weeks": weeks})
    return months


def calendar_page(request, year, errors=None, action=None, values=None):
    calendar = workdays.WorkCalendar(request.dbsession)
    rows = calendar.overrides(year)
    overrides = {row.day: row for row in rows}
    return {
        "year": year,
        "confirmed": calendar.is_confirmed(year),
        "package_covers": workdays.package_covers(year),
        "overrides": rows,
        "non_working_days": calendar.non_working_days(year),
        "months": _months(year, calendar, overrides),
        "weekdays": WEEKDAYS,
        "errors": errors,
        "action": action,
        "values": values or {},
        "min_year": MIN_YEAR,
        "max_year": MAX_YEAR,
    }


@view_config(route_name="admin.calendar", renderer="admin/calendar.jinja2", request_method="GET",
             permission=Permission.CALENDAR_MANAGE)
def calendar_view(request):
    raw = request.GET.get("year")
    if raw is None or raw == "":
        return calendar_page(request, _this_year(request))
    try:
        year = _year(raw)
    except RequestInvalid as error:
        request.response.status_int = error.status
        return calendar_page(request, _this_year(request), form_errors(request, error), "year", {"year": raw})
    return calendar_page(request, year)


def _set(request):
    day = _day(request.POST.get("day"))
    workday = request.POST.get("workday")
    if workday not in ("yes", "no"):
        raise RequestInvalid(details=[field_error("workday", _("Choose whether the day is a working day."))])
    row = workdays.set_override(request, day, workday == "yes", _note(request))
    flash(request, _("${day} is now a working day.", mapping={"day": day.isoformat()}) if row.workday
          else _("${day} is now a non-working day.", mapping={"day": day.isoformat()}))
    return day.year


def _delete(request):
    day = _day(request.POST.get("day"))
    try:
        workdays.remove_override(request, day)
    except NotFound:
        raise NotFound(message=_("${day} has no override.", mapping={"day": day.isoformat()})) from None
    flash(request, _("The override of ${day} is removed; the official calendar applies again.",
                     mapping={"day": day.isoformat()}))
    return day.year


def _confirm(request):
    year = _year(request.POST.get("year"))
    workdays.confirm_year(request, year, _note(request))
    flash(request, _("The calendar of ${year} is confirmed.", mapping={"year": year}))
    return year


ACTIONS = {"set": _set, "delete": _delete, "confirm": _confirm}


@view_config(route_name="admin.calendar", renderer="admin/calendar.jinja2", request_method="POST",
             permission=Permission.CALENDAR_MANAGE)
def calendar_action(request):
    action = request.POST.get("action", "")
    try:
        shown = _year(request.POST.get("shown_year") or str(_this_year(request)), "shown_year")
    except RequestInvalid:
        shown = _this_year(request)
    try:
        handler = ACTIONS.get(action)
        if handler is None:
            raise RequestInvalid(details=[field_error("action", _("Unknown action."))])
        with request.dbsession.begin_nested():
            year = handler(request)
    except DomainError as error:
        request.response.status_int = error.status
        values = {key: value for key, value in request.POST.items() if key != "csrf_token"}
        return calendar_page(request, shown, form_errors(request, error), action, values)
    return HTTPSeeOther(location=request.route_url("admin.calendar", _query={"year": year}))


# --- users (用户管理) ------------------------------------------------------------------------------------------

USERS_PAGE = 100
USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
USER_FIELDS = ("username", "display_name", "role", "org_id", "expert_id")


def _expert_exists(request, expert_id):
    """Whether the expert pool (the experts plugin) has this expert; True when no pool is installed to ask."""
    try:
        from experts.models import Expert
    except ImportError:  # pragma: no cover - the experts plugin ships with the core
        return True
    return request.dbsession.get(Expert, expert_id) is not None


def users_page(request, errors=None, action=None, values=None):
    from sqlalchemy import select

    from ..models import Organization, User
    from ..models.accounts import ROLES

    role = request.GET.get("role", "")
    after = request.GET.get("after", "")[:64]
    query = select(User)
    if role in ROLES:
        query = query.where(User.role == role)
    else:
        role = ""
    if after:
        query = query.where(User.username > after)
    rows = request.dbsession.execute(query.order_by(User.username).limit(USERS_PAGE + 1)).scalars().all()
    more = len(rows) > USERS_PAGE
    rows = rows[:USERS_PAGE]
    orgs = request.dbsession.execute(select(Organization).order_by(Organization.name)).scalars().all()
    if values is None:
        values = {"role": request.GET.get("new_role", "") if request.GET.get("new_role") in ROLES else "",
                  "expert_id": request.GET.get("expert_id", "")[:64]}
        if values["expert_id"]:
            values["role"] = "expert"
    translate = request.localizer.translate
    return {
        "min_password": MIN_PASSWORD_LENGTH, "users": rows, "role": role, "roles": ROLES, "errors": errors, "action": action, "values": values,
        "org_names": {org.id: org.name for org in orgs},
        "role_options": [(code, translate(_(code))) for code in ROLES],
        "org_options": [(org.id, f"{org.name} ({org.uscc})") for org in orgs],
        "next_url": request.route_path("admin.users", _query={**({"role": role} if role else {}),
                                                               "after": rows[-1].username}) if more else None,
        "first_url": request.route_path("admin.users", _query={"role": role} if role else {}) if after else None,
    }


@view_config(route_name="admin.home", request_method="GET", permission=Permission.USERS_MANAGE)
def home_view(request):
    """/admin, as /officer, /bidder, /expert and /inspector are each role's workspace: the users page."""
    return HTTPSeeOther(location=request.route_url("admin.users"))


@view_config(route_name="admin.users", renderer="admin/users.jinja2", request_method="GET",
             permission=Permission.USERS_MANAGE)
def users_view(request):
    return users_page(request)


def _create_user(request):
    from ..services import accounts

    post = request.POST
    values = {name: (post.get(name) or "").strip()[:200] for name in USER_FIELDS}
    password = (post.get("password") or "")[:256]
    details = []
    if not USERNAME.match(values["username"]):
        details.append(field_error("username", _("Enter a username of letters, digits and . _ @ - (at most 64).")))
    if not password:
        details.append(field_error("password", _("Enter a password.")))
    if values["role"] not in ("admin", "officer", "bidder", "expert", "inspector"):
        details.append(field_error("role", _("Choose a role.")))
    if len(values["display_name"]) > 100:
        details.append(field_error("display_name", _("Must be at most ${n} characters long.", mapping={"n": 100})))
    if values["role"] == "bidder" and not values["org_id"]:
        details.append(field_error("org_id", _("A bidder's login belongs to a bidder organisation: choose it.")))
    if values["expert_id"] and values["role"] != "expert":
        details.append(field_error("expert_id", _("Only a user of the role expert is linked to an expert of the pool.")))
    elif values["expert_id"] and not _expert_exists(request, values["expert_id"]):
        details.append(field_error("expert_id", _("No expert of the pool has this ID.")))
    if details:
        raise RequestInvalid(details=details)
    user = accounts.create_user(request, username=values["username"], password=password, role=values["role"],
                                org_id=values["org_id"] or None, expert_id=values["expert_id"] or None,
                                display_name=values["display_name"] or None)
    return values, _("The user ${username} is created.", mapping={"username": user.username})


def _deactivate_user(request):
    from ..models import User
    from ..services import accounts

    user = request.dbsession.get(User, (request.POST.get("user_id") or "")[:64])
    if user is None:
        raise NotFound(message=_("This user does not exist."))
    accounts.deactivate_user(request, user)
    return None, _("The user ${username} is deactivated: it can no longer log in.",
                   mapping={"username": user.username})


@view_config(route_name="admin.users", renderer="admin/users.jinja2", request_method="POST",
             permission=Permission.USERS_MANAGE)
def users_action(request):
    action = request.POST.get("action", "")
    handler = {"create": _create_user, "deactivate": _deactivate_user}.get(action)
    try:
        if handler is None:
            raise RequestInvalid(details=[field_error("action", _("Unknown action."))])
        with request.dbsession.begin_nested():
            _values, message = handler(request)
    except DomainError as error:
        request.response.status_int = error.status
        values = {name: (request.POST.get(name) or "").strip()[:200] for name in USER_FIELDS}
        return users_page(request, form_errors(request, error), action, values)
    flash(request, message)
    return HTTPSeeOther(location=request.route_url("admin.users"))
