"""Helpers to walk a sealed project through the API: parties, a project, registrations, deposits, bids."""
import hashlib
import hmac
import json
from datetime import datetime
from zoneinfo import ZoneInfo

from trading.demo import full_uscc
from trading.services import accounts

from ..conftest import PASSWORD

CST = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 12, 1, 9, 0, tzinfo=CST)  # the manual clock's start in tests


def at(day, hour=9, minute=0, month=12, year=2026):
    return datetime(year, month, day, hour, minute, tzinfo=CST)


def iso(moment):
    return moment.isoformat()


class Parties:
    """An owner, an agent, an officer and bidder organisations with one user each, all logged in."""

    def __init__(self, api, script, bidders=3):
        self.api = api
        self.bidders = []
        with script() as request:
            self.owner = accounts.create_organization(request, name="市水务局", uscc=full_uscc("11330100002500100"),
                                                      kind="owner")
            self.agent = accounts.create_organization(request, name="诚信招标代理有限公司",
                                                      uscc=full_uscc("91330100MA2A00200"), kind="agent")
            accounts.create_user(request, username="officer1", password=PASSWORD, role="officer")
            accounts.create_user(request, username="inspector1", password=PASSWORD, role="inspector")
            accounts.create_user(request, username="admin1", password=PASSWORD, role="admin")
            for index in range(bidders):
                org = accounts.create_organization(
                    request, name=f"投标公司{index + 1}", uscc=full_uscc(f"91330100MA2B{index:05d}"), kind="bidder",
                    phone=f"0571-8800{index:04d}", email=f"b{index}@example.com", legal_representative=f"法人{index}")
                accounts.create_user(request, username=f"bidder{index + 1}", password=PASSWORD, role="bidder",
                                     org_id=org.id)
                self.bidders.append((f"bidder{index + 1}", org.id))
        for username in ("officer1", "inspector1", "admin1", *[b[0] for b in self.bidders]):
            api.login(username, PASSWORD)


def tendering_body(parties, **over):
    body = {
        "method": "tendering.open",
        "title": "城东污水处理厂扩建工程施工",
        "owner_org_id": parties.owner.id,
        "agent_org_id": parties.agent.id,
        "lots": [{"title": "一标段", "budget": "1000000.00", "deposit": "20000.00"}],
        "timeline": {"docs_from": iso(at(1)), "docs_until": iso(at(8, 17)), "bid_deadline": iso(at(21, 9, 30))},
        "params": {"evaluation": "lowest_price", "decrypt_minutes": 30},
    }
    body.update(over)
    return body


def procurement_body(parties, **over):
    body = {
        "method": "procurement.open",
        "title": "市政务云服务器采购",
        "owner_org_id": parties.owner.id,
        "lots": [{"title": "包1 服务器", "budget": "1000000.00", "deposit": "20000.00"}],
        "timeline": {"docs_from": iso(at(1)), "docs_until": iso(at(8, 17)), "bid_deadline": iso(at(21, 9, 30))},
        "params": {"category": "goods", "evaluation": "lowest_price"},
    }
    body.update(over)
    return body


def create_and_publish(api, body):
    project = api.post("projects", body, as_user="officer1", status=201).json
    published = api.post(f"projects/{project['id']}/publish", as_user="officer1", status=200).json
    assert published["status"] == "announced", published
    return published


def bank_notice(api, secret, account, amount, reference, payer="6222000011112222", paid_at="2026-12-02T10:00:00+08:00",
                status=200):
    raw = json.dumps({"deposit_account": account, "amount": amount, "paid_at": paid_at, "reference": reference,
                      "payer_account": payer}).encode("utf-8")
    signature = hmac.new(secret.encode("utf-8"), raw, hashlib.sha256).hexdigest()
    return api.app.post("/api/v1/deposits/notify", raw, headers={"Content-Type": "application/json",
                                                                 "X-Signature": signature}, status=status)


def register_and_pay(api, project, username, secret="test-bank-secret", payer=None):
    lot_ids = [lot["id"] for lot in project["lots"]]
    registration = api.post(f"projects/{project['id']}/registrations", {"lot_ids": lot_ids}, as_user=username,
                            status=201).json
    if registration["status"] == "pending_deposit":
        total = sum(float(lot.get("deposit", "0")) for lot in project["lots"])
        bank_notice(api, secret, registration["deposit_account"], f"{total:.2f}", f"ref-{username}-{project['id']}",
                    payer=payer or f"62220000{abs(hash(username)) % 10**8:08d}")
    return registration


def submit_bid(api, project, username, price, secret="open sesame", files=None, status=201, headers=None, lot=0, offer=None):
    lot_id = project["lots"][lot]["id"]
    files = files or [("files", "技术标.txt", f"{username} 的技术方案 unique-phrase-{username}".encode("utf-8"))]
    fields = [("offer", json.dumps(offer if offer is not None else {"price": price})), ("unlock_secret", secret)]
    return api.app.post(f"/api/v1/projects/{project['id']}/lots/{lot_id}/bids", params=fields, upload_files=files,
                        headers={**api.headers(username), **(headers or {})}, status=status)


def set_clock(api, moment):
    return api.put("testing/clock", {"now": iso(moment)}, as_user="admin1").json
