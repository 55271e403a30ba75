"""HTML pages of the expert pool, the draws and the invitations."""
import csv
import io
import re
from datetime import datetime

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.response import Response
from pyramid.view import view_config
from sqlalchemy import and_, or_, select

from trading.api.pagination import decode_cursor, encode_cursor
from trading.errors import (
    DomainError,
    NotFound,
    RequestInvalid,
    RulesViolated,
    TooLarge,
    field_error,
)
from trading.i18n import _, instant
from trading.models import Lot, Project
from trading.pages import flash, form_errors
from trading.pages.officer import local_input, parse_local
from trading.pages.public import load_project
from trading.security import Permission
from trading.services.accounts import check_uscc
from trading.services.projects import timeline_of

from . import draws, invitations, pool
from .models import Draw, Expert, ExpertRecord, ExpertSpecialty, Invitation, Specialty

PAGE_SIZE = 50
MAX_REQUIREMENTS = 20
ROW_KEY = re.compile(r"^requirements\[(?P<index>\d{1,2})\]\.(?P<field>specialty|count)$")
ROW_REF = re.compile(r"^requirements\[(?P<index>\d{1,2})\]$")
INTEGER = re.compile(r"^\d{1,6}$")

# Codes the pages translate from variables (``_(invitation.status)``, ``_(draw.status)``): listed here so that
# extraction puts them in the catalogs.
CODE_MSGIDS = [
    # TRANSLATORS: expert status: 在库可抽取
    _("active"),
    # TRANSLATORS: expert status: 暂停抽取
    _("suspended"),
    # TRANSLATORS: status of an alternate not yet invited: 候补
    _("waiting"),
    # TRANSLATORS: invitation status: 待答复
    _("pending"),
    # TRANSLATORS: invitation status: 已接受
    _("accepted"),
    # TRANSLATORS: invitation status: 已谢绝
    _("declined"),
    # TRANSLATORS: invitation status: 超时未答复
    _("expired"),
    # TRANSLATORS: draw status: 已承诺（待抽取）
    _("committed"),
    # TRANSLATORS: draw status: 已抽取
    _("drawn"),
    # TRANSLATORS: draw status: 评标委员会已组成
    _("complete"),
    # TRANSLATORS: draw status: 专家不足
    _("insufficient"),
]

# Exclusion reasons of the draw (API.md "Expert pool and draw"), as people read them.
REASON_LABELS = {
    # TRANSLATORS: exclusion reason suspended: 评标时处于暂停状态
    "suspended": _("Suspended at the evaluation time"),
    # TRANSLATORS: exclusion reason employer_owner: 任职于招标人/采购人
    "employer_owner": _("Works for the owner"),
    # TRANSLATORS: exclusion reason employer_agent: 任职于代理机构
    "employer_agent": _("Works for the agent"),
    # TRANSLATORS: exclusion reason employer_bidder: 任职于投标人
    "employer_bidder": _("Works for a bidder"),
    # TRANSLATORS: exclusion reason conflict: 申报了利害关系
    "conflict": _("Declared a conflict of interest with a party"),
    # TRANSLATORS: exclusion reason already_member: 已是本项目评标委员会成员
    "already_member": _("Already on this project's committee"),
    # TRANSLATORS: exclusion reason same_owner_limit: 180天内参加同一招标人评标次数超限
    "same_owner_limit": _("Too many committees of the same owner in 180 days"),
    # TRANSLATORS: exclusion reason age: 评标日年满70周岁
    "age": _("Aged 70 or more on the evaluation day"),
}

# Kinds of an expert's history (API.md "Publicity, objections, award, contract").
RECORD_LABELS = {
    # TRANSLATORS: expert record kind: 受邀
    "invited": _("Invited"),
    # TRANSLATORS: expert record kind: 接受邀请
    "accepted": _("Accepted"),
    # TRANSLATORS: expert record kind: 谢绝邀请
    "declined": _("Declined"),
    # TRANSLATORS: expert record kind: 超时未答复
    "expired": _("Did not answer in time"),
    # TRANSLATORS: expert record kind: 参加评标
    "evaluated": _("Evaluated"),
    # TRANSLATORS: expert record kind: 评分偏离
    "score_deviation": _("Score deviation"),
    # TRANSLATORS: expert record kind: 履职评价
    "rating": _("Conduct rating"),
}

COUNT_LABELS = [
    ("required", _("Required")),
    ("invited", _("Invited")),
    ("accepted", _("Accepted")),
    ("pending", _("Awaiting an answer")),
    ("declined", _("Declined")),
    ("expired", _("Did not answer in time")),
]

# the fields of POST /experts
EXPERT_FIELDS = ("name", "id_number", "phone", "employer_name", "employer_uscc", "specialties", "region_code", "title")
# the columns' lengths (models.py): longer text would be refused by PostgreSQL
LIMITS = {"name": 100, "id_number": 40, "phone": 40, "employer_name": 200, "employer_uscc": 40, "region_code": 12,
          "title": 100, "reason": 500, "org_uscc": 40}


