"""Online evaluation (评标): the committee's votes and scores, signing, and the officer's finalisation."""
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Optional

from sqlalchemy import select

from .. import audit
from ..errors import Conflict, Forbidden, NotFound, RequestInvalid, RulesViolated, RuleViolation, field_error
from ..i18n import _, instant, money
from ..models import Bid, Evaluation, EvaluationMember, FinalQuote, FinalQuoteRound, QualificationVote, Score
from .projects import get_lot

OPENED = ("opened", "above_ceiling")
SCORED_KINDS = ("technical", "business")
CENT = Decimal("0.01")


def half_up(value):
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class BidView:
    """A bid as the method's ranking sees it (ggzy_rank)."""

    bid_id: str
    bidder_name: str
    org_id: str
    price: Decimal  # the final quote if the bidder gave one, else the opened price
    opened_price: Decimal
    sme: bool
    submitted_at: datetime
    qualified: bool
    above_ceiling: bool
    final_quote: Optional[Decimal] = None


# --- reading -------------------------------------------------------------------------------------


def opened_bids(request, lot):
    return request.dbsession.execute(
        select(Bid).where(Bid.lot_id == lot.id, Bid.status.in_(OPENED)).order_by(Bid.submitted_at, Bid.id)
    ).scalars().all()


def get_evaluation(request, lot, for_update=False):
    query = select(Evaluation).where(Evaluation.lot_id == lot.id)
    if for_update:
        query = query.with_for_update()
    evaluation = request.dbsession.execute(query).scalar_one_or_none()
    if evaluation is None:
        raise NotFound(message=_("The evaluation of this lot has not started."))
    return evaluation


def member_of(request, evaluation):
    user = request.identity
    if user is None or user.role != "expert" or not user.expert_id:
        return None
    for member in evaluation.members:
        if member.expert_id == user.expert_id:
            return member
    return None


def check_reader(request, evaluation):
    """Members, officers and inspectors read the evaluation; anyone else is refused."""
    user = request.identity
    if user.role in ("officer", "inspector"):
        return None
    member = member_of(request, evaluation)
    if member is None:
        raise Forbidden(message=_("Only the committee, the officer and inspectors see the evaluation."))
    return member


def criteria_of(evaluation):
    return evaluation.criteria or []


def scored_criteria(evaluation):
    return [c for c in criteria_of(evaluation) if c.get("kind") in SCORED_KINDS]


# --- starting ------------------------------------------------------------------------------------


def start(request, project, lot):
    """Start the evaluation once the opening closed and the committee is complete."""
    if project.kind != "sealed":
        raise NotFound()
    if project.opening_closed_at is None or lot.status != "evaluating":
        raise Conflict("evaluation.not_ready", _("The evaluation starts after the opening has closed, on a lot that was opened."))
    existing = request.dbsession.execute(select(Evaluation).where(Evaluation.lot_id == lot.id)).scalar_one_or_none()
    if existing is not None:
        return existing
    committee = request.registry["plugin_manager"].hook.ggzy_committee(lot=lot)
    if not committee or not committee.get("complete"):
        confirmed = len(committee["members"]) if committee else 0
        required = committee["required"] if committee else 0
        raise Conflict("evaluation.committee_incomplete",
                       _("The committee is not complete: ${confirmed} of ${required} members confirmed.",
                         mapping={"confirmed": confirmed, "required": required}))
    now = request.clock.now()
    params = project.params or {}
    evaluation = Evaluation(project_id=project.id, lot_id=lot.id, status="scoring",
                            criteria=list(params.get("criteria") or []) if params.get("evaluation") == "scoring" or
                            project.method == "procurement.competitive_consultation" else [],
                            started_at=now, started_by=request.identity.id if request.identity else None,
                            members=[EvaluationMember(expert_id=expert.id, name=expert.name, specialty=specialty,
                                                      position=index)
                                     for index, (expert, specialty) in enumerate(committee["members"])])
    request.dbsession.add(evaluation)
    lot.evaluation_started_at = now
    request.dbsession.flush()
    audit.record(request, "evaluation.start", evaluation,
                 {"lot_id": lot.id, "members": [m.expert_id for m in evaluation.members],
                  "criteria": [c.get("code") for c in evaluation.criteria]}, project_id=project.id)
    return evaluation


# --- the member's work -----------------------------------------------------------------------------


def _lock(request, evaluation, member):
    """The member's row locked, the evaluation shared-locked: a save never lands after a signature or the finalisation."""
    request.dbsession.execute(select(Evaluation.id).where(Evaluation.id == evaluation.id).with_for_update(read=True))
    request.dbsession.execute(select(EvaluationMember).where(
        EvaluationMember.evaluation_id == evaluation.id, EvaluationMember.expert_id == member.expert_id)
        .with_for_update().execution_options(populate_existing=True))
    request.dbsession.refresh(evaluation)


