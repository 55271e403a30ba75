"""Projects: create, edit drafts, publish, amend, terminate, list and the public view (API.md "Projects")."""
from urllib.parse import quote

import pytest

from .sealed import at, create_and_publish, iso, set_clock, tendering_body


def test_create_gives_a_draft_with_a_readable_code(api, parties):
    body = api.post("projects", tendering_body(parties), as_user="officer1", status=201).json
    assert body["status"] == "draft" and body["method"] == "tendering.open"
    assert body["code"] == "LY-GC-2026-0001"
    assert body["lots"][0]["number"] == 1 and body["lots"][0]["budget"] == "1000000.00"
    assert body["timeline"]["bid_deadline"] == "2026-12-21T09:30:00+08:00"
    second = api.post("projects", tendering_body(parties), as_user="officer1", status=201).json
    assert second["code"] == "LY-GC-2026-0002"


@pytest.mark.parametrize("change, field", [
    ({"method": "tendering.sealed_bid"}, "method"),
    ({"params": {"evaluation": "guess"}}, "params.evaluation"),
    ({"timeline": {"docs_from": "2026-12-01T09:00:00+08:00", "docs_until": "2026-12-08T17:00:00+08:00"}},
     "timeline.bid_deadline"),
    ({"timeline": {"docs_from": "soon", "docs_until": "2026-12-08T17:00:00+08:00",
                   "bid_deadline": "2026-12-21T09:30:00+08:00"}}, "timeline.docs_from"),
    ({"lots": [{"title": "一标段", "budget": 1000000}]}, "lots[0].budget"),
    ({"owner_org_id": "nope"}, "owner_org_id"),
])
def test_create_names_each_bad_field(api, parties, change, field):
    response = api.post("projects", tendering_body(parties, **change), as_user="officer1", status=400)
    assert field in [d["field"] for d in response.json["error"]["details"]]


@pytest.mark.parametrize("role", ["bidder1", "inspector1", "admin1"])
def test_only_officers_create_projects(api, parties, role):
    api.post("projects", tendering_body(parties), as_user=role, status=403)


def test_draft_is_hidden_from_the_public_and_editable(api, parties):
    project = api.post("projects", tendering_body(parties), as_user="officer1", status=201).json
    api.get(f"projects/{project['id']}", status=404)
    api.get(f"projects/{project['id']}", as_user="bidder1", status=404)
    assert api.get(f"projects/{project['id']}", as_user="inspector1").json["status"] == "draft"
    edited = api.patch(f"projects/{project['id']}", {"title": "新标题"}, as_user="officer1").json
    assert edited["title"] == "新标题"
    assert project["id"] not in [p["id"] for p in api.get("projects").json["items"]]
    assert project["id"] in [p["id"] for p in api.get("projects", as_user="officer1").json["items"]]


def test_published_project_cannot_be_edited(api, parties):
    project = create_and_publish(api, tendering_body(parties))
    response = api.patch(f"projects/{project['id']}", {"title": "x"}, as_user="officer1", status=409)
    assert response.json["error"]["code"] == "project.not_draft"


def test_publish_lists_every_broken_rule_in_the_request_language(api, parties):
    body = tendering_body(parties, timeline={"docs_from": iso(at(1)), "docs_until": iso(at(4)),
                                             "bid_deadline": iso(at(15))},
                          lots=[{"title": "一标段", "budget": "1000000.00", "deposit": "30000.00"}])
    project = api.post("projects", body, as_user="officer1", status=201).json
    response = api.post(f"projects/{project['id']}/publish", as_user="officer1", status=422, lang="zh-CN")
    error = response.json["error"]
    assert error["code"] == "rules.violated"
    rules = {d["rule"] for d in error["details"]}
    assert {"timeline.bid_period_short", "timeline.docs_period_short", "deposit.too_high"} <= rules
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in d["message"]) for d in error["details"])
    assert api.get(f"projects/{project['id']}", as_user="officer1").json["status"] == "draft"


def test_publish_warns_about_a_deadline_on_a_non_working_day(api, parties):
    body = tendering_body(parties, timeline={"docs_from": iso(at(1)), "docs_until": iso(at(8, 17)),
                                             "bid_deadline": iso(at(26, 9, 30))})  # a Saturday
    project = api.post("projects", body, as_user="officer1", status=201).json
    published = api.post(f"projects/{project['id']}/publish", as_user="officer1").json
    assert published["status"] == "announced"
    assert "timeline.non_working_day" in [w["rule"] for w in published["warnings"]]


def test_public_view_hides_the_reserve_price_and_invitees(api, parties, script):
    body = tendering_body(parties, method="tendering.invited",
                          params={"evaluation": "lowest_price", "invitees": [b[1] for b in parties.bidders]})
    project = create_and_publish(api, body)
    public = api.get(f"projects/{project['id']}").json
    assert "invitees" not in public["params"]
    assert "invitees" in api.get(f"projects/{project['id']}", as_user="officer1").json["params"]


