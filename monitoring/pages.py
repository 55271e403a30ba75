"""The inspector's workspace (纪检监察): alert board, an alert and its workflow, audit browser, project timeline,
chain check and performance figures."""
import csv
import io
import json
import logging
import re
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.response import Response
from pyramid.view import view_config
from sqlalchemy import false, func, select

from trading import audit
from trading.api.audit import audit_query
from trading.api.pagination import decode_cursor, keyset_page
from trading.errors import DomainError, NotFound, RequestInvalid, field_error
from trading.i18n import LOCAL_TZ, _, money
from trading.models import AuditEvent, Bid, Evaluation, Lot, Organization, Project, User
from trading.pages import flash, form_errors
from trading.pages.officer import parse_local
from trading.security import Permission
from trading.services import projects as project_service

from . import charts, engine
from .models import SEVERITIES, STATUSES, Alert
from .views import alert_query, figures

log = logging.getLogger(__name__)

PAGE_SIZE = 25
AUDIT_PAGE_SIZE = 50
CSV_BATCH = 1000
CHART_WEEKS = 12
RUN_MIN = 5  # consecutive events of one action shown folded on the timeline
NOTE_CHARS = 5000  # as the API's schema
TEXT_CHARS = 200
SECTORS = ("tendering", "procurement", "land", "equity")
ACTION_PATTERN = re.compile(r"^[a-z0-9_.]{1,64}$")
ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

# Alert severities and statuses, as badges say them. Their own msgids: "open" is taken by the lot status 开标.
SEVERITY_LABELS = {
    # TRANSLATORS: alert severity: 红色预警
    "red": _("Red"),
    # TRANSLATORS: alert severity: 黄色预警
    "yellow": _("Yellow"),
}
STATUS_LABELS = {
    # TRANSLATORS: alert status: 待处理
    "open": _("Open"),
    # TRANSLATORS: alert status: 已受理（核查中）
    "acknowledged": _("Acknowledged"),
    # TRANSLATORS: alert status: 已办结
    "resolved": _("Resolved"),
}
OVERDUE_LABELS = {"true": _("Overdue only"), "false": _("Not overdue")}
FILTER_LABELS = {
    "severity": _("Severity"), "status": _("Status"), "rule": _("Rule"), "sector": _("Sector"),
    "project": _("Project"), "overdue": _("Overdue"), "actor": _("Actor"), "action": _("Action"),
    "since": _("From"), "until": _("Until"), "order": _("Order"), "cursor": _("Page"),
}

# What each rule asks the inspector to check (shown on the alert's page).
RULE_HELP = {
    "collusion.same_ip": _("Bids of different organisations on this lot came from one IP address. Check whether "
                           "the bidders share an office, an agent or a person preparing the bids (Reg Art 40)."),
    "collusion.same_device": _("Bids of different organisations on this lot came from one client device (Reg Art 40)."),
    "collusion.identical_files": _("Bids of different organisations share a file with the same SHA-256 hash: the "
                                   "same document was submitted twice (Reg Art 40)."),
    "collusion.price_pattern": _("The opened prices are within 0.5% of each other or in arithmetic progression "
                                 "(Reg Art 40: regular price differences)."),
    "collusion.shared_contact": _("Bidding organisations share a phone number, an email address or a legal "
                                  "representative."),
    "collusion.same_deposit_account": _("Deposits of different organisations were paid from one payer account "
                                        "(Reg Art 40)."),
    "sealed.access_attempt": _("Someone other than its owner tried to read a sealed bid before the opening."),
    "expert.score_deviation": _("One member's total for a bid differs from the mean of the other members' totals "
                                "by more than 30%."),
    "expert.record_late": _("Conduct records of committee members were missing ${days} working days after the "
                            "evaluation was finalised."),
    "award.not_first_candidate": _("The award went to a bid other than the first-ranked candidate; check the "
                                   "stated reason (Reg Art 55)."),
    "award.above_budget": _("The awarded amount exceeds the lot's budget."),
    "contract.amount_deviation": _("The contract amount differs from the awarded amount."),
    "contract.late": _("No contract was signed ${days} days after the award notice."),
    "auction.single_bidder": _("The lot was awarded with only one bidder taking part."),
}

# the legal number (trading.legal_limits) a rule's help text states as ${days}: the effective setting, not the law's
RULE_HELP_DAYS = {
    "expert.record_late": "experts.record_working_days",
    "contract.late": "core.contract_days",
}


def rule_help(request, rule):
    """The rule's help text in the page's language, stating the centre's effective period; None for no help."""
    if rule not in RULE_HELP:
        return None
    limit = RULE_HELP_DAYS.get(rule)
    if limit is None:
        return _t(request, RULE_HELP[rule])
    return _t(request, _(RULE_HELP[rule], mapping={"days": request.registry["legal_limits"][limit]}))


