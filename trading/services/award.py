"""Final quotes, the candidates' publicity (公示), objections (异议), the award (定标) with its notice, the contract."""
import secrets
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from .. import audit
from ..errors import Conflict, Forbidden, NotFound, RulesViolated, RuleViolation
from ..hookspecs import hookimpl
from ..i18n import _, instant, local_text, money
from ..models import (Award, Bid, Contract, Deadline, FinalQuote, FinalQuoteRound, Objection, Project, Publicity,
                      new_id)
from .evaluation import get_evaluation
from .projects import method_of

FINAL_QUOTE_METHODS = ("procurement.competitive_negotiation", "procurement.competitive_consultation")
# the legal numbers are core.contract_days (TBL Art 46, O87 Art 71) and core.max_candidates (Reg Art 53)
CONTRACT_DUE = "award.contract_due"


# --- final quotes (最后报价) ----------------------------------------------------------------------


def open_round(request, project, lot, until):
    if project.method not in FINAL_QUOTE_METHODS:
        raise Conflict("final_quote.not_applicable", _("Final quotes belong to competitive negotiation and consultation."))
    if project.opening_closed_at is None or lot.status != "evaluating":
        raise Conflict("final_quote.not_ready", _("A final-quote round opens after the opening has closed."))
    now = request.clock.now()
    if until <= now:
        raise RulesViolated([RuleViolation("final_quote.until_past", _("The round must end in the future."), field="until")])
    from ..models import Evaluation

    evaluation = request.dbsession.execute(select(Evaluation).where(Evaluation.lot_id == lot.id)).scalar_one_or_none()
    if evaluation is not None and evaluation.status == "finalized":
        raise Conflict("final_quote.not_ready", _("The evaluation is finalised: no more final quotes."))
    if request.dbsession.execute(select(FinalQuoteRound.id).where(FinalQuoteRound.lot_id == lot.id)).first():
        raise Conflict("final_quote.round_exists", _("The final-quote round of this lot has already been opened."))
    round_ = FinalQuoteRound(project_id=project.id, lot_id=lot.id, opened_at=now, until=until)
    request.dbsession.add(round_)
    request.dbsession.flush()
    audit.record(request, "final_quote.round", round_, {"lot_id": lot.id, "until": until}, project_id=project.id)
    return round_


def submit_final_quote(request, project, lot, price):
    user = request.identity
    bid = request.dbsession.execute(
        select(Bid).where(Bid.lot_id == lot.id, Bid.org_id == user.org_id, Bid.status == "opened")
    ).scalar_one_or_none()
    if bid is None:
        raise Forbidden("final_quote.not_qualified", _("Only a bidder with an opened, qualified bid on this lot quotes."))
    round_ = request.dbsession.execute(
        select(FinalQuoteRound).where(FinalQuoteRound.lot_id == lot.id).order_by(FinalQuoteRound.opened_at.desc())
    ).scalars().first()
    now = request.clock.now()
    if round_ is None or now >= round_.until:
        raise Conflict("final_quote.closed", _("No final-quote round is open for this lot."))
    if request.dbsession.execute(select(FinalQuote.id).where(FinalQuote.round_id == round_.id,
                                                             FinalQuote.org_id == user.org_id)).first():
        raise Conflict("final_quote.closed", _("Your organisation has already given its final quote in this round."))
    from sqlalchemy.exc import IntegrityError

    quote = FinalQuote(round_id=round_.id, lot_id=lot.id, bid_id=bid.id, org_id=user.org_id, price=Decimal(price), at=now,
                       ip=request.client_addr)
    try:
        with request.dbsession.begin_nested():
            request.dbsession.add(quote)
    except IntegrityError:
        raise Conflict("final_quote.closed", _("Your organisation has already given its final quote in this round.")) from None
    # the price stays out of the audit data until the round ends; its digest binds it
    audit.record(request, "final_quote.submit", quote, {"lot_id": lot.id, "bid_id": bid.id, "round_id": round_.id,
                                                        "price_sha256": audit.sha256_hex(money(quote.price) + quote.id)},
                 project_id=project.id)
    return quote


