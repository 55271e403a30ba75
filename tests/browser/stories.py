"""The off-screen parts of the journeys, through the JSON API: projects, other bidders' bids, the bank, the clock."""
import hashlib
import hmac
import json
from datetime import datetime, time, timedelta

from sqlalchemy import select

from trading.demo import ORGANIZATIONS, full_uscc
from trading.i18n import LOCAL_TZ
from trading.models import Organization

from .live import BANK_SECRET

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


def published_tender(server, title, deposit="20000.00", budget="3000000.00"):
    """An open tender with one lot and its tender document, announced now by the demo officer."""
    api = server.api
    server.login("officer")
    now = server.now()
    body = {"method": "tendering.open", "title": title, "owner_org_id": org_id(server, "owner_edu"),
            "agent_org_id": org_id(server, "agent"),
            "lots": [{"title": "一标段 施工", "budget": budget, "deposit": deposit}],
            "timeline": sealed_timeline(now), "params": {"evaluation": "lowest_price", "decrypt_minutes": 30}}
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