# Evidence keys, as people read them; the rule's own keys come first, in this order.
EVIDENCE_LABELS = {
    "ip": _("IP address"),
    "device": _("Client device"),
    "organizations": _("Organisations"),
    "org": _("Organisation of the triggering bid"),
    "bid": _("Bids"),
    "other_bids": _("Other bids"),
    "files": _("Shared files"),
    "pattern": _("Pattern"),
    "prices": _("Opened prices (CNY)"),
    "shared": _("Shared contacts"),
    "payer_account": _("Payer account"),
    "references": _("Payment references"),
    "actor_id": _("Who tried"),
    "role": _("Role"),
    "path": _("Request path"),
    "expert_id": _("Committee member"),
    "bid_id": _("Bid reference"),
    "total": _("Member's total"),
    "others_mean": _("Mean of the other members' totals"),
    "members_without_record": _("Members without a conduct record"),
    "finalized_at": _("Evaluation finalised at"),
    "rank": _("Rank of the awarded bid"),
    "reason": _("Stated reason"),
    "winner_name": _("Winner"),
    "amount": _("Amount (CNY)"),
    "budget": _("Budget (CNY)"),
    "awarded_amount": _("Awarded amount (CNY)"),
    "signed_at": _("Signed at"),
    "awarded_at": _("Awarded at"),
    "days": _("Days since the award"),
    "bidders": _("Bidders taking part"),
}
RULE_EVIDENCE = {
    "collusion.same_ip": ("ip", "bid", "organizations"),
    "collusion.same_device": ("device", "bid", "organizations"),
    "collusion.identical_files": ("files", "bid", "organizations"),
    "collusion.price_pattern": ("pattern", "prices"),
    "collusion.shared_contact": ("shared", "bid"),
    "collusion.same_deposit_account": ("payer_account", "organizations", "references"),
    "sealed.access_attempt": ("actor_id", "role", "ip", "path"),
    "expert.score_deviation": ("expert_id", "bid_id", "total", "others_mean"),
    "expert.record_late": ("members_without_record", "finalized_at"),
    "award.not_first_candidate": ("winner_name", "rank", "reason", "amount", "bid_id"),
    "award.above_budget": ("winner_name", "amount", "budget", "bid_id"),
    "contract.amount_deviation": ("amount", "awarded_amount", "signed_at"),
    "contract.late": ("awarded_at", "days"),
    "auction.single_bidder": ("bidders", "amount", "reason"),
}
MONEY_KEYS = {"amount", "budget", "awarded_amount"}
INSTANT_KEYS = {"finalized_at", "signed_at", "awarded_at"}
PATTERN_LABELS = {"close": _("Prices within 0.5% of each other"), "arithmetic": _("Prices in arithmetic progression")}
CONTACT_LABELS = {"phone": _("Phone"), "email": _("Email"), "legal_representative": _("Legal representative")}

# Audit actions as people read them; those that move a project to its next phase are highlighted on the timeline.
PHASE_ACTIONS = {
    "project.create": _("Project created"),
    "project.publish": _("Announcement published"),
    "project.amend": _("Amendment issued"),
    "project.terminate": _("Project terminated"),
    "opening.start": _("Bid opening started"),
    "opening.close": _("Bid opening closed"),
    "draw.run": _("Experts drawn"),
    "evaluation.start": _("Evaluation started"),
    "evaluation.finalize": _("Evaluation finalised"),
    "publicity.publish": _("Candidates published"),
    "final_quote.round": _("Final quote round opened"),
    "award.create": _("Award decided"),
    "contract.create": _("Contract signed"),
    "auction.live": _("Live auction started"),
    "auction.result": _("Auction result"),
}
ACTION_LABELS = {
    **PHASE_ACTIONS,
    "auth.login": _("Logged in"),
    "auth.login_failed": _("Failed login"),
    "auth.logout": _("Logged out"),
    "project.update": _("Project edited"),
    "registration.create": _("Registered for the project"),
    "deposit.paid": _("Deposit paid"),
    "document.upload": _("Document uploaded"),
    "document.download": _("Document downloaded"),
    "question.ask": _("Question asked"),
    "question.answer": _("Question answered"),
    "bid.submit": _("Bid submitted"),
    "bid.withdraw": _("Bid withdrawn"),
    "bid.decrypt": _("Bid decrypted"),
    "bid.unlock_failed": _("Bid decryption failed"),
    "sealed.access_denied": _("Refused read of a sealed bid"),
    "draw.create": _("Expert draw committed"),
    "draw.insufficient": _("Not enough experts drawn"),
    "invitation.send": _("Expert invited"),
    "invitation.accept": _("Invitation accepted"),
    "invitation.decline": _("Invitation declined"),
    "invitation.expire": _("Invitation expired"),
    "evaluation.qualification": _("Qualification vote"),
    "evaluation.score": _("Scores entered"),
    "evaluation.sign": _("Evaluation report signed"),
    "expert.rating": _("Expert conduct rated"),
    "final_quote.submit": _("Final quote submitted"),
    "objection.create": _("Objection filed"),
    "objection.answer": _("Objection answered"),
    "contract.late": _("Contract overdue"),
    "quote.submit": _("Quote submitted"),
    "auction.bid": _("Auction bid"),
    "alert.raise": _("Alert raised"),
    "alert.evidence": _("Alert evidence added"),
    "alert.acknowledge": _("Alert acknowledged"),
    "alert.resolve": _("Alert resolved"),
    "alert.overdue": _("Alert overdue and escalated"),
}
CSV_COLUMNS = ("seq", "at_utc", "local_time", "actor_username", "actor_role", "ip", "action", "object_type",
               "object_id", "project_id", "data", "prev_hash", "hash")

TABS = (
    ("inspector.alerts", _("Alerts"), Permission.AUDIT_READ),
    ("inspector.audit", _("Audit trail"), Permission.AUDIT_READ),
    ("inspector.projects", _("Project timelines"), Permission.MONITORING_READ),
    ("inspector.chain", _("Chain check"), Permission.AUDIT_READ),
    ("inspector.figures", _("Performance figures"), Permission.MONITORING_READ),
)


# --- helpers -------------------------------------------------------------------------------------------


def _t(request, message):
    return request.localizer.translate(message) if hasattr(message, "domain") else message


def workspace(request, current):
    """The workspace's tabs the user may open, and whether they may act on alerts or read timelines."""
    tabs = [{"url": request.route_path(route), "label": _t(request, label), "current": route == current}
            for route, label, permission in TABS if request.has_permission(permission)]
    return {"tabs": tabs, "can_manage": bool(request.has_permission(Permission.ALERTS_MANAGE)),
            "can_monitor": bool(request.has_permission(Permission.MONITORING_READ)),
            "severity_labels": SEVERITY_LABELS, "status_labels": STATUS_LABELS}