# --- publicity ------------------------------------------------------------------------------------


def publicity_end(request, project, start):
    """N days end N × 24 hours later; N working days at the same time of day on the Nth working day."""
    from ..workdays import WorkCalendar

    count, unit = method_of(request, project).publicity
    if unit == "working_days":
        return WorkCalendar(request.dbsession).add_working_days(start, count)
    return start + timedelta(days=count)


def get_publicity(request, lot):
    return request.dbsession.execute(select(Publicity).where(Publicity.lot_id == lot.id)).scalar_one_or_none()


def publish(request, project, lot):
    evaluation = get_evaluation(request, lot)
    if evaluation.status != "finalized":
        raise Conflict("evaluation.not_finalized", _("The candidates are published after the evaluation is finalised."))
    if get_publicity(request, lot) is not None:
        raise Conflict("publicity.exists", _("The candidates of this lot are already published."))
    ranked = sorted((e for e in evaluation.ranking or [] if e.get("qualified") and e.get("rank")), key=lambda e: e["rank"])
    if not ranked:
        raise Conflict("publicity.no_candidates", _("No bid qualified: there is no candidate to publish."))
    now = request.clock.now()
    most = request.registry["legal_limits"]["core.max_candidates"]  # Reg Art 53: at most 3
    candidates = [{"rank": e["rank"], "bid_id": e["bid_id"], "bidder_name": e["bidder_name"], "price": e["price"],
                   "total": e.get("total")} for e in ranked[:most]]
    publicity = Publicity(project_id=project.id, lot_id=lot.id, starts_at=now,
                          ends_at=publicity_end(request, project, now), candidates=candidates)
    request.dbsession.add(publicity)
    lot.status = "publicity"
    if project.status in ("evaluating", "opening"):
        project.status = "publicity"
    request.dbsession.flush()
    audit.record(request, "publicity.publish", publicity, {"lot_id": lot.id, "ends_at": publicity.ends_at,
                                                           "candidates": candidates}, project_id=project.id)
    return publicity


def publicity_json(publicity):
    return {"lot_id": publicity.lot_id, "starts_at": instant(publicity.starts_at), "ends_at": instant(publicity.ends_at),
            "candidates": [{**c, "total": None if c.get("total") is None else float(Decimal(c["total"]))}
                           for c in publicity.candidates]}


# --- objections -----------------------------------------------------------------------------------


def object_to(request, project, lot, text):
    user = request.identity
    took_part = request.dbsession.execute(
        select(Bid.id).where(Bid.lot_id == lot.id, Bid.org_id == user.org_id)).first()
    if took_part is None:
        raise Forbidden("objection.not_bidder", _("Only a bidder of this lot may object."))
    publicity = get_publicity(request, lot)
    now = request.clock.now()
    if publicity is None or not (publicity.starts_at <= now < publicity.ends_at):
        raise Conflict("objection.closed", _("Objections are taken only during the publicity."))
    objection = Objection(project_id=project.id, lot_id=lot.id, org_id=user.org_id, user_id=user.id, text=text.strip(),
                          at=now)
    request.dbsession.add(objection)
    request.dbsession.flush()
    audit.record(request, "objection.create", objection, {"lot_id": lot.id, "text": objection.text},
                 project_id=project.id)
    return objection


def answer_objection(request, objection_id, text, lot=None):
    objection = request.dbsession.get(Objection, objection_id)
    if objection is None or (lot is not None and objection.lot_id != lot.id):
        raise NotFound()
    if objection.answer is not None:
        raise Conflict("objection.answered", _("The objection is already answered."))
    objection.answer = text.strip()
    objection.answered_at = request.clock.now()
    objection.answered_by = request.identity.id
    request.dbsession.flush()
    audit.record(request, "objection.answer", objection, {"text": objection.answer}, project_id=objection.project_id)
    return objection


