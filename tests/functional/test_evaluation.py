"""Evaluation through the API: start, votes, scores, signing, finalisation, publicity, objections, award, contract."""
import hashlib
import json
import subprocess

import pytest

from ..conftest import PASSWORD
from .evaluation_helpers import committee, opened_project
from .sealed import at, iso, procurement_body, set_clock, tendering_body

CRITERIA = [{"code": "tech", "name": "技术", "max": 50, "kind": "technical"},
            {"code": "biz", "name": "商务", "max": 20, "kind": "business"},
            {"code": "price", "name": "价格", "max": 30, "kind": "price"}]
DEVIATION = {"evaluation": "scoring", "criteria": CRITERIA, "price_formula": "deviation", "benchmark_discount": 0,
             "points_above": 1, "points_below": 0.5}


def lot_path(project):
    return f"projects/{project['id']}/lots/{project['lots'][0]['id']}"


@pytest.fixture
def scoring(api, script):
    """4 bids: 950,000 / 900,000 / 980,000 / 1,050,000 (above the budget of 1,000,000)."""
    parties, project, bids = opened_project(api, script, tendering_body,
                                            ["950000.00", "900000.00", "980000.00", "1050000.00"],
                                            params=DEVIATION)
    members = committee(api, script, project)
    return parties, project, bids, members


def vote_and_score(api, project, member, bid_id, passed=True, tech=40, biz=15):
    base = lot_path(project) + "/evaluation"
    api.put(base + "/qualification", {"bid_id": bid_id, "pass": passed, "reason": "" if passed else "资质不符"},
            as_user=member)
    if tech is not None:
        api.put(base + "/scores", {"bid_id": bid_id, "criterion": "tech", "score": tech}, as_user=member)
        api.put(base + "/scores", {"bid_id": bid_id, "criterion": "biz", "score": biz}, as_user=member)


def test_start_needs_a_complete_committee(api, script):
    _parties, project, _bids = opened_project(api, script, tendering_body, ["950000.00", "900000.00", "980000.00"])
    response = api.post(lot_path(project) + "/evaluation", as_user="officer1", status=409)
    assert response.json["error"]["code"] == "evaluation.committee_incomplete"


def test_scoring_with_deviation_ranks_as_computed_by_hand(api, scoring):
    _parties, project, bids, members = scoring
    base = lot_path(project) + "/evaluation"
    api.post(base, as_user="officer1", status=201)
    # bidder2 (900,000) fails qualification by a majority of 3 of 5; bidder4 is above the ceiling
    for index, member in enumerate(members):
        vote_and_score(api, project, member, bids["bidder1"], tech=40 + index, biz=15)
        vote_and_score(api, project, member, bids["bidder2"], passed=index >= 3, tech=45, biz=18)
        vote_and_score(api, project, member, bids["bidder3"], tech=42, biz=16 + (index % 2))
        vote_and_score(api, project, member, bids["bidder4"], tech=None)
        api.post(base + "/sign", as_user=member)
    ranking = api.post(base + "/finalize", as_user="officer1").json["ranking"]
    by_bid = {entry["bid_id"]: entry for entry in ranking}
    # qualified: bidder1 950,000 and bidder3 980,000; benchmark = mean = 965,000 (discount 0)
    # bidder1: d = (950000 − 965000) / 965000 × 100 = −1.554404…; score = 30 − 0.5 × 1.554404… = 29.222797… → 29.22
    # bidder3: d = (980000 − 965000) / 965000 × 100 = 1.554404…;  score = 30 − 1 × 1.554404… = 28.445595… → 28.45
    # tech means: bidder1 (40+41+42+43+44)/5 = 42.00; bidder3 42.00; biz: bidder1 15.00; bidder3 (16+17+16+17+16)/5 = 16.40
    assert by_bid[bids["bidder1"]]["price_score"] == 29.22
    assert by_bid[bids["bidder3"]]["price_score"] == 28.45
    assert by_bid[bids["bidder1"]]["scores"] == {"tech": 42.0, "biz": 15.0}
    assert by_bid[bids["bidder3"]]["scores"] == {"tech": 42.0, "biz": 16.4}
    assert by_bid[bids["bidder1"]]["total"] == 86.22  # 42.00 + 15.00 + 29.22
    assert by_bid[bids["bidder3"]]["total"] == 86.85  # 42.00 + 16.40 + 28.45
    assert (by_bid[bids["bidder3"]]["rank"], by_bid[bids["bidder1"]]["rank"]) == (1, 2)
    assert by_bid[bids["bidder2"]]["qualified"] is False and by_bid[bids["bidder2"]]["rank"] is None
    assert by_bid[bids["bidder4"]]["qualified"] is False