def _param(request, name, limit=TEXT_CHARS):
    """A query parameter, stripped; None when absent or blank. Text that could not be a value raises ValueError."""
    raw = request.GET.get(name)
    if raw is None:
        return None
    raw = raw.strip()
    if not raw:
        return None
    if len(raw) > limit or any(ord(c) < 32 or ord(c) == 127 for c in raw):
        raise ValueError(name)
    return raw


def _shown(value, limit=60):
    value = str(value)
    return value if len(value) <= limit else value[:limit] + "…"


def _bad_filter(request, name, value):
    return _t(request, _("${filter}: “${value}” is not a valid choice; that filter is ignored.",
                         mapping={"filter": _t(request, FILTER_LABELS[name]), "value": _shown(value)}))


def find_project(request, text):
    """A project by its code, else by its id."""
    project = request.dbsession.execute(select(Project).where(Project.code == text)).scalar_one_or_none()
    if project is None and ID_PATTERN.match(text):
        project = request.dbsession.get(Project, text)
    return project


def find_user(request, text):
    user = request.dbsession.execute(select(User).where(User.username == text)).scalar_one_or_none()
    if user is None and ID_PATTERN.match(text):
        user = request.dbsession.get(User, text)
    return user


def rule_titles(request):
    """rule code -> its title in the page's language, for every rule of every plugin."""
    return {rule.code: _t(request, rule.title) if rule.title is not None else rule.code
            for rule in engine.all_rules(request.registry)}


def _aware(text):
    """A cursor's instant: with an offset and within the years a database can hold."""
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError(text)
    value.astimezone(UTC)
    return value


def _cursor_ok(cursor):
    try:
        sort_value, id_value = decode_cursor(cursor, 2)
        if not isinstance(sort_value, str) or not isinstance(id_value, str):
            return False
        _aware(sort_value)
    except (DomainError, ValueError, TypeError, OverflowError):
        return False
    return True


