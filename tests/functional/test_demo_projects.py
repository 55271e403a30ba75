"""The living demo (`ggzy demo`): a project at every stage and of every method, its alerts, one verifying chain."""
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from trading import audit, demo
from trading.models import Award, AuditEvent, Project
from trading.services.projects import timeline_of
from trading.timeutil import parse_instant

pytestmark = pytest.mark.slow

METHODS = ("tendering.open", "tendering.invited", "procurement.open", "procurement.competitive_negotiation",
           "procurement.competitive_consultation", "procurement.inquiry", "procurement.single_source",
           "land.listing", "land.auction", "equity.transfer")


@pytest.fixture
def loaded(script, dbsession):
    with script() as request:
        demo.load(request)
    return dbsession.execute(select(Project)).scalars().all()


def _count(dbsession, column):
    return dbsession.execute(select(func.count(column))).scalar()


def test_demo_has_a_project_at_every_stage_and_of_every_method(loaded, clock):
    statuses = Counter(project.status for project in loaded)
    for status in ("draft", "announced", "evaluating", "publicity", "awarded", "contracted", "failed", "auction"):
        assert statuses[status] >= 1, (status, statuses)
    assert {project.method for project in loaded} >= set(METHODS)
    now = clock.now()
    deadlines = [timeline_of(p)["bid_deadline"] - now for p in loaded if p.status == "announced" and p.kind == "sealed"]
    # bids that open minutes after `make run`, and a tender whose deadline is some ten days away
    assert any(timedelta(0) < left <= timedelta(minutes=15) for left in deadlines), deadlines
    assert any(timedelta(days=7) <= left <= timedelta(days=20) for left in deadlines), deadlines


def test_the_demo_land_auction_is_live_for_at_least_half_an_hour(loaded, api, clock):
    project = next(p for p in loaded if p.method == "land.auction")
    state = api.get(f"projects/{project.id}/lots/{project.lots[0].id}/auction").json
    assert state["phase"] == "live" and state["bids"] >= 3
    assert state["countdown_seconds"] <= 3600
    assert parse_instant(state["ends_at"]) - clock.now() >= timedelta(minutes=30)


def test_demo_raises_the_alerts_an_inspector_looks_at_on_a_chain_that_verifies(loaded, dbsession, connection):
    from monitoring.models import Alert

    rules = Counter(dbsession.execute(select(Alert.rule)).scalars())
    for rule in ("collusion.same_ip", "collusion.shared_contact", "auction.single_bidder"):
        assert rules[rule] >= 1, rules
    result = audit.verify(connection)
    assert result.ok, dict(result)


def test_the_demo_expert_has_an_evaluation_to_score(loaded, api):
    api.login("expert", demo.DEMO_PASSWORD)
    invitations = api.get("me/invitations", as_user="expert").json["items"]
    project = next(p for p in loaded if p.status == "evaluating")
    assert project.id in {i["project_id"] for i in invitations if i["status"] == "accepted"}
    sheet = api.get(f"projects/{project.id}/lots/{project.lots[0].id}/evaluation", as_user="expert").json
    assert sheet["status"] == "scoring" and sheet["me"]["signed_at"] is None and sheet["me"]["missing"]
    assert sum(1 for member in sheet["members"] if member["signed_at"]) == len(sheet["members"]) - 1


def test_award_notices_of_the_demo_verify(loaded, api, dbsession):
    awards = dbsession.execute(select(Award)).scalars().all()
    assert len(awards) >= 3
    for award in awards:
        assert api.get(f"verify/{award.notice_code}").json["notice_hash"] == award.notice_hash


def test_loading_the_demo_again_adds_nothing(loaded, script, dbsession):
    events, projects = _count(dbsession, AuditEvent.seq), len(loaded)
    with script() as request:
        logins = demo.load(request)
    assert _count(dbsession, AuditEvent.seq) == events
    assert _count(dbsession, Project.id) == projects
    assert {username for _role, username, _password in logins} >= {f"bidder{n}" for n in range(2, 9)}
