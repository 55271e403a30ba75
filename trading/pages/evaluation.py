"""Evaluation and award pages: the member's scoring (评标), the officer's lot overview (最后报价、公示、异议、定标、合同),
the bidder's final quote and objection, and the public results (中标候选人公示与结果)."""
import re
from decimal import Decimal

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.view import view_config
from sqlalchemy import select

from ..errors import (
    DomainError,
    Forbidden,
    NotFound,
    RequestInvalid,
    RulesViolated,
    RuleViolation,
    field_error,
)
from ..i18n import _, local_text, money
from ..methods import MONEY_PATTERN, SEALED
from ..models import (
    Bid,
    Contract,
    Evaluation,
    EvaluationMember,
    FinalQuote,
    FinalQuoteRound,
    Lot,
    Objection,
    Organization,
    Project,
    QualificationVote,
    Score,
)
from ..security import Permission
from ..services import award as awards
from ..services import evaluation as evaluations
from ..services import projects
from . import flash, form_errors
from .officer import local_input, parse_local
from .public import load_project

POLL_MS = 5000
REASON_MAX = 2000
TEXT_MAX = 10000
# what a member types as a score; the bounds and the two decimals are checked after, with their own messages
SCORE_TEXT = re.compile(r"^-?\d{1,7}(\.\d+)?$")
OWN_BIDS = ("opened", "above_ceiling", "decrypt_failed")

# Codes the pages translate from variables: listed so that extraction puts them in the catalogs.
CODE_MSGIDS = (
    # TRANSLATORS: evaluation status: 评审中
    _("scoring"),
    # TRANSLATORS: evaluation status: 评审结束（已汇总）
    _("finalized"),
)
CRITERION_KINDS = {
    # TRANSLATORS: kind of an evaluation criterion: 技术分
    "technical": _("Technical"),
    # TRANSLATORS: kind of an evaluation criterion: 商务分
    "business": _("Business"),
    # TRANSLATORS: kind of an evaluation criterion: 价格分（系统计算）
    "price": _("Price (computed)"),
}
PUBLICITY_UNITS = {
    # TRANSLATORS: length of the candidates' publicity, e.g. "3 days" (3日)
    "days": _("${count} day(s)"),
    # TRANSLATORS: length of the candidates' publicity, e.g. "1 working day" (1个工作日)
    "working_days": _("${count} working day(s)"),
}


# --- shared helpers ------------------------------------------------------------------------------------------


def _t(request, message):
    return request.localizer.translate(message) if hasattr(message, "domain") else message


def _refusal(request, error):
    """A refusal as the page shows it, with the response's status set to the API's."""
    request.response.status_int = error.status
    return form_errors(request, error)


def _refuse(details):
    """The form's own checks: 400 when a field is malformed, 422 when only rules are broken."""
    if details:
        if all("rule" in detail for detail in details):
            raise RulesViolated(details)
        raise RequestInvalid(details=details)


def _lot(request, for_update=False):
    """The project (its due transitions applied) and the lot named by the route."""
    project = load_project(request, request.matchdict["project_id"], for_update=for_update)
    return project, projects.get_lot(request, project, request.matchdict["lot_id"])


def _evaluation(request, lot):
    return request.dbsession.execute(select(Evaluation).where(Evaluation.lot_id == lot.id)).scalar_one_or_none()


def _latest_round(request, lot):
    return request.dbsession.execute(
        select(FinalQuoteRound).where(FinalQuoteRound.lot_id == lot.id)
        .order_by(FinalQuoteRound.opened_at.desc(), FinalQuoteRound.id.desc())).scalars().first()


def _objections(request, lot, org_id=None):
    query = select(Objection).where(Objection.lot_id == lot.id)
    if org_id is not None:
        query = query.where(Objection.org_id == org_id)
    return request.dbsession.execute(query.order_by(Objection.at, Objection.id)).scalars().all()