def test_invited_tendering_refuses_other_organisations(api, parties, script):
    from trading.demo import full_uscc
    from trading.services import accounts

    from ..conftest import PASSWORD

    with script() as request:
        org = accounts.create_organization(request, name="未受邀公司", uscc=full_uscc("91330100MA2C99999"), kind="bidder")
        accounts.create_user(request, username="outsider", password=PASSWORD, role="bidder", org_id=org.id)
    api.login("outsider", PASSWORD)
    body = tendering_body(parties, method="tendering.invited",
                          params={"evaluation": "lowest_price", "invitees": [b[1] for b in parties.bidders]})
    project = create_and_publish(api, body)
    lot_ids = [project["lots"][0]["id"]]
    refused = api.post(f"projects/{project['id']}/registrations", {"lot_ids": lot_ids}, as_user="outsider", status=403)
    assert refused.json["error"]["code"] == "registration.not_invited"
    api.post(f"projects/{project['id']}/registrations", {"lot_ids": lot_ids}, as_user="bidder1", status=201)


def test_registration_closes_at_the_bid_deadline(api, parties):
    project = create_and_publish(api, tendering_body(parties))
    set_clock(api, at(21, 9, 30))
    response = api.post(f"projects/{project['id']}/registrations", {"lot_ids": [project["lots"][0]["id"]]},
                        as_user="bidder1", status=409)
    assert response.json["error"]["code"] == "registration.closed"


def test_amendment_less_than_15_days_before_the_deadline_must_move_it(api, parties):
    project = create_and_publish(api, tendering_body(parties))
    set_clock(api, at(7))  # 14 days before the deadline of the 21st
    response = api.post(f"projects/{project['id']}/amendments",
                        {"text": "修改技术参数", "timeline": {"bid_deadline": iso(at(21, 9, 30))}},
                        as_user="officer1", status=422)
    assert "timeline.amendment_too_late" in [d["rule"] for d in response.json["error"]["details"]]
    moved = api.post(f"projects/{project['id']}/amendments",
                     {"text": "修改技术参数并顺延截止时间", "timeline": {"bid_deadline": iso(at(22, 9, 30))}},
                     as_user="officer1", status=201).json
    assert moved["timeline"]["bid_deadline"] == "2026-12-22T09:30:00+08:00"
    assert moved["amendments"][0]["text"] == "修改技术参数并顺延截止时间"
    # the opening follows the new deadline
    assert set_clock(api, at(21, 9, 30))["transitions"] == []
    assert [t["name"] for t in set_clock(api, at(22, 9, 30))["transitions"]] == ["sealed.opening"]


def test_amendment_15_days_before_needs_no_move(api, parties):
    project = create_and_publish(api, tendering_body(parties))
    set_clock(api, at(6))
    api.post(f"projects/{project['id']}/amendments", {"text": "补充说明"}, as_user="officer1", status=201)


def test_terminate_cancels_the_opening(api, parties):
    project = create_and_publish(api, tendering_body(parties))
    terminated = api.post(f"projects/{project['id']}/terminate", {"reason": "项目取消"}, as_user="officer1").json
    assert terminated["status"] == "terminated" and terminated["termination_reason"] == "项目取消"
    assert set_clock(api, at(21, 9, 30))["transitions"] == []
    again = api.post(f"projects/{project['id']}/terminate", {"reason": "x"}, as_user="officer1", status=409)
    assert again.json["error"]["code"] == "project.not_terminable"


def test_list_filters_and_searches(api, parties):
    first = create_and_publish(api, tendering_body(parties, title="城东污水厂"))
    create_and_publish(api, tendering_body(parties, title="城西道路改造"))
    assert [p["id"] for p in api.get("projects?q=" + quote("污水")).json["items"]] == [first["id"]]
    assert [p["id"] for p in api.get(f"projects?q={first['code']}").json["items"]] == [first["id"]]
    assert len(api.get("projects?sector=tendering&status=announced").json["items"]) == 2
    assert api.get("projects?sector=land").json["items"] == []
    api.get("projects?sector=moon", status=400)


def test_list_pages_with_a_cursor(api, parties):
    ids = [create_and_publish(api, tendering_body(parties, title=f"项目{i}"))["id"] for i in range(5)]
    seen, cursor = [], None
    while True:
        page = api.get("projects?limit=2" + (f"&cursor={cursor}" if cursor else "")).json
        seen += [p["id"] for p in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(ids) and len(seen) == 5
    api.get("projects?cursor=garbage", status=400)
    api.get("projects?limit=501", status=400)


def test_the_list_reads_a_page_in_a_fixed_number_of_queries(api, parties, engine):
    from sqlalchemy import event

    for index in range(6):
        create_and_publish(api, tendering_body(parties, title=f"项目{index}"))
    statements = []

    def count(*_args):
        statements.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        api.get("projects?limit=3")
        three = len(statements)
        statements.clear()
        api.get("projects?limit=6")
        six = len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert six == three  # no query per project
