"""Full-process electronic monitoring: alert rules, the inspector's workspace, reports (a built-in plugin)."""
from trading.hookspecs import hookimpl
from trading.legal_limits import CEILING, Limit

from . import models  # noqa: F401  (the tables)

API = "/api/v1"


@hookimpl
def ggzy_includeme(config):
    add = config.add_route
    add("api.alerts", API + "/alerts")
    add("api.alert", API + "/alerts/{alert_id}")
    add("api.alert.acknowledge", API + "/alerts/{alert_id}/acknowledge")
    add("api.alert.resolve", API + "/alerts/{alert_id}/resolve")
    add("api.project.timeline", API + "/projects/{project_id}/timeline")
    add("api.monitoring.stats", API + "/monitoring/stats")
    add("api.monitoring.report", API + "/monitoring/report.pdf")
    config.scan("monitoring.views")
    config.scan("monitoring.pages")
    # inspector pages
    add("inspector.alerts", "/inspector")
    add("inspector.alert", "/inspector/alerts/{alert_id}")
    add("inspector.alert_acknowledge", "/inspector/alerts/{alert_id}/acknowledge")
    add("inspector.alert_resolve", "/inspector/alerts/{alert_id}/resolve")
    add("inspector.audit", "/inspector/audit")
    add("inspector.audit_csv", "/inspector/audit.csv")
    add("inspector.projects", "/inspector/projects")
    add("inspector.timeline", "/inspector/projects/{project_id}/timeline")
    add("inspector.chain", "/inspector/chain")
    add("inspector.figures", "/inspector/figures")


@hookimpl
def ggzy_legal_limits():
    """The conduct-record period, checked here by expert.record_late."""
    return [Limit("experts.record_working_days", 5, "working days", "X198 Art 21", CEILING,
                  description="The officer records each member's conduct within this many working days.")]


@hookimpl
def ggzy_alert_rules():
    from .rules import RULES

    return RULES


@hookimpl
def ggzy_after_event(event, request):
    """Every audit event is offered to the alert rules that listen to its action, in the same transaction."""
    from .engine import evaluate

    evaluate(event, request)


@hookimpl
def ggzy_deadline_handlers():
    from .engine import OVERDUE, RECORD_DUE, overdue_at_deadline, record_due_at_deadline

    return {OVERDUE: overdue_at_deadline, RECORD_DUE: record_due_at_deadline}