def _local_seconds(moment):
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def _parse_at(value):
    """An instant string from evidence or data as a datetime; None when it is not one."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _money_text(value):
    try:
        return money(Decimal(str(value)))
    except (InvalidOperation, ValueError, TypeError):
        return str(value)


def _safe_back(request, target):
    """A link back into the workspace from the query string, or None."""
    if target and target.startswith("/inspector") and not target.startswith("//") and len(target) < 2000:
        return target
    return None


def _project_link(request, project_id, can_monitor):
    if can_monitor:
        return request.route_path("inspector.timeline", project_id=project_id)
    return request.route_path("projects.detail", project_id=project_id)


# --- the alert board -----------------------------------------------------------------------------------


def _board_filters(request):
    """(filters for alert_query, the values to show again, problems, whether nothing can match)."""
    rules = rule_titles(request)
    choices = {"severity": SEVERITIES, "status": STATUSES, "rule": tuple(rules), "sector": SECTORS,
               "overdue": ("true", "false")}
    filters, values, problems, nothing = {}, {}, [], False
    for name, allowed in choices.items():
        try:
            raw = _param(request, name)
        except ValueError:
            problems.append(_bad_filter(request, name, request.GET.get(name, "")))
            continue
        if raw is None:
            continue
        if raw in allowed:
            filters[name] = values[name] = raw
        else:
            problems.append(_bad_filter(request, name, raw))
    try:
        text = _param(request, "project")
    except ValueError:
        text = None
        problems.append(_bad_filter(request, "project", request.GET.get("project", "")))
    project = None
    if text:
        values["project"] = text
        project = find_project(request, text)
        if project is None:
            problems.append(_t(request, _("No project has the code or id “${value}”.", mapping={"value": _shown(text)})))
            nothing = True
        else:
            filters["project_id"] = project.id
    return filters, values, problems, nothing, project


def _filtered(filters, nothing):
    query = alert_query(filters)
    return query.where(false()) if nothing else query


def _grouped(request, query, *columns):
    return request.dbsession.execute(query.with_only_columns(*columns, func.count()).group_by(*columns).order_by(None)).all()


def _week_start(moment):
    day = moment.astimezone(LOCAL_TZ).date()
    return day - timedelta(days=day.weekday())


def weekly_counts(request, query):
    """The last CHART_WEEKS weeks (Monday to Sunday, Beijing time) with their red and yellow alerts."""
    this_week = _week_start(request.clock.now())
    first = this_week - timedelta(weeks=CHART_WEEKS - 1)
    start = datetime(first.year, first.month, first.day, tzinfo=LOCAL_TZ)
    weeks = {first + timedelta(weeks=i): {"red": 0, "yellow": 0} for i in range(CHART_WEEKS)}
    rows = request.dbsession.execute(query.with_only_columns(Alert.first_seen_at, Alert.severity)
                                     .where(Alert.first_seen_at >= start).order_by(None))
    for seen, severity in rows:
        week = weeks.get(_week_start(seen))
        if week is not None and severity in week:
            week[severity] += 1
    return [{"start": start_day, "end": start_day + timedelta(days=6), **counts} for start_day, counts in weeks.items()]


def sector_counts(request, query):
    table = {sector: {"red": 0, "yellow": 0} for sector in SECTORS}
    for sector, severity, count in _grouped(request, query, Alert.sector, Alert.severity):
        row = table.setdefault(sector or "", {"red": 0, "yellow": 0})
        if severity in row:
            row[severity] += count
    return [{"sector": sector, **counts} for sector, counts in table.items()]


CHART_WIDTHS = {"wide": 540, "narrow": 360}  # the narrow drawing is shown on phones, where the wide one would shrink


def board_charts(request, weeks, sectors):
    """Each chart drawn wide and narrow, and its numbers for the data table."""
    translate = request.localizer.translate
    legend = {name: translate(label) for name, label in SEVERITY_LABELS.items()}

    def tip(label, row):
        return translate(_("${label}: ${red} red, ${yellow} yellow",
                           mapping={"label": label, "red": row["red"], "yellow": row["yellow"]}))

    red = sum(w["red"] for w in weeks)
    yellow = sum(w["yellow"] for w in weeks)
    week_bars = [{"label": w["start"].strftime("%m-%d"), "red": w["red"], "yellow": w["yellow"],
                  "tip": tip(w["start"].isoformat(), w)} for w in weeks]
    sector_rows = [{"label": translate(_(s["sector"])) if s["sector"] else translate(_("No sector")),
                    "red": s["red"], "yellow": s["yellow"]} for s in sectors]
    for row in sector_rows:
        row["tip"] = tip(row["label"], row)
    weekly, by_sector = {}, {}
    for name, width in CHART_WIDTHS.items():
        weekly[name] = charts.weekly_chart(
            week_bars, prefix=f"chart-weeks-{name}", width=width,
            title=translate(_("Alerts raised per week")),
            desc=translate(_("Stacked bars for the ${n} weeks from ${first} to ${last}: ${red} red and ${yellow} "
                             "yellow alerts in all. The table below the chart gives each week's numbers.",
                             mapping={"n": len(weeks), "first": weeks[0]["start"].isoformat(),
                                      "last": weeks[-1]["end"].isoformat(), "red": red, "yellow": yellow})),
            x_label=translate(_("Week starting (Beijing time)")),
            y_label=translate(_("Alerts")),
            legend=legend,
        )
        by_sector[name] = charts.sector_chart(
            sector_rows, prefix=f"chart-sectors-{name}", width=width,
            title=translate(_("Alerts by sector")),
            desc=translate(_("Horizontal stacked bars, one per sector: ${parts}.",
                             mapping={"parts": "; ".join(tip(r["label"], r) for r in sector_rows)})),
            x_label=translate(_("Alerts")),
            y_label=translate(_("Sector")),
            legend=legend,
        )
    return {"weekly": weekly, "sectors": by_sector,
            "week_table": [(w["start"].isoformat(), w["red"], w["yellow"], w["red"] + w["yellow"]) for w in weeks],
            "sector_table": [(r["label"], r["red"], r["yellow"], r["red"] + r["yellow"]) for r in sector_rows]}


@view_config(route_name="inspector.alerts", renderer="monitoring/board.jinja2", request_method="GET",
             permission=Permission.AUDIT_READ)
def board(request):
    filters, values, problems, nothing, project = _board_filters(request)
    query = _filtered(filters, nothing)
    cursor = request.GET.get("cursor", "").strip()[:500]
    if cursor and not _cursor_ok(cursor):
        cursor = ""
        problems.append(_t(request, _("The page link was not valid; showing the first page.")))
    request.query_input = {"cursor": cursor} if cursor else {}
    page = keyset_page(request, query, Alert.first_seen_at, Alert.id, lambda alert: alert, PAGE_SIZE,
                       descending=True, convert=_aware)
    alerts = page["items"]
    project_ids = {a.project_id for a in alerts if a.project_id}
    projects = {p.id: p for p in request.dbsession.execute(select(Project).where(Project.id.in_(project_ids))).scalars()} \
        if project_ids else {}
    by_severity = dict(_grouped(request, query, Alert.severity))
    by_rule = sorted(_grouped(request, query, Alert.rule), key=lambda row: (-row[1], row[0]))
    overdue = request.dbsession.execute(query.with_only_columns(func.count()).where(
        Alert.overdue.is_(True), Alert.status != "resolved").order_by(None)).scalar()
    weeks = weekly_counts(request, query)
    sectors = sector_counts(request, query)
    next_url = None
    if page["next_cursor"]:
        next_url = request.route_path("inspector.alerts", _query={**values, "cursor": page["next_cursor"]})
    context = workspace(request, "inspector.alerts")
    return {
        **context,
        "alerts": alerts, "projects": projects, "values": values, "problems": problems, "project": project,
        "rules": rule_titles(request), "sectors": SECTORS, "overdue_labels": OVERDUE_LABELS,
        "by_severity": by_severity, "by_rule": by_rule, "overdue_open": overdue,
        "total": sum(by_severity.values()),
        "weeks": weeks, "charts": board_charts(request, weeks, sectors),
        "next_url": next_url, "paged": bool(cursor),
        "first_url": request.route_path("inspector.alerts", _query=values),
        "now": request.clock.now(), "back": request.path_qs,
        "limits": {"red": request.registry.settings["ggzy.alert_red_days"],
                   "yellow": request.registry.settings["ggzy.alert_yellow_days"]},
        "project_link": lambda pid: _project_link(request, pid, context["can_monitor"]),
    }


# --- one alert -----------------------------------------------------------------------------------------


def _get_alert(request):
    alert_id = request.matchdict["alert_id"]
    alert = request.dbsession.get(Alert, alert_id) if ID_PATTERN.match(alert_id) else None
    if alert is None:
        raise NotFound(message=_("The alert ${id} does not exist.", mapping={"id": _shown(alert_id, 40)}))
    return alert


class _Lookups:
    """Names for the ids evidence holds, read once per page."""

    def __init__(self, request, alert):
        self.request = request
        self.alert = alert
        self._members = None

    def bids(self, ids, trigger=None):
        ids = [i for i in ids if isinstance(i, str)][:50]
        if not ids:
            return []
        rows = self.request.dbsession.execute(
            select(Bid, Organization.name).join(Organization, Organization.id == Bid.org_id).where(Bid.id.in_(ids))).all()
        found = {bid.id: (bid, name) for bid, name in rows}
        out = []
        for bid_id in ids:
            bid, name = found.get(bid_id, (None, None))
            out.append({"id": bid_id, "org": name, "submitted_at": bid.submitted_at if bid else None,
                        "ip": bid.ip if bid else None, "device": bid.device if bid else None,
                        "status": bid.status if bid else None, "receipt_hash": bid.receipt_hash if bid else None,
                        "trigger": bid_id == trigger})
        return out

    def member_name(self, expert_id):
        if self._members is None:
            self._members = {}
            if self.alert.object_type == "evaluation":
                evaluation = self.request.dbsession.get(Evaluation, self.alert.object_id)
                if evaluation is not None:
                    self._members = {m.expert_id: m.name for m in evaluation.members}
        return self._members.get(expert_id)

    def user(self, user_id):
        return self.request.dbsession.get(User, user_id) if isinstance(user_id, str) and user_id else None


def _field(request, lookups, key, value, entry):
    """One evidence value as the page shows it: (label, kind, value)."""
    label = _t(request, EVIDENCE_LABELS[key]) if key in EVIDENCE_LABELS else key
    if value is None or value == "" or value == []:
        return label, "empty", None
    if key == "bid" and isinstance(value, str):
        others = entry.get("other_bids") if isinstance(entry.get("other_bids"), list) else []
        return label, "bids", lookups.bids([value, *[o for o in others if o != value]], trigger=value)
    if key in ("other_bids",) and isinstance(value, list) and "bid" not in entry:
        return label, "bids", lookups.bids(value)
    if key == "bid_id" and isinstance(value, str):
        return label, "bids", lookups.bids([value])
    if key in MONEY_KEYS and isinstance(value, (str, int, float)):
        return label, "money", _money_text(value)
    if key == "prices" and isinstance(value, list):
        return label, "money_list", [_money_text(v) for v in value]
    if key in INSTANT_KEYS and _parse_at(value):
        return label, "instant", _parse_at(value)
    if key == "pattern" and value in PATTERN_LABELS:
        return label, "text", _t(request, PATTERN_LABELS[value])
    if key == "files" and isinstance(value, list) and all(isinstance(f, dict) for f in value):
        return label, "files", [{"name": f.get("name"), "sha256": f.get("sha256")} for f in value]
    if key == "shared" and isinstance(value, list) and all(isinstance(s, dict) for s in value):
        return label, "shared", [{"field": _t(request, CONTACT_LABELS.get(s.get("field"), s.get("field") or "")),
                                  "value": s.get("value"), "organizations": s.get("organizations") or []}
                                 for s in value]
    if key == "members_without_record" and isinstance(value, list):
        return label, "list", [(m.get("name") or m.get("expert_id")) if isinstance(m, dict) else str(m) for m in value]
    if key == "actor_id":
        user = lookups.user(value)
        return label, "text", f"{user.username} ({_t(request, _(user.role))})" if user else str(value)
    if key == "expert_id":
        name = lookups.member_name(value)
        return label, "text", f"{name} ({value})" if name else str(value)
    if key == "role":
        return label, "text", _t(request, _(str(value)))
    if key in ("ip", "device", "payer_account", "path"):
        return label, "code", str(value)
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        return label, "list", [str(v) for v in value]
    if isinstance(value, (dict, list)):
        return label, "json", json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True)
    return label, "text", str(value)


def evidence_view(request, alert):
    """Each evidence entry (newest last) with its fields in the rule's order, then any others."""
    lookups = _Lookups(request, alert)
    order = RULE_EVIDENCE.get(alert.rule, ())
    entries = []
    for entry in alert.evidence if isinstance(alert.evidence, list) else [alert.evidence]:
        if not isinstance(entry, dict):
            entries.append({"at": None, "seq": None, "fields": [("", "json", json.dumps(entry, ensure_ascii=False))]})
            continue
        keys = [k for k in order if k in entry]
        keys += sorted(k for k in entry if k not in keys and k not in ("at", "event_seq"))
        if "bid" in entry:
            keys = [k for k in keys if k not in ("other_bids", "org")]  # shown in the triggering bid's table
        fields = [_field(request, lookups, key, entry[key], entry) for key in keys]
        entries.append({"at": _parse_at(entry.get("at")), "seq": entry.get("event_seq"), "fields": fields})
    return entries


