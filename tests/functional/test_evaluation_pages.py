"""Evaluation and award pages: the member's scoring (with and without JavaScript), the officer's overview of a lot,
the bidder's final quote and objection, the public results; and who may reach them."""
import hashlib
import re

import pytest
from webtest import TestApp

from trading.services import accounts

from ..conftest import PASSWORD
from .evaluation_helpers import committee, opened_project
from .sealed import at, iso, procurement_body, set_clock, tendering_body
from .test_pages import csrf_of

CRITERIA = [{"code": "tech", "name": "技术", "max": 50, "kind": "technical"},
            {"code": "biz", "name": "商务", "max": 20, "kind": "business"},
            {"code": "price", "name": "价格", "max": 30, "kind": "price"}]
DEVIATION = {"evaluation": "scoring", "criteria": CRITERIA, "price_formula": "deviation", "benchmark_discount": 0,
             "points_above": 1, "points_below": 0.5}
# four bids; the fourth is above the lot's budget of 1,000,000.00
PRICES = ["950000.00", "900000.00", "980000.00", "1050000.00"]


def browser(api):
    """A browser of its own (cookies), so that the api's app stays cookie-less for bearer-token calls."""
    return TestApp(api.app.app, extra_environ=api.app.extra_environ)


def log_in(api, username):
    client = browser(api)
    form = client.get("/login")
    client.post("/login", {"username": username, "password": PASSWORD, "csrf_token": csrf_of(form)}, status=303)
    return client


def lot_api(project):
    return f"projects/{project['id']}/lots/{project['lots'][0]['id']}"


def score_url(project):
    return f"/expert/evaluations/{project['id']}/{project['lots'][0]['id']}"


def officer_url(project):
    return f"/officer/projects/{project['id']}/lots/{project['lots'][0]['id']}/evaluation"


def bidder_url(project):
    return f"/bidder/projects/{project['id']}/results"