def _check_open(evaluation, member):
    if evaluation.status != "scoring":
        raise Conflict("evaluation.finalized", _("The evaluation is finalised."))
    if member.signed_at is not None:
        raise Conflict("evaluation.signed", _("You have signed; your votes and scores are locked."))


def _opened_bid(request, lot, bid_id):
    bid = request.dbsession.get(Bid, bid_id)
    if bid is None or bid.lot_id != lot.id or bid.status not in OPENED:
        raise NotFound(message=_("No opened bid of this lot has the id ${id}.", mapping={"id": bid_id}))
    return bid


def vote(request, lot, evaluation, member, bid_id, passed, reason):
    _lock(request, evaluation, member)
    _check_open(evaluation, member)
    bid = _opened_bid(request, lot, bid_id)
    row = request.dbsession.get(QualificationVote, (evaluation.id, member.expert_id, bid.id))
    now = request.clock.now()
    if row is None:
        row = QualificationVote(evaluation_id=evaluation.id, expert_id=member.expert_id, bid_id=bid.id, passed=passed,
                                reason=reason, at=now)
        request.dbsession.add(row)
    else:
        row.passed, row.reason, row.at = passed, reason, now
    request.dbsession.flush()
    audit.record(request, "evaluation.qualification", evaluation,
                 {"bid_id": bid.id, "pass": passed, "reason": reason, "expert_id": member.expert_id},
                 project_id=evaluation.project_id)
    return row


def check_score_number(value):
    """A JSON number with at most two decimals (the view parsed floats as Decimal)."""
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise RequestInvalid(details=[field_error("score", _("Must be a number with at most 2 decimals."))])
    number = Decimal(value)
    if not number.is_finite() or number.as_tuple().exponent < -2 and number != number.quantize(CENT):
        raise RequestInvalid(details=[field_error("score", _("Must be a number with at most 2 decimals."))])
    return number


def score(request, lot, evaluation, member, bid_id, criterion_code, value):
    number = check_score_number(value)
    _lock(request, evaluation, member)
    _check_open(evaluation, member)
    bid = _opened_bid(request, lot, bid_id)
    criterion = next((c for c in criteria_of(evaluation) if c.get("code") == criterion_code), None)
    if criterion is None:
        raise RulesViolated([RuleViolation("evaluation.score_invalid",
                                           _("The criterion ${code} is not one of this evaluation's.",
                                             mapping={"code": criterion_code}), field="criterion")])
    if criterion.get("kind") not in SCORED_KINDS:
        raise RulesViolated([RuleViolation("evaluation.score_invalid",
                                           _("The price criterion is computed, not scored."), field="criterion")])
    if bid.status == "above_ceiling":
        raise RulesViolated([RuleViolation("evaluation.score_invalid",
                                           _("A bid above the maximum price fails qualification and is not scored."),
                                           field="bid_id")])
    maximum = Decimal(str(criterion["max"]))
    if number < 0 or number > maximum:
        raise RulesViolated([RuleViolation("evaluation.score_invalid",
                                           _("The score must be between 0 and ${max}.", mapping={"max": criterion["max"]}),
                                           field="score", max=criterion["max"])])
    key = (evaluation.id, member.expert_id, bid.id, criterion_code)
    row = request.dbsession.get(Score, key)
    now = request.clock.now()
    if row is None:
        row = Score(evaluation_id=evaluation.id, expert_id=member.expert_id, bid_id=bid.id, criterion=criterion_code,
                    score=number, at=now)
        request.dbsession.add(row)
    else:
        row.score, row.at = number, now
    request.dbsession.flush()
    audit.record(request, "evaluation.score", evaluation,
                 {"bid_id": bid.id, "criterion": criterion_code, "score": number, "expert_id": member.expert_id},
                 project_id=evaluation.project_id)
    return row


def missing_work(request, lot, evaluation, member):
    """What the member still has to do before signing: [(bid_id, criterion or None)]."""
    bids = opened_bids(request, lot)
    votes = {v.bid_id for v in request.dbsession.execute(
        select(QualificationVote).where(QualificationVote.evaluation_id == evaluation.id,
                                        QualificationVote.expert_id == member.expert_id)).scalars()}
    scores = {(s.bid_id, s.criterion) for s in request.dbsession.execute(
        select(Score).where(Score.evaluation_id == evaluation.id, Score.expert_id == member.expert_id)).scalars()}
    missing = []
    for bid in bids:
        if bid.id not in votes:
            missing.append((bid.id, None))
        if bid.status == "above_ceiling":
            continue
        for criterion in scored_criteria(evaluation):
            if (bid.id, criterion["code"]) not in scores:
                missing.append((bid.id, criterion["code"]))
    return missing