def alert_history(request, alert):
    query = select(AuditEvent, User).outerjoin(User, User.id == AuditEvent.actor_id).where(
        AuditEvent.object_type == "alert", AuditEvent.object_id == alert.id)
    if alert.project_id:
        query = query.where(AuditEvent.project_id == alert.project_id)  # the project's index, not a scan
    else:
        query = query.where(AuditEvent.action.in_([a for a in ACTION_LABELS if a.startswith("alert.")]))
    return request.dbsession.execute(query.order_by(AuditEvent.seq)).all()


def alert_page(request, alert, errors=None, action=None, values=None):
    context = workspace(request, "inspector.alerts")
    project = request.dbsession.get(Project, alert.project_id) if alert.project_id else None
    lot = request.dbsession.get(Lot, alert.lot_id) if alert.lot_id else None
    users = {uid: request.dbsession.get(User, uid) for uid in (alert.acknowledged_by, alert.resolved_by) if uid}
    return {
        **context,
        "alert": alert, "title": rule_titles(request).get(alert.rule, alert.rule),
        "help": rule_help(request, alert.rule),
        "project": project, "lot": lot, "users": users,
        "evidence": evidence_view(request, alert), "history": alert_history(request, alert),
        "errors": errors, "action": action, "values": values or {},
        "now": request.clock.now(), "action_labels": ACTION_LABELS,
        "back": _safe_back(request, request.params.get("back")) or request.route_path("inspector.alerts"),
        "project_link": _project_link(request, project.id, context["can_monitor"]) if project else None,
        "note_chars": NOTE_CHARS,
    }