def _contract(request, lot):
    return request.dbsession.execute(select(Contract).where(Contract.lot_id == lot.id)).scalar_one_or_none()


def _money_input(text):
    """An amount as people type it (spaces, thousands separators) as a two-place decimal string, or None."""
    cleaned = (text or "").strip().replace(",", "").replace("，", "").replace(" ", "")
    if not re.fullmatch(MONEY_PATTERN, cleaned):
        return None
    return money(Decimal(cleaned))


def _publicity_rule(request, project):
    """The length of the method's publicity as people read it ("3 days", "1 working day")."""
    count, unit = projects.method_of(request, project).publicity
    return _t(request, _(PUBLICITY_UNITS.get(unit, PUBLICITY_UNITS["days"]), mapping={"count": count}))


def _form(request, name, limit=200):
    """A posted text field, stripped and cut to a sane length; "" when missing or not text (an upload)."""
    value = request.POST.get(name, "")
    return value.strip()[:limit] if isinstance(value, str) else ""


def _too_long(limit):
    return _("Must be at most ${n} characters long.", mapping={"n": limit})


def _text_field(request, name, limit, message):
    text = _form(request, name, limit + 1)
    if not text:
        raise RequestInvalid(details=[field_error(name, message)])
    if len(text) > limit:
        raise RequestInvalid(details=[field_error(name, _too_long(limit))])
    return text


def _entered(request):
    return {key: value for key, value in request.POST.items() if isinstance(value, str) and key != "csrf_token"}


# --- the member's scoring page (专家评审) ----------------------------------------------------------------


def _score_text(value):
    """A stored score as the field shows it: two places."""
    return money(Decimal(str(value))) if value is not None else ""


def _bid_rows(request, body, member, entered=None):
    """The opened bids as the scoring form shows them: the member's own vote and scores, or what was entered."""
    votes = {v["bid_id"]: v for v in body["votes"] if v["expert_id"] == member.expert_id}
    scores = {(s["bid_id"], s["criterion"]): s["score"] for s in body["scores"] if s["expert_id"] == member.expert_id}
    scored = [c for c in body["criteria"] if c.get("kind") in evaluations.SCORED_KINDS]
    rows = []
    for index, bid in enumerate(body["bids"], start=1):
        vote = votes.get(bid["bid_id"])
        prefix = f"bid{index}"
        choice = ("pass" if vote["pass"] else "fail") if vote else ""
        reason = (vote or {}).get("reason") or ""
        if entered is not None:
            choice = entered.get(f"vote.{bid['bid_id']}", choice)
            reason = entered.get(f"reason.{bid['bid_id']}", reason)
        cells = []
        if bid["status"] != "above_ceiling":
            for criterion in scored:
                key = f"score.{bid['bid_id']}.{criterion['code']}"
                stored = scores.get((bid["bid_id"], criterion["code"]))
                shown = _score_text(stored)
                cells.append({"criterion": criterion, "name": key, "id": f"{prefix}-{criterion['code']}",
                              "stored": shown, "value": entered.get(key, shown) if entered is not None else shown})
        rows.append({"number": index, "bid": bid, "prefix": prefix, "vote_name": f"vote.{bid['bid_id']}",
                     "reason_name": f"reason.{bid['bid_id']}", "choice": choice, "reason": reason,
                     "stored_choice": ("pass" if vote["pass"] else "fail") if vote else "",
                     "stored_reason": (vote or {}).get("reason") or "", "cells": cells})
    return rows


def _missing_rows(request, rows, missing):
    """missing_work as links to the fields: (label, element id)."""
    by_bid = {row["bid"]["bid_id"]: row for row in rows}
    out = []
    for item in missing:
        row = by_bid.get(item["bid_id"])
        if row is None:
            continue
        head = _t(request, _("Bid ${number} (${bidder})", mapping={"number": row["number"],
                                                                   "bidder": row["bid"]["bidder_name"]}))
        if item["criterion"] is None:
            out.append((head + ": " + _t(request, _("qualification vote")), row["prefix"] + "-vote"))
        else:
            cell = next((c for c in row["cells"] if c["criterion"]["code"] == item["criterion"]), None)
            name = cell["criterion"]["name"] if cell else item["criterion"]
            out.append((head + ": " + _t(request, _("score for ${criterion}", mapping={"criterion": name})),
                        cell["id"] if cell else row["prefix"] + "-vote"))
    return out


