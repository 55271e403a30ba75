"""The expert pool and draw API (API.md "Expert pool and draw")."""
from sqlalchemy import select

from trading.api import LIST_QUERY, api_view, page_limit
from trading.api.pagination import keyset_page
from trading.api.errors import error_response
from trading.errors import Conflict, NotFound, RequestInvalid, TooLarge, field_error
from trading.i18n import _, instant
from trading.security import Permission
from trading.services import projects
from trading.timeutil import INSTANT_SCHEMA

from . import draws, invitations, pool
from .models import Draw, Expert, ExpertRecord, ExpertSpecialty, Specialty

TEXT = {"type": "string", "minLength": 1, "maxLength": 200}
OPTIONAL = {"type": ["string", "null"], "maxLength": 200}
EXPERT = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 100},
        "id_number": {"type": "string", "minLength": 1, "maxLength": 40},
        "phone": {"type": ["string", "null"], "maxLength": 40}, "employer_name": OPTIONAL,
        "employer_uscc": {"type": ["string", "null"], "maxLength": 40},
        "specialties": {"type": "array", "minItems": 1, "maxItems": 50, "items": {"type": "string", "minLength": 1, "maxLength": 16}},
        "region_code": {"type": ["string", "null"], "maxLength": 12}, "title": {"type": ["string", "null"], "maxLength": 100},
    },
    "required": ["name", "id_number", "specialties"],
}
PATCH = {
    "type": "object",
    "properties": {
        "status": {"enum": ["active", "suspended"]},
        "suspended_until": {"anyOf": [INSTANT_SCHEMA, {"type": "null"}]},
        "suspension_reason": OPTIONAL,
        **{name: EXPERT["properties"][name] for name in ("name", "phone", "employer_name", "employer_uscc",
                                                         "specialties", "region_code", "title")},
    },
    "additionalProperties": False,
}
CONFLICT = {"type": "object", "properties": {"org_uscc": {"type": "string", "minLength": 1, "maxLength": 40},
                                             "reason": {"type": "string", "minLength": 1, "maxLength": 500}},
            "required": ["org_uscc", "reason"]}
IMPORT = {"type": "object", "x-multipart": True, "required": ["file"],
          "properties": {"file": {"type": "string", "format": "binary"}}}
DRAW = {
    "type": "object",
    "properties": {
        "lot_id": {"type": ["string", "null"], "maxLength": 64},
        "requirements": {"type": "array", "minItems": 1, "maxItems": 20, "items": {
            "type": "object", "properties": {"specialty": {"type": "string", "minLength": 1, "maxLength": 16},
                                             "count": {"type": "integer", "minimum": 1, "maximum": 50}},
            "required": ["specialty", "count"], "additionalProperties": False}},
        "owner_representatives": {"type": "integer", "minimum": 0, "maximum": 20},
        "alternates": {"type": "integer", "minimum": 0, "maximum": 50},
        "evaluation_at": INSTANT_SCHEMA,
    },
    "required": ["requirements", "evaluation_at"],
}
ANSWER = {"type": "object", "properties": {"reason": {"type": ["string", "null"], "maxLength": 500}}}


# --- specialties and the pool ------------------------------------------------------------------


@api_view("api.specialties", "GET", Permission.PUBLIC, summary="The specialty catalogue")
def specialties(request):
    rows = request.dbsession.execute(select(Specialty).order_by(Specialty.code)).scalars().all()
    english = request.locale_name == "en"
    return {"items": [{"code": s.code, "name": (s.name_en or s.name) if english else s.name, "parent": s.parent}
                      for s in rows], "next_cursor": None}


@api_view("api.experts", "POST", Permission.EXPERTS_MANAGE, body=EXPERT, status=201, summary="Add an expert to the pool",
          responses={422: "expert.id_invalid"})
def create_expert(request):
    return pool.expert_json(pool.create(request, request.json_input))


@api_view("api.experts", "GET", Permission.EXPERTS_READ,
          query={**LIST_QUERY, "specialty": "string", "status": ["active", "suspended"], "q": "string"},
          summary="Browse the pool")
def list_experts(request):
    q = request.query_input
    query = select(Expert)
    if "status" in q:
        query = query.where(Expert.status == q["status"])
    if "specialty" in q:
        query = query.where(Expert.id.in_(select(ExpertSpecialty.expert_id).where(
            draws._prefix_filter(ExpertSpecialty.code, q["specialty"].strip().upper()))))
    if "q" in q:
        text = q["q"].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(Expert.name.ilike(f"%{text}%", escape="\\") | Expert.employer_name.ilike(f"%{text}%", escape="\\"))
    return keyset_page(request, query, Expert.name, Expert.id, pool.expert_json, page_limit(request))


