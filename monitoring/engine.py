"""The alert engine: rules listen to audit actions, findings become alerts, the clock flags the overdue ones."""
import json
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select

from trading import audit
from trading.i18n import _
from trading.models import Deadline, Project
from trading.models.accounts import User
from trading.notifier import get_notifier

from .models import Alert

OVERDUE = "monitoring.alert_overdue"
RECORD_DUE = "monitoring.record_due"


@dataclass
class Finding:
    """What a rule found: the object the alert is about and the evidence an inspector can read."""

    object_type: str
    object_id: str
    evidence: dict
    project_id: str = None
    lot_id: str = None


@dataclass
class Rule:
    """One alert rule: a code, a severity, the audit actions it listens to and a check returning findings."""

    code: str
    severity: str
    actions: tuple
    check: object
    title: object = None
    description: str = ""
    clock: bool = False  # raised by the clock rather than by an event
    extra: dict = field(default_factory=dict)


def rules_by_action(registry):
    table = registry.get("alert_rules_by_action")
    if table is None:
        table = {}
        for rules in registry["plugin_manager"].hook.ggzy_alert_rules():
            for rule in rules or ():
                for action in rule.actions:
                    table.setdefault(action, []).append(rule)
        registry["alert_rules_by_action"] = table
    return table


def all_rules(registry):
    return [rule for rules in registry["plugin_manager"].hook.ggzy_alert_rules() for rule in rules or ()]


def evaluate(event, request):
    """Offer the event to the rules listening to its action; raise or extend their alerts."""
    rules = rules_by_action(request.registry).get(event.action)
    if not rules:
        return []
    data = json.loads(event.data)
    raised = []
    for rule in rules:
        for finding in rule.check(event, data, request) or ():
            raised.append(raise_alert(request, rule, finding, event))
    return raised


def _limit_days(request, severity):
    settings = request.registry.settings
    return settings["ggzy.alert_red_days"] if severity == "red" else settings["ggzy.alert_yellow_days"]


def raise_alert(request, rule, finding, event=None):
    """One alert per rule and object: a new one, or the existing one with this evidence added."""
    dbsession = request.dbsession
    now = request.clock.now()
    evidence = dict(finding.evidence)
    if event is not None:
        evidence.setdefault("event_seq", event.seq)
    evidence.setdefault("at", audit.format_at(now))
    alert = dbsession.execute(select(Alert).where(Alert.rule == rule.code, Alert.object_type == finding.object_type,
                                                  Alert.object_id == str(finding.object_id))).scalar_one_or_none()
    project = dbsession.get(Project, finding.project_id) if finding.project_id else None
    if alert is not None:
        comparable = {k: v for k, v in evidence.items() if k not in ("event_seq", "at")}
        if any({k: v for k, v in e.items() if k not in ("event_seq", "at")} == comparable for e in alert.evidence):
            return alert
        alert.evidence = [*alert.evidence, evidence]
        alert.last_seen_at = now
        reopened = alert.status == "resolved"
        if reopened:
            # new evidence reopens it with a fresh time limit, escalated again if left
            alert.status, alert.overdue, alert.escalated_at = "open", False, None
            alert.resolved_at = alert.resolved_by = alert.resolve_note = None
            alert.due_at = now + timedelta(days=_limit_days(request, rule.severity))
            dbsession.add(Deadline(name=OVERDUE, project_id=alert.project_id, lot_id=alert.lot_id, object_id=alert.id,
                                   at=alert.due_at))
        dbsession.flush()
        audit.record(request, "alert.evidence", alert, {"rule": rule.code, "reopened": reopened},
                     project_id=finding.project_id, system=True)
        if reopened:
            _notify(request, alert, project, _("Alert ${rule} on project ${code} is open again: new evidence arrived.",
                                               mapping={"rule": rule.code, "code": project.code if project else "-"}))
        return alert
    due = now + timedelta(days=_limit_days(request, rule.severity))
    alert = Alert(rule=rule.code, severity=rule.severity, status="open", object_type=finding.object_type,
                  object_id=str(finding.object_id), project_id=finding.project_id, lot_id=finding.lot_id,
                  sector=project.sector if project else None, evidence=[evidence], first_seen_at=now,
                  last_seen_at=now, due_at=due)
    dbsession.add(alert)
    dbsession.flush()
    dbsession.add(Deadline(name=OVERDUE, project_id=finding.project_id, lot_id=finding.lot_id, object_id=alert.id, at=due))
    audit.record(request, "alert.raise", alert, {"rule": rule.code, "severity": rule.severity,
                                                 "object_type": finding.object_type, "object_id": str(finding.object_id)},
                 project_id=finding.project_id, system=True)
    _notify(request, alert, project, _("Alert ${rule} (${severity}) was raised on project ${code}.",
                                       mapping={"rule": rule.code, "severity": rule.severity,
                                                "code": project.code if project else "-"}))
    return alert