# --- helpers -------------------------------------------------------------------------------------------


def _t(request, message):
    return request.localizer.translate(message) if hasattr(message, "domain") else message


def catalogue(request):
    """[(code, name)] of the specialty catalogue in the page's language."""
    english = request.locale_name == "en"
    rows = request.dbsession.execute(select(Specialty).order_by(Specialty.code)).scalars().all()
    return [(s.code, (s.name_en or s.name) if english else s.name) for s in rows]


def specialty_options(request):
    """Options of a specialty select: the code (whose length shows the level) and the name."""
    return [(code, f"{code} {name}") for code, name in catalogue(request)]


def specialty_names(request):
    return dict(catalogue(request))


def _errors(request, error, rename=None):
    """form_errors, with the fields a service names differently moved to the form's own field names."""
    errors = form_errors(request, error)
    for old, new in (rename or {}).items():
        if old in errors["fields"]:
            errors["fields"].setdefault(new, errors["fields"].pop(old))
        for rule in errors["rules"]:
            if rule.get("field") == old:
                rule["field"] = new
    return errors


def _check(details, field, check, *args):
    """A service's check of one value, run with the form's own checks so that every error shows at once."""
    try:
        return check(*args)
    except RulesViolated as error:
        details.extend({**detail, "field": field} for detail in error.details)
        return None


def _refuse(details):
    """The form's own refusal: 400 when a field is missing or malformed, 422 when only rules are broken."""
    if details:
        if all("rule" in detail for detail in details):
            raise RulesViolated(details)
        raise RequestInvalid(details=details)


def _text(post, name, details, required=False, message=None, limit=None):
    value = post.get(name, "")
    value = value.strip() if isinstance(value, str) else ""
    limit = limit or LIMITS.get(name, 200)
    if required and not value:
        details.append(field_error(name, message or _("This field is required.")))
    elif len(value) > limit:
        details.append(field_error(name, _("Must be at most ${n} characters long.", mapping={"n": limit})))
    return value


def _local_moment(text, name, details, required=False):
    """A datetime-local value in Beijing time, or None when empty."""
    if not text:
        if required:
            details.append(field_error(name, _("Enter a date and time (YYYY-MM-DD HH:MM).")))
        return None
    try:
        return parse_local(text)
    except ValueError:
        details.append(field_error(name, _("Enter a date and time (YYYY-MM-DD HH:MM).")))
        return None


def _server_clock(request):
    now = request.clock.now()
    return {"now": now, "ms": int(now.timestamp() * 1000)}


def _time_left(now, until):
    """(days, "HH:MM:SS") left until an instant, or None once it has passed."""
    if until is None:
        return None
    seconds = int((until - now).total_seconds())
    if seconds <= 0:
        return None
    days, rest = divmod(seconds, 86400)
    text = f"{rest // 3600:02d}:{rest % 3600 // 60:02d}:{rest % 60:02d}"
    return (days, text)


# --- the pool (admin) -----------------------------------------------------------------------------------


def _pool_query(request, filters):
    query = select(Expert)
    if filters["status"] in ("active", "suspended"):
        query = query.where(Expert.status == filters["status"])
    if filters["specialty"]:
        query = query.where(Expert.id.in_(select(ExpertSpecialty.expert_id).where(
            draws._prefix_filter(ExpertSpecialty.code, filters["specialty"]))))
    if filters["q"]:
        text = filters["q"].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(Expert.name.ilike(f"%{text}%", escape="\\")
                            | Expert.employer_name.ilike(f"%{text}%", escape="\\"))
    return query


@view_config(route_name="experts.pool", renderer="experts/pool.jinja2", request_method="GET",
             permission=Permission.EXPERTS_MANAGE)
def pool_page(request):
    """Browse and search the pool (专家库), name order, one page at a time."""
    get = request.GET
    filters = {"q": get.get("q", "").strip()[:100], "specialty": get.get("specialty", "").strip().upper()[:16],
               "status": get.get("status", "") if get.get("status") in ("active", "suspended") else ""}
    query = _pool_query(request, filters)
    cursor = get.get("cursor", "")
    error = None
    if cursor:
        try:
            name, expert_id = decode_cursor(cursor, 2)
            query = query.where(or_(Expert.name > name, and_(Expert.name == name, Expert.id > expert_id)))
        except DomainError as refusal:
            error = _t(request, refusal.details[0]["message"]) if refusal.details else _t(request, refusal.message)
            cursor = ""
    rows = request.dbsession.execute(query.order_by(Expert.name, Expert.id).limit(PAGE_SIZE + 1)).scalars().all()
    next_cursor = encode_cursor([rows[PAGE_SIZE - 1].name, rows[PAGE_SIZE - 1].id]) if len(rows) > PAGE_SIZE else None
    query_args = {k: v for k, v in filters.items() if v}
    return {"experts": rows[:PAGE_SIZE], "filters": filters, "specialties": specialty_options(request),
            "names": specialty_names(request), "first_page": bool(cursor), "error": error,
            "next_url": request.route_path("experts.pool", _query={**query_args, "cursor": next_cursor})
            if next_cursor else None,
            "first_url": request.route_path("experts.pool", _query=query_args)}


