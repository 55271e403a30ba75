"""Public pages: the announcements (交易公告), a project, its opening (开标) and the policies library (政策法规)."""
from datetime import date, datetime

from pyramid.view import view_config

from ..api.pagination import decode_cursor, keyset_page
from ..errors import DomainError, NotFound
from ..i18n import TIMELINE_LABELS, _
from ..methods import SEALED
from ..models import Policy, Project
from ..models.projects import PROJECT_STATUSES
from ..policies import SECTORS
from ..security import Permission
from ..services import documents, opening, policies, projects

PAGE_SIZE = 20
PROJECT_SECTORS = ("tendering", "procurement", "land", "equity")
# the instant a row of the announcements list shows: when bids close, or when the auction or listing ends
KEY_INSTANTS = ("bid_deadline", "auction_at", "listing_until")


# --- shared by the public and the officer pages ---------------------------------------------------


def load_project(request, project_id, for_update=False):
    """The project after its due transitions (DESIGN.md: a request that reads a project applies them first)."""
    project = projects.get_project(request, project_id, for_update=for_update)
    if projects.apply_due(request, project.id):
        request.dbsession.refresh(project)
    return project


def key_instant(project, timeline=None):
    """(field, instant) a list row shows for the project, or (None, None)."""
    timeline = timeline if timeline is not None else projects.timeline_of(project)
    for name in KEY_INSTANTS:
        if name in timeline:
            return name, timeline[name]
    return None, None


def timeline_rows(request, project):
    """The method's instants in the method's order: (name, label, instant or None)."""
    method = projects.method_of(request, project)
    timeline = projects.timeline_of(project)
    return [(name, TIMELINE_LABELS.get(name, name), timeline.get(name)) for name in method.timeline]


def parse_instant_text(value):
    """A stored or API instant string as an aware datetime (None stays None)."""
    if not value:
        return None
    return datetime.fromisoformat(value)


def amendment_rows(project):
    rows = []
    for amendment in project.amendments:
        changes = [(name, TIMELINE_LABELS.get(name, name), parse_instant_text(old), parse_instant_text(new))
                   for name, (old, new) in sorted((amendment.changes or {}).items())]
        rows.append({"issued_at": amendment.issued_at, "text": amendment.text, "changes": changes})
    return rows


def opening_view(request, project):
    """The opening record (services.opening.record_json) with instants as datetimes for the pages."""
    record = opening.record_json(request, project)
    for name in ("opens_at", "started_at", "window_until", "closed_at"):
        if name in record:
            record[name] = parse_instant_text(record[name])
    for lot in record.get("lots", []):
        for bid in lot.get("bids", []):
            bid["submitted_at"] = parse_instant_text(bid.get("submitted_at"))
    return record


def polls_opening(request, project, record):
    """Whether the opening page should poll: during the window, or once the deadline passed and it has not started."""
    if project.kind != SEALED:
        return False
    if record["status"] == "opening":
        return True
    return (record["status"] == "not_started" and project.status == "announced" and record.get("opens_at") is not None
            and record["opens_at"] <= request.clock.now())


# --- announcements ---------------------------------------------------------------------------


def _list_filters(request):
    """The filters of the list from the query string; values that are not offered are ignored, with a note."""
    staff = projects.is_staff(request)
    filters, ignored = {}, []
    allowed = {
        "sector": PROJECT_SECTORS,
        "method": [spec.code for spec in request.registry["methods"]],
        "status": PROJECT_STATUSES if staff else PROJECT_STATUSES[1:],
    }
    for name, values in allowed.items():
        raw = request.GET.get(name, "").strip()
        if raw:
            if raw in values:
                filters[name] = raw
            else:
                ignored.append(name)
    q = request.GET.get("q", "").strip()[:200]
    if q:
        filters["q"] = q
    return filters, ignored, allowed


def _project_query(request, filters):
    return projects.search(request, filters)


def _cursor_ok(cursor, convert):
    """Whether a cursor holds the (sort key, id) strings keyset_page expects; a forged one could upset the query."""
    try:
        sort_value, id_value = decode_cursor(cursor, 2)
        if not isinstance(sort_value, str) or not isinstance(id_value, str):
            return False
        convert(sort_value)
    except (DomainError, ValueError, TypeError):
        return False
    return True