@view_config(route_name="inspector.alert", renderer="monitoring/alert.jinja2", request_method="GET",
             permission=Permission.AUDIT_READ)
def alert_detail(request):
    return alert_page(request, _get_alert(request))


def _note(request, required):
    note = request.POST.get("note", "")
    if len(note) > NOTE_CHARS:
        raise RequestInvalid(details=[field_error("note", _("Must be at most ${n} characters long.",
                                                            mapping={"n": NOTE_CHARS}))])
    if required and not note.strip():
        raise RequestInvalid(message=_("Resolving an alert needs a note."),
                             details=[field_error("note", _("Write how the alert was resolved: a note is required."))])
    return note


def _workflow(request, action):
    alert = _get_alert(request)
    try:
        if action == "acknowledge":
            engine.acknowledge(request, alert, _note(request, required=False))
            flash(request, _("The alert is acknowledged."))
        else:
            engine.resolve(request, alert, _note(request, required=True))
            flash(request, _("The alert is resolved."))
    except DomainError as error:
        request.response.status_int = error.status
        return alert_page(request, alert, form_errors(request, error), action, {"note": request.POST.get("note", "")})
    query = {"back": back} if (back := _safe_back(request, request.POST.get("back"))) else {}
    return HTTPSeeOther(location=request.route_url("inspector.alert", alert_id=alert.id, _query=query))


@view_config(route_name="inspector.alert_acknowledge", renderer="monitoring/alert.jinja2", request_method="POST",
             permission=Permission.ALERTS_MANAGE)
def alert_acknowledge(request):
    return _workflow(request, "acknowledge")


@view_config(route_name="inspector.alert_resolve", renderer="monitoring/alert.jinja2", request_method="POST",
             permission=Permission.ALERTS_MANAGE)
def alert_resolve(request):
    return _workflow(request, "resolve")


# --- the audit browser and its CSV export -----------------------------------------------------------------


def _audit_filters(request):
    """(filters for audit_query, extra conditions, values to show again, problems, whether nothing can match)."""
    filters, extra, values, problems, nothing = {}, [], {}, [], False
    texts = {}
    for name in ("project", "actor", "action", "since", "until", "order"):
        try:
            texts[name] = _param(request, name)
        except ValueError:
            problems.append(_bad_filter(request, name, request.GET.get(name, "")))
            texts[name] = None
    if texts["project"]:
        values["project"] = texts["project"]
        project = find_project(request, texts["project"])
        if project is None:
            problems.append(_t(request, _("No project has the code or id “${value}”.",
                                          mapping={"value": _shown(texts["project"])})))
            nothing = True
        else:
            filters["project_id"] = project.id
    if texts["actor"]:
        values["actor"] = texts["actor"]
        user = find_user(request, texts["actor"])
        if user is not None:
            filters["actor_id"] = user.id
        elif texts["actor"].lower() in ("system", "系统"):
            extra.append(AuditEvent.actor_id.is_(None))
        else:
            problems.append(_t(request, _("No user has the username or id “${value}”.",
                                          mapping={"value": _shown(texts["actor"])})))
            nothing = True
    if texts["action"]:
        if ACTION_PATTERN.match(texts["action"]):
            filters["action"] = values["action"] = texts["action"]
        else:
            problems.append(_bad_filter(request, "action", texts["action"]))
    for name in ("since", "until"):
        if texts[name]:
            try:
                moment = parse_local(texts[name])
                if not 2000 <= moment.year <= 2100:
                    raise ValueError(texts[name])
            except ValueError:
                problems.append(_t(request, _("${filter}: “${value}” is not a date and time (YYYY-MM-DD HH:MM); "
                                              "that filter is ignored.",
                                              mapping={"filter": _t(request, FILTER_LABELS[name]),
                                                       "value": _shown(texts[name])})))
                continue
            filters[name] = moment
            values[name] = moment.strftime("%Y-%m-%dT%H:%M")
    if "since" in filters and "until" in filters and filters["since"] >= filters["until"]:
        problems.append(_t(request, _("The end of the time range must be after its start; the end is ignored.")))
        del filters["until"]
        del values["until"]
    if texts["order"]:
        if texts["order"] in ("asc", "desc"):
            values["order"] = texts["order"]
        else:
            problems.append(_bad_filter(request, "order", texts["order"]))
    return filters, extra, values, problems, nothing


def _audit_query(filters, extra, nothing):
    query = audit_query(filters)
    for condition in extra:
        query = query.where(condition)
    return query.where(false()) if nothing else query


def _actor(event, user):
    if user is not None:
        return {"username": user.username, "name": user.display_name, "role": user.role, "id": user.id}
    if event.actor_id:
        return {"username": None, "name": None, "role": None, "id": event.actor_id}
    return None


def _data_summary(data, limit=140):
    """A line of the event's plain fields, for reading the list without opening each event."""
    parts = []
    for key, value in sorted(data.items()) if isinstance(data, dict) else ():
        if isinstance(value, (str, int, float, bool)) and value != "":
            parts.append(f"{key}: {value}")
    text = " · ".join(parts)
    return text if len(text) <= limit else text[:limit] + "…"


def event_row(event, user, projects=None):
    try:
        data = json.loads(event.data)
    except ValueError:
        data = event.data
    return {"seq": event.seq, "at": event.at, "local": _local_seconds(event.at), "actor": _actor(event, user),
            "ip": event.ip, "action": event.action, "object_type": event.object_type, "object_id": event.object_id,
            "project_id": event.project_id, "project": (projects or {}).get(event.project_id),
            "data": json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True), "summary": _data_summary(data),
            "hash": event.hash, "prev_hash": event.prev_hash}