def sign(request, lot, evaluation, member):
    _lock(request, evaluation, member)
    _check_open(evaluation, member)
    missing = missing_work(request, lot, evaluation, member)
    if missing:
        raise RulesViolated([RuleViolation(
            "evaluation.incomplete",
            _("A qualification vote is missing for bid ${bid}.", mapping={"bid": bid_id}) if criterion is None else
            _("The score of ${criterion} is missing for bid ${bid}.", mapping={"criterion": criterion, "bid": bid_id}),
            bid_id=bid_id, criterion=criterion) for bid_id, criterion in missing])
    member.signed_at = request.clock.now()
    request.dbsession.flush()
    audit.record(request, "evaluation.sign", evaluation, {"expert_id": member.expert_id},
                 project_id=evaluation.project_id)
    return member


# --- finalising ------------------------------------------------------------------------------------


def final_quotes(request, lot, visible_only=False):
    """{org_id: price} of the lot's latest round; once the round ended, or always for the ranking."""
    round_ = request.dbsession.execute(
        select(FinalQuoteRound).where(FinalQuoteRound.lot_id == lot.id).order_by(FinalQuoteRound.opened_at.desc())
    ).scalars().first()
    if round_ is None or (visible_only and request.clock.now() < round_.until):
        return {}
    return {q.org_id: q.price for q in request.dbsession.execute(
        select(FinalQuote).where(FinalQuote.round_id == round_.id)).scalars()}


def tallies(request, lot, evaluation):
    """(bid views, means {bid_id: {criterion: Decimal}}, member totals {expert_id: {bid_id: Decimal}})."""
    bids = opened_bids(request, lot)
    members = [m.expert_id for m in evaluation.members]
    votes = request.dbsession.execute(
        select(QualificationVote).where(QualificationVote.evaluation_id == evaluation.id)).scalars().all()
    scores = request.dbsession.execute(select(Score).where(Score.evaluation_id == evaluation.id)).scalars().all()
    failed = {}
    for v in votes:
        if not v.passed:
            failed[v.bid_id] = failed.get(v.bid_id, 0) + 1
    quotes = final_quotes(request, lot)
    views = []
    for bid in bids:
        # a bid fails when a majority of the members fail it, or when it is above the ceiling
        qualified = bid.status != "above_ceiling" and failed.get(bid.id, 0) * 2 <= len(members)
        quote = quotes.get(bid.org_id)
        views.append(BidView(bid_id=bid.id, bidder_name=bid.organization.name, org_id=bid.org_id,
                             price=quote if quote is not None else bid.price, opened_price=bid.price,
                             sme=bool((bid.offer or {}).get("sme")), submitted_at=bid.submitted_at,
                             qualified=qualified, above_ceiling=bid.status == "above_ceiling", final_quote=quote))
    sums, member_totals = {}, {}
    for s in scores:
        sums.setdefault(s.bid_id, {}).setdefault(s.criterion, []).append(Decimal(s.score))
        member_totals.setdefault(s.expert_id, {}).setdefault(s.bid_id, Decimal(0))
        member_totals[s.expert_id][s.bid_id] += Decimal(s.score)
    means = {bid_id: {code: half_up(sum(values) / len(values)) for code, values in by.items()}
             for bid_id, by in sums.items()}
    return views, means, member_totals


def finalize(request, project, lot):
    evaluation = get_evaluation(request, lot, for_update=True)
    if evaluation.status == "finalized":
        return evaluation
    unsigned = [m.name for m in evaluation.members if m.signed_at is None]
    if unsigned:
        raise Conflict("evaluation.unsigned", _("Not every member has signed: ${names}.",
                                                mapping={"names": ", ".join(unsigned)}))
    views, means, member_totals = tallies(request, lot, evaluation)
    ranking = request.registry["plugin_manager"].hook.ggzy_rank(lot=lot, bids=views, scores=means)
    if ranking is None:
        raise Conflict("evaluation.no_ranking", _("No plugin ranks the method ${method}.", mapping={"method": project.method}))
    evaluation.ranking = [_stored_entry(entry) for entry in ranking]
    evaluation.status = "finalized"
    evaluation.finalized_at = request.clock.now()
    if not any(entry.get("qualified") for entry in ranking):
        lot.status = "failed"  # no qualified bid: the lot fails (流标)
    request.dbsession.flush()
    audit.record(request, "evaluation.finalize", evaluation, {
        "lot_id": lot.id,
        "ranking": [{"bid_id": e["bid_id"], "rank": e.get("rank"), "qualified": e.get("qualified"),
                     "total": e.get("total"), "price": e.get("price")} for e in evaluation.ranking],
        "members": [m.expert_id for m in evaluation.members],
        "member_totals": {expert: {bid: str(total) for bid, total in by.items()} for expert, by in member_totals.items()},
        "lot_failed": lot.status == "failed",
    }, project_id=project.id)
    _settle_project(project)
    return evaluation