@api_view("api.expert", "GET", Permission.EXPERTS_READ, summary="One expert")
def get_expert(request):
    return pool.expert_json(pool.get(request, request.matchdict["expert_id"]))


@api_view("api.expert", "PATCH", Permission.EXPERTS_MANAGE, body=PATCH, summary="Edit, suspend or reinstate an expert")
def patch_expert(request):
    expert = pool.get(request, request.matchdict["expert_id"])
    data = dict(request.json_input)
    if "suspended_until" in data:
        try:
            data["suspended_until"] = pool.parse_until(data["suspended_until"])
        except ValueError:  # the pattern passes a month 46; the calendar does not
            raise RequestInvalid(details=[field_error("suspended_until",
                                                      _("Must be an RFC 3339 instant with an offset."))]) from None
    if data.get("status") == "suspended" and "suspended_until" not in data:
        data["suspended_until"] = None
    return pool.expert_json(pool.update(request, expert, data))


@api_view("api.expert.conflicts", "POST", Permission.CONFLICTS_DECLARE, body=CONFLICT, status=201,
          summary="Declare a conflict of interest (the admin, or the expert for itself)",
          responses={422: "rules.violated (org.uscc_invalid)"})
def declare_conflict(request):
    from trading.errors import Forbidden

    if request.identity.role not in ("admin", "expert"):
        raise Forbidden()
    expert = pool.get(request, request.matchdict["expert_id"]) if request.identity.role == "admin" else None
    if expert is None:
        if request.identity.expert_id != request.matchdict["expert_id"]:
            raise Forbidden(message=_("An expert declares conflicts for itself only."))
        expert = pool.get(request, request.matchdict["expert_id"])
    conflict = pool.declare_conflict(request, expert, request.json_input["org_uscc"], request.json_input["reason"])
    return {"id": conflict.id, "expert_id": expert.id, "org_uscc": conflict.org_uscc, "reason": conflict.reason,
            "declared_at": instant(conflict.declared_at)}


@api_view("api.experts.import", "POST", Permission.EXPERTS_MANAGE, body=IMPORT,
          summary="Import experts from CSV (UTF-8) or XLSX; a bad row never stops the good ones")
def import_experts(request):
    upload = request.POST["file"]
    limit = request.registry.settings["ggzy.upload_max_bytes"]
    data = upload.file.read(limit + 1)
    if len(data) > limit:
        raise TooLarge()
    rows = pool.read_rows(upload.filename, data)
    return pool.import_rows(request, rows)


@api_view("api.expert.records", "GET", Permission.EXPERTS_READ, query=LIST_QUERY,
          summary="An expert's history: invited, accepted, declined, expired, evaluated, score_deviation, rating")
def expert_records(request):
    expert = pool.get(request, request.matchdict["expert_id"])
    query = select(ExpertRecord).where(ExpertRecord.expert_id == expert.id)
    return keyset_page(request, query, ExpertRecord.at, ExpertRecord.id, record_json, page_limit(request),
                       descending=True, convert=_instant)


def _instant(text):
    from datetime import datetime

    return datetime.fromisoformat(text)


def record_json(record):
    detail = dict(record.detail or {})
    if record.rating is not None:
        detail["rating"] = record.rating
    if record.note:
        detail["note"] = record.note
    if record.lot_id:
        detail.setdefault("lot_id", record.lot_id)
    return {"at": instant(record.at), "kind": record.kind, "project_id": record.project_id, "detail": detail}


# --- draws -----------------------------------------------------------------------------------


@api_view("api.project.draws", "POST", Permission.DRAWS_MANAGE, body=DRAW, status=201,
          summary="Create a committed draw (its commitment published now, its nonce at the run)",
          responses={409: "draw.too_early", 422: "draw.composition"})
def create_draw(request):
    project = projects.get_project(request, request.matchdict["project_id"])
    draw = draws.create(request, project, request.json_input)
    return {"id": draw.id, "status": draw.status, "commitment": draw.commitment}


@api_view("api.project.draws", "GET", Permission.DRAWS_READ, summary="The project's draws")
def list_draws(request):
    project = projects.get_project(request, request.matchdict["project_id"])
    rows = request.dbsession.execute(select(Draw).where(Draw.project_id == project.id).order_by(Draw.created_at)).scalars()
    return {"items": [draws.draw_json(request, d) for d in rows], "next_cursor": None}


