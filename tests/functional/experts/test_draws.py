"""The verifiable draw: composition, eligibility with every exclusion, the published algorithm, invitations."""
import hashlib
import json

import pytest

from ...conftest import PASSWORD
from ..sealed import at, iso, procurement_body, set_clock
from .helpers import add_experts, draw_body, expert_body, project_past_deadline


def sha(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def recompute(record):
    """API.md's algorithm, written from its text: commitment, eligible hash, seed, then the order by sha256(seed ‖ id)."""
    assert sha(record["nonce"]) == record["commitment"]
    eligible_json = json.dumps(record["eligible"], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert sha(eligible_json) == record["eligible_hash"]
    seed = sha(record["nonce"] + record["eligible_hash"] + record["head"])
    assert seed == record["seed"]
    placed, result = set(), []
    for requirement in record["requirements"]:
        pool = [e for e in record["eligible"][requirement["specialty"]] if e not in placed]
        pool.sort(key=lambda e: sha(seed + e))
        members = pool[:requirement["count"]]
        spare = pool[requirement["count"]:requirement["count"] + record["alternates_per_requirement"]]
        placed.update(members + spare)
        result.append((members, spare))
    return result


@pytest.fixture
def setup(api, script):
    return project_past_deadline(api, script)


def create_draw(api, project, body=None, status=201):
    return api.post(f"projects/{project['id']}/expert-draws", body or draw_body(), as_user="officer1", status=status)


def test_draw_before_the_bid_deadline_is_409(api, script):
    from ..sealed import Parties, create_and_publish, tendering_body

    parties = Parties(api, script)
    project = create_and_publish(api, tendering_body(parties))
    response = create_draw(api, project, status=409)
    assert response.json["error"]["code"] == "draw.too_early"


@pytest.mark.parametrize("requirements, owners, ok", [
    ((("A0101", 5),), 0, True),
    ((("A0101", 4),), 0, False),  # too few
    ((("A0101", 6),), 0, False),  # even
    ((("A0101", 4),), 1, True),  # 4 drawn of 5: at least two thirds
    ((("A0101", 3),), 2, False),  # 3 drawn of 5: under two thirds
    ((("A0101", 3), ("A0104", 2)), 0, True),
])
def test_tendering_composition(api, setup, requirements, owners, ok):
    _parties, project = setup
    response = create_draw(api, project, draw_body(requirements, owner_representatives=owners), status=201 if ok else 422)
    if not ok:
        assert {d["rule"] for d in response.json["error"]["details"]} == {"draw.composition"}
    else:
        assert response.json["status"] == "committed" and len(response.json["commitment"]) == 64


def test_procurement_lot_of_ten_million_needs_seven(api, script):
    lots = [{"title": "包1", "budget": "10000000.00", "deposit": "100000.00"}]
    _parties, project = project_past_deadline(api, script, body_of=procurement_body, lots=lots)
    lot_id = project["lots"][0]["id"]
    create_draw(api, project, draw_body((("B0101", 5),), lot_id=lot_id), status=422)
    create_draw(api, project, draw_body((("B0101", 7),), lot_id=lot_id), status=201)


def test_run_is_recomputable_from_the_published_record(api, setup):
    _parties, project = setup
    add_experts(api, 12, specialties=["A0101"])
    add_experts(api, 6, start=100, specialties=["A0104", "A0101"])
    draw = create_draw(api, project, draw_body((("A0101", 3), ("A0104", 2)), alternates=2)).json
    run = api.post(f"expert-draws/{draw['id']}/run", as_user="officer1").json
    assert run["status"] == "drawn" and run["invited"] == 5
    record = api.get(f"expert-draws/{draw['id']}", as_user="inspector1").json
    expected = recompute(record)
    members = [m["expert_id"] for m in record["members"]]
    alternates = [a["expert_id"] for a in record["alternates"]]
    assert members == expected[0][0] + expected[1][0]
    assert alternates == expected[0][1] + expected[1][1]
    assert api.get(f"expert-draws/{draw['id']}/verify", as_user="inspector1").json == {"ok": True}
    # the head is the chain's hash just before the run's own event
    events = api.get("audit?action=draw.run", as_user="inspector1").json["items"]
    assert events[-1]["prev_hash"] == record["head"]


def test_officer_sees_counts_but_not_names(api, setup):
    _parties, project = setup
    add_experts(api, 8)
    draw = create_draw(api, project).json
    api.post(f"expert-draws/{draw['id']}/run", as_user="officer1")
    officer = api.get(f"expert-draws/{draw['id']}", as_user="officer1").json
    assert officer["counts"] == {"required": 5, "invited": 5, "accepted": 0, "declined": 0, "expired": 0, "pending": 5}
    assert "members" not in officer and "eligible" not in officer and "exclusions" not in officer
    assert "members" in api.get(f"expert-draws/{draw['id']}", as_user="admin1").json
    api.get(f"expert-draws/{draw['id']}", as_user="bidder1", status=403)
    api.get(f"expert-draws/{draw['id']}/verify", as_user="officer1", status=403)


def test_nonce_is_secret_until_the_run(api, setup):
    _parties, project = setup
    draw = create_draw(api, project).json
    before = api.get(f"expert-draws/{draw['id']}", as_user="inspector1").json
    assert "nonce" not in before and before["commitment"] == draw["commitment"]


def test_each_exclusion_reason_is_recorded(api, setup, script):
    parties, project = setup
    owner_uscc = parties.owner.uscc
    agent_uscc = parties.agent.uscc
    bidder_uscc = api.get(f"organizations/{parties.bidders[0][1]}", as_user="officer1").json["uscc"]
    plain = add_experts(api, 5, start=1)  # eligible
    owner = api.post("experts", expert_body(50, employer_uscc=owner_uscc), as_user="admin1", status=201).json
    agent = api.post("experts", expert_body(51, employer_uscc=agent_uscc), as_user="admin1", status=201).json
    bidder = api.post("experts", expert_body(52, employer_uscc=bidder_uscc), as_user="admin1", status=201).json
    conflicted = api.post("experts", expert_body(53), as_user="admin1", status=201).json
    api.post(f"experts/{conflicted['id']}/conflicts", {"org_uscc": bidder_uscc, "reason": "亲属任职"}, as_user="admin1")
    suspended = api.post("experts", expert_body(54), as_user="admin1", status=201).json
    api.patch(f"experts/{suspended['id']}", {"status": "suspended", "suspended_until": iso(at(24))}, as_user="admin1")
    back_in_time = api.post("experts", expert_body(55), as_user="admin1", status=201).json
    api.patch(f"experts/{back_in_time['id']}", {"status": "suspended", "suspended_until": iso(at(23, 9))},
              as_user="admin1")
    draw = create_draw(api, project, draw_body(alternates=0)).json
    api.post(f"expert-draws/{draw['id']}/run", as_user="officer1")
    record = api.get(f"expert-draws/{draw['id']}", as_user="inspector1").json
    reasons = {e["expert_id"]: e["reason"] for e in record["exclusions"]}
    assert reasons == {owner["id"]: "employer_owner", agent["id"]: "employer_agent", bidder["id"]: "employer_bidder",
                       conflicted["id"]: "conflict", suspended["id"]: "suspended"}
    # suspended only until the evaluation time: eligible
    assert back_in_time["id"] in record["eligible"]["A0101"]
    assert set(record["eligible"]["A0101"]) == {e["id"] for e in plain} | {back_in_time["id"]}


def test_already_member_and_age_exclusions(api, script):
    lots = [{"title": "包1", "budget": "1000000.00", "deposit": "20000.00"}]
    _parties, project = project_past_deadline(api, script, body_of=procurement_body, lots=lots)
    young = add_experts(api, 7, start=1, specialties=["B0101"])
    old = api.post("experts", expert_body(60, specialties=["B0101"], birth="19561223"), as_user="admin1", status=201).json
    just_young = api.post("experts", expert_body(61, specialties=["B0101"], birth="19561224"), as_user="admin1",
                          status=201).json
    first = create_draw(api, project, draw_body((("B0101", 5),), alternates=0)).json
    api.post(f"expert-draws/{first['id']}/run", as_user="officer1")
    record = api.get(f"expert-draws/{first['id']}", as_user="inspector1").json
    reasons = {e["expert_id"]: e["reason"] for e in record["exclusions"]}
    assert reasons[old["id"]] == "age"  # 70 on 2026-12-23
    assert just_young["id"] not in reasons  # 70 only the next day
    drawn = {m["expert_id"] for m in record["members"]}
    add_experts(api, 5, start=30, specialties=["B0101"])
    second = create_draw(api, project, draw_body((("B0101", 5),), alternates=0)).json
    api.post(f"expert-draws/{second['id']}/run", as_user="officer1")
    again = api.get(f"expert-draws/{second['id']}", as_user="inspector1").json
    assert {e["expert_id"] for e in again["exclusions"] if e["reason"] == "already_member"} == drawn
    assert len(young) == 7


def test_too_few_eligible_experts_is_422(api, setup):
    _parties, project = setup
    add_experts(api, 4)
    draw = create_draw(api, project).json
    response = api.post(f"expert-draws/{draw['id']}/run", as_user="officer1", status=422)
    detail = response.json["error"]["details"][0]
    assert (detail["rule"], detail["specialty"], detail["needed"], detail["eligible"]) == \
        ("draw.insufficient_experts", "A0101", 5, 4)


def login_experts(api, script, record):
    from trading.services import accounts

    names = {}
    with script() as request:
        for person in record["members"] + record["alternates"]:
            username = "e-" + person["expert_id"][:8]
            accounts.create_user(request, username=username, password=PASSWORD, role="expert",
                                 expert_id=person["expert_id"])
            names[person["expert_id"]] = username
    for username in names.values():
        api.login(username, PASSWORD)
    return names


def invitation_of(api, username):
    items = api.get("me/invitations", as_user=username).json["items"]
    return items[0] if items else None


def test_decline_invites_the_next_alternate(api, setup, script):
    _parties, project = setup
    add_experts(api, 8)
    draw = create_draw(api, project, draw_body(alternates=2)).json
    api.post(f"expert-draws/{draw['id']}/run", as_user="officer1")
    record = api.get(f"expert-draws/{draw['id']}", as_user="admin1").json
    users = login_experts(api, script, record)
    first = record["members"][0]["expert_id"]
    invitation = invitation_of(api, users[first])
    assert invitation["status"] == "pending" and invitation["project_id"] == project["id"]
    api.post(f"invitations/{invitation['id']}/decline", {"reason": "出差"}, as_user=users[first])
    next_alternate = record["alternates"][0]["expert_id"]
    assert invitation_of(api, users[next_alternate])["status"] == "pending"
    assert invitation_of(api, users[record["alternates"][1]["expert_id"]]) is None
    again = api.post(f"invitations/{invitation['id']}/accept", as_user=users[first], status=409)
    assert again.json["error"]["code"] == "invitation.closed"
    records = api.get(f"experts/{first}/records", as_user="inspector1").json["items"]
    assert sorted(r["kind"] for r in records) == ["declined", "invited"]


def test_unanswered_invitation_expires_and_the_alternate_is_invited(api, setup, script, clock):
    _parties, project = setup
    add_experts(api, 6)
    draw = create_draw(api, project, draw_body(alternates=1)).json
    api.post(f"expert-draws/{draw['id']}/run", as_user="officer1")
    record = api.get(f"expert-draws/{draw['id']}", as_user="admin1").json
    users = login_experts(api, script, record)
    for member in record["members"][1:]:
        inv = invitation_of(api, users[member["expert_id"]])
        api.post(f"invitations/{inv['id']}/accept", as_user=users[member["expert_id"]])
    late = record["members"][0]["expert_id"]
    set_clock(api, at(21, 10, 29))
    assert invitation_of(api, users[late])["status"] == "pending"
    transitions = set_clock(api, at(21, 10, 30))["transitions"]
    assert [t["outcome"] for t in transitions if t["name"] == "experts.invitation_expiry"] == ["expired"]
    assert invitation_of(api, users[late])["status"] == "expired"
    alternate = record["alternates"][0]["expert_id"]
    inv = invitation_of(api, users[alternate])
    api.post(f"invitations/{inv['id']}/accept", as_user=users[alternate])
    assert api.get(f"expert-draws/{draw['id']}", as_user="officer1").json["status"] == "complete"


def test_exhausted_alternates_report_insufficient_experts(api, setup, script):
    _parties, project = setup
    add_experts(api, 5)
    draw = create_draw(api, project, draw_body(alternates=0)).json
    api.post(f"expert-draws/{draw['id']}/run", as_user="officer1")
    record = api.get(f"expert-draws/{draw['id']}", as_user="admin1").json
    users = login_experts(api, script, record)
    first = record["members"][0]["expert_id"]
    inv = invitation_of(api, users[first])
    api.post(f"invitations/{inv['id']}/decline", as_user=users[first])
    assert api.get(f"expert-draws/{draw['id']}", as_user="officer1").json["status"] == "insufficient"
    events = api.get("audit?action=draw.insufficient", as_user="inspector1").json["items"]
    assert events and events[0]["data"]["rule"] == "draw.insufficient_experts"


def test_invitation_message_goes_to_the_outbox(api, setup, dbsession):
    from sqlalchemy import select

    from trading.models import OutboxMessage

    _parties, project = setup
    experts = add_experts(api, 5)
    draw = create_draw(api, project, draw_body(alternates=0)).json
    api.post(f"expert-draws/{draw['id']}/run", as_user="officer1")
    messages = dbsession.execute(select(OutboxMessage).where(OutboxMessage.channel == "sms")).scalars().all()
    assert sorted(m.recipient for m in messages) == sorted(e["phone"] for e in experts)


def test_same_owner_limit(api, script, registry):
    from ..sealed import Parties, create_and_publish, register_and_pay, submit_bid, tendering_body

    limit = registry.settings["ggzy.expert_max_same_owner"]
    parties = Parties(api, script)
    projects = [create_and_publish(api, tendering_body(parties, title=f"同一招标人项目{i}")) for i in range(limit + 2)]
    for project in projects:
        for username, _org in parties.bidders:
            register_and_pay(api, project, username)
            submit_bid(api, project, username, "900000.00")
    set_clock(api, at(21, 10))
    add_experts(api, 5)
    users = None
    for index, project in enumerate(projects[:-1]):
        if index == limit:
            # members of exactly `limit` committees of this owner are still eligible
            probe = create_draw(api, projects[-1], draw_body(alternates=0)).json
            api.post(f"expert-draws/{probe['id']}/run", as_user="officer1", status=200)
            for person in api.get(f"expert-draws/{probe['id']}", as_user="admin1").json["members"]:
                pending = [i for i in api.get("me/invitations", as_user=users[person["expert_id"]]).json["items"]
                           if i["status"] == "pending"]
                api.post(f"invitations/{pending[0]['id']}/decline", as_user=users[person["expert_id"]])
        draw = create_draw(api, project, draw_body(alternates=0)).json
        api.post(f"expert-draws/{draw['id']}/run", as_user="officer1", status=200)
        record = api.get(f"expert-draws/{draw['id']}", as_user="admin1").json
        users = users or login_experts(api, script, record)
        for member in record["members"]:
            pending = [i for i in api.get("me/invitations", as_user=users[member["expert_id"]]).json["items"]
                       if i["status"] == "pending"]
            api.post(f"invitations/{pending[0]['id']}/accept", as_user=users[member["expert_id"]])
    draw = create_draw(api, projects[-1], draw_body(alternates=0)).json
    response = api.post(f"expert-draws/{draw['id']}/run", as_user="officer1", status=422)
    detail = response.json["error"]["details"][0]
    assert (detail["rule"], detail["eligible"]) == ("draw.insufficient_experts", 0)


def test_draw_record_pdf_for_inspectors(api, setup):
    _parties, project = setup
    add_experts(api, 6)
    draw = create_draw(api, project, draw_body(alternates=1)).json
    api.post(f"expert-draws/{draw['id']}/run", as_user="officer1")
    pdf = api.get(f"expert-draws/{draw['id']}/record.pdf", as_user="inspector1")
    assert pdf.body.startswith(b"%PDF")
    api.get(f"expert-draws/{draw['id']}/record.pdf", as_user="officer1", status=403)
