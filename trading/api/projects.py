"""Projects API: create, edit drafts, publish, amend, terminate, list and read."""
from datetime import datetime


from ..models import Project
from ..models.projects import PROJECT_STATUSES
from ..security import Permission
from ..services import projects
from ..timeutil import INSTANT_SCHEMA
from . import LIST_QUERY, api_view, page_limit
from .pagination import keyset_page

MONEY = {"type": "string", "pattern": r"^[0-9]{1,16}(\.[0-9]{1,2})?$"}
# at least one character that is not white space
TITLE = {"type": "string", "minLength": 1, "maxLength": 300, "pattern": r"\S"}
LOT = {
    "type": "object",
    "properties": {"title": TITLE, "budget": MONEY,
                   "deposit": MONEY, "start_price": MONEY, "increment": MONEY, "reserve_price": MONEY},
    "required": ["title"],
    "additionalProperties": False,
}
TIMELINE = {"type": "object", "additionalProperties": {"anyOf": [INSTANT_SCHEMA, {"type": "null"}]}}
ID = {"type": "string", "minLength": 1, "maxLength": 64}

CREATE = {
    "type": "object",
    "properties": {
        "method": {"type": "string", "minLength": 1, "maxLength": 64},
        "title": TITLE,
        "description": {"type": ["string", "null"], "maxLength": 20000},
        "owner_org_id": ID,
        "agent_org_id": {"anyOf": [ID, {"type": "null"}]},
        "lots": {"type": "array", "minItems": 1, "maxItems": 100, "items": LOT},
        "timeline": TIMELINE,
        "params": {"type": "object"},
    },
    "required": ["method", "title", "owner_org_id", "lots", "timeline"],
}
PATCH = {
    "type": "object",
    "properties": {name: CREATE["properties"][name] for name in
                   ("title", "description", "owner_org_id", "agent_org_id", "lots", "timeline", "params")},
    "additionalProperties": False,
}
AMENDMENT = {"type": "object", "properties": {"text": {"type": "string", "minLength": 1, "maxLength": 20000,
                                                       "pattern": r"\S"},
                                              "timeline": TIMELINE}, "required": ["text"]}
TERMINATE = {"type": "object", "properties": {"reason": {"type": "string", "minLength": 1, "maxLength": 2000,
                                                         "pattern": r"\S"}},
             "required": ["reason"]}
LIST = {**LIST_QUERY, "sector": ["tendering", "procurement", "land", "equity"], "method": "string",
        "status": list(PROJECT_STATUSES),
        "q": "string"}


@api_view("api.projects", "POST", Permission.PROJECTS_MANAGE, body=CREATE, status=201, summary="Create a draft project")
def create(request):
    project = projects.create(request, request.json_input)
    return projects.project_json(request, project)


@api_view("api.projects", "GET", Permission.PUBLIC, query=LIST,
          summary="Published projects, newest first; officers, inspectors and admins also see drafts")
def list_projects(request):
    query = projects.search(request, request.query_input)
    return keyset_page(request, query, Project.listed_at, Project.id, lambda p: projects.project_json(request, p),
                       page_limit(request), descending=True, convert=datetime.fromisoformat)


@api_view("api.project", "GET", Permission.PUBLIC, summary="One project (the public view, or the staff view)")
def get_project(request):
    project_id = request.matchdict["project_id"]
    project = projects.get_project(request, project_id)
    if projects.apply_due(request, project_id):
        request.dbsession.refresh(project)
    return projects.project_json(request, project)


@api_view("api.project", "PATCH", Permission.PROJECTS_MANAGE, body=PATCH, summary="Edit a draft",
          responses={409: "project.not_draft"})
def update(request):
    project = projects.get_project(request, request.matchdict["project_id"], for_update=True)
    projects.update(request, project, request.json_input)
    return projects.project_json(request, project)


@api_view("api.project.publish", "POST", Permission.PROJECTS_MANAGE,
          summary="Publish a draft against every rule of its method", responses={409: "project.not_draft",
                                                                                 422: "rules.violated"})
def publish(request):
    project = projects.get_project(request, request.matchdict["project_id"], for_update=True)
    warnings = projects.publish(request, project)
    body = projects.project_json(request, project)
    body["warnings"] = [{"rule": w.rule, "message": request.localizer.translate(w.message)} for w in warnings]
    return body


@api_view("api.project.amendments", "POST", Permission.PROJECTS_MANAGE, body=AMENDMENT, status=201,
          summary="Issue an amendment, moving instants of the timeline", responses={
              409: "project.not_announced", 422: "timeline.amendment_too_late"})
def amend(request):
    project = projects.get_project(request, request.matchdict["project_id"], for_update=True)
    amendment, warnings = projects.amend(request, project, request.json_input["text"],
                                         request.json_input.get("timeline") or {})
    body = projects.project_json(request, project)
    body["amendment_id"] = amendment.id
    body["warnings"] = [{"rule": w.rule, "message": request.localizer.translate(w.message)} for w in warnings]
    return body


@api_view("api.project.terminate", "POST", Permission.PROJECTS_MANAGE, body=TERMINATE,
          summary="Terminate a project", responses={409: "project.not_terminable"})
def terminate(request):
    project = projects.get_project(request, request.matchdict["project_id"], for_update=True)
    projects.terminate(request, project, request.json_input["reason"])
    return projects.project_json(request, project)