def text_of(page):
    """The page's visible text, tags removed and spaces collapsed (for assertions that span elements)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.text))


def field_error(page, field_id):
    match = re.search(rf'<p class="field-error" id="{re.escape(field_id)}-error">(.*?)</p>', page.text, re.DOTALL)
    if match is None:
        return None
    return re.sub(r"<[^>]+>", "", re.sub(r'<span class="visually-hidden">[^<]*</span>', "", match.group(1))).strip()


def prefix_of(page, bid_id):
    """The element-id prefix the scoring page gives a bid (bid1, bid2, ... in the order of the opening)."""
    pattern = r'<section class="card bid" id="(bid\d+)"[^>]*data-bid="' + re.escape(bid_id) + '"'
    return re.search(pattern, page.text).group(1)


def save_all(form, status=303):
    """The scoring form sent as its Save all button sends it (the first submit button is disabled)."""
    return form.submit("action", value="save", status=status)


def sign_through_page(client, page, status=303):
    """The Sign button: it belongs to the scoring form (form="work") from the side panel, outside the form element."""
    form = page.forms["work"]
    return client.post(form.action, params=[*form.submit_fields(), ("action", "sign")], status=status)


def error_code(page):
    """The code an error summary shows (the API's code or the broken rules)."""
    match = re.search(r'id="error-summary".*?<p class="muted small"><code>([^<]+)</code>', page.text, re.DOTALL)
    return match.group(1) if match else None


def officer_action(client, project, action, status=303, **fields):
    page = client.get(officer_url(project))
    return client.post(officer_url(project), {"csrf_token": csrf_of(page), "action": action, **fields}, status=status)


def bidder_action(client, project, action, status=303, **fields):
    page = client.get(bidder_url(project))
    return client.post(bidder_url(project), {"csrf_token": csrf_of(page), "action": action,
                                             "lot_id": project["lots"][0]["id"], **fields}, status=status)


def vote_and_score(api, project, member, bid_id, passed=True, tech=40, biz=15):
    base = lot_api(project) + "/evaluation"
    api.put(base + "/qualification", {"bid_id": bid_id, "pass": passed, "reason": "" if passed else "资质不符"},
            as_user=member)
    if tech is not None:
        api.put(base + "/scores", {"bid_id": bid_id, "criterion": "tech", "score": tech}, as_user=member)
        api.put(base + "/scores", {"bid_id": bid_id, "criterion": "biz", "score": biz}, as_user=member)


@pytest.fixture
def scoring(api, script):
    parties, project, bids = opened_project(api, script, tendering_body, PRICES, params=DEVIATION)
    members = committee(api, script, project)
    return parties, project, bids, members


# --- the member's scoring page ----------------------------------------------------------------------------


def test_a_member_scores_without_javascript_then_through_the_api_sees_what_is_missing_and_signs(api, scoring):
    _parties, project, bids, members = scoring
    officer = log_in(api, "officer1")
    started = officer_action(officer, project, "start").follow()
    assert "The evaluation has started" in started.text
    member = log_in(api, members[0])
    listing = member.get("/expert/evaluations")
    assert score_url(project) in listing.text

    page = member.get(score_url(project))
    token = re.search(r'<meta name="csrf-token" content="([^"]+)">', page.text).group(1)
    shown = text_of(page)
    for needle in ("投标公司1", "950000.00", "1050000.00", "技术", "商务", "0–50", "0–20"):
        assert needle in shown
    # the bid files' hashes, as the receipts gave them
    assert hashlib.sha256("bidder1 的技术方案 unique-phrase-bidder1".encode()).hexdigest() in page.text
    # Enter in a field never sends the page: the form's first submit button is disabled
    form_html = page.text[page.text.index('id="work"'):]
    assert re.search(r'<button[^>]*type="submit"[^>]*disabled', form_html[:form_html.index("</button>") + 9])
    # the above-ceiling bid takes a vote but no scores
    assert f'name="score.{bids["bidder4"]}.tech"' not in page.text
    assert f'name="score.{bids["bidder1"]}.tech"' in page.text and 'step="0.01"' in page.text

    # without JavaScript: one refused field saves nothing at all
    form = page.forms["work"]
    form[f"vote.{bids['bidder1']}"] = "pass"
    form[f"score.{bids['bidder1']}.tech"] = "42.5"
    form[f"score.{bids['bidder1']}.biz"] = "21"  # above the maximum of 20
    form[f"vote.{bids['bidder2']}"] = "fail"  # and no reason
    refused = save_all(form, status=400)  # a missing reason (400) and a score out of bounds (422): 400 first
    b1, b2, b3, b4 = (prefix_of(page, bids[f"bidder{n}"]) for n in range(1, 5))
    assert field_error(refused, b1 + "-biz") == "The score must be between 0 and 20."
    assert field_error(refused, b2 + "-reason") == "Give the reason for failing this bid."
    assert 'value="42.5"' in refused.text  # what was typed comes back
    assert api.get(lot_api(project) + "/evaluation", as_user=members[0]).json["scores"] == []
    assert api.get(lot_api(project) + "/evaluation", as_user=members[0]).json["votes"] == []

    form = refused.forms["work"]
    form[f"score.{bids['bidder1']}.biz"] = "18"
    form[f"reason.{bids['bidder2']}"] = "资质证书过期"
    saved = save_all(form).follow()
    assert "Saved: 4 change(s)." in saved.text
    mine = api.get(lot_api(project) + "/evaluation", as_user=members[0]).json
    assert sorted((s["criterion"], s["score"]) for s in mine["scores"]) == [("biz", 18.0), ("tech", 42.5)]
    assert {v["bid_id"]: v["pass"] for v in mine["votes"]} == {bids["bidder1"]: True, bids["bidder2"]: False}
    # saving again without a change records nothing new
    again = save_all(saved.forms["work"]).follow()
    assert "Nothing changed" in again.text

    # with JavaScript: each field goes to the JSON API with the session and the page's token
    base = "/api/v1/" + lot_api(project) + "/evaluation"
    headers = {"X-CSRF-Token": token}
    member.put_json(base + "/scores", {"bid_id": bids["bidder2"], "criterion": "tech", "score": 30}, status=403)
    answer = member.put_json(base + "/scores", {"bid_id": bids["bidder2"], "criterion": "tech", "score": 30},
                             headers=headers).json
    assert {"bid_id": bids["bidder2"], "criterion": "tech"} not in answer["missing"]
    too_high = member.put_json(base + "/scores", {"bid_id": bids["bidder2"], "criterion": "tech", "score": 50.5},
                               headers=headers, status=422).json
    assert too_high["error"]["details"][0]["rule"] == "evaluation.score_invalid"
    three_places = '{"bid_id": "' + bids["bidder2"] + '", "criterion": "tech", "score": 30.123}'
    bad = member.put(base + "/scores", three_places, headers={**headers, "Content-Type": "application/json"},
                     status=400).json
    assert bad["error"]["code"] == "request.invalid"
    member.put_json(base + "/qualification", {"bid_id": bids["bidder3"], "pass": True, "reason": None}, headers=headers)

    # what is missing before signing: the scores of bidder2 (biz) and bidder3, the vote on bidder4
    page = member.get(score_url(project))
    missing = page.text[page.text.index('id="missing"'):]
    assert "4 item(s) still to do before you can sign." in text_of(page)
    assert f'href="#{b2}-biz"' in missing and f'href="#{b3}-tech"' in missing and f'href="#{b4}-vote"' in missing
    # signing saves what is entered with the signature, or neither: bidder2's score alone leaves 3 items to do
    form = page.forms["work"]
    form[f"score.{bids['bidder2']}.biz"] = "10"
    sign = sign_through_page(member, page, status=422)
    assert "You cannot sign yet" in sign.text and error_code(sign) == "evaluation.incomplete"
    assert "3 item(s) still to do before you can sign." in text_of(sign) and 'value="10"' in sign.text
    assert api.get(lot_api(project) + "/evaluation", as_user="officer1").json["members"][0]["signed_at"] is None
    assert len(api.get(lot_api(project) + "/evaluation", as_user=members[0]).json["scores"]) == 3

    for bid, criterion, value in ((bids["bidder2"], "biz", 10), (bids["bidder3"], "tech", 44.25)):
        member.put_json(base + "/scores", {"bid_id": bid, "criterion": criterion, "score": value}, headers=headers)
    page = member.get(score_url(project))
    assert "2 item(s) still to do before you can sign." in text_of(page)
    form = page.forms["work"]
    form[f"score.{bids['bidder3']}.biz"] = "16"
    form[f"vote.{bids['bidder4']}"] = "fail"
    form[f"reason.{bids['bidder4']}"] = "超过最高限价"
    signed = sign_through_page(member, page).follow()
    assert "You have signed" in signed.text
    assert 'id="work"' not in signed.text and "44.25" in signed.text  # read-only, with the member's own work
    locked = member.put_json(base + "/scores", {"bid_id": bids["bidder2"], "criterion": "tech", "score": 1},
                             headers={"X-CSRF-Token": csrf_of(signed)}, status=409).json
    assert locked["error"]["code"] == "evaluation.signed"

    # another member sees none of it before the evaluation is finalised
    other = log_in(api, members[1]).get(score_url(project))
    assert "44.25" not in other.text and "资质证书过期" not in other.text and 'value="42.50"' not in other.text


def test_members_only_and_the_evaluation_must_have_started(api, scoring, script):
    _parties, project, _bids, members = scoring
    with script() as request:
        accounts.create_user(request, username="outsider", password=PASSWORD, role="expert")
    # a member before the start: told to wait; an expert not on the committee: refused
    assert "has not started the evaluation yet" in log_in(api, members[0]).get(score_url(project)).text
    outsider = log_in(api, "outsider")
    outsider.get(score_url(project), status=403)
    api.post(lot_api(project) + "/evaluation", as_user="officer1", status=201)
    outsider.get(score_url(project), status=403)
    page = log_in(api, members[0]).get(score_url(project))
    outsider.post(score_url(project), {"csrf_token": csrf_of(outsider.get("/")), "action": "sign"}, status=403)
    assert 'type="submit" form="work" name="action" value="sign"' in page.text
    for user in ("officer1", "bidder1"):
        log_in(api, user).get(score_url(project), status=403)
    for user in ("bidder1", members[0]):
        log_in(api, user).get(officer_url(project), status=403)
    bidder = log_in(api, "bidder1")
    bidder.post(officer_url(project), {"csrf_token": csrf_of(bidder.get("/")), "action": "finalize"}, status=403)
    assert browser(api).get(score_url(project), status=302).location.startswith("http://localhost/login")


# --- the officer's overview -------------------------------------------------------------------------------


def test_start_is_refused_while_the_committee_is_incomplete(api, script):
    _parties, project, _bids = opened_project(api, script, tendering_body, PRICES[:3])
    officer = log_in(api, "officer1")
    assert "Committee: 0 of 0 members confirmed." in text_of(officer.get(officer_url(project)))
    refused = officer_action(officer, project, "start", status=409)
    assert "The evaluation cannot start" in refused.text and error_code(refused) == "evaluation.committee_incomplete"


def finalisable(api, script, prices=PRICES):
    """A lowest-price tendering lot whose committee voted on every bid (the fourth is above the ceiling)."""
    _parties, project, bids = opened_project(api, script, tendering_body, list(prices))
    members = committee(api, script, project)
    api.post(lot_api(project) + "/evaluation", as_user="officer1", status=201)
    for member in members:
        for bid_id in bids.values():
            vote_and_score(api, project, member, bid_id, tech=None)
    return project, bids, members


def test_the_officer_finalises_publishes_answers_awards_rank_two_and_records_the_contract(api, script):
    project, bids, members = finalisable(api, script)
    officer = log_in(api, "officer1")
    page = officer.get(officer_url(project))
    assert f'data-ev-poll="/api/v1/{lot_api(project)}/evaluation"' in page.text
    assert "0 / 5 signed" in text_of(page)
    unsigned = officer_action(officer, project, "finalize", status=409)
    assert error_code(unsigned) == "evaluation.unsigned"
    for member in members:
        api.post(lot_api(project) + "/evaluation/sign", as_user=member)
    assert "5 / 5 signed" in text_of(officer.get(officer_url(project)))
    ranked = officer_action(officer, project, "finalize").follow()
    ranking = ranked.text[ranked.text.index('id="ranking"'):]
    assert ranking.index("投标公司2") < ranking.index("投标公司1") < ranking.index("投标公司3")
    assert f'href="/api/v1/{lot_api(project)}/evaluation/report.pdf"' in ranked.text

    published = officer_action(officer, project, "publish").follow()
    assert "From 2026-12-21 09:30 to 2026-12-24 09:30 (Beijing time)." in text_of(published)
    early = officer_action(officer, project, "award", status=409, bid_id=bids["bidder2"], reason="")
    assert error_code(early) == "award.publicity_not_ended"

    # a bidder of the lot objects during the publicity (the above-ceiling bidder4), and once it ended is refused
    bidder4 = log_in(api, "bidder4")
    filed = bidder_action(bidder4, project, "object", text="第一名的业绩证明存疑").follow()
    assert "Your objection is filed" in filed.text and "第一名的业绩证明存疑" in filed.text
    set_clock(api, at(24, 9, 30))
    late = bidder_action(bidder4, project, "object", status=409, text="补充异议")
    assert error_code(late) == "objection.closed" and "Your objection was not filed" in late.text

    pending = officer_action(officer, project, "award", status=409, bid_id=bids["bidder2"], reason="")
    assert error_code(pending) == "award.objection_pending"
    objection_id = re.search(r'name="objection_id" value="([^"]+)"', officer.get(officer_url(project)).text).group(1)
    empty = officer_action(officer, project, "answer", status=400, objection_id=objection_id, text=" ")
    assert field_error(empty, "answer-" + objection_id) == "Enter the answer."
    officer_action(officer, project, "answer", objection_id=objection_id, text="经核查，业绩证明真实有效。")

    no_reason = officer_action(officer, project, "award", status=422, bid_id=bids["bidder1"], reason="  ")
    reason_error = field_error(no_reason, "award-reason")
    assert reason_error == "Awarding a bid other than the first candidate needs a written reason."
    assert error_code(no_reason) == "award.reason_required"
    assert f'id="award-bid-2" name="bid_id" value="{bids["bidder1"]}" checked' in no_reason.text
    awarded = officer_action(officer, project, "award", bid_id=bids["bidder1"], reason="第一名放弃中标").follow()
    award = api.get(lot_api(project) + "/award").json
    assert award["rank"] == 2 and award["winner_name"] == "投标公司1"
    assert f'href="/verify/{award["notice_code"]}"' in awarded.text
    assert f'href="/api/v1/{lot_api(project)}/award/notice.pdf"' in awarded.text

    bad = officer_action(officer, project, "contract", status=400, signed_at="tomorrow", amount="95万")
    assert field_error(bad, "contract-signed") == "Enter a date and time (YYYY-MM-DD HH:MM)."
    assert field_error(bad, "contract-amount") is not None
    done = officer_action(officer, project, "contract", signed_at="2026-12-28T10:00", amount="950,000.00").follow()
    assert "The contract of 950000.00 CNY is recorded." in done.text
    assert api.get(f"projects/{project['id']}").json["status"] == "contracted"

    # the public results: candidates, the answered objection without who made it, the award
    public = browser(api).get(f"/projects/{project['id']}/results")
    shown = text_of(public)
    for needle in ("投标公司2", "投标公司3", "第一名的业绩证明存疑", "经核查，业绩证明真实有效。", award["notice_code"],
                   "From 2026-12-21 09:30 to 2026-12-24 09:30 (Beijing time)."):
        assert needle in shown
    assert "投标公司4" not in shown and "第一名放弃中标" not in shown

    # the winner downloads its notice from its page; the others see the award without the link
    winner = log_in(api, "bidder1").get(bidder_url(project))
    assert "Your organisation is awarded this lot." in winner.text
    notice = log_in(api, "bidder1").get(f"/api/v1/{lot_api(project)}/award/notice.pdf")
    assert notice.content_type == "application/pdf"
    other = log_in(api, "bidder2").get(bidder_url(project))
    assert "award/notice.pdf" not in other.text and "投标公司1" in other.text


# --- final quotes (negotiation) -----------------------------------------------------------------------------


def test_a_bidder_gives_one_final_quote_during_the_round(api, script):
    body_over = {"method": "procurement.competitive_negotiation",
                 "timeline": {"docs_from": iso(at(1)), "docs_until": iso(at(3, 17)), "bid_deadline": iso(at(21, 9, 30))},
                 "params": {"category": "goods", "evaluation": "lowest_price"}}
    _parties, project, _bids = opened_project(api, script, procurement_body, ["950000.00", "900000.00", "980000.00"],
                                              **body_over)
    officer = log_in(api, "officer1")
    past = officer_action(officer, project, "open_round", status=422, until="2026-12-21T09:00")
    assert error_code(past) == "final_quote.until_past"
    officer_action(officer, project, "open_round", until="2026-12-21T15:00")
    assert "Round ends" in officer.get(officer_url(project)).text

    bidder = log_in(api, "bidder3")
    page = bidder.get(bidder_url(project))
    assert "Round open until 2026-12-21 15:00 (Beijing time)." in page.text
    wrong = bidder_action(bidder, project, "final_quote", status=400, price="八十七万")
    assert field_error(wrong, "price-" + project["lots"][0]["id"]) is not None
    given = bidder_action(bidder, project, "final_quote", price="870,000").follow()
    assert "Your final quote: 870000.00 CNY" in given.text
    twice = bidder_action(bidder, project, "final_quote", status=409, price="860000.00")
    assert error_code(twice) == "final_quote.closed"
    # the officer does not see the price before the round ends
    assert "870000.00" not in officer.get(officer_url(project)).text
    set_clock(api, at(21, 15))
    late = bidder_action(log_in(api, "bidder1"), project, "final_quote", status=409, price="850000.00")
    assert error_code(late) == "final_quote.closed"
    assert "870000.00" in officer.get(officer_url(project)).text


# --- languages ---------------------------------------------------------------------------------------------


def test_the_pages_render_in_chinese(api, scoring):
    _parties, project, _bids, members = scoring
    api.post(lot_api(project) + "/evaluation", as_user="officer1", status=201)
    for user, url in ((members[0], score_url(project)), ("officer1", officer_url(project)),
                      ("bidder1", bidder_url(project))):
        page = log_in(api, user).get(url, headers={"Accept-Language": "zh-CN"})
        assert '<html lang="zh-CN">' in page.text
    assert '<html lang="zh-CN">' in browser(api).get(f"/projects/{project['id']}/results",
                                                      headers={"Accept-Language": "zh-CN"}).text



def test_the_contract_period_the_pages_state_is_the_centres_setting(api, script, registry, monkeypatch):
    from trading import pdf

    from .test_inspector_pages import stricter

    project, bids, members = finalisable(api, script)
    for member in members:
        api.post(lot_api(project) + "/evaluation/sign", as_user=member)
    api.post(lot_api(project) + "/evaluation/finalize", as_user="officer1")
    api.post(lot_api(project) + "/publicity", as_user="officer1")
    set_clock(api, at(24, 9, 30))
    api.post(lot_api(project) + "/award", {"bid_id": bids["bidder2"]}, as_user="officer1")
    stricter(registry, monkeypatch, **{"core.contract_days": 20})
    page = log_in(api, "officer1").get(officer_url(project))
    assert "The contract is due within 20 days of the award notice" in text_of(page)
    rendered = []
    html_for = pdf.html_for
    monkeypatch.setattr(pdf, "html_for", lambda *args: rendered.append(html_for(*args)) or rendered[-1])
    log_in(api, "bidder2").get(f"/api/v1/{lot_api(project)}/award/notice.pdf")
    assert "Please sign the contract with the owner within 20 days of this notice." in rendered[0]


def test_the_officer_records_each_members_conduct_after_the_evaluation(api, script):
    project, _bids, members = finalisable(api, script)
    officer = log_in(api, "officer1")
    conduct_url = officer_url(project).replace("/evaluation", "/conduct")
    assert "Members are rated after the evaluation is finalised." in officer.get(conduct_url).text
    for member in members:
        api.post(lot_api(project) + "/evaluation/sign", as_user=member)
    api.post(lot_api(project) + "/evaluation/finalize", as_user="officer1")
    assert f'href="{conduct_url}"' in officer.get(officer_url(project)).text

    page = officer.get(conduct_url)
    expert_ids = re.findall(r'name="expert_id" value="([^"]+)"', page.text)
    assert len(expert_ids) == 5 and "5 of 5 members still to be rated." in text_of(page)
    first = expert_ids[0]
    fields = {"csrf_token": csrf_of(page), "expert_id": first}
    unrated = officer.post(conduct_url, {**fields, "note": "准时"}, status=400)
    assert field_error(unrated, "rating-1") == "Choose a rating from 1 to 5."
    assert "准时" in unrated.text  # what was typed stays
    assert field_error(officer.post(conduct_url, {**fields, "rating": "6"}, status=400), "rating-1") == (
        "Choose a rating from 1 to 5.")
    stranger = officer.post(conduct_url, {**fields, "expert_id": "nobody", "rating": "3"}, status=404)
    assert "This expert is not a member of the lot&#39;s committee." in stranger.text

    done = officer.post(conduct_url, {**fields, "rating": "4", "note": "准时到场，评审认真"}, status=303).follow()
    assert "is recorded." in done.text and "准时到场，评审认真" in done.text and "4 of 5 members still to be rated." in text_of(done)
    assert f'name="expert_id" value="{first}"' not in done.text
    history = api.get(f"experts/{first}/records", as_user="admin1").json["items"]
    assert any(r["kind"] == "rating" for r in history)
    events = api.get(f"audit?action=expert.rating&project_id={project['id']}", as_user="inspector1").json["items"]
    assert [e["object_id"] for e in events] == [first]
    again = officer.post(conduct_url, {**fields, "rating": "5"}, status=409)
    assert "already recorded" in again.text
    assert '<a href="' + officer_url(project) + '">← Back to the evaluation</a>' in done.text
