"""An officer creates a tender through the form, meets a rule, publishes, runs the opening hall and draws experts."""
import re
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

from trading.i18n import LOCAL_TZ

from . import stories
from .conftest import log_in

pytestmark = pytest.mark.browser

TITLE = "市第二实验小学教学楼新建工程施工"
PRICES = {"bidder3": "2860000.00", "bidder4": "2795000.00", "bidder5": "2812000.00"}
NAMES = {"bidder3": "西湖智能科技股份有限公司", "bidder4": "之江数码设备有限公司", "bidder5": "钱塘信息技术有限公司"}


def local_input(moment):
    """An instant as a datetime-local input takes it (Beijing time)."""
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M")


def test_an_officer_publishes_a_tender_runs_the_opening_and_draws_experts(server, contexts, shot):
    locale = "zh_CN"
    t = server.translator(locale)
    page = contexts(locale).new_page()
    log_in(page, "officer")
    page.goto("/officer")
    main = page.locator("main")

    # a new project: the method first, then the method's own form
    main.get_by_role("link", name=t("New project")).click()
    page.get_by_label(t("Open tendering"), exact=False).first.check()
    page.get_by_role("button", name=t("Continue")).click()
    timeline = stories.sealed_timeline(server.now())
    form = page.locator("#project-form")
    form.get_by_label(t("Title"), exact=False).first.fill(TITLE)
    form.get_by_label(t("Owner"), exact=False).first.select_option(label="市教育局")
    form.get_by_label(t("Agent"), exact=False).first.select_option(label="城投招标代理有限公司")
    for name in ("docs_from", "docs_until", "bid_deadline"):
        page.locator(f"#f-timeline-{name}").fill(local_input(datetime.fromisoformat(timeline[name])))
    page.locator("#f-lots-0-title").fill("施工总承包")
    page.locator("#f-lots-0-budget").fill("3000000.00")
    page.locator("#f-lots-0-deposit").fill("100000.00")  # 3.3% of the budget: Reg Art 26 allows 2%
    page.locator("#f-params-evaluation").select_option("lowest_price")
    shot(page, "project-form")
    form.get_by_role("button", name=t("Save draft")).click()
    assert page.locator("h1").inner_text() == TITLE
    assert t("draft") in page.locator("header.page-head").inner_text()

    # publishing checks the method's rules: the deposit is refused, with its message and its source
    page.get_by_role("button", name=t("Publish the announcement")).click()
    refusal = page.locator("#error-summary")
    assert t("The project cannot be published yet") in refusal.inner_text()
    assert "deposit.too_high" in refusal.inner_text() and "Reg Art 26" in refusal.inner_text()
    shot(page, "rule-violated")
    refusal.get_by_role("link", name=t("Edit the draft")).click()
    page.locator("#f-lots-0-deposit").fill("60000.00")
    page.locator("#project-form").get_by_role("button", name=t("Save draft")).click()
    page.get_by_role("button", name=t("Publish the announcement")).click()
    assert t("announced") in page.locator("header.page-head").inner_text()
    assert page.locator("#error-summary").count() == 0
    shot(page, "published")
    project_url = page.url
    project_id = project_url.rstrip("/").rsplit("/", 1)[1]
    project = server.api.get(f"projects/{project_id}").json

    # three bidders register, pay and seal their bids off screen; the clock reaches the deadline
    addresses = dict(stories.OTHER_BIDDERS)
    bids = {user: stories.sealed_bid(server, project, user, price, addresses[user]) for user, price in PRICES.items()}
    server.set_clock(stories.deadline_of(project))

    # the opening hall: the opening began at the deadline; the bidders' decryptions appear as they come
    page.get_by_role("link", name=t("Opening hall")).click()
    hall = page.locator("main")
    assert t("opening") in hall.locator("p.kicker").inner_text()
    opened = hall.locator("[data-field=bids_opened]")
    assert opened.inner_text() == "0" and hall.locator("[data-field=bids_total]").inner_text() == "3"
    for user, bid_id in bids.items():
        stories.decrypt(server, user, bid_id, addresses[user])
    # the hall polls the opening every two seconds: the count rises without a reload
    expect(opened).to_have_text("3", timeout=8000)
    shot(page, "opening-hall")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=t("Close the opening")).click()
    page.wait_for_load_state()
    record = page.locator("main").inner_text()
    assert t("The opening is closed; the record is ready.") in record
    # the opening record names each bidder with its opened price
    rows = page.locator("main table tbody tr").all_inner_texts()
    for user, price in PRICES.items():
        assert any(NAMES[user] in row and price in row and t("opened") in row for row in rows), (user, rows)
    shot(page, "opening-record")

    # the committee: from the project to the lot's evaluation page, then its expert draws
    page.goto(project_url)
    page.get_by_role("link", name=t("Lot ${number}: evaluation and award", number=1)).click()
    page.get_by_role("link", name=t("Expert draws")).click()
    draw_form = page.locator("#draw-form")
    draw_form.locator("#f-requirements-0-specialty").select_option("A0101")
    draw_form.locator("#f-requirements-0-count").fill("5")
    draw_form.locator("#f-alternates").fill("2")
    draw_form.locator("#f-evaluation").fill(local_input(stories.deadline_of(project) + timedelta(days=1)))
    shot(page, "draw-form")
    draw_form.get_by_role("button", name=t("Commit the draw")).last.click()
    row = page.locator("table.draws tbody tr").first
    assert t("committed") in row.inner_text()
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name=t("Run the draw"), exact=False).click()
    page.wait_for_load_state()
    main = page.locator("main").inner_text()
    assert t("The draw is run: ${count} experts are invited; they have ${minutes} minutes to answer.",
             count=5, minutes=30) in main
    # the draw's own page: drawn, with what anyone needs to recompute it
    assert t("drawn") in main and "A0101" in main
    assert page.locator("main code, main .hash").count() >= 5 or len(re.findall(r"\b[0-9a-f]{64}\b", main)) >= 5
    shot(page, "draw-run")
    page.get_by_role("link", name=t("All draws of this project")).click()
    row = page.locator("table.draws tbody tr").first
    assert t("${accepted} of ${required} accepted", accepted=0, required=5) in row.inner_text()
    assert t("${n} awaiting an answer", n=5) in row.inner_text()
