"""Projects: create and edit drafts, publish against the method's rules, amend, terminate, read."""
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..errors import Conflict, NotFound, RequestInvalid, RulesViolated, RuleViolation, field_error
from ..i18n import _, instant, money
from ..methods import SEALED
from ..models import Amendment, Deadline, Lot, Organization, Project, ProjectCounter
from ..rules import AmendmentView, LotView, ProjectView, local_date
from ..schema import json_numbers, schema_details
from ..timeutil import parse_instant


SECTOR_CODES = {"tendering": "GC", "procurement": "CG", "land": "TD", "equity": "CQ"}
MONEY_FIELDS = ("budget", "deposit", "start_price", "increment", "reserve_price")
FINAL_STATUSES = ("awarded", "contracted", "failed", "terminated")
STAFF_ROLES = ("officer", "inspector", "admin")
# params only the staff see: who was invited must not help bidders find each other
PRIVATE_PARAMS = ("invitees",)


# --- reading -------------------------------------------------------------------------------------


def stored_instant(moment):
    return audit.format_at(moment)


def timeline_of(project):
    """The project's timeline as aware UTC datetimes; questions_until defaults to bid_deadline."""
    timeline = {name: datetime.fromisoformat(value) for name, value in (project.timeline or {}).items() if value}
    if project.kind == SEALED and "bid_deadline" in timeline:
        timeline.setdefault("questions_until", timeline["bid_deadline"])
    return timeline


def method_of(request, project_or_code):
    code = project_or_code if isinstance(project_or_code, str) else project_or_code.method
    return request.registry["methods"][code]


def is_staff(request):
    return request.identity is not None and request.identity.role in STAFF_ROLES


def search(request, filters):
    """The project list query (API and pages): published projects, staff also drafts; sector, method, status, q."""
    from sqlalchemy import or_
    from sqlalchemy import text as text_clause
    from sqlalchemy.orm import joinedload, selectinload

    # a page of projects is shown whole: load its lots, amendments and parties in four queries, not per row
    query = select(Project).options(joinedload(Project.owner), joinedload(Project.agent),
                                    selectinload(Project.lots), selectinload(Project.amendments))
    if not is_staff(request):
        query = query.where(Project.status != "draft")
    for name in ("sector", "method", "status"):
        if filters.get(name):
            query = query.where(getattr(Project, name) == filters[name])
    if filters.get("q"):
        text = filters["q"].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(or_(Project.title.ilike(f"%{text}%", escape="\\"),
                                Project.code.ilike(f"%{text}%", escape="\\")))
        if request.dbsession.get_bind().dialect.name == "postgresql":
            # the pattern decides between the trigram indexes and a walk of the listing index: a prepared
            # statement's generic plan, made without it, took 140 ms where a plan for the pattern takes 20
            request.dbsession.execute(text_clause("SET LOCAL plan_cache_mode = force_custom_plan"))
    return query


def get_project(request, project_id, for_update=False):
    """The project, or 404 when it does not exist or is a draft the caller may not see."""
    query = select(Project).where(Project.id == project_id)
    if for_update:
        query = query.with_for_update()
    project = request.dbsession.execute(query).scalar_one_or_none()
    if project is None or (project.status == "draft" and not is_staff(request)):
        raise NotFound(message=_("The project ${id} does not exist.", mapping={"id": project_id}))
    return project


def get_lot(request, project, lot_id):
    for lot in project.lots:
        if lot.id == lot_id:
            return lot
    raise NotFound(message=_("The lot ${id} does not exist in this project.", mapping={"id": lot_id}))


def lot_json(request, project, lot):
    body = {"id": lot.id, "number": lot.number, "title": lot.title, "status": lot.status or project.status}
    for name in MONEY_FIELDS:
        value = getattr(lot, name)
        if name == "reserve_price" and not (request.identity is not None and request.identity.role in ("officer", "inspector")):
            continue
        if value is not None:
            body[name] = money(value)
    return body


