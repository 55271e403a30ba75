"""The inspector's workspace (纪检监察): alert board, an alert and its workflow, audit browser and its CSV export,
project timeline, chain check and figures; and who may reach them."""
import csv
import io
import re
from urllib.parse import quote

import pytest

from .sealed import (
    create_and_publish,
    register_and_pay,
    submit_bid,
    tendering_body,
)
from .test_audit import tamper
from .test_officer_pages import field_error, login_page
from .test_pages import csrf_of

PAGES = ("/inspector", "/inspector/audit", "/inspector/audit.csv", "/inspector/chain", "/inspector/projects",
         "/inspector/figures")


@pytest.fixture
def project(api, parties):
    """Two bidders submit from one address (every WebTest request comes from 127.0.0.1): collusion.same_ip."""
    project = create_and_publish(api, tendering_body(parties))
    for username in ("bidder1", "bidder2"):
        register_and_pay(api, project, username)
        submit_bid(api, project, username, "900000.00")
    return project


@pytest.fixture
def alert(api, project):
    found = api.get(f"alerts?rule=collusion.same_ip&project_id={project['id']}", as_user="inspector1").json["items"]
    assert len(found) == 1
    return found[0]


def api_alert(api, alert):
    return api.get(f"alerts/{alert['id']}", as_user="inspector1").json


