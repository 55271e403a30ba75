"""An inspector finds a collusion alert on the board, reads the project's timeline and resolves the alert."""
import pytest

from trading.demo import ORGANIZATIONS
from trading.demo_projects import BIDDER_ADDRESSES

from .conftest import log_in

pytestmark = pytest.mark.browser

NOTE = "经核查，两家单位系同一集团下属公司，已移交行业主管部门处理。"


def test_an_inspector_resolves_a_collusion_alert_after_reading_the_timeline(server, contexts, shot):
    locale = "zh_CN"
    t = server.translator(locale)
    page = contexts(locale).new_page()
    log_in(page, "inspector")
    page.goto("/inspector")
    shot(page, "alert-board")

    # the board filtered to one collusion rule: the demo's two builders bid from one address
    filters = page.locator("main form").first
    filters.get_by_label(t("Rule"), exact=True).select_option("collusion.same_ip")
    filters.get_by_role("button", name=t("Apply filters")).click()
    rows = page.locator("table.alerts tbody tr")
    assert rows.count() >= 1
    assert all("collusion.same_ip" in text for text in rows.all_inner_texts())
    row = rows.first
    assert t("Open") in row.inner_text()
    shot(page, "collusion-alerts")
    row.locator("td").first.get_by_role("link").click()

    # the alert: its rule, its evidence (the two organisations and the shared address)
    assert page.locator("header.page-head code").inner_text() == "collusion.same_ip"
    evidence = page.locator("section.evidence").inner_text()
    # the demo's bidder7 and bidder8 work from one office (trading.demo_projects)
    assert BIDDER_ADDRESSES["bidder7"] == BIDDER_ADDRESSES["bidder8"] and BIDDER_ADDRESSES["bidder7"] in evidence
    names = {row[0]: row[1] for row in ORGANIZATIONS}
    assert names["bidder7"] in evidence and names["bidder8"] in evidence
    alert_url = page.url
    shot(page, "alert")

    # the project's whole process, in order, with the alert in it
    page.locator("#h-facts").locator("xpath=..").locator("dd a").first.click()
    assert "/timeline" in page.url
    timeline = page.locator("main").inner_text()
    assert "bid.submit" in timeline or t("Bid submitted") in timeline
    assert page.locator("main a[href*='/inspector/alerts/']").count() >= 1
    shot(page, "timeline")
    page.goto(alert_url)

    # resolving needs a note; with it, the alert is resolved and the note kept
    resolve = page.locator("#resolve-form")
    resolve.get_by_role("button", name=t("Resolve")).click()
    assert page.locator(".error-summary").count() == 1
    assert t("Open") in page.locator("header.page-head").inner_text()
    shot(page, "resolve-needs-a-note")
    resolve = page.locator("#resolve-form")
    resolve.get_by_label(t("How was it resolved?")).fill(NOTE)
    resolve.get_by_role("button", name=t("Resolve")).click()
    assert t("Resolved") in page.locator("header.page-head").inner_text()
    assert NOTE in page.locator("main").inner_text()
    assert page.locator("#resolve-form").count() == 0
    shot(page, "resolved")