def project_json(request, project):
    staff = is_staff(request)
    params = dict(project.params or {})
    if not staff:
        for name in PRIVATE_PARAMS:
            params.pop(name, None)
    method = method_of(request, project)
    timeline = timeline_of(project)
    body = {
        "id": project.id,
        "code": project.code,
        "status": project.status,
        "method": project.method,
        "method_name": request.localizer.translate(method.name),
        "sector": project.sector,
        "kind": project.kind,
        "title": project.title,
        "description": project.description,
        "owner_org_id": project.owner_org_id,
        "owner_name": project.owner.name if project.owner else None,
        "agent_org_id": project.agent_org_id,
        "agent_name": project.agent.name if project.agent else None,
        "timeline": {name: instant(timeline[name]) for name in method.timeline if name in timeline},
        "params": params,
        "lots": [lot_json(request, project, lot) for lot in project.lots],
        "created_at": instant(project.created_at),
        "published_at": instant(project.published_at),
        "amendments": [
            {"id": a.id, "text": a.text, "issued_at": instant(a.issued_at),
             "changes": {k: [instant(datetime.fromisoformat(v[0])) if v[0] else None,
                             instant(datetime.fromisoformat(v[1]))] for k, v in a.changes.items()}}
            for a in project.amendments
        ],
    }
    if project.status == "terminated":
        body["termination_reason"] = project.termination_reason
        body["terminated_at"] = instant(project.terminated_at)
    if project.window_until is not None:
        body["window_until"] = instant(project.window_until)
    return body


# --- checking input -------------------------------------------------------------------------


def _schema_errors(schema, value, prefix):
    return schema_details(schema, value, prefix)


def check_method(request, code):
    method = request.registry["methods"].get(code)
    if method is None:
        codes = ", ".join(spec.code for spec in request.registry["methods"])
        raise RequestInvalid(details=[field_error("method", _("Unknown trading method; use one of: ${codes}.",
                                                              mapping={"codes": codes}))])
    return method


def _parse_timeline(method, given, details):
    parsed = {}
    for name, value in (given or {}).items():
        if name not in method.timeline:
            details.append(field_error(f"timeline.{name}", _("This field is not known.")))
            continue
        if value is None:
            continue
        try:
            parsed[name] = parse_instant(value)
        except ValueError:
            details.append(field_error(f"timeline.{name}", _("Must be an RFC 3339 instant with an offset.")))
    return parsed


def _check_lots(method, lots, details):
    schema = {"type": "object", "properties": {"title": {"type": "string", "minLength": 1, "maxLength": 300},
                                               **method.lot_fields.get("properties", {})},
              "required": ["title", *method.lot_fields.get("required", [])]}
    for index, lot in enumerate(lots):
        details.extend(_schema_errors(schema, lot, f"lots[{index}]"))
        for name in MONEY_FIELDS:
            value = lot.get(name)
            if isinstance(value, str) and name in schema["properties"]:
                try:
                    if Decimal(value) <= 0 and name != "deposit":
                        details.append(field_error(f"lots[{index}].{name}", _("Must be more than ${n}.", mapping={"n": 0})))
                except ArithmeticError:
                    pass


def _check_org(request, org_id, field, kinds, details):
    if org_id is None:
        return
    org = request.dbsession.get(Organization, org_id)
    if org is None or org.kind not in kinds:
        details.append(field_error(field, _("No ${kind} organisation has this id.", mapping={"kind": "/".join(kinds)})))


def _money(value):
    return None if value is None else Decimal(value)


def _lots_from(lots):
    return [Lot(number=index + 1, title=lot["title"].strip(), **{name: _money(lot.get(name)) for name in MONEY_FIELDS})
            for index, lot in enumerate(lots)]


def _next_code(request, sector):
    """A code people can read out: prefix, sector, year, number (e.g. LY-GC-2026-0001)."""
    dbsession = request.dbsession
    prefix = f"{request.registry.settings.get('ggzy.project_code_prefix') or 'LY'}-{SECTOR_CODES[sector]}"
    year = local_date(request.clock.now()).year
    query = select(ProjectCounter).where(ProjectCounter.prefix == prefix, ProjectCounter.year == year)
    counter = dbsession.execute(query.with_for_update()).scalar_one_or_none()
    if counter is None:
        try:
            with dbsession.begin_nested():
                dbsession.add(ProjectCounter(prefix=prefix, year=year, last=0))
        except IntegrityError:
            pass  # another transaction created it first: lock theirs
        counter = dbsession.execute(query.with_for_update().execution_options(populate_existing=True)).scalar_one()
    counter.last += 1
    return f"{prefix}-{year}-{counter.last:04d}"


# --- changing -------------------------------------------------------------------------------


