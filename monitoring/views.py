"""The inspector's API: alerts and their workflow, the project timeline, performance figures, the report."""
from statistics import median

from sqlalchemy import func, select

from trading.api import LIST_QUERY, api_view, page_limit
from trading.api.audit import event_json
from trading.api.pagination import keyset_page
from trading.errors import NotFound
from trading.i18n import instant
from trading.models import AuditEvent, Award, Bid, Evaluation, Lot, Project, User
from trading.security import Permission
from trading.services import projects

from . import engine
from .models import Alert

NOTE = {"type": "object", "properties": {"note": {"type": ["string", "null"], "maxLength": 5000}}}
RESOLVE = {"type": "object", "properties": {"note": {"type": "string", "minLength": 1, "maxLength": 5000, "pattern": r"\S"}},
           "required": ["note"]}
ALERT_QUERY = {**LIST_QUERY, "severity": ["red", "yellow"], "status": ["open", "acknowledged", "resolved"],
               "project_id": "string", "rule": "string", "sector": ["tendering", "procurement", "land", "equity"],
               "overdue": ["true", "false"]}


def alert_json(request, alert):
    return {"id": alert.id, "rule": alert.rule, "severity": alert.severity, "status": alert.status,
            "object_type": alert.object_type, "object_id": alert.object_id, "project_id": alert.project_id,
            "lot_id": alert.lot_id, "sector": alert.sector, "evidence": alert.evidence,
            "first_seen_at": instant(alert.first_seen_at), "last_seen_at": instant(alert.last_seen_at),
            "due_at": instant(alert.due_at), "overdue": alert.overdue, "escalated_at": instant(alert.escalated_at),
            "acknowledged_at": instant(alert.acknowledged_at), "acknowledge_note": alert.acknowledge_note,
            "resolved_at": instant(alert.resolved_at), "resolve_note": alert.resolve_note}


def alert_query(filters):
    query = select(Alert)
    for name in ("severity", "status", "project_id", "rule", "sector"):
        if filters.get(name):
            query = query.where(getattr(Alert, name) == filters[name])
    if filters.get("overdue") == "true":
        query = query.where(Alert.overdue.is_(True), Alert.status != "resolved")
    elif filters.get("overdue") == "false":
        query = query.where((Alert.overdue.is_(False)) | (Alert.status == "resolved"))
    return query


@api_view("api.alerts", "GET", Permission.AUDIT_READ, query=ALERT_QUERY, summary="Alerts, newest first")
def list_alerts(request):
    from datetime import datetime

    return keyset_page(request, alert_query(request.query_input), Alert.first_seen_at, Alert.id,
                       lambda a: alert_json(request, a), page_limit(request), descending=True,
                       convert=datetime.fromisoformat)


def _alert(request):
    alert = request.dbsession.get(Alert, request.matchdict["alert_id"])
    if alert is None:
        raise NotFound()
    return alert


@api_view("api.alert", "GET", Permission.AUDIT_READ, summary="One alert with its evidence")
def get_alert(request):
    return alert_json(request, _alert(request))


@api_view("api.alert.acknowledge", "POST", Permission.ALERTS_MANAGE, body=NOTE, summary="Acknowledge an alert",
          responses={409: "alert.resolved"})
def acknowledge(request):
    return alert_json(request, engine.acknowledge(request, _alert(request), request.json_input.get("note")))


@api_view("api.alert.resolve", "POST", Permission.ALERTS_MANAGE, body=RESOLVE,
          summary="Resolve an alert with a note (a note is required)", responses={409: "alert.resolved"})
def resolve(request):
    return alert_json(request, engine.resolve(request, _alert(request), request.json_input["note"]))


@api_view("api.project.timeline", "GET", Permission.MONITORING_READ,
          summary="The whole process of one project: audit events and alerts in order")
def timeline(request):
    project = projects.get_project(request, request.matchdict["project_id"])
    events = request.dbsession.execute(
        select(AuditEvent, User).outerjoin(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.project_id == project.id).order_by(AuditEvent.seq)).all()
    alerts = request.dbsession.execute(select(Alert).where(Alert.project_id == project.id)).scalars().all()
    items = [{"kind": "event", "at": instant(e.at), "sort": (e.at, 0, e.seq), **event_json(e, u)} for e, u in events]
    items += [{"kind": "alert", "at": instant(a.first_seen_at), "sort": (a.first_seen_at, 1, 0), **alert_json(request, a)}
              for a in alerts]
    items.sort(key=lambda item: item.pop("sort"))
    return {"project_id": project.id, "code": project.code, "title": project.title, "status": project.status,
            "items": items, "next_cursor": None}