def objection_json(request, objection):
    body = {"id": objection.id, "lot_id": objection.lot_id, "text": objection.text, "at": instant(objection.at),
            "answer": objection.answer, "answered_at": instant(objection.answered_at)}
    if request.identity is not None and request.identity.role in ("officer", "inspector"):
        body["org_id"] = objection.org_id
    return body


# --- the award -----------------------------------------------------------------------------------


def notice_code(project, lot):
    return f"{project.code}-{lot.number:02d}-{secrets.token_hex(3).upper()}"


def notice_hash(code, project_code, lot_id, winner_name, amount, awarded_at_text):
    return audit.sha256_hex(audit.canonical_json({
        "notice_code": code, "project_code": project_code, "lot_id": lot_id, "winner_name": winner_name,
        "amount": amount, "awarded_at": awarded_at_text,
    }))


def record_award(request, project, lot, *, winner_org, amount, bid_id=None, rank=None, reason=None, awarded_at=None,
                 system=False):
    """The award and its notice; shared by the officer's award and the clock's auction result."""
    awarded_at = awarded_at or request.clock.now()
    code = notice_code(project, lot)
    amount = Decimal(amount)
    award = Award(id=new_id(), project_id=project.id, lot_id=lot.id, bid_id=bid_id, winner_org_id=winner_org.id,
                  winner_name=winner_org.name, amount=amount, rank=rank, reason=reason, awarded_at=awarded_at,
                  awarded_by=None if system else request.identity.id, notice_code=code,
                  notice_hash=notice_hash(code, project.code, lot.id, winner_org.name, money(amount),
                                          audit.format_at(awarded_at)))
    request.dbsession.add(award)
    lot.status = "awarded"
    days = request.registry["legal_limits"]["core.contract_days"]  # TBL Art 46, O87 Art 71: 30
    request.dbsession.add(Deadline(name=CONTRACT_DUE, project_id=project.id, lot_id=lot.id, object_id=award.id,
                                   at=contract_late_from(awarded_at, days)))
    _settle(project)
    request.dbsession.flush()
    audit.record(request, "award.create", award, {
        "lot_id": lot.id, "bid_id": bid_id, "winner_org_id": winner_org.id, "winner_name": winner_org.name,
        "amount": amount, "rank": rank, "reason": reason, "notice_code": code, "notice_hash": award.notice_hash,
        "budget": lot.budget, "above_budget": lot.budget is not None and amount > lot.budget,
        "not_first_candidate": rank is not None and rank != 1,
    }, project_id=project.id, system=system)
    return award


def contract_late_from(awarded_at, days):
    """"Within 30 days" (``days``) counts dates (RULES.md): late from the Beijing midnight that starts the 31st day."""
    from datetime import datetime, time

    from ..i18n import LOCAL_TZ
    from ..rules import local_date

    day = local_date(awarded_at) + timedelta(days=days + 1)
    return datetime.combine(day, time(0), tzinfo=LOCAL_TZ)


def award(request, project, lot, bid_id, reason=None):
    if lot.status == "awarded" or request.dbsession.execute(select(Award.id).where(Award.lot_id == lot.id)).first():
        raise Conflict("award.exists", _("This lot is already awarded."))
    publicity = get_publicity(request, lot)
    now = request.clock.now()
    if publicity is None or now < publicity.ends_at:
        raise Conflict("award.publicity_not_ended", _("The award follows the end of the publicity (${at}).",
                                                     mapping={"at": local_text(publicity.ends_at) if publicity else "—"}))
    pending = request.dbsession.execute(
        select(Objection.id).where(Objection.lot_id == lot.id, Objection.answered_at.is_(None))).first()
    if pending is not None:
        raise Conflict("award.objection_pending", _("An objection is not answered yet; the award waits for the answer."))
    evaluation = get_evaluation(request, lot)
    entry = next((e for e in evaluation.ranking or [] if e["bid_id"] == bid_id and e.get("qualified")), None)
    if entry is None:
        raise RulesViolated([RuleViolation("award.not_candidate", _("Only a qualified, ranked bid can be awarded."),
                                           field="bid_id")])
    reason = (reason or "").strip() or None
    if entry["rank"] != 1 and reason is None:
        raise RulesViolated([RuleViolation("award.reason_required",
                                           _("Awarding a bid other than the first candidate needs a written reason."),
                                           field="reason", source="Reg Art 55", policy="Reg")])
    bid = request.dbsession.get(Bid, bid_id)
    return record_award(request, project, lot, winner_org=bid.organization, amount=Decimal(entry["price"]),
                        bid_id=bid.id, rank=entry["rank"], reason=reason)


