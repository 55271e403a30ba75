"""Every alert rule of API.md and RULES.md "Collusion indicators", each a small check with readable evidence."""
import json
from decimal import Decimal

from sqlalchemy import or_, select, union, union_all

from trading import audit
from trading.i18n import _
from trading.models import (AuctionBid, AuditEvent, Bid, BidFile, DepositPayment, Evaluation, Lot, Organization,
                            Registration, RegistrationLot)
from trading.services.evaluation import score_deviations

from .engine import Finding, Rule, raise_alert

PRICE_SPREAD = Decimal("0.005")  # (max − min) / min ≤ 0.5%


def _org_names(request, ids):
    rows = request.dbsession.execute(select(Organization.id, Organization.name).where(Organization.id.in_(list(ids))))
    return dict(rows.all())


def _lot_project(request, lot_id):
    lot = request.dbsession.get(Lot, lot_id)
    return (lot.project_id if lot else None), lot


# --- traces of the same hand: address, device, files, contacts, deposits ----------------------------


def _same_trace(kind):
    """Two organisations' bids or quotes on one lot from one IP address (or one device)."""

    def check(event, data, request):
        lot_id, org_id = data.get("lot_id"), data.get("org_id")
        value = event.ip if kind == "ip" else data.get("device")
        if not lot_id or not org_id or not value:
            return []
        column = Bid.ip if kind == "ip" else Bid.device
        auction_column = AuctionBid.ip if kind == "ip" else AuctionBid.device
        rows = request.dbsession.execute(union_all(
            select(Bid.id, Bid.org_id).where(Bid.lot_id == lot_id, column == value, Bid.org_id != org_id),
            select(AuctionBid.id, AuctionBid.org_id).where(AuctionBid.lot_id == lot_id, auction_column == value,
                                                           AuctionBid.org_id != org_id))).all()
        others = {row[1] for row in rows}
        if not others:
            return []
        names = _org_names(request, others | {org_id})
        evidence = {kind: value, "organizations": sorted(names[o] for o in others | {org_id}),
                    "bid": event.object_id, "org": names[org_id],
                    "other_bids": sorted({row[0] for row in rows})[:20]}
        return [Finding("lot", lot_id, evidence, project_id=event.project_id, lot_id=lot_id)]

    return check


def _identical_files(event, data, request):
    lot_id, org_id = data.get("lot_id"), data.get("org_id")
    hashes = [f["sha256"] for f in data.get("files", [])]
    if not hashes:
        return []
    rows = request.dbsession.execute(
        select(BidFile.sha256, BidFile.name, Bid.id, Bid.org_id).join(Bid, Bid.id == BidFile.bid_id)
        .where(Bid.lot_id == lot_id, Bid.org_id != org_id, BidFile.sha256.in_(hashes))).all()
    if not rows:
        return []
    names = _org_names(request, {r.org_id for r in rows} | {org_id})
    evidence = {"files": sorted({(r.sha256, r.name) for r in rows}), "bid": event.object_id, "org": names[org_id],
                "other_bids": sorted({r.id for r in rows}),
                "organizations": sorted({names[r.org_id] for r in rows} | {names[org_id]})}
    evidence["files"] = [{"sha256": h, "name": n} for h, n in evidence["files"]]
    return [Finding("lot", lot_id, evidence, project_id=event.project_id, lot_id=lot_id)]


CONTACT_KEYS = (("phone", Organization.phone_key), ("email", Organization.email_key),
                ("legal_representative", Organization.representative_key))