def _expert_values(post):
    values = {name: (post.get(name, "") or "").strip() for name in EXPERT_FIELDS if name != "specialties"}
    values["specialties"] = [code for code in post.getall("specialties") if code]
    return values


def _expert_data(values, details, with_id=True):
    """The body of POST /experts (or of an edit) from the form, checking what the form can check."""
    for name in EXPERT_FIELDS:
        if name == "specialties" or (name == "id_number" and not with_id):
            continue
        value = values[name]
        if name in ("name", "id_number") and not value:
            details.append(field_error(name, _("This field is required.")))
        elif len(value) > LIMITS[name]:
            details.append(field_error(name, _("Must be at most ${n} characters long.", mapping={"n": LIMITS[name]})))
    if not values["specialties"]:
        details.append(field_error("specialties", _("Name at least one specialty.")))
    if with_id and values["id_number"] and len(values["id_number"]) <= LIMITS["id_number"]:
        _check(details, "id_number", pool.check_id_number, values["id_number"])
    if values["employer_uscc"] and len(values["employer_uscc"]) <= LIMITS["employer_uscc"]:
        _check(details, "employer_uscc", check_uscc, values["employer_uscc"].upper())
    data = {name: values[name] or None for name in EXPERT_FIELDS if name not in ("specialties", "id_number")}
    data["name"] = values["name"]
    data["specialties"] = list(values["specialties"])
    if with_id:
        data["id_number"] = values["id_number"]
    return data


EXPERT_RENAMES = {"uscc": "employer_uscc"}
EXPERT_LABELS = {
    "name": _("Full name"),
    "id_number": _("Resident identity number"),
    "phone": _("Mobile phone"),
    "title": _("Professional title"),
    "employer_name": _("Employer"),
    "employer_uscc": _("Employer's unified social credit code"),
    "region_code": _("Region code"),
    "specialties": _("Specialties"),
}


def expert_form(request, prefix, with_id=True):
    """Element ids and translated labels of the expert fields, for the fields and the error summary."""
    names = [name for name in EXPERT_LABELS if with_id or name != "id_number"]
    return {"prefix": prefix, "with_id": with_id, "ids": {name: prefix + name for name in names},
            "labels": {name: _t(request, EXPERT_LABELS[name]) for name in names}}


def _new_page(request, values, errors=None):
    return {"values": values, "errors": errors, "specialties": specialty_options(request),
            "form": expert_form(request, "f-")}


@view_config(route_name="experts.new", renderer="experts/new.jinja2", request_method="GET",
             permission=Permission.EXPERTS_MANAGE)
def new_expert_form(request):
    return _new_page(request, {name: "" for name in EXPERT_FIELDS} | {"specialties": []})


@view_config(route_name="experts.new", renderer="experts/new.jinja2", request_method="POST",
             permission=Permission.EXPERTS_MANAGE)
def new_expert(request):
    values = _expert_values(request.POST)
    try:
        details = []
        data = _expert_data(values, details)
        _refuse(details)
        with request.dbsession.begin_nested():
            expert = pool.create(request, data)
    except DomainError as error:
        request.response.status_int = error.status
        errors = _errors(request, error, EXPERT_RENAMES)
        if error.code == "expert.exists":
            errors["fields"].setdefault("id_number", errors["message"])
        return _new_page(request, values, errors)
    flash(request, _("${name} is added to the pool.", mapping={"name": expert.name}))
    return HTTPSeeOther(location=request.route_url("experts.detail", expert_id=expert.id))


def _values_of(expert):
    values = {name: getattr(expert, name) or "" for name in EXPERT_FIELDS if name != "specialties"}
    values["specialties"] = expert.specialty_codes
    return values


def detail_page(request, expert, failed=None):
    failed = failed or {}
    action = failed.get("action")
    edit = failed["values"] if action == "edit" else _values_of(expert)
    other = failed.get("values", {}) if action in ("suspend", "conflict") else {}
    suspend = {"suspended_until": other.get("suspended_until", local_input(expert.suspended_until)),
               "suspension_reason": other.get("suspension_reason", expert.suspension_reason or "")}
    conflict = {"org_uscc": other.get("org_uscc", ""), "reason": other.get("reason", "")}
    return {"expert": expert, "edit": edit, "suspend": suspend, "conflict": conflict,
            "form": expert_form(request, "e-", with_id=False),
            "errors": failed.get("errors"), "action": action, "specialties": specialty_options(request),
            "names": specialty_names(request)}


@view_config(route_name="experts.detail", renderer="experts/detail.jinja2", request_method="GET",
             permission=Permission.EXPERTS_MANAGE)
def expert_detail(request):
    return detail_page(request, pool.get(request, request.matchdict["expert_id"]))