def scoring_page(request, project, lot, evaluation, member, errors=None, entered=None, action=None, missing=None):
    """The page's values; ``entered`` is a refused form's POST, ``missing`` what it would have left to do."""
    body = evaluations.evaluation_json(request, project, lot, evaluation)
    rows = _bid_rows(request, body, member, entered)
    me = body["me"]
    if missing is not None:
        me["missing"] = [{"bid_id": bid_id, "criterion": criterion} for bid_id, criterion in missing]
    finalized = evaluation.status == "finalized"
    ids, labels = {}, {}
    for row in rows:
        head = _t(request, _("Bid ${number}", mapping={"number": row["number"]}))
        ids[row["vote_name"]] = row["prefix"] + "-vote"
        labels[row["vote_name"]] = head + " · " + _t(request, _("Qualification"))
        ids[row["reason_name"]] = row["prefix"] + "-reason"
        labels[row["reason_name"]] = head + " · " + _t(request, _("Reason"))
        for cell in row["cells"]:
            ids[cell["name"]] = cell["id"]
            labels[cell["name"]] = head + " · " + cell["criterion"]["name"]
    route = {"project_id": project.id, "lot_id": lot.id}
    return {
        "project": project, "lot": lot, "evaluation": evaluation, "member": member, "body": body, "rows": rows,
        "criteria": body["criteria"], "kinds": CRITERION_KINDS, "missing": _missing_rows(request, rows, me["missing"]),
        "signed": member.signed_at is not None, "finalized": finalized,
        "read_only": member.signed_at is not None or finalized,
        "ranking": _ranking_rows(evaluation) if finalized else [],
        "errors": errors, "action": action, "ids": ids, "labels": labels, "fields": (errors or {}).get("fields", {}),
        "api": {"qualification": request.route_path("api.lot.evaluation.qualification", **route),
                "scores": request.route_path("api.lot.evaluation.scores", **route),
                "report": request.route_path("api.lot.evaluation.report", **route)},
        "reason_max": REASON_MAX,
    }


def _on_committee(request, lot):
    """Whether the caller is a confirmed member of the lot's committee (before the evaluation starts)."""
    expert_id = request.identity.expert_id
    if not expert_id:
        return False
    committee = request.registry["plugin_manager"].hook.ggzy_committee(lot=lot)
    return bool(committee) and any(expert.id == expert_id for expert, _specialty in committee["members"])


def _member_context(request):
    """(project, lot, evaluation, member); evaluation None when it has not started; 403 for anyone not a member."""
    project, lot = _lot(request)
    if project.kind != SEALED:
        raise NotFound(message=_("This trading method has no evaluation; it ends in a public auction."))
    evaluation = _evaluation(request, lot)
    if evaluation is None:
        if _on_committee(request, lot):
            return project, lot, None, None
        raise Forbidden(message=_("Only the members of the lot's evaluation committee score its bids."))
    member = evaluations.member_of(request, evaluation)
    if member is None:
        raise Forbidden(message=_("Only the members of the lot's evaluation committee score its bids."))
    return project, lot, evaluation, member


def _not_started(request, project, lot):
    request.override_renderer = "evaluation/not_started.jinja2"
    return {"project": project, "lot": lot}


