"""A drawn expert accepts the invitation, then votes, scores and signs the evaluation in the browser."""
import pytest
from playwright.sync_api import expect

from . import stories
from .conftest import log_in

pytestmark = pytest.mark.browser

TITLE = "市第三人民医院门诊楼改造工程施工"


def test_an_expert_accepts_an_invitation_and_scores(server, contexts, shot):
    locale = "zh_CN"
    t = server.translator(locale)
    project = stories.opened_tender(server, TITLE, params=stories.SCORING)
    members = stories.drawn_committee(server, project)
    (username, name), others = members[0], members[1:]
    for other, _name in others:
        stories.accept_invitation(server, other)

    page = contexts(locale).new_page()
    log_in(page, username)
    page.goto("/expert")
    invitation = page.locator("main tr", has_text=TITLE)
    assert t("pending") in invitation.inner_text()
    shot(page, "invitations")
    invitation.get_by_role("link", name=t("Answer"), exact=False).click()
    assert TITLE in page.locator("main").inner_text()
    shot(page, "invitation")
    page.get_by_role("button", name=t("Accept the invitation")).click()
    assert t("accepted") in page.locator("main").inner_text()
    shot(page, "accepted")

    # the committee is complete: the officer starts the evaluation, and it is on the expert's list
    lot_id = project["lots"][0]["id"]
    server.api.post(f"projects/{project['id']}/lots/{lot_id}/evaluation", as_user="officer", status=201)
    page.goto("/expert/evaluations")
    page.locator("main").get_by_role("link", name=TITLE).first.click()
    bids = page.locator("#work section.bid")
    expect(bids).to_have_count(3)
    shot(page, "score-sheet")

    # a qualification vote and a score on each criterion the members score (the price score is computed)
    for index in range(3):
        bid = bids.nth(index)
        bid.get_by_label(t("Pass"), exact=True).check()
        bid.get_by_label("施工组织设计", exact=False).fill(str(24 + index))
        bid.get_by_label("企业业绩与信誉", exact=False).fill("8.5")
    page.locator("#save-all").click()
    assert page.locator("#work section.bid").first.get_by_label("施工组织设计", exact=False).input_value() == "24.00"
    shot(page, "scores-saved")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#sign-button").click()
    page.wait_for_load_state()
    main = page.locator("main").inner_text()
    assert t("You have signed; your votes and scores are locked.") in main
    assert page.locator("#sign-button").count() == 0
    shot(page, "signed")
