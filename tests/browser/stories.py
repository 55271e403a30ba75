"""The off-screen parts of the journeys, through the JSON API: projects, other bidders' bids, the bank, the clock."""
import hashlib
import hmac
import json
from datetime import datetime, time, timedelta

from sqlalchemy import select

from trading.demo import ORGANIZATIONS, full_uscc
from trading.i18n import LOCAL_TZ
from trading.models import Organization, User

from .live import BANK_SECRET, PASSWORD

UNLOCK = "browser-unlock-2026"
TENDER_TEXT = "第一章 招标公告\n第二章 投标人须知\n第三章 评标办法\n"
# the demo bidders who bid off screen, each from its own office address (no collusion alert between them)
OTHER_BIDDERS = (("bidder3", "183.129.172.45"), ("bidder4", "122.224.96.130"), ("bidder5", "218.108.52.9"))


def org_id(server, key):
    """A demo organisation's id by its key in trading.demo.ORGANIZATIONS."""
    body = next(row[2] for row in ORGANIZATIONS if row[0] == key)
    with server.script() as request:
        return request.dbsession.execute(
            select(Organization.id).where(Organization.uscc == full_uscc(body))).scalar_one()


def local(day, hour, minute=0):
    return datetime.combine(day, time(hour, minute), tzinfo=LOCAL_TZ)


def sealed_timeline(now, bid_days=21):
    """Documents from the next whole minute for six days; bids until 09:30 three weeks on (RULES.md minimums)."""
    docs_from = (now.astimezone(LOCAL_TZ) + timedelta(minutes=1)).replace(second=0, microsecond=0)
    day = docs_from.date()
    return {"docs_from": docs_from.isoformat(), "docs_until": local(day + timedelta(days=6), 17).isoformat(),
            "bid_deadline": local(day + timedelta(days=bid_days), 9, 30).isoformat()}


SCORING = {"evaluation": "scoring", "price_formula": "lowest",
           "criteria": [{"code": "technical", "name": "施工组织设计", "max": 30, "kind": "technical"},
                        {"code": "business", "name": "企业业绩与信誉", "max": 10, "kind": "business"},
                        {"code": "price", "name": "投标报价", "max": 60, "kind": "price"}]}


def published_tender(server, title, deposit="20000.00", budget="3000000.00", params=None):
    """An open tender with one lot and its tender document, announced now by the demo officer."""
    api = server.api
    server.login("officer")
    now = server.now()
    body = {"method": "tendering.open", "title": title, "owner_org_id": org_id(server, "owner_edu"),
            "agent_org_id": org_id(server, "agent"),
            "lots": [{"title": "一标段 施工", "budget": budget, "deposit": deposit}],
            "timeline": sealed_timeline(now), "params": params or {"evaluation": "lowest_price", "decrypt_minutes": 30}}
    project = api.post("projects", body, as_user="officer", status=201).json
    api.post(f"projects/{project['id']}/publish", as_user="officer", status=200)
    upload_tender(server, project["id"])
    server.set_clock(datetime.fromisoformat(body["timeline"]["docs_from"]))  # the documents are on offer
    return api.get(f"projects/{project['id']}", as_user="officer").json


def upload_tender(server, project_id, name="招标文件.txt", text=TENDER_TEXT):
    server.api.app.post(f"/api/v1/projects/{project_id}/documents", params=[("kind", "tender")],
                        upload_files=[("file", name, text.encode("utf-8"))],
                        headers=server.api.headers("officer"), status=201)


def bank_pays(server, deposit_account, amount, reference, payer):
    """The bank's signed deposit notice (API.md "Registration and deposits")."""
    raw = json.dumps({"deposit_account": deposit_account, "amount": amount, "reference": reference,
                      "paid_at": server.now().astimezone(LOCAL_TZ).isoformat(), "payer_account": payer}).encode()
    signature = hmac.new(BANK_SECRET.encode(), raw, hashlib.sha256).hexdigest()
    server.api.app.post("/api/v1/deposits/notify", raw, status=200,
                        headers={"Content-Type": "application/json", "X-Signature": signature})