@view_config(route_name="expert.evaluations", renderer="evaluation/mine.jinja2", permission=Permission.EVALUATION_SCORE)
def my_evaluations(request):
    """The evaluations the expert sits on, newest first."""
    expert_id = request.identity.expert_id
    rows = []
    if expert_id:
        found = request.dbsession.execute(
            select(EvaluationMember, Evaluation, Lot, Project)
            .join(Evaluation, Evaluation.id == EvaluationMember.evaluation_id)
            .join(Lot, Lot.id == Evaluation.lot_id).join(Project, Project.id == Evaluation.project_id)
            .where(EvaluationMember.expert_id == expert_id)
            .order_by(Evaluation.started_at.desc(), Evaluation.id).limit(200)).all()
        rows = [{"member": m, "evaluation": e, "lot": lot, "project": p} for m, e, lot, p in found]
    return {"linked": bool(expert_id), "rows": rows}


@view_config(route_name="expert.evaluation", renderer="evaluation/score.jinja2", request_method="GET",
             permission=Permission.EVALUATION_SCORE)
def score_page(request):
    project, lot, evaluation, member = _member_context(request)
    if evaluation is None:
        return _not_started(request, project, lot)
    return scoring_page(request, project, lot, evaluation, member)


def _stored_work(request, evaluation, member):
    votes = {v.bid_id: v for v in request.dbsession.execute(select(QualificationVote).where(
        QualificationVote.evaluation_id == evaluation.id, QualificationVote.expert_id == member.expert_id)).scalars()}
    scores = {(s.bid_id, s.criterion): Decimal(s.score) for s in request.dbsession.execute(select(Score).where(
        Score.evaluation_id == evaluation.id, Score.expert_id == member.expert_id)).scalars()}
    return votes, scores


def _changes(request, lot, evaluation, member):
    """The votes and scores the form changes, checked all at once: ([vote], [score]) or a refusal naming each field."""
    votes, scores = _stored_work(request, evaluation, member)
    scored = evaluations.scored_criteria(evaluation)
    details, vote_changes, score_changes = [], [], []
    for bid in evaluations.opened_bids(request, lot):
        vote_key, reason_key = f"vote.{bid.id}", f"reason.{bid.id}"
        choice = _form(request, vote_key, 8)
        reason = _form(request, reason_key, REASON_MAX + 1)
        stored = votes.get(bid.id)
        if choice not in ("", "pass", "fail"):
            details.append(field_error(vote_key, _("Choose pass or fail.")))
        elif len(reason) > REASON_MAX:
            details.append(field_error(reason_key, _too_long(REASON_MAX)))
        elif choice == "fail" and not reason:
            details.append(field_error(reason_key, _("Give the reason for failing this bid.")))
        elif not choice and reason and stored is None:
            details.append(field_error(vote_key, _("Choose pass or fail; the reason is saved with the vote.")))
        elif choice:
            passed = choice == "pass"
            if stored is None or stored.passed != passed or (stored.reason or "") != reason:
                vote_changes.append((bid.id, passed, reason or None, vote_key))
        if bid.status == "above_ceiling":
            continue
        for criterion in scored:
            key = f"score.{bid.id}.{criterion['code']}"
            text = _form(request, key, 32).replace(",", ".")
            if not text:
                continue  # an empty field keeps what was saved: a score is changed, never removed
            if not SCORE_TEXT.match(text) or len(text.partition(".")[2]) > 2:
                details.append(field_error(key, _("Enter a number with at most 2 decimals, such as 42.5.")))
                continue
            value = Decimal(text)
            maximum = Decimal(str(criterion["max"]))
            if value < 0 or value > maximum:
                message = _("The score must be between 0 and ${max}.", mapping={"max": criterion["max"]})
                details.append(RuleViolation("evaluation.score_invalid", message, field=key).as_detail())
                continue
            if scores.get((bid.id, criterion["code"])) != value:
                score_changes.append((bid.id, criterion["code"], value, key))
    _refuse(details)
    return vote_changes, score_changes