@view_config(route_name="inspector.audit", renderer="monitoring/audit.jinja2", request_method="GET",
             permission=Permission.AUDIT_READ)
def audit_browser(request):
    filters, extra, values, problems, nothing = _audit_filters(request)
    descending = values.get("order", "desc") == "desc"
    query = _audit_query(filters, extra, nothing)
    cursor = None
    raw_cursor = request.GET.get("cursor", "").strip()
    if raw_cursor:
        if re.fullmatch(r"\d{1,15}", raw_cursor):
            cursor = int(raw_cursor)
            query = query.where(AuditEvent.seq < cursor if descending else AuditEvent.seq > cursor)
        else:
            problems.append(_t(request, _("The page link was not valid; showing the first page.")))
    order = AuditEvent.seq.desc() if descending else AuditEvent.seq
    rows = request.dbsession.execute(query.order_by(order).limit(AUDIT_PAGE_SIZE + 1)).all()
    more = len(rows) > AUDIT_PAGE_SIZE
    rows = rows[:AUDIT_PAGE_SIZE]
    project_ids = {e.project_id for e, _u in rows if e.project_id}
    projects = {p.id: p for p in request.dbsession.execute(select(Project).where(Project.id.in_(project_ids))).scalars()} \
        if project_ids else {}
    context = workspace(request, "inspector.audit")
    next_url = (request.route_path("inspector.audit", _query={**values, "cursor": rows[-1][0].seq}) if more else None)
    return {
        **context,
        "events": [event_row(e, u, projects) for e, u in rows], "values": values, "problems": problems,
        "next_url": next_url, "paged": cursor is not None,
        "first_url": request.route_path("inspector.audit", _query=values),
        "csv_url": request.route_path("inspector.audit_csv", _query=values),
        "action_labels": ACTION_LABELS, "actions": sorted(ACTION_LABELS),
        "project_link": lambda pid: _project_link(request, pid, context["can_monitor"]),
    }


def _csv_cell(value):
    text = "" if value is None else str(value)
    # a leading = + - @ would make a spreadsheet run the cell as a formula
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_batches(request, query, head_seq):
    """The export, a batch of events at a time, each read in its own short transaction after the view returned."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    # the BOM lets spreadsheet programs open the UTF-8 file with its Chinese text intact
    yield ("\ufeff" + out.getvalue()).encode("utf-8")
    # plain columns rather than ORM objects: nothing accumulates in the session, and it is several times faster
    query = query.with_only_columns(
        AuditEvent.seq, AuditEvent.at, User.username, User.role, AuditEvent.ip, AuditEvent.action,
        AuditEvent.object_type, AuditEvent.object_id, AuditEvent.project_id, AuditEvent.data, AuditEvent.prev_hash,
        AuditEvent.hash)
    last = 0
    while True:
        out.seek(0)
        out.truncate()
        try:
            with request.tm:
                rows = request.dbsession.execute(
                    query.where(AuditEvent.seq > last, AuditEvent.seq <= head_seq)
                    .order_by(AuditEvent.seq).limit(CSV_BATCH)).all()
                for seq, at, username, role, *rest in rows:
                    writer.writerow([_csv_cell(v) for v in (seq, audit.format_at(at), _local_seconds(at), username,
                                                             role, *rest)])
                if rows:
                    last = rows[-1][0]
        except Exception:
            log.exception("the audit export stopped after seq %s", last)
            raise
        if not rows:
            return
        yield out.getvalue().encode("utf-8")
        if len(rows) < CSV_BATCH:
            return


@view_config(route_name="inspector.audit_csv", request_method="GET", permission=Permission.AUDIT_READ)
def audit_csv(request):
    filters, extra, _values, problems, nothing = _audit_filters(request)
    if problems:
        raise RequestInvalid(message=_("The export's filters are not valid."),
                             details=[{"message": problem} for problem in problems])
    query = _audit_query(filters, extra, nothing)
    # the chain as it stands now: events appended while the file streams are left for the next export
    head_seq = request.dbsession.execute(select(func.max(AuditEvent.seq))).scalar() or 0
    stamp = request.clock.now().astimezone(LOCAL_TZ).strftime("%Y%m%d-%H%M")
    response = Response(content_type="text/csv", charset="utf-8")
    response.content_disposition = f'attachment; filename="audit-{stamp}.csv"'
    response.headers["Cache-Control"] = "no-store"
    response.app_iter = csv_batches(request, query, head_seq)
    return response


# --- project timelines ------------------------------------------------------------------------------------


@view_config(route_name="inspector.projects", renderer="monitoring/projects.jinja2", request_method="GET",
             permission=Permission.MONITORING_READ)
def timeline_index(request):
    """Find a project's timeline by code or title; an exact code goes straight to it."""
    problems = []
    try:
        q = _param(request, "q")
    except ValueError:
        q = None
        problems.append(_bad_filter(request, "project", request.GET.get("q", "")))
    if q:
        exact = find_project(request, q)
        if exact is not None:
            return HTTPSeeOther(location=request.route_url("inspector.timeline", project_id=exact.id))
    query = project_service.search(request, {"q": q} if q else {})
    cursor = request.GET.get("cursor", "").strip()[:500]
    if cursor and not _cursor_ok(cursor):
        cursor = ""
        problems.append(_t(request, _("The page link was not valid; showing the first page.")))
    request.query_input = {"cursor": cursor} if cursor else {}
    page = keyset_page(request, query, Project.listed_at, Project.id, lambda p: p, PAGE_SIZE, descending=True,
                       convert=_aware)
    ids = [p.id for p in page["items"]]
    counts = {}
    if ids:
        for project_id, severity, count in request.dbsession.execute(
                select(Alert.project_id, Alert.severity, func.count()).where(Alert.project_id.in_(ids),
                                                                              Alert.status != "resolved")
                .group_by(Alert.project_id, Alert.severity)):
            counts.setdefault(project_id, {})[severity] = count
    filters = {"q": q} if q else {}
    return {**workspace(request, "inspector.projects"), "projects": page["items"], "counts": counts, "q": q or "",
            "problems": problems, "paged": bool(cursor), "first_url": request.route_path("inspector.projects", _query=filters),
            "next_url": request.route_path("inspector.projects", _query={**filters, "cursor": page["next_cursor"]})
            if page["next_cursor"] else None}