@api_view("api.draw.run", "POST", Permission.DRAWS_MANAGE, summary="Run the draw and invite the members",
          responses={422: "draw.insufficient_experts"})
def run_draw(request):
    draw = draws.get(request, request.matchdict["draw_id"], for_update=True)
    invited = draws.run(request, draw)
    return {"id": draw.id, "status": draw.status, "seed": draw.seed, "invited": invited}


@api_view("api.draw", "GET", Permission.DRAWS_READ, summary="A draw: counts for officers, everything for inspectors and admins")
def get_draw(request):
    return draws.draw_json(request, draws.get(request, request.matchdict["draw_id"]))


@api_view("api.draw.verify", "GET", Permission.EXPERTS_READ, summary="Recompute the draw from its record")
def verify_draw(request):
    return {"ok": draws.verify(draws.get(request, request.matchdict["draw_id"]))}


@api_view("api.draw.record", "GET", Permission.EXPERTS_READ, summary="The draw record as a PDF")
def draw_record(request):
    from trading.pdf import render_pdf

    draw = draws.get(request, request.matchdict["draw_id"])
    project = projects.get_project(request, draw.project_id)
    experts = {e.id: e for e in request.dbsession.execute(
        select(Expert).where(Expert.id.in_([i.expert_id for i in draw.invitations]))).scalars()}
    return render_pdf(request, "draw_record.jinja2",
                      {"draw": draw, "project": project, "experts": experts, "verified": draws.verify(draw),
                       "counts": draws.counts(draw)}, filename=f"draw-{draw.id}.pdf")


# --- invitations -----------------------------------------------------------------------------


@api_view("api.me.invitations", "GET", Permission.INVITATIONS_ANSWER, summary="The expert's own invitations")
def my_invitations(request):
    if not request.identity.expert_id:
        return {"items": [], "next_cursor": None}
    return {"items": [invitations.invitation_json(request, i) for i in invitations.mine(request)], "next_cursor": None}


def _answer(request, action):
    if not request.identity.expert_id:
        raise NotFound()
    invitation = invitations.get_own(request, request.matchdict["invitation_id"])
    try:
        if action == "accept":
            invitations.accept(request, invitation)
        else:
            invitations.decline(request, invitation, (request.json_input or {}).get("reason"))
    except Conflict as error:
        # answered, not raised: an answer that came too late still expires the invitation and calls the alternate
        return error_response(request, error)
    return invitations.invitation_json(request, invitation)


@api_view("api.invitation.accept", "POST", Permission.INVITATIONS_ANSWER, body=ANSWER, summary="Accept an invitation",
          responses={409: "invitation.closed"})
def accept(request):
    return _answer(request, "accept")


@api_view("api.invitation.decline", "POST", Permission.INVITATIONS_ANSWER, body=ANSWER,
          summary="Decline an invitation; the next alternate is invited", responses={409: "invitation.closed"})
def decline(request):
    return _answer(request, "decline")


@api_view("api.lot.committee", "GET", Permission.PUBLIC, summary="The committee of a lot, public once the lot is awarded")
def committee(request):
    project = projects.get_project(request, request.matchdict["project_id"])
    lot = projects.get_lot(request, project, request.matchdict["lot_id"])
    staff = request.identity is not None and request.identity.role in ("inspector", "admin")
    if lot.status not in ("awarded", "contracted") and not staff:
        raise NotFound(message=_("The committee is made public with the award."))
    from . import committee_of

    found = committee_of(request.dbsession, lot)
    return {"lot_id": lot.id, "members": [{"name": e.name, "specialty": s} for e, s in found["members"]],
            "owner_representatives": found["owner_representatives"]}




RATING = {"type": "object", "properties": {"expert_id": {"type": "string", "minLength": 1, "maxLength": 64},
                                           "rating": {"type": "integer"},
                                           "note": {"type": ["string", "null"], "maxLength": 2000}},
          "required": ["expert_id", "rating"]}


@api_view("api.lot.expert_records", "POST", Permission.PROJECTS_MANAGE, body=RATING, status=201,
          summary="Record a committee member's conduct after the evaluation (rating 1-5)")
def rate_member(request):
    from .conduct import rate

    project = projects.get_project(request, request.matchdict["project_id"])
    lot = projects.get_lot(request, project, request.matchdict["lot_id"])
    data = request.json_input
    return rate(request, project, lot, data["expert_id"], data["rating"], data.get("note"))