def _edit(request, expert):
    values = _expert_values(request.POST)
    details = []
    data = _expert_data(values, details, with_id=False)
    _refuse(details)
    pool.update(request, expert, data)
    flash(request, _("The details of ${name} are saved.", mapping={"name": expert.name}))


def _suspend(request, expert):
    post = request.POST
    details = []
    until = _local_moment(post.get("suspended_until", "").strip(), "suspended_until", details)
    reason = _text(post, "suspension_reason", details, required=True, limit=LIMITS["reason"],
                   message=_("Give the reason for the suspension."))
    if until is not None and until <= request.clock.now():
        details.append(field_error("suspended_until", _("The end of the suspension must be in the future.")))
    _refuse(details)
    pool.update(request, expert, {"status": "suspended", "suspended_until": until, "suspension_reason": reason})
    if until is None:
        flash(request, _("${name} is suspended until reinstated.", mapping={"name": expert.name}))
    else:
        flash(request, _("${name} is suspended until ${at} (Beijing time).",
                         mapping={"name": expert.name, "at": local_input(until).replace("T", " ")}))


def _reinstate(request, expert):
    pool.update(request, expert, {"status": "active"})
    flash(request, _("${name} is reinstated and can be drawn again.", mapping={"name": expert.name}))


def _conflict(request, expert):
    details = []
    org_uscc = _text(request.POST, "org_uscc", details, required=True,
                     message=_("Enter the unified social credit code of the organisation."))
    reason = _text(request.POST, "reason", details, required=True, limit=LIMITS["reason"],
                   message=_("Give the reason for the conflict."))
    if org_uscc and len(org_uscc) <= LIMITS["org_uscc"]:
        _check(details, "org_uscc", check_uscc, org_uscc.upper())
    _refuse(details)
    pool.declare_conflict(request, expert, org_uscc, reason)
    flash(request, _("The conflict of interest is recorded."))


DETAIL_ACTIONS = {"edit": _edit, "suspend": _suspend, "reinstate": _reinstate, "conflict": _conflict}
DETAIL_RENAMES = {"edit": EXPERT_RENAMES, "conflict": {"uscc": "org_uscc"}}


@view_config(route_name="experts.detail", renderer="experts/detail.jinja2", request_method="POST",
             permission=Permission.EXPERTS_MANAGE)
def expert_action(request):
    expert = pool.get(request, request.matchdict["expert_id"])
    action = request.POST.get("action", "")
    handler = DETAIL_ACTIONS.get(action)
    try:
        if handler is None:
            raise RequestInvalid(details=[field_error("action", _("Unknown action."))])
        with request.dbsession.begin_nested():
            handler(request, expert)
    except DomainError as error:
        request.response.status_int = error.status
        request.dbsession.refresh(expert)
        values = _expert_values(request.POST) if action == "edit" else {
            key: value for key, value in request.POST.items() if isinstance(value, str) and key != "csrf_token"}
        return detail_page(request, expert, {"action": action, "values": values,
                                             "errors": _errors(request, error, DETAIL_RENAMES.get(action))})
    return HTTPSeeOther(location=request.route_url("experts.detail", expert_id=expert.id))


# --- import --------------------------------------------------------------------------------------------

TEMPLATE_HEADER = ["name", "id_number", "phone", "employer_name", "employer_uscc", "specialties", "region_code", "title"]


@view_config(route_name="experts.import", renderer="experts/import.jinja2", request_method="GET",
             permission=Permission.EXPERTS_MANAGE)
def import_form(request):
    if request.GET.get("download") == "template":
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n").writerow(TEMPLATE_HEADER)
        # the BOM lets spreadsheet programs open the UTF-8 file with its Chinese text intact; the import skips it
        response = Response(body=("\ufeff" + out.getvalue()).encode("utf-8"), content_type="text/csv", charset="utf-8")
        response.content_disposition = 'attachment; filename="experts-template.csv"'
        return response
    return {"result": None, "errors": None, "header": TEMPLATE_HEADER}


@view_config(route_name="experts.import", renderer="experts/import.jinja2", request_method="POST",
             permission=Permission.EXPERTS_MANAGE)
def import_upload(request):
    upload = request.POST.get("file")
    limit = request.registry.settings["ggzy.upload_max_bytes"]
    try:
        if getattr(upload, "filename", None) in (None, ""):
            raise RequestInvalid(details=[field_error("file", _("Choose a CSV or XLSX file to upload."))])
        data = upload.file.read(limit + 1)
        if len(data) > limit:
            raise TooLarge()
        rows = pool.read_rows(upload.filename, data)
        if not rows:
            raise RequestInvalid(details=[field_error("file", _("The file has a header row but no experts."))])
        result = pool.import_rows(request, rows)
    except DomainError as error:
        request.response.status_int = error.status
        errors = form_errors(request, error)
        if error.code == "upload.too_large":
            errors["fields"]["file"] = errors["message"]
        return {"result": None, "errors": errors, "header": TEMPLATE_HEADER}
    message = _("Import of ${file}: ${created} created, ${updated} updated, ${failed} rows refused.",
                mapping={"file": upload.filename, "created": result["created"], "updated": result["updated"],
                         "failed": len(result["errors"])})
    if not result["errors"]:
        flash(request, message)
        return HTTPSeeOther(location=request.route_url("experts.pool"))
    # the refused rows are shown now: they would not fit in the session for a redirect
    return {"result": result, "summary": _t(request, message), "errors": None, "header": TEMPLATE_HEADER}