def _keyset(request, query, sort_column, id_column, convert, to_row):
    """One page by the API's keyset pagination; a damaged cursor starts again from the first page."""
    cursor = request.GET.get("cursor", "").strip()[:500]
    notice = None
    if cursor and not _cursor_ok(cursor, convert):
        cursor, notice = "", _("The page link was not valid; showing the first page.")
    request.query_input = {"cursor": cursor} if cursor else {}
    page = keyset_page(request, query, sort_column, id_column, to_row, PAGE_SIZE, descending=True, convert=convert)
    return page, notice


def project_row(request, project):
    name, moment = key_instant(project)
    return {"id": project.id, "code": project.code, "title": project.title, "status": project.status,
            "method": project.method, "method_name": projects.method_of(request, project).name,
            "sector": project.sector, "key_name": name, "key_label": TIMELINE_LABELS.get(name), "key_at": moment}


@view_config(route_name="projects.list", renderer="projects/list.jinja2", permission=Permission.PUBLIC)
def projects_list(request):
    filters, ignored, allowed = _list_filters(request)
    page, notice = _keyset(request, _project_query(request, filters), Project.listed_at, Project.id,
                           datetime.fromisoformat, lambda project: project_row(request, project))
    next_url = None
    if page["next_cursor"]:
        next_url = request.route_path("projects.list", _query={**filters, "cursor": page["next_cursor"]})
    return {"rows": page["items"], "filters": filters, "ignored": ignored, "allowed": allowed,
            "methods": list(request.registry["methods"]), "next_url": next_url, "notice": notice,
            "paged": bool(request.GET.get("cursor")), "first_url": request.route_path("projects.list", _query=filters)}


@view_config(route_name="projects.detail", renderer="projects/detail.jinja2", permission=Permission.PUBLIC)
def project_detail(request):
    project = load_project(request, request.matchdict["project_id"])
    method = projects.method_of(request, project)
    return {
        "project": project,
        "method": method,
        "timeline": timeline_rows(request, project),
        "amendments": amendment_rows(project),
        "documents": documents.list_documents(request, project),
        "questions": documents.list_questions(request, project),
        "lot_fields": public_lot_fields(method),
        "lot_labels": LOT_LABELS,
        "is_bidder": request.identity is not None and request.identity.role == "bidder",
        "is_staff": projects.is_staff(request),
    }


LOT_LABELS = {
    "title": _("Lot"),
    "budget": _("Budget (CNY)"),
    "deposit": _("Deposit (CNY)"),
    "start_price": _("Start price (CNY)"),
    "increment": _("Increment (CNY)"),
    "reserve_price": _("Reserve price (CNY)"),
}


def public_lot_fields(method):
    """The money fields of the method's lots that anyone may see: never the reserve price."""
    return [name for name in ("budget", "deposit", "start_price", "increment")
            if name in method.lot_fields.get("properties", {})]


@view_config(route_name="projects.opening", renderer="projects/opening.jinja2", permission=Permission.PUBLIC)
def project_opening(request):
    project = load_project(request, request.matchdict["project_id"])
    if project.kind != SEALED:
        raise NotFound(message=_("This trading method has no bid opening; it ends in a public auction."))
    record = opening_view(request, project)
    return {"project": project, "record": record, "poll": polls_opening(request, project, record),
            "lots": {lot.id: lot for lot in project.lots}}


# --- policies and regulations ------------------------------------------------------------------


def policy_key(policy):
    return policy.code or policy.id


@view_config(route_name="policies.list", renderer="policies/list.jinja2", permission=Permission.PUBLIC)
def policies_list(request):
    q = request.GET.get("q", "").strip()[:200]
    sector = request.GET.get("sector", "").strip()
    ignored = []
    if sector and sector not in SECTORS:
        ignored.append("sector")
        sector = ""
    filters = {name: value for name, value in (("q", q), ("sector", sector)) if value}
    page, notice = _keyset(request, policies.search(request.dbsession, q=q or None, sector=sector or None),
                           Policy.issued_on, Policy.id, date.fromisoformat, lambda policy: policy)
    next_url = None
    if page["next_cursor"]:
        next_url = request.route_path("policies.list", _query={**filters, "cursor": page["next_cursor"]})
    return {"policies": page["items"], "filters": filters, "sectors": SECTORS, "ignored": ignored,
            "next_url": next_url, "notice": notice, "summary": policies.summary, "policy_key": policy_key,
            "paged": bool(request.GET.get("cursor")), "first_url": request.route_path("policies.list", _query=filters)}


@view_config(route_name="policies.detail", renderer="policies/detail.jinja2", permission=Permission.PUBLIC)
def policy_detail(request):
    policy = policies.get_by_code_or_id(request.dbsession, request.matchdict["policy_id"])
    return {"policy": policy}