def _shared_contact(event, data, request):
    lot_id, org_id = data.get("lot_id"), data.get("org_id")
    if not lot_id or not org_id:
        return []
    if data.get("seq") and request.dbsession.execute(
            select(AuctionBid.id).where(AuctionBid.lot_id == lot_id, AuctionBid.org_id == org_id,
                                        AuctionBid.seq < data["seq"]).limit(1)).first():
        return []  # every pair is compared at the later one's first quote or bid: this organisation's came before
    me = request.dbsession.execute(
        select(Organization.name, Organization.phone, Organization.email, Organization.legal_representative,
               *(column for _field, column in CONTACT_KEYS)).where(Organization.id == org_id)).first()
    mine = [(field, column, getattr(me, column.key)) for field, column in CONTACT_KEYS
            if me is not None and getattr(me, column.key)]
    if not mine:
        return []
    bidders = union(select(Bid.org_id).where(Bid.lot_id == lot_id, Bid.org_id != org_id),
                    select(AuctionBid.org_id).where(AuctionBid.lot_id == lot_id, AuctionBid.org_id != org_id))
    # the other bidders of the lot that share a key, found by the keys' indexes: never every bidder of the lot
    others = request.dbsession.execute(
        select(Organization.name, *(column for _field, column in CONTACT_KEYS))
        .where(Organization.id.in_(select(bidders.subquery().c.org_id)),
               or_(*(column == key for _field, column, key in mine)))
        .order_by(Organization.name, Organization.id)).all()
    shared = [{"field": field, "value": getattr(me, field), "organizations": sorted([me.name, other.name])}
              for other in others for field, column, key in mine if getattr(other, column.key) == key]
    if not shared:
        return []
    return [Finding("lot", lot_id, {"shared": shared, "bid": event.object_id}, project_id=event.project_id, lot_id=lot_id)]


def _same_deposit_account(event, data, request):
    payer = data.get("payer_account")
    registration = request.dbsession.get(Registration, data.get("registration_id"))
    if not payer or registration is None:
        return []
    rows = request.dbsession.execute(
        select(DepositPayment.reference, Registration.org_id, RegistrationLot.lot_id)
        .join(Registration, Registration.id == DepositPayment.registration_id)
        .join(RegistrationLot, RegistrationLot.registration_id == Registration.id)
        .where(DepositPayment.payer_account == payer, Registration.project_id == registration.project_id,
               Registration.org_id != registration.org_id)).all()
    my_lots = set(registration.lot_ids)
    findings = {}
    names = _org_names(request, {r.org_id for r in rows} | {registration.org_id})
    for reference, other_org, lot_id in rows:
        if lot_id in my_lots:
            entry = findings.setdefault(lot_id, {"payer_account": payer, "organizations": {names[registration.org_id]},
                                                  "references": {data.get("reference")}})
            entry["organizations"].add(names[other_org])
            entry["references"].add(reference)
    return [Finding("lot", lot_id, {**e, "organizations": sorted(e["organizations"]), "references": sorted(e["references"])},
                    project_id=registration.project_id, lot_id=lot_id) for lot_id, e in findings.items()]


# --- prices ----------------------------------------------------------------------------------------


def price_pattern(prices):
    """(max − min) / min ≤ 0.5% among three or more prices, or three or more distinct prices in arithmetic progression."""
    prices = [Decimal(p) for p in prices if p is not None]
    if len(prices) < 3:
        return None
    low, high = min(prices), max(prices)
    if low > 0 and (high - low) / low <= PRICE_SPREAD:
        return "close"
    distinct = sorted(set(prices))
    if len(distinct) >= 3:
        steps = {b - a for a, b in zip(distinct, distinct[1:])}
        if len(steps) == 1:
            return "arithmetic"
    return None


def _price_pattern(event, data, request):
    findings = []
    for lot in data.get("lots", []):
        prices = [b.get("price") for b in lot.get("bids", []) if b.get("status") in ("opened", "above_ceiling")]
        kind = price_pattern(prices)
        if kind:
            findings.append(Finding("lot", lot["lot_id"], {"pattern": kind, "prices": sorted(str(p) for p in prices if p)},
                                    project_id=event.project_id, lot_id=lot["lot_id"]))
    return findings


# --- sealed bids, experts, award, contract, auctions -------------------------------------------------


def _access_attempt(event, data, request):
    bid = request.dbsession.get(Bid, event.object_id)
    return [Finding("bid", event.object_id, {"actor_id": event.actor_id, "role": data.get("by_role"), "ip": event.ip,
                                             "path": data.get("path")},
                    project_id=event.project_id, lot_id=bid.lot_id if bid else None)]


def _score_deviation(event, data, request):
    findings = []
    for expert_id, bid_id, total, mean in score_deviations(data.get("member_totals") or {}):
        findings.append(Finding("evaluation", event.object_id,
                                {"expert_id": expert_id, "bid_id": bid_id, "total": str(total),
                                 "others_mean": str(mean.quantize(Decimal("0.01")))},
                                project_id=event.project_id, lot_id=data.get("lot_id")))
    return findings


def _flag(flag, fields):
    def check(event, data, request):
        if not data.get(flag):
            return []
        return [Finding(event.object_type, event.object_id, {f: data.get(f) for f in fields},
                        project_id=event.project_id, lot_id=data.get("lot_id"))]

    return check