def create(request, data):
    method = check_method(request, data["method"])
    details = []
    params = data.get("params") or {}
    details.extend(_schema_errors(method.params, params, "params"))
    timeline = _parse_timeline(method, data.get("timeline"), details)
    for name in method.required_timeline or method.timeline:
        if name not in timeline and not any(d["field"] == f"timeline.{name}" for d in details):
            details.append(field_error(f"timeline.{name}", _("This field is required.")))
    _check_lots(method, data["lots"], details)
    _check_org(request, data["owner_org_id"], "owner_org_id", ("owner",), details)
    _check_org(request, data.get("agent_org_id"), "agent_org_id", ("agent",), details)
    if details:
        raise RequestInvalid(details=details)
    now = request.clock.now()
    project = Project(
        code=_next_code(request, method.sector), method=method.code, sector=method.sector, kind=method.kind,
        title=data["title"].strip(), description=data.get("description"), owner_org_id=data["owner_org_id"],
        agent_org_id=data.get("agent_org_id"), status="draft",
        timeline={name: stored_instant(value) for name, value in timeline.items()},
        params=json_numbers(params), created_by=request.identity.id if request.identity else None, created_at=now,
        listed_at=now, lots=_lots_from(data["lots"]),
    )
    request.dbsession.add(project)
    request.dbsession.flush()
    audit.record(request, "project.create", project, {"code": project.code, "method": project.method,
                                                      "title": project.title, "lots": len(project.lots)})
    return project


def update(request, project, data):
    if project.status != "draft":
        raise Conflict("project.not_draft", _("Only a draft can be edited; this project is ${status}.",
                                              mapping={"status": project.status}))
    method = method_of(request, project)
    details = []
    if "params" in data:
        details.extend(_schema_errors(method.params, data["params"] or {}, "params"))
    timeline = _parse_timeline(method, data.get("timeline"), details) if "timeline" in data else None
    if "lots" in data:
        _check_lots(method, data["lots"], details)
    if "owner_org_id" in data:
        _check_org(request, data["owner_org_id"], "owner_org_id", ("owner",), details)
    if data.get("agent_org_id"):
        _check_org(request, data["agent_org_id"], "agent_org_id", ("agent",), details)
    if details:
        raise RequestInvalid(details=details)
    changed = sorted(name for name in data if name in ("title", "description", "owner_org_id", "agent_org_id",
                                                        "params", "timeline", "lots"))
    if "title" in data:
        project.title = data["title"].strip()
    for name in ("description", "owner_org_id", "agent_org_id"):
        if name in data:
            setattr(project, name, data[name])
    if "params" in data:
        project.params = json_numbers(data["params"] or {})
    if timeline is not None:
        merged = dict(project.timeline or {})
        for name, value in (data.get("timeline") or {}).items():
            if value is None:
                merged.pop(name, None)
        merged.update({name: stored_instant(value) for name, value in timeline.items()})
        project.timeline = merged
    if "lots" in data:
        project.lots.clear()
        request.dbsession.flush()
        project.lots.extend(_lots_from(data["lots"]))
    request.dbsession.flush()
    audit.record(request, "project.update", project, {"fields": changed})
    return project


def view_of(project, timeline=None):
    return ProjectView(
        id=project.id, method=project.method, sector=project.sector,
        timeline=timeline if timeline is not None else timeline_of(project), params=dict(project.params or {}),
        lots=[LotView(id=lot.id, number=lot.number, title=lot.title, budget=lot.budget, deposit=lot.deposit,
                      start_price=lot.start_price, increment=lot.increment, reserve_price=lot.reserve_price)
              for lot in project.lots],
        owner_org_id=project.owner_org_id, agent_org_id=project.agent_org_id, published_at=project.published_at,
    )


def check_rules(request, view, now, amendment=None):
    """Every violation and warning the method's plugin reports, split into (blocking, warnings)."""
    from ..workdays import WorkCalendar

    calendar = WorkCalendar(request.dbsession)
    found = []
    for results in request.registry["plugin_manager"].hook.ggzy_check_rules(
        project=view, now=now, calendar=calendar, amendment=amendment, limits=request.registry["legal_limits"]
    ):
        found.extend(results or [])
    method = method_of(request, view.method)
    missing = [name for name in (method.required_timeline or method.timeline) if name not in view.timeline]
    for name in missing:
        found.append(RuleViolation("timeline.missing", _("The timeline needs ${name}.", mapping={"name": name}),
                                   field=f"timeline.{name}"))
    if not view.lots:
        found.append(RuleViolation("project.no_lots", _("A project needs at least one lot.")))
    for violation in found:
        # rules name bare fields; forms and API clients place them by the request's own paths
        name = violation.extra.get("field")
        if name in method.timeline:
            violation.extra["field"] = f"timeline.{name}"
        elif name in (method.params.get("properties") or {}):
            violation.extra["field"] = f"params.{name}"
    return [v for v in found if v.blocking], [v for v in found if not v.blocking]