# --- records (admin, inspector) --------------------------------------------------------------------------


def _projects_by_id(request, ids):
    ids = [i for i in set(ids) if i]
    if not ids:
        return {}
    return {p.id: p for p in request.dbsession.execute(select(Project).where(Project.id.in_(ids))).scalars()}


@view_config(route_name="experts.records", renderer="experts/records.jinja2", permission=Permission.EXPERTS_READ)
def records_page(request):
    """An expert's history (专家履职记录), newest first."""
    expert = pool.get(request, request.matchdict["expert_id"])
    query = select(ExpertRecord).where(ExpertRecord.expert_id == expert.id)
    cursor = request.GET.get("cursor", "")
    if cursor:
        try:
            at, record_id = decode_cursor(cursor, 2)
            at = datetime.fromisoformat(at)
        except (DomainError, ValueError, TypeError):
            raise RequestInvalid(details=[field_error("cursor", _("The cursor is not valid."))]) from None
        query = query.where(or_(ExpertRecord.at < at, and_(ExpertRecord.at == at, ExpertRecord.id < record_id)))
    rows = request.dbsession.execute(
        query.order_by(ExpertRecord.at.desc(), ExpertRecord.id.desc()).limit(PAGE_SIZE + 1)).scalars().all()
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    back_draw = request.GET.get("draw", "")[:64]
    next_url = None
    if more:
        query_args = {"cursor": encode_cursor([rows[-1].at.isoformat(), rows[-1].id])}
        if back_draw:
            query_args["draw"] = back_draw
        next_url = request.route_path("experts.records", expert_id=expert.id, _query=query_args)
    return {"expert": expert, "records": rows, "projects": _projects_by_id(request, [r.project_id for r in rows]),
            "labels": RECORD_LABELS, "names": specialty_names(request), "next_url": next_url,
            "first_url": request.route_path("experts.records", expert_id=expert.id,
                                            _query={"draw": back_draw} if back_draw else {}) if cursor else None,
            "back_draw": back_draw}


# --- the expert's invitations ------------------------------------------------------------------------------


def _invitation_view(request, invitation, now):
    draw = invitation.draw
    lot = request.dbsession.get(Lot, draw.lot_id) if draw.lot_id else None
    return {"invitation": invitation, "draw": draw, "lot": lot,
            "project": request.dbsession.get(Project, invitation.project_id),
            "left": _time_left(now, invitation.expires_at) if invitation.status == "pending" else None,
            "expires_ms": int(invitation.expires_at.timestamp() * 1000) if invitation.expires_at else None}


@view_config(route_name="experts.invitations", renderer="experts/invitations.jinja2",
             permission=Permission.INVITATIONS_ANSWER)
def my_invitations(request):
    """The expert's invitations (评标邀请): those awaiting an answer first."""
    clock = _server_clock(request)
    if not request.identity.expert_id:
        return {"linked": False, "clock": clock}
    found = invitations.mine(request)
    # the most urgent answer first, then the rest newest first
    rows = sorted((i for i in found if i.status == "pending"), key=lambda i: i.expires_at) + \
        [i for i in found if i.status != "pending"]
    expert = request.dbsession.get(Expert, request.identity.expert_id)
    return {"linked": True, "clock": clock, "expert": expert, "names": specialty_names(request),
            "items": [_invitation_view(request, i, clock["now"]) for i in rows]}


def invitation_page(request, invitation, errors=None, action=None, reason=""):
    clock = _server_clock(request)
    return {"linked": True, "clock": clock, "item": _invitation_view(request, invitation, clock["now"]),
            "names": specialty_names(request), "errors": errors, "action": action, "reason": reason}


def _own_invitation(request):
    invitation = request.dbsession.get(Invitation, request.matchdict["invitation_id"])
    if invitation is None or invitation.expert_id != request.identity.expert_id or invitation.status == "waiting":
        raise NotFound(message=_("This invitation does not exist or is not addressed to you."))
    return invitation


@view_config(route_name="experts.invitation", renderer="experts/invitation.jinja2", request_method="GET",
             permission=Permission.INVITATIONS_ANSWER)
def invitation_detail(request):
    if not request.identity.expert_id:
        return {"linked": False, "clock": _server_clock(request)}
    return invitation_page(request, _own_invitation(request))


@view_config(route_name="experts.invitation", renderer="experts/invitation.jinja2", request_method="POST",
             permission=Permission.INVITATIONS_ANSWER)