def _fold_runs(items):
    """Consecutive events of one ordinary action, RUN_MIN or more, become one foldable run."""
    out, index = [], 0
    while index < len(items):
        item = items[index]
        end = index
        if item["kind"] == "event" and not item["phase"] and not item["alert"]:
            while (end + 1 < len(items) and items[end + 1]["kind"] == "event" and items[end + 1]["action"] == item["action"]
                   and not items[end + 1]["alert"]):
                end += 1
        if end - index + 1 >= RUN_MIN:
            run = items[index:end + 1]
            out.append({"kind": "run", "action": item["action"], "label": item["label"], "items": run,
                        "first": run[0]["time"], "last": run[-1]["time"]})
        else:
            out.extend(items[index:end + 1])
        index = end + 1
    return out


def timeline_days(request, events, alerts):
    """The project's events and alerts in order, by Beijing day; alert events carry their alert."""
    by_id = {a.id: a for a in alerts}
    seen = set()
    items = []
    for event, user in events:
        alert = by_id.get(event.object_id) if event.object_type == "alert" else None
        if alert is not None:
            seen.add(alert.id)
        row = event_row(event, user)
        row.update(kind="event", time=event.at.astimezone(LOCAL_TZ).strftime("%H:%M:%S"),
                   phase=_t(request, PHASE_ACTIONS[event.action]) if event.action in PHASE_ACTIONS else None,
                   label=_t(request, ACTION_LABELS[event.action]) if event.action in ACTION_LABELS else None,
                   alert=alert, sort=(event.at, 0, event.seq))
        items.append(row)
    for alert in alerts:
        if alert.id not in seen:  # an alert whose raising is not on this project's trail
            items.append({"kind": "alert", "at": alert.first_seen_at, "alert": alert, "phase": None,
                          "time": alert.first_seen_at.astimezone(LOCAL_TZ).strftime("%H:%M:%S"),
                          "sort": (alert.first_seen_at, 1, 0)})
    items.sort(key=lambda item: item["sort"])
    days = []
    for item in items:
        day = item["at"].astimezone(LOCAL_TZ).date()
        if not days or days[-1]["date"] != day:
            days.append({"date": day, "items": []})
        days[-1]["items"].append(item)
    for day in days:
        day["count"] = len(day["items"])
        day["phases"] = [i["phase"] for i in day["items"] if i.get("phase")]
        day["items"] = _fold_runs(day["items"])
    return days


@view_config(route_name="inspector.timeline", renderer="monitoring/timeline.jinja2", request_method="GET",
             permission=Permission.MONITORING_READ)
def timeline(request):
    project_id = request.matchdict["project_id"]
    if not ID_PATTERN.match(project_id):
        raise NotFound(message=_("The project ${id} does not exist.", mapping={"id": _shown(project_id, 40)}))
    project = project_service.get_project(request, project_id)
    events = request.dbsession.execute(
        select(AuditEvent, User).outerjoin(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.project_id == project.id).order_by(AuditEvent.seq)).all()
    alerts = request.dbsession.execute(select(Alert).where(Alert.project_id == project.id)
                                       .order_by(Alert.first_seen_at, Alert.id)).scalars().all()
    return {
        **workspace(request, "inspector.projects"),
        "project": project, "days": timeline_days(request, events, alerts), "alerts": alerts,
        "event_count": len(events), "rules": rule_titles(request), "weekdays": WEEKDAYS,
        "report_url": request.route_path("api.monitoring.report", _query={"project_id": project.id}),
        "now": request.clock.now(),
    }


WEEKDAYS = [_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"), _("Saturday"), _("Sunday")]


# --- the chain check -------------------------------------------------------------------------------------


@view_config(route_name="inspector.chain", renderer="monitoring/chain.jinja2", request_method="GET",
             permission=Permission.AUDIT_READ)
def chain_form(request):
    return {**workspace(request, "inspector.chain"), "result": None}


@view_config(route_name="inspector.chain", renderer="monitoring/chain.jinja2", request_method="POST",
             permission=Permission.AUDIT_READ)
def chain_run(request):
    started = time.perf_counter()
    result = audit.verify(request.dbsession.connection())
    elapsed = time.perf_counter() - started
    return {**workspace(request, "inspector.chain"), "result": result, "elapsed": f"{elapsed:.3f}",
            "checked_at": request.clock.now(),
            "bad_url": request.route_path("inspector.audit", _query={"order": "asc", "cursor": result["first_bad_seq"] - 1})
            if result["first_bad_seq"] else None}


# --- performance figures -----------------------------------------------------------------------------------


def _share(value):
    return None if value is None else f"{value * 100:.1f}%"


@view_config(route_name="inspector.figures", renderer="monitoring/figures.jinja2", request_method="GET",
             permission=Permission.MONITORING_READ)
def figures_page(request):
    data = figures(request)
    return {
        **workspace(request, "inspector.figures"), "figures": data, "rules": rule_titles(request),
        "shares": {name: _share(data.get(name)) for name in ("failed_lot_share", "not_first_award_share",
                                                             "expert_decline_rate")},
        "sectors": SECTORS, "generated_at": request.clock.now(),
    }