def _contract_late(event, data, request):
    return [Finding("award", event.object_id, {"awarded_at": data.get("awarded_at"), "days": data.get("days")},
                    project_id=event.project_id, lot_id=data.get("lot_id"))]


def _single_bidder(event, data, request):
    if data.get("result") != "awarded" or (data.get("bidders") or 0) > 1:
        return []
    return [Finding("lot", data["lot_id"], {"amount": data.get("amount"), "reason": data.get("reason"),
                                            "bidders": data.get("bidders")},
                    project_id=event.project_id, lot_id=data["lot_id"])]


def _schedule_record_due(event, data, request):
    """At finalisation: a deadline 5 working days later (or fewer, a stricter centre's) checks the conduct records."""
    from trading.models import Deadline
    from trading.workdays import WorkCalendar

    from .engine import RECORD_DUE

    days = request.registry["legal_limits"]["experts.record_working_days"]
    at = WorkCalendar(request.dbsession).add_working_days(event.at, days)
    request.dbsession.add(Deadline(name=RECORD_DUE, project_id=event.project_id, lot_id=data.get("lot_id"),
                                   object_id=event.object_id, at=at))
    return []


def record_late(deadline, request):
    evaluation = request.dbsession.get(Evaluation, deadline.object_id)
    if evaluation is None:
        return "no evaluation"
    rated = set()
    for row in request.dbsession.execute(
        select(AuditEvent.object_id, AuditEvent.data).where(AuditEvent.action == "expert.rating",
                                                            AuditEvent.project_id == evaluation.project_id)
    ):
        if json.loads(row.data).get("lot_id") == evaluation.lot_id:
            rated.add(row.object_id)
    missing = [m for m in evaluation.members if m.expert_id not in rated]
    if not missing:
        return "records complete"
    rule = RULES_BY_CODE["expert.record_late"]
    raise_alert(request, rule, Finding("evaluation", evaluation.id,
                                       {"members_without_record": [{"expert_id": m.expert_id, "name": m.name} for m in missing],
                                        "finalized_at": audit.format_at(evaluation.finalized_at)},
                                       project_id=evaluation.project_id, lot_id=evaluation.lot_id))
    return "record late"


RULES = [
    Rule("collusion.same_ip", "red", ("bid.submit", "quote.submit", "auction.bid"), _same_trace("ip"),
         _("Bids from one IP address")),
    Rule("collusion.same_device", "red", ("bid.submit", "quote.submit", "auction.bid"), _same_trace("device"),
         _("Bids from one device")),
    Rule("collusion.identical_files", "red", ("bid.submit",), _identical_files, _("Identical bid files")),
    Rule("collusion.price_pattern", "yellow", ("opening.close",), _price_pattern, _("Regular or close prices")),
    Rule("collusion.shared_contact", "yellow", ("bid.submit", "quote.submit", "auction.bid"), _shared_contact,
         _("Bidders sharing contacts")),
    Rule("collusion.same_deposit_account", "red", ("deposit.paid",), _same_deposit_account,
         _("Deposits paid from one account")),
    Rule("sealed.access_attempt", "red", ("sealed.access_denied",), _access_attempt,
         _("Attempt to read a sealed bid")),
    Rule("expert.score_deviation", "yellow", ("evaluation.finalize",), _score_deviation, _("Deviating expert score")),
    Rule("expert.record_late", "yellow", ("evaluation.finalize",), _schedule_record_due,
         _("Expert conduct not recorded in time"), clock=True),
    Rule("award.not_first_candidate", "red", ("award.create",),
         _flag("not_first_candidate", ("bid_id", "rank", "reason", "winner_name", "amount")),
         _("Award to a candidate other than the first")),
    Rule("award.above_budget", "red", ("award.create",), _flag("above_budget", ("bid_id", "amount", "budget", "winner_name")),
         _("Award above the budget")),
    Rule("contract.amount_deviation", "red", ("contract.create",),
         _flag("amount_deviation", ("amount", "awarded_amount", "signed_at")), _("Contract amount differs from the award")),
    Rule("contract.late", "yellow", ("contract.late",), _contract_late, _("Contract not signed in time"), clock=True),
    Rule("auction.single_bidder", "yellow", ("auction.result",), _single_bidder, _("Auction won by a single bidder")),
]
RULES_BY_CODE = {rule.code: rule for rule in RULES}