def _schedule(request, project, timeline, first=False):
    """The deadline rows of the method's transitions, from the current timeline."""
    method = method_of(request, project)
    wanted = {}
    if method.kind == SEALED:
        wanted["sealed.opening"] = timeline["bid_deadline"]
    else:
        from . import auction

        if first:
            auction.on_publish(request, project)
        policy = auction.policy_for(request, project.lots[0])
        wanted.update(policy.deadlines(timeline))
    existing = {row.name: row for row in request.dbsession.execute(
        select(Deadline).where(Deadline.project_id == project.id, Deadline.done_at.is_(None))).scalars()}
    for name, at in wanted.items():
        row = existing.get(name)
        if row is None:
            request.dbsession.add(Deadline(name=name, project_id=project.id, at=at))
        else:
            row.at = at
    scheduler = request.registry.get("scheduler")
    if scheduler is not None:
        scheduler.poke()


def publish(request, project):
    if project.status != "draft":
        raise Conflict("project.not_draft", _("Only a draft can be published; this project is ${status}.",
                                              mapping={"status": project.status}))
    now = request.clock.now()
    blocking, warnings = check_rules(request, view_of(project), now)
    if blocking:
        raise RulesViolated(blocking)
    project.status = "announced"
    project.published_at = now
    project.listed_at = now
    _schedule(request, project, timeline_of(project), first=True)
    request.dbsession.flush()
    audit.record(request, "project.publish", project, {"code": project.code,
                                                       "warnings": [w.rule for w in warnings]})
    return warnings


def amend(request, project, text, changes):
    if project.status != "announced":
        raise Conflict("project.not_announced", _("Only an announced project can be amended; this project is ${status}.",
                                                  mapping={"status": project.status}))
    method = method_of(request, project)
    details = []
    parsed = _parse_timeline(method, changes or {}, details)
    if details:
        raise RequestInvalid(details=details)
    now = request.clock.now()
    old = timeline_of(project)
    new = dict(old)
    new.update(parsed)
    if "questions_until" not in parsed and (project.timeline or {}).get("questions_until") is None:
        new.pop("questions_until", None)
        if "bid_deadline" in new:
            new["questions_until"] = new["bid_deadline"]
    blocking, warnings = check_rules(request, view_of(project, new), now,
                                     amendment=AmendmentView(old_timeline=old, issued_at=now, text=text))
    if blocking:
        raise RulesViolated(blocking)
    stored = dict(project.timeline or {})
    recorded = {}
    for name, value in parsed.items():
        recorded[name] = [stored.get(name), stored_instant(value)]
        stored[name] = stored_instant(value)
    project.timeline = stored
    amendment = Amendment(project_id=project.id, text=text, changes=recorded, issued_at=now,
                          issued_by=request.identity.id if request.identity else None)
    request.dbsession.add(amendment)
    _schedule(request, project, timeline_of(project))
    request.dbsession.flush()
    audit.record(request, "project.amend", amendment, {"changes": recorded, "text": text}, project_id=project.id)
    return amendment, warnings


def terminate(request, project, reason):
    if project.status in FINAL_STATUSES:
        raise Conflict("project.not_terminable", _("A project that is ${status} cannot be terminated.",
                                                   mapping={"status": project.status}))
    now = request.clock.now()
    previous = project.status
    project.status = "terminated"
    project.terminated_at = now
    project.termination_reason = reason
    for row in request.dbsession.execute(
        select(Deadline).where(Deadline.project_id == project.id, Deadline.done_at.is_(None))
    ).scalars():
        row.done_at = now
        row.outcome = "cancelled: project terminated"
    request.dbsession.flush()
    audit.record(request, "project.terminate", project, {"reason": reason, "previous_status": previous})
    return project


def apply_due(request, project_id):
    """A request that reads a project first applies its due transitions (DESIGN.md)."""
    from ..scheduler import sweep_in_request

    return sweep_in_request(request, project_id)