def text_of(page):
    """The page's text without tags, spaces collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.text))


# --- the board ----------------------------------------------------------------------------------------


def test_board_lists_the_alert_with_counts_and_charts(api, alert, project):
    login_page(api, "inspector1")
    page = api.app.get("/inspector")
    text = text_of(page)
    assert "Bids from one IP address" in text and "collusion.same_ip" in text
    assert project["code"] in text
    assert f"/inspector/alerts/{alert['id']}" in page.text
    assert f"/inspector/projects/{project['id']}/timeline" in page.text
    # a badge says its severity in words, not only in colour
    assert re.search(r'class="sev sev-red">.*?Red</span>', page.text, re.DOTALL)
    # each chart an image with a title and a description, and a data table
    # two charts, each drawn for wide and for narrow screens
    assert page.text.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart"') == 4
    assert 'aria-labelledby="chart-weeks-wide-title chart-weeks-wide-desc"' in page.text
    assert "<title id=\"chart-sectors-narrow-title\">Alerts by sector</title>" in page.text
    assert "Week starting (Beijing time)" in page.text
    assert page.text.count("Show the numbers as a table") == 2
    assert "<script>" not in page.text and "cdn" not in page.text.lower()


def test_board_filters_narrow_the_list(api, alert, project):
    login_page(api, "inspector1")
    red = api.app.get("/inspector", {"severity": "red", "project": project["code"], "status": "open"})
    assert f"/inspector/alerts/{alert['id']}" in red.text
    assert "Showing the alerts of project" in red.text
    yellow = api.app.get("/inspector", {"severity": "yellow"})
    assert "No alerts match." in yellow.text and f"/inspector/alerts/{alert['id']}" not in yellow.text
    assert "No alerts match." in api.app.get("/inspector", {"sector": "land"}).text
    assert "No alerts match." in api.app.get("/inspector", {"overdue": "true"}).text
    assert alert["id"] in api.app.get("/inspector", {"rule": "collusion.same_ip", "sector": "tendering"}).text


def test_bad_board_filters_show_a_message_not_an_error(api, alert):
    login_page(api, "inspector1")
    page = api.app.get("/inspector", {"severity": "purple", "overdue": "maybe", "project": "NO-SUCH",
                                      "cursor": "not-a-cursor", "rule": "x" * 500})
    text = text_of(page)
    assert "Severity: “purple” is not a valid choice" in text
    assert "No project has the code or id “NO-SUCH”" in text
    assert "The page link was not valid" in text
    assert "No alerts match." in text
    forged = api.app.get("/inspector?cursor=WyIyMDI2LTEyLTAxVDA5OjAwOjAwIiwiYWJjIl0")  # a naive instant
    assert forged.status_int == 200 and "The page link was not valid" in forged.text
    # U+0000 is refused for the whole site before any page reads the address (test_nul_input.py)
    assert "U+0000" in api.app.get("/inspector?project=%00", status=400).text


def test_board_pages_by_keyset(api, parties, alert, script):
    from monitoring.engine import Finding, raise_alert
    from monitoring.rules import RULES_BY_CODE

    with script() as request:
        for index in range(30):
            raise_alert(request, RULES_BY_CODE["contract.late"],
                        Finding("award", f"award-{index}", {"awarded_at": "2026-11-01T00:00:00Z", "days": 30}))
    login_page(api, "inspector1")
    first = api.app.get("/inspector")
    link = re.search(r'<a href="([^"]+)" rel="next">', first.text).group(1).replace("&amp;", "&")
    second = api.app.get(link)
    ids = set(re.findall(r"/inspector/alerts/([0-9a-f]{32})", first.text))
    more = set(re.findall(r"/inspector/alerts/([0-9a-f]{32})", second.text))
    assert len(ids) == 25 and len(more) == 6 and not ids & more
    assert "First page" in second.text and 'rel="next"' not in second.text


# --- one alert and its workflow ------------------------------------------------------------------------


def test_alert_page_shows_the_evidence_readably(api, alert, project):
    login_page(api, "inspector1")
    page = api.app.get(f"/inspector/alerts/{alert['id']}")
    text = text_of(page)
    assert "Bids from one IP address" in text and "127.0.0.1" in text
    assert "投标公司1" in text and "投标公司2" in text
    assert "triggered the alert" in text  # the two bids, the triggering one marked
    assert "Finding 1" in text and "audit event #" in text
    assert project["code"] in text
    assert 'id="resolve-form"' in page.text and 'id="acknowledge-form"' in page.text
    assert "Back to the alert board" in text
    assert "Alert raised" in text  # the history from the audit trail


def test_resolving_without_a_note_shows_an_error_and_changes_nothing(api, alert):
    login_page(api, "inspector1")
    page = api.app.get(f"/inspector/alerts/{alert['id']}")
    refused = api.app.post(f"/inspector/alerts/{alert['id']}/resolve", {"csrf_token": csrf_of(page), "note": "   "},
                           status=400)
    assert "a note is required" in field_error(refused, "resolve-note")
    assert 'aria-invalid="true"' in refused.text and 'id="error-summary"' in refused.text
    assert api_alert(api, alert)["status"] == "open"
    api.app.post(f"/inspector/alerts/{alert['id']}/resolve", {"csrf_token": csrf_of(page)}, status=400)
    assert api_alert(api, alert)["status"] == "open"


def test_resolving_with_a_note_resolves(api, alert):
    login_page(api, "inspector1")
    page = api.app.get(f"/inspector/alerts/{alert['id']}")
    done = api.app.post(f"/inspector/alerts/{alert['id']}/resolve",
                        {"csrf_token": csrf_of(page), "note": "两家公司共用孵化器网络，已核实无串通"}, status=303)
    shown = done.follow()
    assert "The alert is resolved." in shown.text and "两家公司共用孵化器网络" in shown.text
    assert 'id="resolve-form"' not in shown.text
    resolved = api_alert(api, alert)
    assert resolved["status"] == "resolved" and resolved["resolve_note"].startswith("两家公司")
    again = api.app.post(f"/inspector/alerts/{alert['id']}/resolve", {"csrf_token": csrf_of(page), "note": "again"},
                         status=409)
    assert "already resolved" in again.text


def test_acknowledging_works_with_or_without_a_note(api, alert):
    login_page(api, "inspector1")
    page = api.app.get(f"/inspector/alerts/{alert['id']}")
    api.app.post(f"/inspector/alerts/{alert['id']}/acknowledge", {"csrf_token": csrf_of(page), "note": ""}, status=303)
    acknowledged = api_alert(api, alert)
    assert acknowledged["status"] == "acknowledged" and acknowledged["acknowledge_note"] is None
    shown = api.app.get(f"/inspector/alerts/{alert['id']}")
    assert 'id="acknowledge-form"' not in shown.text and 'id="resolve-form"' in shown.text
    assert "Acknowledged" in text_of(shown)


def test_a_form_without_its_csrf_token_is_refused(api, alert):
    login_page(api, "inspector1")
    api.app.post(f"/inspector/alerts/{alert['id']}/resolve", {"note": "x"}, status=403)
    assert api_alert(api, alert)["status"] == "open"


def test_an_admin_sees_alerts_but_cannot_act(api, alert):
    login_page(api, "admin1")
    page = api.app.get(f"/inspector/alerts/{alert['id']}")
    assert "only inspectors acknowledge or resolve" in page.text
    assert 'id="resolve-form"' not in page.text and 'id="acknowledge-form"' not in page.text
    token = csrf_of(page)
    api.app.post(f"/inspector/alerts/{alert['id']}/resolve", {"csrf_token": token, "note": "admin"}, status=403)
    api.app.post(f"/inspector/alerts/{alert['id']}/acknowledge", {"csrf_token": token}, status=403)
    assert api_alert(api, alert)["status"] == "open"
    board = api.app.get("/inspector")
    assert alert["id"] in board.text
    # the admin holds the audit permissions, not the monitoring ones: no timeline or figures
    assert "/inspector/figures" not in board.text and "/inspector/projects/" not in board.text
    api.app.get("/inspector/audit", status=200)
    api.app.get("/inspector/chain", status=200)
    api.app.get("/inspector/figures", status=403)
    api.app.get(f"/inspector/projects/{alert['project_id']}/timeline", status=403)


def test_unknown_alert_and_project_are_404_pages(api, alert):
    login_page(api, "inspector1")
    assert api.app.get("/inspector/alerts/0123456789abcdef0123456789abcdef", status=404).content_type == "text/html"
    api.app.get("/inspector/alerts/" + quote("<script>"), status=404)
    api.app.get("/inspector/projects/nope/timeline", status=404)


# --- who may come in -----------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["officer1", "bidder1"])
def test_officers_and_bidders_are_refused(api, alert, username):
    login_page(api, username)
    for path in (*PAGES, f"/inspector/alerts/{alert['id']}", f"/inspector/projects/{alert['project_id']}/timeline"):
        api.app.get(path, status=403)
    page = api.app.get("/")
    api.app.post(f"/inspector/alerts/{alert['id']}/resolve", {"csrf_token": csrf_of(page), "note": "x"}, status=403)
    api.app.post("/inspector/chain", {"csrf_token": csrf_of(page)}, status=403)


def test_anonymous_visitors_are_sent_to_log_in(api, alert):
    for path in (*PAGES, f"/inspector/alerts/{alert['id']}"):
        response = api.app.get(path, status=302)
        assert "/login?next=" in response.location


def test_the_nav_links_the_workspace_for_inspectors_and_admins(api, parties):
    login_page(api, "inspector1")
    assert 'href="/inspector">Inspector workspace' in api.app.get("/").text
    login_page(api, "officer1")
    assert 'href="/inspector"' not in api.app.get("/").text


# --- the audit browser and its export ------------------------------------------------------------------


def test_audit_browser_filters_by_project_actor_action_and_time(api, alert, project):
    login_page(api, "inspector1")
    page = api.app.get("/inspector/audit", {"project": project["code"], "action": "bid.submit"})
    assert page.text.count('data-label="Seq"') == 2
    one = api.app.get("/inspector/audit", {"project": project["id"], "actor": "bidder1", "action": "bid.submit"})
    assert one.text.count('data-label="Seq"') == 1 and "bidder1" in one.text
    later = api.app.get("/inspector/audit", {"project": project["code"], "since": "2026-12-02T00:00"})
    assert "No audit events match." in later.text
    earlier = api.app.get("/inspector/audit", {"project": project["code"], "until": "2026-12-02T00:00",
                                               "action": "project.publish"})
    assert earlier.text.count('data-label="Seq"') == 1
    system = api.app.get("/inspector/audit", {"project": project["code"], "actor": "system", "action": "alert.raise"})
    assert system.text.count('data-label="Seq"') == 1 and "System (no user)" in system.text


def test_audit_browser_pages_and_survives_bad_filters(api, alert, monkeypatch):
    from monitoring import pages

    monkeypatch.setattr(pages, "AUDIT_PAGE_SIZE", 10)
    login_page(api, "inspector1")
    first = api.app.get("/inspector/audit")
    link = re.search(r'<a href="([^"]+)" rel="next">', first.text).group(1).replace("&amp;", "&")
    first_seqs = [int(s) for s in re.findall(r'data-label="Seq" class="num">(\d+)<', first.text)]
    second_seqs = [int(s) for s in re.findall(r'data-label="Seq" class="num">(\d+)<', api.app.get(link).text)]
    assert len(first_seqs) == 10 and first_seqs == sorted(first_seqs, reverse=True)
    assert second_seqs and max(second_seqs) < min(first_seqs)
    bad = api.app.get("/inspector/audit", {"since": "yesterday", "until": "0001-01-01T00:00", "actor": "nobody",
                                           "action": "DROP TABLE", "order": "sideways", "cursor": "x"})
    text = text_of(bad)
    assert "From: “yesterday” is not a date and time" in text
    assert "No user has the username or id “nobody”" in text
    assert "Action: “DROP TABLE” is not a valid choice" in text
    assert "The page link was not valid" in text
    reversed_range = api.app.get("/inspector/audit", {"since": "2026-12-02T00:00", "until": "2026-12-01T00:00"})
    assert "must be after its start" in reversed_range.text


def test_csv_export_has_a_bom_and_the_filtered_rows(api, alert, project):
    login_page(api, "inspector1")
    response = api.app.get("/inspector/audit.csv", {"project": project["code"], "action": "bid.submit"})
    assert response.content_type == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    assert response.body.startswith("\ufeff".encode("utf-8"))
    rows = list(csv.reader(io.StringIO(response.body.decode("utf-8-sig"))))
    assert rows[0] == ["seq", "at_utc", "local_time", "actor_username", "actor_role", "ip", "action", "object_type",
                       "object_id", "project_id", "data", "prev_hash", "hash"]
    body = rows[1:]
    assert [r[6] for r in body] == ["bid.submit", "bid.submit"]
    assert sorted(r[3] for r in body) == ["bidder1", "bidder2"] and {r[4] for r in body} == {"bidder"}
    assert all(r[9] == project["id"] and r[5] == "127.0.0.1" and r[1].endswith("Z") for r in body)
    events = api.get(f"audit?project_id={project['id']}&action=bid.submit", as_user="inspector1").json["items"]
    assert [r[12] for r in body] == [e["hash"] for e in events]


def test_csv_export_streams_every_batch(api, alert, monkeypatch):
    from monitoring import pages

    monkeypatch.setattr(pages, "CSV_BATCH", 7)
    login_page(api, "inspector1")
    everything = api.get("audit?limit=500", as_user="inspector1").json["items"]
    rows = list(csv.reader(io.StringIO(api.app.get("/inspector/audit.csv").body.decode("utf-8-sig"))))[1:]
    assert [int(r[0]) for r in rows][:len(everything)] == [e["seq"] for e in everything]


def test_csv_export_with_bad_filters_is_a_400_page(api, alert):
    login_page(api, "inspector1")
    page = api.app.get("/inspector/audit.csv", {"since": "soon"}, status=400)
    assert page.content_type == "text/html" and "not a date and time" in page.text


# --- the timeline ---------------------------------------------------------------------------------------


def test_timeline_shows_events_alerts_phases_and_the_report(api, alert, project):
    login_page(api, "inspector1")
    page = api.app.get(f"/inspector/projects/{project['id']}/timeline")
    text = text_of(page)
    assert project["title"] in text and "2026-12-01" in text
    assert "Phase Announcement published" in text and "Bid submitted" in text
    assert f"/inspector/alerts/{alert['id']}" in page.text
    assert f"/api/v1/monitoring/report.pdf?project_id={project['id']}" in page.text
    assert "bidder1" in text and "officer1" in text
    publish = page.text.index("project.publish")
    submit = page.text.index("bid.submit")
    assert publish < submit


def test_project_lookup_goes_to_the_timeline(api, alert, project):
    login_page(api, "inspector1")
    response = api.app.get("/inspector/projects", {"q": project["code"]}, status=303)
    assert response.location.endswith(f"/inspector/projects/{project['id']}/timeline")
    listing = api.app.get("/inspector/projects", {"q": "污水"})
    assert project["code"] in listing.text and "Red" in listing.text


# --- the chain check and the figures --------------------------------------------------------------------


def test_chain_check_says_ok_then_reports_a_tampered_row(api, alert, connection, backend):
    login_page(api, "inspector1")
    form = api.app.get("/inspector/chain")
    assert "Run the check now" in form.text and "The chain is" not in form.text
    ok = api.app.post("/inspector/chain", {"csrf_token": csrf_of(form)})
    text = text_of(ok)
    assert "The chain is intact" in text and "Time taken" in text
    checked = int(re.search(r"Events checked (\d+)", text).group(1))
    assert checked >= 10
    tamper(connection, backend, 3)
    bad = api.app.post("/inspector/chain", {"csrf_token": csrf_of(form)})
    assert "The chain is broken at event #3" in text_of(bad)
    assert "/inspector/audit?order=asc&amp;cursor=2" in bad.text


def test_figures_page_shows_the_performance_figures(api, alert):
    login_page(api, "inspector1")
    page = api.app.get("/inspector/figures")
    text = text_of(page)
    assert "Median days from announcement to award" in text
    assert "Bids from one IP address" in text  # alerts by rule
    assert "bidders per lot" in text


def test_pages_render_in_chinese(api, alert, project):
    login_page(api, "inspector1")
    api.app.set_cookie("_LOCALE_", "zh_CN")
    for path in ("/inspector", f"/inspector/alerts/{alert['id']}", "/inspector/audit", "/inspector/chain",
                 f"/inspector/projects/{project['id']}/timeline", "/inspector/figures", "/inspector/projects"):
        page = api.app.get(path)
        assert '<html lang="zh-CN">' in page.text


def stricter(registry, monkeypatch, **values):
    """The app's legal numbers with some lowered, as a stricter centre's ggzy.rules.* settings give them."""
    from trading.legal_limits import Limits

    limits = registry["legal_limits"]
    monkeypatch.setitem(registry, "legal_limits", Limits(limits.table.values(), {**dict(limits), **values}))


def test_the_late_rules_help_states_the_centres_period_not_the_laws(api, project, script, registry, monkeypatch):
    from monitoring.engine import Finding, all_rules, raise_alert

    rules = {rule.code: rule for rule in all_rules(registry)}
    with script() as request:
        ids = {code: raise_alert(request, rules[code], Finding("lot", project["lots"][0]["id"], {"days": 1},
                                                                project_id=project["id"],
                                                                lot_id=project["lots"][0]["id"])).id
               for code in ("contract.late", "expert.record_late")}
    stricter(registry, monkeypatch, **{"core.contract_days": 20, "experts.record_working_days": 3})
    login_page(api, "inspector1")
    assert "No contract was signed 20 days after the award notice." in text_of(api.app.get(
        f"/inspector/alerts/{ids['contract.late']}"))
    assert "missing 3 working days after the evaluation was finalised" in text_of(api.app.get(
        f"/inspector/alerts/{ids['expert.record_late']}"))