def test_a_member_never_sees_another_members_scores_before_finalisation(api, scoring):
    _parties, project, bids, members = scoring
    base = lot_path(project) + "/evaluation"
    api.post(base, as_user="officer1", status=201)
    vote_and_score(api, project, members[0], bids["bidder1"])
    other = api.get(base, as_user=members[1]).json
    assert other["scores"] == [] and other["votes"] == []
    assert len(api.get(base, as_user=members[0]).json["scores"]) == 2
    assert api.get(base, as_user="officer1").json["scores"] == []
    api.get(base, as_user="bidder1", status=403)


@pytest.mark.parametrize("score, status, code", [
    (50.001, 400, "request.invalid"), ("40", 400, "request.invalid"), (50.5, 422, "rules.violated"),
    (-1, 422, "rules.violated"), (50, 200, None), (0, 200, None), (49.99, 200, None),
])
def test_score_bounds_and_format(api, scoring, score, status, code):
    _parties, project, bids, members = scoring
    base = lot_path(project) + "/evaluation"
    api.post(base, as_user="officer1", status=201)
    response = api.put(base + "/scores", {"bid_id": bids["bidder1"], "criterion": "tech", "score": score},
                       as_user=members[0], status=status)
    if code:
        assert response.json["error"]["code"] == code


def test_price_criterion_is_not_scored_by_hand(api, scoring):
    _parties, project, bids, members = scoring
    base = lot_path(project) + "/evaluation"
    api.post(base, as_user="officer1", status=201)
    response = api.put(base + "/scores", {"bid_id": bids["bidder1"], "criterion": "price", "score": 10},
                       as_user=members[0], status=422)
    assert response.json["error"]["details"][0]["rule"] == "evaluation.score_invalid"


def test_signing_with_a_score_missing_is_refused(api, scoring):
    _parties, project, bids, members = scoring
    base = lot_path(project) + "/evaluation"
    api.post(base, as_user="officer1", status=201)
    for name in ("bidder1", "bidder2", "bidder3"):
        vote_and_score(api, project, members[0], bids[name])
    vote_and_score(api, project, members[0], bids["bidder4"], tech=None)
    api.put(base + "/scores", {"bid_id": bids["bidder3"], "criterion": "biz", "score": 1}, as_user=members[0])
    # remove nothing, but a new member has done nothing: refused with every missing item
    response = api.post(base + "/sign", as_user=members[1], status=422)
    details = response.json["error"]["details"]
    assert {d["rule"] for d in details} == {"evaluation.incomplete"}
    assert len(details) == 4 + 3 * 2  # a vote on each of 4 bids, 2 scores on each of the 3 not above the ceiling
    api.post(base + "/sign", as_user=members[0])
    locked = api.put(base + "/scores", {"bid_id": bids["bidder1"], "criterion": "tech", "score": 1},
                     as_user=members[0], status=409)
    assert locked.json["error"]["code"] == "evaluation.signed"


def test_finalising_before_all_signed_is_409(api, scoring):
    _parties, project, _bids, _members = scoring
    base = lot_path(project) + "/evaluation"
    api.post(base, as_user="officer1", status=201)
    response = api.post(base + "/finalize", as_user="officer1", status=409)
    assert response.json["error"]["code"] == "evaluation.unsigned"


def finalized_lowest_price(api, script, prices=("950000.00", "900000.00", "980000.00")):
    _parties, project, bids = opened_project(api, script, tendering_body, list(prices))
    members = committee(api, script, project)
    base = lot_path(project) + "/evaluation"
    api.post(base, as_user="officer1", status=201)
    for member in members:
        for bid_id in bids.values():
            vote_and_score(api, project, member, bid_id, tech=None)
        api.post(base + "/sign", as_user=member)
    ranking = api.post(base + "/finalize", as_user="officer1").json["ranking"]
    return project, bids, members, ranking