def invitation_answer(request):
    if not request.identity.expert_id:
        return {"linked": False, "clock": _server_clock(request)}
    _own_invitation(request)  # a clear 404 before the row lock
    invitation = invitations.get_own(request, request.matchdict["invitation_id"])
    action = request.POST.get("action", "")
    reason = request.POST.get("reason", "").strip()
    try:
        if action == "accept":
            # no savepoint: when the answer comes too late, the expiry it triggers is kept with the refusal
            invitations.accept(request, invitation)
            flash(request, _("You accepted the invitation to evaluate ${project}.",
                             mapping={"project": request.dbsession.get(Project, invitation.project_id).title}))
        elif action == "decline":
            details = []
            reason = _text(request.POST, "reason", details, required=True, limit=LIMITS["reason"],
                           message=_("Give the reason for declining."))
            _refuse(details)
            invitations.decline(request, invitation, reason)
            flash(request, _("You declined the invitation; the next alternate is invited."))
        else:
            raise RequestInvalid(details=[field_error("action", _("Unknown action."))])
    except DomainError as error:
        request.response.status_int = error.status
        errors = form_errors(request, error)
        if error.code == "invitation.closed":
            # the service's message carries the raw status code: say it in the page's language
            errors["message"] = _t(request, _("This invitation is no longer open. Its status: ${status}.",
                                              mapping={"status": _t(request, _(invitation.status))}))
        return invitation_page(request, invitation, errors, action, reason)
    return HTTPSeeOther(location=request.route_url("experts.invitations"))


# --- draws (officer; inspector and admin read) ------------------------------------------------------------


def _draw_rows(request, project):
    rows = request.dbsession.execute(
        select(Draw).where(Draw.project_id == project.id).order_by(Draw.created_at, Draw.id)).scalars().all()
    return [(draw, draws.draw_json(request, draw)) for draw in rows]


def _initial_draw_values():
    return {"lot_id": "", "requirements": [{"specialty": "", "count": ""}], "owner_representatives": "0",
            "alternates": "3", "evaluation_at": ""}


def _draw_values(post):
    drop = None
    match = ROW_REF.match(post.get("_remove", ""))
    if match:
        drop = int(match["index"])
    rows = {}
    for key in post:
        found = ROW_KEY.match(key)
        if found and int(found["index"]) != drop:
            rows.setdefault(int(found["index"]), {})[found["field"]] = post.get(key, "").strip()
    requirements = [{"specialty": rows[i].get("specialty", ""), "count": rows[i].get("count", "")}
                    for i in sorted(rows)][:MAX_REQUIREMENTS]
    return {"lot_id": post.get("lot_id", "").strip(), "requirements": requirements,
            "owner_representatives": post.get("owner_representatives", "").strip(),
            "alternates": post.get("alternates", "").strip(), "evaluation_at": post.get("evaluation_at", "").strip()}


def _integer(text, name, low, high, details, default=None):
    if text == "" and default is not None:
        return default
    if not INTEGER.match(text) or not low <= int(text) <= high:
        details.append(field_error(name, _("Enter a whole number from ${low} to ${high}.",
                                           mapping={"low": low, "high": high})))
        return None
    return int(text)


def _draw_data(values):
    """The body of POST /projects/{id}/expert-draws from the form."""
    details = []
    requirements = []
    for index, row in enumerate(values["requirements"]):
        if not row["specialty"] and not row["count"]:
            continue
        if not row["specialty"]:
            details.append(field_error(f"requirements[{index}].specialty", _("Choose a specialty.")))
        count = _integer(row["count"], f"requirements[{index}].count", 1, 50, details)
        requirements.append({"specialty": row["specialty"], "count": count})
    if not requirements:
        details.append(field_error("requirements", _("Name at least one specialty and how many experts it needs.")))
    owners = _integer(values["owner_representatives"], "owner_representatives", 0, 20, details, default=0)
    alternates = _integer(values["alternates"], "alternates", 0, 50, details, default=3)
    moment = _local_moment(values["evaluation_at"], "evaluation_at", details, required=True)
    _refuse(details)
    data = {"requirements": requirements, "owner_representatives": owners, "alternates": alternates,
            "evaluation_at": instant(moment)}
    if values["lot_id"]:
        data["lot_id"] = values["lot_id"]
    return data