def _save_all(request, lot, evaluation, member):
    """Every change of the form, or none: a refusal on one field rolls back the others."""
    vote_changes, score_changes = _changes(request, lot, evaluation, member)
    current = None
    try:
        with request.dbsession.begin_nested():
            for bid_id, passed, reason, key in vote_changes:
                current = key
                evaluations.vote(request, lot, evaluation, member, bid_id, passed, reason)
            for bid_id, code, value, key in score_changes:
                current = key
                evaluations.score(request, lot, evaluation, member, bid_id, code, value)
    except DomainError as error:
        if current is not None and any("field" in d for d in error.details):
            # the service names its own fields (score, bid_id): the form names the one it was saving
            for detail in error.details:
                if "field" in detail:
                    detail["field"] = current
        raise
    return len(vote_changes) + len(score_changes)


@view_config(route_name="expert.evaluation", renderer="evaluation/score.jinja2", request_method="POST",
             permission=Permission.EVALUATION_SCORE)
def score_action(request):
    """The scoring form: save every field at once, or save and sign; a refusal keeps nothing of either."""
    project, lot, evaluation, member = _member_context(request)
    if evaluation is None:
        return _not_started(request, project, lot)
    action = _form(request, "action", 32)
    missing = None
    try:
        if action == "save":
            count = _save_all(request, lot, evaluation, member)
            message = (_("Saved: ${count} change(s).", mapping={"count": count}) if count
                       else _("Nothing changed; nothing was saved."))
        elif action == "sign":
            with request.dbsession.begin_nested():
                _save_all(request, lot, evaluation, member)
                try:
                    evaluations.sign(request, lot, evaluation, member)
                except RulesViolated:
                    # what would still be missing with the entries saved: the page lists it with the entries
                    missing = evaluations.missing_work(request, lot, evaluation, member)
                    raise
            message = _("You have signed. Your votes and scores are locked.")
        else:
            raise RequestInvalid(details=[field_error("action", _("Unknown action."))])
    except DomainError as error:
        errors = _refusal(request, error)
        request.dbsession.expire_all()
        return scoring_page(request, project, lot, evaluation, member, errors, _entered(request), action, missing)
    flash(request, message)
    return HTTPSeeOther(location=request.route_url("expert.evaluation", project_id=project.id, lot_id=lot.id,
                                                   _anchor="work" if action == "save" else "main"))


# --- the officer's overview of a lot ------------------------------------------------------------------------


def _ranking_rows(evaluation):
    return sorted(evaluation.ranking or [], key=lambda e: (e.get("rank") is None, e.get("rank") or 0))


def _quotes(request, lot, round_):
    """The round's quotes once it has ended (the prices are sealed until then): [{name, price, at}]."""
    if round_ is None or request.clock.now() < round_.until:
        return []
    rows = request.dbsession.execute(select(FinalQuote).where(FinalQuote.round_id == round_.id)
                                     .order_by(FinalQuote.at, FinalQuote.id)).scalars().all()
    names = {bid.org_id: bid.organization.name for bid in evaluations.opened_bids(request, lot)}
    return [{"name": names.get(q.org_id, q.org_id), "price": q.price, "at": q.at} for q in rows]