@api_view("api.monitoring.stats", "GET", Permission.MONITORING_READ,
          summary="Counts by sector, status, alert rule and severity, and the performance figures")
def stats(request):
    return figures(request)


def figures(request):
    db = request.dbsession
    by_sector = dict(db.execute(select(Project.sector, func.count()).where(Project.status != "draft")
                                .group_by(Project.sector)).all())
    by_status = dict(db.execute(select(Project.status, func.count()).group_by(Project.status)).all())
    by_rule = dict(db.execute(select(Alert.rule, func.count()).group_by(Alert.rule)).all())
    by_severity = dict(db.execute(select(Alert.severity, func.count()).group_by(Alert.severity)).all())
    open_by_severity = dict(db.execute(select(Alert.severity, func.count()).where(Alert.status != "resolved")
                                       .group_by(Alert.severity)).all())
    # median days from announcement to award, per sector
    rows = db.execute(select(Project.sector, Project.published_at, func.min(Award.awarded_at))
                      .join(Award, Award.project_id == Project.id).group_by(Project.id, Project.sector,
                                                                           Project.published_at)).all()
    days = {}
    for sector, published, awarded in rows:
        if published and awarded:
            days.setdefault(sector, []).append((awarded - published).total_seconds() / 86400)
    lots_total = db.execute(select(func.count()).select_from(Lot).where(Lot.status.is_not(None))).scalar()
    lots_failed = db.execute(select(func.count()).select_from(Lot).where(Lot.status == "failed")).scalar()
    awards_total = db.execute(select(func.count()).select_from(Award)).scalar()
    not_first = db.execute(select(func.count()).select_from(Award).where(Award.rank.is_not(None), Award.rank != 1)).scalar()
    bidders = db.execute(select(Bid.lot_id, func.count(func.distinct(Bid.org_id))).where(
        Bid.status.in_(("opened", "above_ceiling", "decrypt_failed", "sealed"))).group_by(Bid.lot_id)).all()
    decline = _decline_rate(request)
    return {
        "projects_by_sector": by_sector, "projects_by_status": by_status,
        "alerts_by_rule": by_rule, "alerts_by_severity": by_severity, "open_alerts_by_severity": open_by_severity,
        "median_days_to_award": {sector: round(median(values), 2) for sector, values in days.items()},
        "failed_lot_share": round(lots_failed / lots_total, 4) if lots_total else None,
        "not_first_award_share": round(not_first / awards_total, 4) if awards_total else None,
        "bidders_per_lot": round(sum(n for _lot, n in bidders) / len(bidders), 2) if bidders else None,
        "expert_decline_rate": decline,
        "evaluations": db.execute(select(func.count()).select_from(Evaluation)).scalar(),
    }


def _decline_rate(request):
    """Declined or expired invitations over answered-or-expired ones, read from the audit trail."""
    counts = dict(request.dbsession.execute(
        select(AuditEvent.action, func.count()).where(AuditEvent.action.in_(
            ("invitation.accept", "invitation.decline", "invitation.expire"))).group_by(AuditEvent.action)).all())
    total = sum(counts.values())
    if not total:
        return None
    return round((counts.get("invitation.decline", 0) + counts.get("invitation.expire", 0)) / total, 4)


@api_view("api.monitoring.report", "GET", Permission.MONITORING_READ, query={"project_id": "string"},
          required_query=("project_id",), responses={404: "not_found (unknown project_id)"},
          summary="The supervision report of a project (PDF)")
def report(request):
    from trading.errors import RequestInvalid, field_error
    from trading.i18n import _
    from trading.pdf import render_pdf

    from .report import report_values

    project_id = request.query_input.get("project_id")
    if not project_id:
        raise RequestInvalid(details=[field_error("project_id", _("This field is required."))])
    project = projects.get_project(request, project_id)
    return render_pdf(request, "supervision_report.jinja2", report_values(request, project),
                      filename=f"supervision-{project.code}.pdf")