def requirement_group(request, values, errors):
    """The requirements as the repeatable rows of macros/forms.jinja2 (static/officer.js adds and removes rows)."""
    translate = request.localizer.translate
    fields = errors["fields"] if errors else {}
    options = specialty_options(request)

    def row(index, item, record=True):
        key = f"requirements[{index}]"
        prefix = f"f-requirements-{index}-"
        return [
            {"name": key + ".specialty", "id": prefix + "specialty", "label": translate(_("Specialty")),
             "widget": "select", "value": item.get("specialty", ""), "options": options, "required": True,
             "blank": translate(_("Choose a specialty")), "error": fields.get(key + ".specialty") if record else None,
             "hint": None, "attrs": {}},
            {"name": key + ".count", "id": prefix + "count", "label": translate(_("Experts to draw")),
             "widget": "number", "value": item.get("count", ""), "required": True,
             "error": fields.get(key + ".count") if record else None, "hint": None,
             "attrs": {"min": 1, "max": 50, "step": 1, "inputmode": "numeric"}},
        ]

    rows = values["requirements"] or [{"specialty": "", "count": ""}]
    ids = {"requirements": "f-requirements", "lot_id": "f-lot", "owner_representatives": "f-owners",
           "alternates": "f-alternates", "evaluation_at": "f-evaluation"}
    for index in range(len(rows)):
        ids[f"requirements[{index}].specialty"] = f"f-requirements-{index}-specialty"
        ids[f"requirements[{index}].count"] = f"f-requirements-{index}-count"
    group = {"name": "requirements", "id": "f-requirements", "label": translate(_("Experts by specialty")),
             "hint": translate(_("A code draws from its sub-specialties too. A specialty may appear once.")),
             "item_label": translate(_("Specialty")), "add_label": translate(_("Add a specialty")),
             "min": 1, "max": MAX_REQUIREMENTS, "error": fields.get("requirements"),
             "rows": [row(index, item) for index, item in enumerate(rows)], "template": row("__i__", {}, record=False)}
    return group, ids


def draws_page(request, project, values=None, errors=None, action=None, run_draw=None):
    deadline = timeline_of(project).get("bid_deadline")
    values = values or _initial_draw_values()
    group, ids = requirement_group(request, values, errors if action == "create" else None)
    lot_options = [(lot.id, _t(request, _("Lot ${number}", mapping={"number": lot.number})) + " " + lot.title)
                   for lot in project.lots]
    return {"project": project, "rows": _draw_rows(request, project), "values": values, "group": group, "ids": ids,
            "lot_options": lot_options,
            "errors": errors, "action": action, "run_draw": run_draw, "names": specialty_names(request),
            "deadline": deadline, "now": request.clock.now(),
            "can_manage": bool(request.has_permission(Permission.DRAWS_MANAGE))}


@view_config(route_name="experts.draws", renderer="experts/draws.jinja2", request_method="GET",
             permission=Permission.DRAWS_READ)
def draws_list(request):
    """A project's draws (专家抽取) and, for officers, the form to commit a new one."""
    return draws_page(request, load_project(request, request.matchdict["project_id"]))


def _run(request, draw):
    invited = draws.run(request, draw)
    flash(request, _("The draw is run: ${count} experts are invited; they have ${minutes} minutes to answer.",
                     mapping={"count": invited, "minutes": request.registry.settings["ggzy.invitation_minutes"]}))


def _draw_of_project(request, project):
    draw_id = request.POST.get("draw_id", "")
    draw = draws.get(request, draw_id, for_update=True) if draw_id else None
    if draw is None or draw.project_id != project.id:
        raise NotFound(message=_("This draw does not belong to the project."))
    return draw


@view_config(route_name="experts.draws", renderer="experts/draws.jinja2", request_method="POST",
             permission=Permission.DRAWS_MANAGE)
def draws_action(request):
    project = load_project(request, request.matchdict["project_id"])
    action = request.POST.get("action", "")
    values = None
    run_draw = None
    if action == "create":
        values = _draw_values(request.POST)
        if request.POST.get("_add") == "requirements":
            if len(values["requirements"]) < MAX_REQUIREMENTS:
                values["requirements"].append({"specialty": "", "count": ""})
            return draws_page(request, project, values)
        if ROW_REF.match(request.POST.get("_remove", "")):
            return draws_page(request, project, values)
        values["requirements"] = [r for r in values["requirements"] if r["specialty"] or r["count"]] or \
            [{"specialty": "", "count": ""}]
    try:
        with request.dbsession.begin_nested():
            if action == "create":
                draw = draws.create(request, project, _draw_data(values))
                flash(request, _("The draw is committed; its commitment ${commitment} is published. Run it when the "
                                 "committee is due to be drawn.", mapping={"commitment": draw.commitment[:16] + "…"}))
                location = request.route_url("experts.draws", project_id=project.id, _anchor="draw-" + draw.id)
            elif action == "run":
                run_draw = request.POST.get("draw_id", "")
                draw = _draw_of_project(request, project)
                _run(request, draw)
                location = request.route_url("experts.draw", draw_id=draw.id)
            else:
                raise RequestInvalid(details=[field_error("action", _("Unknown action."))])
    except DomainError as error:
        request.response.status_int = error.status
        return draws_page(request, project, values, _errors(request, error), action, run_draw)
    return HTTPSeeOther(location=location)


def draw_page(request, draw, errors=None):
    project = load_project(request, draw.project_id)
    body = draws.draw_json(request, draw)
    full = request.identity.role in ("inspector", "admin")
    people = {}
    ids = {e["expert_id"] for e in body.get("exclusions") or []}
    if ids:
        people = {e.id: e for e in request.dbsession.execute(select(Expert).where(Expert.id.in_(list(ids)))).scalars()}
    lot = request.dbsession.get(Lot, draw.lot_id) if draw.lot_id else None
    return {"draw": draw, "body": body, "project": project, "lot": lot, "full": full, "people": people,
            "verified": draws.verify(draw) if full and draw.status != "committed" else None,
            "can_manage": bool(request.has_permission(Permission.DRAWS_MANAGE)),
            "can_read_experts": bool(request.has_permission(Permission.EXPERTS_READ)),
            "names": specialty_names(request), "reasons": REASON_LABELS, "count_labels": COUNT_LABELS,
            "errors": errors}