def overview_page(request, project, lot, failed=None):
    now = request.clock.now()
    failed = failed or {}
    sealed = project.kind == SEALED
    evaluation = _evaluation(request, lot) if sealed else None
    committee = None
    if sealed and evaluation is None:
        found = request.registry["plugin_manager"].hook.ggzy_committee(lot=lot)
        committee = {"confirmed": len(found["members"]) if found else 0, "required": found["required"] if found else 0,
                     "complete": bool(found and found.get("complete"))}
    round_ = _latest_round(request, lot) if sealed else None
    publicity = awards.get_publicity(request, lot)
    award = awards.get_award(request, lot)
    contract = _contract(request, lot)
    final_quote_method = project.method in awards.FINAL_QUOTE_METHODS
    scoring = evaluation is not None and evaluation.status == "scoring"
    finalized = evaluation is not None and evaluation.status == "finalized"
    ranking = _ranking_rows(evaluation) if finalized else []
    objections = _objections(request, lot)
    org_names = {}
    for objection in objections:
        if objection.org_id not in org_names:
            org = request.dbsession.get(Organization, objection.org_id)
            org_names[objection.org_id] = org.name if org else objection.org_id
    opened = project.opening_closed_at is not None
    entered = failed.get("entered", {})
    candidates = publicity.candidates if publicity else []
    # the candidate the award form shows chosen: the one entered, else the first
    chosen = candidates[0]["bid_id"] if candidates else ""
    if failed.get("action") == "award":
        chosen = entered.get("bid_id", "")
    return {
        "project": project, "lot": lot, "now": now, "sealed": sealed, "evaluation": evaluation,
        "committee": committee, "round": round_, "round_open": round_ is not None and now < round_.until,
        "quotes": _quotes(request, lot, round_), "publicity": publicity, "award": award, "contract": contract,
        "ranking": ranking, "criteria": (evaluation.criteria or []) if evaluation is not None else [],
        "objections": objections, "org_names": org_names, "candidates": candidates, "chosen": chosen,
        "publicity_rule": _publicity_rule(request, project),
        "signed_count": sum(1 for m in evaluation.members if m.signed_at) if evaluation is not None else 0,
        "failed": failed, "errors": failed.get("errors"), "action": failed.get("action"), "entered": entered,
        "poll_ms": POLL_MS, "kinds": CRITERION_KINDS,
        "contract_default": {"signed_at": local_input(now), "amount": money(award.amount) if award else ""},
        "can": {
            "final_quotes": sealed and final_quote_method,
            "open_round": sealed and final_quote_method and opened and lot.status == "evaluating" and not finalized,
            "start": sealed and evaluation is None and opened and lot.status == "evaluating",
            "finalize": scoring,
            "publish": finalized and publicity is None and any(e.get("qualified") for e in ranking),
            "award": publicity is not None and award is None,
            "contract": award is not None and contract is None and lot.status == "awarded",
        },
        "api": {
            "evaluation": request.route_path("api.lot.evaluation", project_id=project.id, lot_id=lot.id),
            "report": request.route_path("api.lot.evaluation.report", project_id=project.id, lot_id=lot.id),
            "notice": request.route_path("api.lot.award.notice", project_id=project.id, lot_id=lot.id),
        },
    }


def _open_round(request, project, lot):
    text = _form(request, "until", 32)
    try:
        until = parse_local(text)
    except ValueError:
        raise RequestInvalid(details=[field_error("until", _("Enter a date and time (YYYY-MM-DD HH:MM)."))]) from None
    round_ = awards.open_round(request, project, lot, until)
    return _("The final-quote round is open until ${at} (Beijing time).", mapping={"at": local_text(round_.until)})


def _start(request, project, lot):
    evaluations.start(request, project, lot)
    return _("The evaluation has started; the members can score.")


def _finalize(request, project, lot):
    evaluations.finalize(request, project, lot)
    if lot.status == "failed":
        return _("The evaluation is finalised. No bid qualified: the lot fails.")
    return _("The evaluation is finalised; the ranking is below.")


def _publish(request, project, lot):
    publicity = awards.publish(request, project, lot)
    return _("The candidates are published until ${at} (Beijing time).", mapping={"at": local_text(publicity.ends_at)})


def _answer(request, project, lot):
    objection_id = _form(request, "objection_id", 64)
    objection = request.dbsession.get(Objection, objection_id)
    if objection is None or objection.lot_id != lot.id:
        raise NotFound(message=_("This objection does not belong to the lot."))
    text = _text_field(request, "text", TEXT_MAX, _("Enter the answer."))
    awards.answer_objection(request, objection.id, text)
    return _("The answer is published.")