def sealed_bid(server, project, username, price, address, secret=UNLOCK):
    """A demo bidder registers, pays its deposit and seals a bid, from its own address; returns the bid id."""
    api = server.api
    server.login(username)
    environ = {"REMOTE_ADDR": address}
    lot = project["lots"][0]
    registration = api.app.post_json(f"/api/v1/projects/{project['id']}/registrations", {"lot_ids": [lot["id"]]},
                                     headers=api.headers(username), extra_environ=environ, status=201).json
    if registration["status"] == "pending_deposit":
        bank_pays(server, registration["deposit_account"], lot["deposit"], f"ref-{username}-{project['id']}",
                  payer=f"6222{int(hashlib.sha256(username.encode()).hexdigest(), 16) % 10**12:012d}")
    bid = api.app.post(f"/api/v1/projects/{project['id']}/lots/{lot['id']}/bids",
                       params=[("offer", json.dumps({"price": price})), ("unlock_secret", secret)],
                       upload_files=[("files", "投标文件.txt", f"{username} 投标文件 {price}".encode())],
                       headers=api.headers(username), extra_environ=environ, status=201).json
    return bid["id"]


def decrypt(server, username, bid_id, address, secret=UNLOCK):
    server.api.app.post_json(f"/api/v1/bids/{bid_id}/decrypt", {"unlock_secret": secret},
                             headers=server.api.headers(username), extra_environ={"REMOTE_ADDR": address},
                             status=200)


def deadline_of(project):
    return datetime.fromisoformat(project["timeline"]["bid_deadline"])


def opened_tender(server, title, prices=("2860000.00", "2795000.00", "2812000.00"), params=None):
    """A tender past its opening: three demo bidders bid, the clock opens, they decrypt, the officer closes."""
    project = published_tender(server, title, params=params)
    bids = [(user, address, sealed_bid(server, project, user, price, address))
            for (user, address), price in zip(OTHER_BIDDERS, prices)]
    server.set_clock(deadline_of(project))
    for user, address, bid_id in bids:
        decrypt(server, user, bid_id, address)
    server.api.post(f"projects/{project['id']}/opening/close", as_user="officer", status=200)
    return project


def drawn_committee(server, project, specialty="A0101", size=5):
    """A draw for the first lot, run: the members' logins (made by the administrator, as the demo does)."""
    from trading.services import accounts

    api = server.api
    lot_id = project["lots"][0]["id"]
    evaluation_at = deadline_of(project) + timedelta(days=1)
    draw = api.post(f"projects/{project['id']}/expert-draws",
                    {"lot_id": lot_id, "requirements": [{"specialty": specialty, "count": size}],
                     "owner_representatives": 0, "alternates": 0, "evaluation_at": evaluation_at.isoformat()},
                    as_user="officer", status=201).json
    api.post(f"expert-draws/{draw['id']}/run", as_user="officer", status=200)
    server.login("admin")
    members = api.get(f"expert-draws/{draw['id']}", as_user="admin").json["members"]
    usernames = []
    with server.script() as request:
        for member in members:
            user = request.dbsession.execute(
                select(User).where(User.expert_id == member["expert_id"])).scalar_one_or_none()
            if user is None:
                user = accounts.create_user(request, username="x" + member["expert_id"][:11], password=PASSWORD,
                                            role="expert", expert_id=member["expert_id"],
                                            display_name=f"评标专家 {member['name']}")
            usernames.append((user.username, member["name"]))
    return usernames


def accept_invitation(server, username):
    api = server.api
    server.login(username)
    pending = [i for i in api.get("me/invitations", as_user=username).json["items"] if i["status"] == "pending"]
    api.post(f"invitations/{pending[0]['id']}/accept", as_user=username, status=200)