@view_config(route_name="experts.draw", renderer="experts/draw.jinja2", request_method="GET",
             permission=Permission.DRAWS_READ)
def draw_detail(request):
    """One draw as the viewer may see it: officers the counts, inspectors and admins everything."""
    return draw_page(request, draws.get(request, request.matchdict["draw_id"]))


@view_config(route_name="experts.draw", renderer="experts/draw.jinja2", request_method="POST",
             permission=Permission.DRAWS_MANAGE)
def draw_action(request):
    draw = draws.get(request, request.matchdict["draw_id"], for_update=True)
    try:
        if request.POST.get("action") != "run":
            raise RequestInvalid(details=[field_error("action", _("Unknown action."))])
        with request.dbsession.begin_nested():
            _run(request, draw)
    except DomainError as error:
        request.response.status_int = error.status
        return draw_page(request, draw, _errors(request, error))
    return HTTPSeeOther(location=request.route_url("experts.draw", draw_id=draw.id))


# --- the officer's conduct records after an evaluation (X198 Art 21) --------------------------------------------

RATING_OPTIONS = [(str(n), str(n)) for n in range(5, 0, -1)]
NOTE_MAX = 2000


def _conduct_lot(request):
    from trading.services import projects

    project = load_project(request, request.matchdict["project_id"])
    return project, projects.get_lot(request, project, request.matchdict["lot_id"])


def conduct_page(request, project, lot, errors=None, failed_member=None, values=None):
    """Each member of the lot's finalised evaluation, with the conduct recorded or the form to record it."""
    from trading.models import Evaluation

    evaluation = request.dbsession.execute(select(Evaluation).where(Evaluation.lot_id == lot.id)).scalar_one_or_none()
    members = list(evaluation.members) if evaluation is not None else []
    recorded = {}
    if members:
        for record in request.dbsession.execute(select(ExpertRecord).where(
                ExpertRecord.lot_id == lot.id, ExpertRecord.kind == "rating",
                ExpertRecord.expert_id.in_([m.expert_id for m in members]))).scalars():
            recorded.setdefault(record.expert_id, record)
    finalized = evaluation is not None and evaluation.status == "finalized"
    if failed_member not in {m.expert_id for m in members}:
        failed_member = None  # the refusal shows above the members
    return {"project": project, "lot": lot, "evaluation": evaluation, "finalized": finalized,
            "members": sorted(members, key=lambda m: m.position), "recorded": recorded,
            "missing": sum(1 for m in members if m.expert_id not in recorded),
            "errors": errors, "failed_member": failed_member, "values": values or {},
            "rating_options": RATING_OPTIONS}


@view_config(route_name="experts.conduct", renderer="experts/conduct.jinja2", request_method="GET",
             permission=Permission.PROJECTS_MANAGE)
def conduct_view(request):
    project, lot = _conduct_lot(request)
    return conduct_page(request, project, lot)


@view_config(route_name="experts.conduct", renderer="experts/conduct.jinja2", request_method="POST",
             permission=Permission.PROJECTS_MANAGE)
def conduct_record(request):
    """One member's rating and note, through the service POST .../expert-records uses (its audit event included)."""
    from .conduct import rate

    project, lot = _conduct_lot(request)
    post = request.POST
    expert_id = (post.get("expert_id") or "").strip()[:64]
    values = {"rating": (post.get("rating") or "").strip()[:8], "note": post.get("note") or ""}
    try:
        details = []
        rating = None
        if not re.fullmatch(r"[1-5]", values["rating"]):
            details.append(field_error("rating", _("Choose a rating from 1 to 5.")))
        else:
            rating = int(values["rating"])
        note = _text(post, "note", details, limit=NOTE_MAX)
        if not expert_id:
            details.append(field_error("expert_id", _("This expert is not a member of the lot's committee.")))
        _refuse(details)
        with request.dbsession.begin_nested():
            rate(request, project, lot, expert_id, rating, note or None)
    except DomainError as error:
        request.response.status_int = error.status
        request.dbsession.expire_all()
        return conduct_page(request, project, lot, _errors(request, error), expert_id, values)
    from trading.models import Evaluation, EvaluationMember

    name = request.dbsession.execute(select(EvaluationMember.name).join(Evaluation).where(
        Evaluation.lot_id == lot.id, EvaluationMember.expert_id == expert_id)).scalar_one_or_none()
    flash(request, _("The conduct of ${name} is recorded.", mapping={"name": name or expert_id}))
    return HTTPSeeOther(location=request.route_url("experts.conduct", project_id=project.id, lot_id=lot.id,
                                                   _anchor="member-" + expert_id))