def _award(request, project, lot):
    bid_id = _form(request, "bid_id", 64)
    if not bid_id:
        raise RequestInvalid(details=[field_error("bid_id", _("Choose the winning candidate."))])
    reason = _form(request, "reason", 5001)
    if len(reason) > 5000:
        raise RequestInvalid(details=[field_error("reason", _too_long(5000))])
    award = awards.award(request, project, lot, bid_id, reason or None)
    return _("The lot is awarded to ${name}; the notice ${code} is issued.",
             mapping={"name": award.winner_name, "code": award.notice_code})


def _record_contract(request, project, lot):
    details = []
    signed_text = _form(request, "signed_at", 32)
    signed_at = None
    try:
        signed_at = parse_local(signed_text)
    except ValueError:
        details.append(field_error("signed_at", _("Enter a date and time (YYYY-MM-DD HH:MM).")))
    amount = _money_input(_form(request, "amount", 64))
    if amount is None:
        details.append(field_error("amount", _("Enter an amount in yuan with at most 2 decimals, such as 1250000.00.")))
    _refuse(details)
    contract = awards.record_contract(request, project, lot, signed_at, amount)
    return _("The contract of ${amount} CNY is recorded.", mapping={"amount": money(contract.amount)})


OFFICER_ACTIONS = {"open_round": _open_round, "start": _start, "finalize": _finalize, "publish": _publish,
                   "answer": _answer, "award": _award, "contract": _record_contract}
# where the page goes back to after each action
OFFICER_ANCHORS = {"open_round": "final-quotes", "start": "evaluation", "finalize": "ranking", "publish": "publicity",
                   "answer": "objections", "award": "award", "contract": "contract"}


@view_config(route_name="officer.evaluation", renderer="evaluation/officer.jinja2", request_method="GET",
             permission=Permission.PROJECTS_MANAGE)
def officer_page(request):
    project, lot = _lot(request)
    return overview_page(request, project, lot)


@view_config(route_name="officer.evaluation", renderer="evaluation/officer.jinja2", request_method="POST",
             permission=Permission.PROJECTS_MANAGE)
def officer_action(request):
    project, lot = _lot(request, for_update=True)
    action = _form(request, "action", 32)
    handler = OFFICER_ACTIONS.get(action)
    try:
        if handler is None:
            raise RequestInvalid(details=[field_error("action", _("Unknown action."))])
        with request.dbsession.begin_nested():
            message = handler(request, project, lot)
    except DomainError as error:
        errors = _refusal(request, error)
        request.dbsession.expire_all()
        return overview_page(request, project, lot, {"action": action, "errors": errors, "entered": _entered(request),
                                                     "objection_id": _form(request, "objection_id", 64)})
    if message is not None:
        flash(request, message)
    return HTTPSeeOther(location=request.route_url("officer.evaluation", project_id=project.id, lot_id=lot.id,
                                                   _anchor=OFFICER_ANCHORS[action]))


# --- the bidder's page: final quotes, objections, the award --------------------------------------------------


def _bidder_lots(request, project, errors=None, values=None):
    now = request.clock.now()
    org_id = request.identity.org_id
    mine = {}
    if org_id is not None:
        for bid in request.dbsession.execute(select(Bid).where(Bid.project_id == project.id, Bid.org_id == org_id,
                                                               Bid.status.in_(OWN_BIDS))).scalars():
            mine[bid.lot_id] = bid
    took_part = set()
    if org_id is not None:
        took_part = {lot_id for (lot_id,) in request.dbsession.execute(
            select(Bid.lot_id).where(Bid.project_id == project.id, Bid.org_id == org_id)).all()}
    lots = []
    for lot in project.lots:
        round_ = _latest_round(request, lot) if project.kind == SEALED else None
        quote = None
        if round_ is not None and org_id is not None:
            quote = request.dbsession.execute(select(FinalQuote).where(
                FinalQuote.round_id == round_.id, FinalQuote.org_id == org_id)).scalar_one_or_none()
        publicity = awards.get_publicity(request, lot)
        award = awards.get_award(request, lot)
        bid = mine.get(lot.id)
        lots.append({
            "lot": lot, "bid": bid, "round": round_, "quote": quote,
            "can_quote": (round_ is not None and now < round_.until and quote is None and bid is not None
                          and bid.status == "opened"),
            "publicity": publicity,
            "publicity_open": publicity is not None and publicity.starts_at <= now < publicity.ends_at,
            "took_part": lot.id in took_part,
            "objections": _objections(request, lot, org_id) if org_id is not None else [],
            "award": award, "winner": award is not None and org_id is not None and award.winner_org_id == org_id,
            "notice_url": request.route_path("api.lot.award.notice", project_id=project.id, lot_id=lot.id),
        })
    return {"project": project, "lots": lots, "now": now, "errors": errors or {}, "values": values or {},
            "publicity_rule": _publicity_rule(request, project) if project.kind == SEALED else None}