def _stored_entry(entry):
    """A ranking entry as JSON: money as strings, scores as strings with two places."""
    def text(value):
        return None if value is None else (money(value) if isinstance(value, Decimal) else value)

    return {
        "bid_id": entry["bid_id"], "bidder_name": entry["bidder_name"], "price": text(entry.get("price")),
        "evaluated_price": text(entry.get("evaluated_price")), "qualified": bool(entry.get("qualified")),
        "scores": {k: text(v) for k, v in (entry.get("scores") or {}).items()},
        "price_score": text(entry.get("price_score")), "total": text(entry.get("total")), "rank": entry.get("rank"),
    }


def _settle_project(project):
    statuses = {lot.status for lot in project.lots}
    if statuses <= {"failed"}:
        project.status = "failed"


def ranking_json(entry):
    """The API's ranking entry: scores and totals as JSON numbers with two decimals, money as strings."""
    def number(value):
        return None if value is None else float(Decimal(value))

    return {"bid_id": entry["bid_id"], "bidder_name": entry["bidder_name"], "price": entry["price"],
            "qualified": entry["qualified"], "scores": {k: number(v) for k, v in entry["scores"].items()},
            "price_score": number(entry["price_score"]), "total": number(entry["total"]), "rank": entry["rank"],
            **({"evaluated_price": entry["evaluated_price"]} if entry.get("evaluated_price") else {})}


def evaluation_json(request, project, lot, evaluation):
    member = member_of(request, evaluation)
    role = request.identity.role
    finalized = evaluation.status == "finalized"
    see_all = finalized or role == "inspector"
    bids = opened_bids(request, lot)
    quotes = final_quotes(request, lot, visible_only=True)
    body = {
        "id": evaluation.id, "lot_id": lot.id, "status": evaluation.status, "criteria": criteria_of(evaluation),
        "started_at": instant(evaluation.started_at), "finalized_at": instant(evaluation.finalized_at),
        "members": [{"expert_id": m.expert_id, "name": m.name, "specialty": m.specialty,
                     "signed_at": instant(m.signed_at)} for m in evaluation.members],
        "bids": [{"bid_id": b.id, "bidder_name": b.organization.name, "price": money(b.price), "status": b.status,
                  "sme": bool((b.offer or {}).get("sme")), "offer": {k: v for k, v in (b.offer or {}).items()},
                  "final_quote": money(quotes[b.org_id]) if b.org_id in quotes else None,
                  "files": [{"name": f.name, "sha256": f.sha256, "size": f.size} for f in b.files]}
                 for b in bids],
    }
    votes = request.dbsession.execute(select(QualificationVote).where(
        QualificationVote.evaluation_id == evaluation.id)).scalars().all()
    scores = request.dbsession.execute(select(Score).where(Score.evaluation_id == evaluation.id)).scalars().all()
    if member is not None and not see_all:
        votes = [v for v in votes if v.expert_id == member.expert_id]
        scores = [s for s in scores if s.expert_id == member.expert_id]
    elif member is None and not see_all:
        votes, scores = [], []  # the officer follows the progress, not the content
    body["votes"] = [{"expert_id": v.expert_id, "bid_id": v.bid_id, "pass": v.passed, "reason": v.reason} for v in votes]
    body["scores"] = [{"expert_id": s.expert_id, "bid_id": s.bid_id, "criterion": s.criterion,
                       "score": float(s.score)} for s in scores]
    if member is not None:
        body["me"] = {"expert_id": member.expert_id, "signed_at": instant(member.signed_at),
                      "missing": [{"bid_id": b, "criterion": c} for b, c in missing_work(request, lot, evaluation, member)]}
    if finalized:
        body["ranking"] = [ranking_json(e) for e in evaluation.ranking or []]
    return body


def lot_of(request, project, lot_id):
    return get_lot(request, project, lot_id)


DEVIATION_SHARE = Decimal("0.30")


def score_deviations(member_totals):
    """With 3 or more members: [(expert_id, bid_id, total, others_mean)] for each member whose total of scored
    criteria for a bid differs from the mean of the other members' totals by more than 30% of that mean."""
    experts = list(member_totals)
    if len(experts) < 3:
        return []
    bids = {bid for totals in member_totals.values() for bid in totals}
    found = []
    for bid in sorted(bids):
        for expert in experts:
            if bid not in member_totals[expert]:
                continue
            others = [Decimal(member_totals[o][bid]) for o in experts if o != expert and bid in member_totals[o]]
            if not others:
                continue
            mean = sum(others) / len(others)
            total = Decimal(member_totals[expert][bid])
            if mean > 0 and abs(total - mean) > DEVIATION_SHARE * mean:
                found.append((expert, bid, total, mean))
    return found
