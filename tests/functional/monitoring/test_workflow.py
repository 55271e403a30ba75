"""The alert workflow: acknowledge, resolve with a note, overdue and escalation on the manual clock, roles."""
import pytest
from sqlalchemy import select

from trading.models import OutboxMessage

from ..sealed import Parties, at, create_and_publish, register_and_pay, set_clock, submit_bid, tendering_body


@pytest.fixture
def alert(api, script):
    parties = Parties(api, script)
    project = create_and_publish(api, tendering_body(parties))
    for username in ("bidder1", "bidder2"):
        register_and_pay(api, project, username)
        submit_bid(api, project, username, "900000.00")  # both from 127.0.0.1
    return api.get("alerts?rule=collusion.same_ip", as_user="inspector1").json["items"][0]


def test_acknowledge_then_resolve_with_a_note(api, alert):
    acknowledged = api.post(f"alerts/{alert['id']}/acknowledge", {"note": "正在核查"}, as_user="inspector1").json
    assert acknowledged["status"] == "acknowledged"
    api.post(f"alerts/{alert['id']}/resolve", {"note": ""}, as_user="inspector1", status=400)
    api.post(f"alerts/{alert['id']}/resolve", {"note": "   "}, as_user="inspector1", status=400)
    api.post(f"alerts/{alert['id']}/resolve", {}, as_user="inspector1", status=400)
    assert api.get(f"alerts/{alert['id']}", as_user="inspector1").json["status"] == "acknowledged"
    resolved = api.post(f"alerts/{alert['id']}/resolve", {"note": "两家公司在同一孵化器办公，已核实无串通"},
                        as_user="inspector1").json
    assert resolved["status"] == "resolved" and resolved["resolve_note"].startswith("两家公司")
    again = api.post(f"alerts/{alert['id']}/resolve", {"note": "x"}, as_user="inspector1", status=409)
    assert again.json["error"]["code"] == "alert.resolved"
    events = api.get(f"audit?object_id={alert['id']}", as_user="inspector1").json["items"]
    assert [e["action"] for e in events] == ["alert.raise", "alert.acknowledge", "alert.resolve"]


def test_red_alert_is_overdue_after_three_days_and_escalated(api, alert, dbsession):
    assert alert["due_at"] == "2026-12-04T09:00:00+08:00"
    set_clock(api, at(4, 8, 59))
    assert api.get(f"alerts/{alert['id']}", as_user="inspector1").json["overdue"] is False
    set_clock(api, at(4, 9))
    overdue = api.get(f"alerts/{alert['id']}", as_user="inspector1").json
    assert overdue["overdue"] is True and overdue["escalated_at"]
    assert api.get("alerts?overdue=true", as_user="inspector1").json["items"][0]["id"] == alert["id"]
    inbox = dbsession.execute(select(OutboxMessage).where(OutboxMessage.channel == "inbox")).scalars().all()
    recipients = {m.recipient for m in inbox}
    assert {"officer1", "inspector1"} <= recipients


def test_resolved_in_time_is_never_overdue(api, alert):
    api.post(f"alerts/{alert['id']}/resolve", {"note": "已核实"}, as_user="inspector1")
    set_clock(api, at(5))
    assert api.get(f"alerts/{alert['id']}", as_user="inspector1").json["overdue"] is False


@pytest.mark.parametrize("user, status", [("officer1", 403), ("bidder1", 403), ("admin1", 403), (None, 401)])
def test_only_inspectors_act_on_alerts(api, alert, user, status):
    api.post(f"alerts/{alert['id']}/acknowledge", {"note": "x"}, as_user=user, status=status)
    api.post(f"alerts/{alert['id']}/resolve", {"note": "x"}, as_user=user, status=status)


@pytest.mark.parametrize("path", ["alerts", "audit", "audit/verify", "monitoring/stats"])
@pytest.mark.parametrize("user, status", [("officer1", 403), ("bidder1", 403), (None, 401), ("inspector1", 200)])
def test_monitoring_routes_by_role(api, alert, path, user, status):
    api.get(path, as_user=user, status=status)


def test_admin_reads_alerts_and_the_audit_but_not_the_stats(api, alert):
    api.get("alerts", as_user="admin1", status=200)
    api.get("audit", as_user="admin1", status=200)
    api.get("monitoring/stats", as_user="admin1", status=403)


def test_timeline_has_events_and_alerts_in_order(api, alert):
    timeline = api.get(f"projects/{alert['project_id']}/timeline", as_user="inspector1").json
    kinds = [item["kind"] for item in timeline["items"]]
    assert "alert" in kinds and kinds[0] == "event"
    actions = [item.get("action") for item in timeline["items"] if item["kind"] == "event"]
    assert actions[:2] == ["project.create", "project.publish"]
    api.get(f"projects/{alert['project_id']}/timeline", as_user="officer1", status=403)


def test_stats_report_the_performance_figures(api, alert):
    stats = api.get("monitoring/stats", as_user="inspector1").json
    assert stats["alerts_by_rule"]["collusion.same_ip"] == 1
    assert set(stats) >= {"median_days_to_award", "failed_lot_share", "not_first_award_share", "bidders_per_lot",
                          "expert_decline_rate", "projects_by_sector"}


def test_supervision_report_pdf(api, alert):
    import subprocess

    pdf = api.get(f"monitoring/report.pdf?project_id={alert['project_id']}", as_user="inspector1")
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf.body, capture_output=True, check=True).stdout.decode()
    assert "collusion.same_ip" in text
    api.get("monitoring/report.pdf", as_user="inspector1", status=400)
    # the open alert reads as the board names it (待处理, Open), not as an opened lot (已开标)
    for lang, shown, not_shown in (("zh-CN", "待处理", "已开标"), ("en", "Open", "Opened")):
        pdf = api.get(f"monitoring/report.pdf?project_id={alert['project_id']}", as_user="inspector1", lang=lang)
        row = next(line for line in subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf.body, capture_output=True,
                                                   check=True).stdout.decode().splitlines() if "collusion.same_ip" in line)
        assert shown in row and not_shown not in row, row