def test_publicity_objection_award_contract(api, script, dbsession):
    project, bids, _members, ranking = finalized_lowest_price(api, script)
    assert [e["bid_id"] for e in ranking if e["rank"]] == [bids["bidder2"], bids["bidder1"], bids["bidder3"]]
    path = lot_path(project)
    api.get(path + "/publicity", status=404)
    publicity = api.post(path + "/publicity", as_user="officer1", status=201).json
    assert [c["rank"] for c in publicity["candidates"]] == [1, 2, 3]
    # tendering publicity: 3 days, i.e. 72 hours
    assert publicity["starts_at"] == "2026-12-21T09:30:00+08:00" and publicity["ends_at"] == "2026-12-24T09:30:00+08:00"
    objection = api.post(path + "/objections", {"text": "第一名业绩造假"}, as_user="bidder1", status=201).json
    early = api.post(path + "/award", {"bid_id": bids["bidder2"]}, as_user="officer1", status=409)
    assert early.json["error"]["code"] == "award.publicity_not_ended"
    set_clock(api, at(24, 9, 30))
    api.post(path + "/objections", {"text": "太晚"}, as_user="bidder3", status=409)
    pending = api.post(path + "/award", {"bid_id": bids["bidder2"]}, as_user="officer1", status=409)
    assert pending.json["error"]["code"] == "award.objection_pending"
    api.post(f"objections/{objection['id']}/answer", {"text": "经核查，业绩真实。"}, as_user="officer1")
    no_reason = api.post(path + "/award", {"bid_id": bids["bidder1"]}, as_user="officer1", status=422)
    assert no_reason.json["error"]["details"][0]["rule"] == "award.reason_required"
    award = api.post(path + "/award", {"bid_id": bids["bidder2"]}, as_user="officer1", status=201).json
    assert award["winner_name"] == "投标公司2" and award["amount"] == "900000.00"
    canonical = json.dumps({k: award[k] for k in ("notice_code", "winner_name", "amount", "awarded_at")}
                           | {"project_code": project["code"], "lot_id": project["lots"][0]["id"]},
                           sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert hashlib.sha256(canonical.encode("utf-8")).hexdigest() == award["notice_hash"]
    assert api.get(path + "/award").json == award
    verified = api.get(f"verify/{award['notice_code']}").json
    assert verified["notice_hash"] == award["notice_hash"] and verified["project_code"] == project["code"]
    api.get("verify/NOPE-0000", status=404)
    page = api.app.get(f"/verify/{award['notice_code']}")
    assert award["winner_name"] in page.text
    pdf = api.get(path + "/award/notice.pdf", as_user="bidder2")
    text = pdftotext(pdf.body)
    for needle in (project["code"], "投标公司2", "900000.00", award["notice_hash"][:16]):
        assert needle in text.replace("\n", "")
    api.get(path + "/award/notice.pdf", as_user="bidder1", status=403)
    contract = api.post(path + "/contract", {"signed_at": iso(at(28, 10)), "amount": "900000.00"},
                        as_user="officer1", status=201).json
    assert contract["lot_status"] == "contracted"
    assert api.get(f"projects/{project['id']}").json["status"] == "contracted"


def test_award_to_rank_two_with_a_reason(api, script):
    project, bids, _members, _ranking = finalized_lowest_price(api, script)
    path = lot_path(project)
    api.post(path + "/publicity", as_user="officer1", status=201)
    set_clock(api, at(24, 9, 30))
    award = api.post(path + "/award", {"bid_id": bids["bidder1"], "reason": "第一名放弃中标"}, as_user="officer1",
                     status=201).json
    assert award["rank"] == 2


def test_contract_late_is_recorded_by_the_clock(api, script, clock):
    project, bids, _members, _ranking = finalized_lowest_price(api, script)
    path = lot_path(project)
    api.post(path + "/publicity", as_user="officer1", status=201)
    set_clock(api, at(24, 9, 30))
    api.post(path + "/award", {"bid_id": bids["bidder2"]}, as_user="officer1", status=201)
    clock.set(at(22, 9, 30, month=1, year=2027))
    for user in ("admin1", "inspector1"):  # the tokens of December have expired by now
        api.login(user, PASSWORD)
    # awarded on 24 December: within 30 days means up to 23 January, late from the 24th
    def contract_due(transitions):
        return [t["outcome"] for t in transitions if t["name"] == "award.contract_due"]

    assert contract_due(set_clock(api, at(23, 23, 59, month=1, year=2027))["transitions"]) == []
    assert contract_due(set_clock(api, at(24, 0, 0, month=1, year=2027))["transitions"]) == ["contract late"]
    events = api.get(f"audit?action=contract.late&project_id={project['id']}", as_user="inspector1").json["items"]
    assert len(events) == 1


def test_evaluation_report_pdf(api, script):
    project, _bids, members, _ranking = finalized_lowest_price(api, script)
    pdf = api.get(lot_path(project) + "/evaluation/report.pdf", as_user="inspector1")
    text = pdftotext(pdf.body)
    assert project["code"] in text and "投标公司2" in text


def pdftotext(data):
    return subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout.decode("utf-8")


def test_negotiation_ranks_by_final_quotes(api, script):
    body_over = {"method": "procurement.competitive_negotiation",
                 "timeline": {"docs_from": iso(at(1)), "docs_until": iso(at(3, 17)), "bid_deadline": iso(at(21, 9, 30))},
                 "params": {"category": "goods", "evaluation": "lowest_price"}}
    _parties, project, bids = opened_project(api, script, procurement_body,
                                             ["950000.00", "900000.00", "980000.00"], **body_over)
    path = lot_path(project)
    api.post(path + "/final-quotes/round", {"until": iso(at(21, 15))}, as_user="officer1", status=201)
    api.post(path + "/final-quotes", {"price": "870000.00"}, as_user="bidder3", status=201)
    api.post(path + "/final-quotes", {"price": "860000.00"}, as_user="bidder3", status=409)
    set_clock(api, at(21, 15))
    late = api.post(path + "/final-quotes", {"price": "850000.00"}, as_user="bidder1", status=409)
    assert late.json["error"]["code"] == "final_quote.closed"
    members = committee(api, script, project, size=3, specialty="B0101")
    base = path + "/evaluation"
    api.post(base, as_user="officer1", status=201)
    for member in members:
        for bid_id in bids.values():
            vote_and_score(api, project, member, bid_id, tech=None)
        api.post(base + "/sign", as_user=member)
    ranking = api.post(base + "/finalize", as_user="officer1").json["ranking"]
    first = ranking[0]
    assert (first["bid_id"], first["price"], first["rank"]) == (bids["bidder3"], "870000.00", 1)


def test_conduct_records_follow_the_evaluation(api, script):
    project, _bids, members, _ranking = finalized_lowest_price(api, script)
    evaluation = api.get(lot_path(project) + "/evaluation", as_user="officer1").json
    expert_id = evaluation["members"][0]["expert_id"]
    records = api.get(f"experts/{expert_id}/records", as_user="inspector1").json["items"]
    assert "evaluated" in {r["kind"] for r in records}
    path = lot_path(project) + "/expert-records"
    api.post(path, {"expert_id": expert_id, "rating": 6, "note": "x"}, as_user="officer1", status=400)
    api.post(path, {"expert_id": expert_id, "rating": "5"}, as_user="officer1", status=400)
    api.post(path, {"expert_id": expert_id, "rating": 5, "note": "认真负责"}, as_user="officer1", status=201)
    api.post(path, {"expert_id": expert_id, "rating": 4}, as_user="officer1", status=409)
    rating = [r for r in api.get(f"experts/{expert_id}/records", as_user="admin1").json["items"] if r["kind"] == "rating"]
    assert rating[0]["detail"]["rating"] == 5 and rating[0]["detail"]["note"] == "认真负责"


def test_a_deviating_member_gets_a_score_deviation_record(api, scoring):
    _parties, project, bids, members = scoring
    base = lot_path(project) + "/evaluation"
    api.post(base, as_user="officer1", status=201)
    for index, member in enumerate(members):
        for name in ("bidder1", "bidder2", "bidder3"):
            # the last member gives bidder1 a total of 20 against the others' 60: more than 30% below
            low = index == len(members) - 1 and name == "bidder1"
            vote_and_score(api, project, member, bids[name], tech=10 if low else 45, biz=10 if low else 15)
        vote_and_score(api, project, member, bids["bidder4"], tech=None)
        api.post(base + "/sign", as_user=member)
    api.post(base + "/finalize", as_user="officer1")
    evaluation = api.get(base, as_user="officer1").json
    last = evaluation["members"][-1]["expert_id"]
    records = api.get(f"experts/{last}/records", as_user="inspector1").json["items"]
    deviation = [r for r in records if r["kind"] == "score_deviation"]
    assert len(deviation) == 1 and deviation[0]["detail"]["bid_id"] == bids["bidder1"]
    assert deviation[0]["detail"]["total"] == "20.00" and deviation[0]["detail"]["others_mean"] == "60.00"
    first = evaluation["members"][0]["expert_id"]
    assert not [r for r in api.get(f"experts/{first}/records", as_user="inspector1").json["items"]
                if r["kind"] == "score_deviation"]


@pytest.mark.parametrize("method, start, end", [
    # procurement: one working day, at the same time of day; Friday 25 December → Monday 28 December
    ("procurement.open", at(25, 16), at(28, 16)),
    ("procurement.open", at(23, 16), at(24, 16)),
    # tendering: three days of 24 hours, weekends included
    ("tendering.open", at(25, 16), at(28, 16)),
    ("tendering.open", at(23, 16), at(26, 16)),
])
def test_publicity_period_of_the_method(script, method, start, end):
    from types import SimpleNamespace

    from trading.services.award import publicity_end

    with script() as request:
        assert publicity_end(request, SimpleNamespace(method=method), start) == end