def _settle(project):
    statuses = {lot.status for lot in project.lots}
    if statuses <= {"awarded", "contracted", "failed"} and statuses & {"awarded", "contracted"}:
        project.status = "contracted" if statuses <= {"contracted", "failed"} else "awarded"


def get_award(request, lot):
    return request.dbsession.execute(select(Award).where(Award.lot_id == lot.id)).scalar_one_or_none()


def award_json(award):
    return {"bid_id": award.bid_id, "winner_name": award.winner_name, "amount": money(award.amount),
            "awarded_at": audit.format_at(award.awarded_at), "notice_code": award.notice_code,
            "notice_hash": award.notice_hash, "lot_id": award.lot_id, "rank": award.rank,
            "awarded_at_local": instant(award.awarded_at)}


def by_notice_code(request, code):
    award = request.dbsession.execute(select(Award).where(Award.notice_code == code)).scalar_one_or_none()
    if award is None:
        raise NotFound(message=_("No award notice has the code ${code}.", mapping={"code": code}))
    return award


def verify_json(request, award):
    project = request.dbsession.get(Project, award.project_id)
    lot = next(lot for lot in project.lots if lot.id == award.lot_id)
    return {"notice_code": award.notice_code, "project_code": project.code, "project_title": project.title,
            "lot_id": lot.id, "lot_title": lot.title, "winner_name": award.winner_name, "amount": money(award.amount),
            "awarded_at": audit.format_at(award.awarded_at), "notice_hash": award.notice_hash}


# --- the contract --------------------------------------------------------------------------------


def record_contract(request, project, lot, signed_at, amount):
    award = get_award(request, lot)
    if award is None or lot.status != "awarded":
        raise Conflict("contract.not_awarded", _("A contract is recorded for an awarded lot."))
    now = request.clock.now()
    contract = Contract(project_id=project.id, lot_id=lot.id, signed_at=signed_at, amount=Decimal(amount),
                        recorded_at=now, recorded_by=request.identity.id)
    request.dbsession.add(contract)
    lot.status = "contracted"
    for row in request.dbsession.execute(
        select(Deadline).where(Deadline.name == CONTRACT_DUE, Deadline.lot_id == lot.id, Deadline.done_at.is_(None))
    ).scalars():
        row.done_at, row.outcome = now, "contract recorded"
    _settle(project)
    request.dbsession.flush()
    audit.record(request, "contract.create", contract, {
        "lot_id": lot.id, "signed_at": signed_at, "amount": contract.amount, "awarded_amount": award.amount,
        "amount_deviation": contract.amount != award.amount,
        "days_after_award": (signed_at - award.awarded_at).days,
    }, project_id=project.id)
    return contract


def contract_due(deadline, request):
    """Thirty days after the award with no contract: the clock records contract.late (an alert for inspectors)."""
    award = request.dbsession.get(Award, deadline.object_id)
    if award is None:
        return "no award"
    contract = request.dbsession.execute(select(Contract.id).where(Contract.lot_id == award.lot_id)).first()
    if contract is not None:
        return "contract recorded"
    audit.record(request, "contract.late", award, {"lot_id": award.lot_id, "awarded_at": award.awarded_at,
                                                   "days": request.registry["legal_limits"]["core.contract_days"]},
                 project_id=award.project_id, system=True)
    return "contract late"


@hookimpl
def ggzy_deadline_handlers():
    return {CONTRACT_DUE: contract_due}