@view_config(route_name="bidder.results", renderer="evaluation/bidder.jinja2", request_method="GET",
             permission=Permission.BIDS_SUBMIT)
def bidder_page(request):
    return _bidder_lots(request, load_project(request, request.matchdict["project_id"]))


def _final_quote(request, project, lot):
    price = _money_input(_form(request, "price", 64))
    if price is None:
        raise RequestInvalid(details=[field_error(
            "price", _("Enter the price in CNY as a number with at most two decimal places, for example 950000.00."))])
    quote = awards.submit_final_quote(request, project, lot, price)
    return _("Your final quote of ${price} CNY is sealed until the round ends.", mapping={"price": money(quote.price)})


def _object(request, project, lot):
    text = _text_field(request, "text", TEXT_MAX, _("Write your objection."))
    awards.object_to(request, project, lot, text)
    return _("Your objection is filed. The award waits for the answer, which is published without your name.")


BIDDER_ACTIONS = {"final_quote": _final_quote, "object": _object}


@view_config(route_name="bidder.results", renderer="evaluation/bidder.jinja2", request_method="POST",
             permission=Permission.BIDS_SUBMIT)
def bidder_action(request):
    project = load_project(request, request.matchdict["project_id"])
    action = _form(request, "action", 32)
    lot_id = _form(request, "lot_id", 64)
    handler = BIDDER_ACTIONS.get(action)
    try:
        if handler is None:
            raise RequestInvalid(details=[field_error("action", _("Unknown action."))])
        lot = projects.get_lot(request, project, lot_id)
        with request.dbsession.begin_nested():
            message = handler(request, project, lot)
    except DomainError as error:
        errors = _refusal(request, error)
        request.dbsession.expire_all()
        known = action in BIDDER_ACTIONS and any(lot.id == lot_id for lot in project.lots)
        key = f"{action}:{lot_id}" if known else "page"
        return _bidder_lots(request, project, {key: errors}, {key: _entered(request)})
    flash(request, message)
    return HTTPSeeOther(location=request.route_url("bidder.results", project_id=project.id, _anchor="lot-" + lot.id))


# --- the public results (公示与结果) ----------------------------------------------------------------------


@view_config(route_name="projects.results", renderer="evaluation/results.jinja2", permission=Permission.PUBLIC)
def results_page(request):
    """Each lot's candidates' publicity, the answered objections (never who objected) and the award."""
    project = load_project(request, request.matchdict["project_id"])
    now = request.clock.now()
    lots = []
    for lot in project.lots:
        objections = _objections(request, lot)
        lots.append({"lot": lot, "publicity": awards.get_publicity(request, lot),
                     "award": awards.get_award(request, lot),
                     "answered": [o for o in objections if o.answered_at is not None],
                     "pending": sum(1 for o in objections if o.answered_at is None)})
    return {"project": project, "lots": lots, "now": now, "sealed": project.kind == SEALED,
            "publicity_rule": _publicity_rule(request, project)}