def _notify(request, alert, project, message, inspectors=False):
    """The responsible officer (who created the project) hears of it; escalations also reach the inspectors."""
    from pyramid.i18n import make_localizer
    from pyramid.interfaces import ITranslationDirectories

    notifier = get_notifier(request.registry)
    # notices are read later by their recipients: the centre's language, not that of whoever triggered them
    directories = request.registry.queryUtility(ITranslationDirectories, default=[])
    text = make_localizer(request.registry.settings["ggzy.default_locale"], directories).translate(message)
    recipients = []
    if project is not None and project.created_by:
        recipients.append(request.dbsession.get(User, project.created_by))
    if inspectors:
        recipients += request.dbsession.execute(select(User).where(User.role == "inspector", User.active.is_(True))).scalars().all()
    for user in recipients:
        if user is not None:
            notifier.send(request, channel="inbox", recipient=user.username, user_id=user.id, body=text,
                          subject=alert.rule, data={"alert_id": alert.id})


def overdue_at_deadline(deadline, request):
    """An alert not resolved within its time limit is flagged overdue and escalated."""
    alert = request.dbsession.get(Alert, deadline.object_id)
    if alert is None:
        return "no alert"
    if alert.status == "resolved":
        return "resolved in time"
    now = request.clock.now()
    alert.overdue = True
    alert.escalated_at = now
    request.dbsession.flush()
    audit.record(request, "alert.overdue", alert, {"rule": alert.rule, "status": alert.status,
                                                   "due_at": alert.due_at}, project_id=alert.project_id, system=True)
    project = request.dbsession.get(Project, alert.project_id) if alert.project_id else None
    _notify(request, alert, project, _("Alert ${rule} on project ${code} is overdue and has been escalated.",
                                       mapping={"rule": alert.rule, "code": project.code if project else "-"}),
            inspectors=True)
    return "overdue"


def record_due_at_deadline(deadline, request):
    """Five working days after finalisation: members without a conduct record raise expert.record_late."""
    from .rules import record_late

    return record_late(deadline, request)


# --- the workflow ----------------------------------------------------------------------------------


def acknowledge(request, alert, note):
    from trading.errors import Conflict

    if alert.status == "resolved":
        raise Conflict("alert.resolved", _("The alert is already resolved."))
    if alert.status == "acknowledged":
        raise Conflict("alert.acknowledged", _("The alert is already acknowledged."))
    alert.status = "acknowledged"
    alert.acknowledged_at = request.clock.now()
    alert.acknowledged_by = request.identity.id
    alert.acknowledge_note = (note or "").strip() or None
    request.dbsession.flush()
    audit.record(request, "alert.acknowledge", alert, {"rule": alert.rule, "note": alert.acknowledge_note},
                 project_id=alert.project_id)
    return alert


def resolve(request, alert, note):
    from trading.errors import Conflict

    from trading.errors import RequestInvalid, field_error

    if not (note or "").strip():
        raise RequestInvalid(details=[field_error("note", _("Resolving an alert needs a note."))])
    if alert.status == "resolved":
        raise Conflict("alert.resolved", _("The alert is already resolved."))
    alert.status = "resolved"
    alert.resolved_at = request.clock.now()
    alert.resolved_by = request.identity.id
    alert.resolve_note = note.strip()
    request.dbsession.flush()
    audit.record(request, "alert.resolve", alert, {"rule": alert.rule, "note": alert.resolve_note},
                 project_id=alert.project_id)
    return alert
