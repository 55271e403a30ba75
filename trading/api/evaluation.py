"""Evaluation, final quotes, publicity, objections, award, contract and notice verification (API.md)."""
from ..errors import NotFound, RequestInvalid, field_error
from ..i18n import _
from ..security import Permission
from ..services import award as awards
from ..services import evaluation as evaluations
from ..services import projects
from ..timeutil import INSTANT_SCHEMA, parse_instant
from . import api_view

MONEY = {"type": "string", "pattern": r"^[0-9]{1,16}(\.[0-9]{1,2})?$"}
BID_ID = {"type": "string", "minLength": 1, "maxLength": 64}
QUALIFICATION = {"type": "object", "properties": {"bid_id": BID_ID, "pass": {"type": "boolean"},
                                                  "reason": {"type": ["string", "null"], "maxLength": 2000}},
                 "required": ["bid_id", "pass"]}
SCORE = {"type": "object", "properties": {"bid_id": BID_ID, "criterion": {"type": "string", "minLength": 1, "maxLength": 32},
                                          "score": {"type": "number"}},
         "required": ["bid_id", "criterion", "score"]}
UNTIL = {"type": "object", "properties": {"until": INSTANT_SCHEMA}, "required": ["until"]}
PRICE = {"type": "object", "properties": {"price": MONEY}, "required": ["price"]}
TEXT = {"type": "object", "properties": {"text": {"type": "string", "minLength": 1, "maxLength": 10000, "pattern": r"\S"}},
        "required": ["text"]}
AWARD = {"type": "object", "properties": {"bid_id": BID_ID, "reason": {"type": ["string", "null"], "maxLength": 5000}},
         "required": ["bid_id"]}
CONTRACT = {"type": "object", "properties": {"signed_at": INSTANT_SCHEMA, "amount": MONEY},
            "required": ["signed_at", "amount"]}


def _lot(request, for_update=False):
    project = projects.get_project(request, request.matchdict["project_id"], for_update=for_update)
    if projects.apply_due(request, project.id):
        request.dbsession.refresh(project)
    return project, projects.get_lot(request, project, request.matchdict["lot_id"])


def _instant(value, field):
    try:
        return parse_instant(value)
    except ValueError:
        raise RequestInvalid(details=[field_error(field, _("Must be an RFC 3339 instant with an offset."))]) from None


def _member(request, evaluation):
    member = evaluations.member_of(request, evaluation)
    if member is None:
        from ..errors import Forbidden

        raise Forbidden(message=_("Only the committee's members vote and score."))
    return member


# --- evaluation ----------------------------------------------------------------------------------


@api_view("api.lot.evaluation", "POST", Permission.PROJECTS_MANAGE, status=201,
          summary="Start the evaluation once the opening closed and the committee is complete",
          responses={409: "evaluation.committee_incomplete"})
def start(request):
    project, lot = _lot(request, for_update=True)
    evaluation = evaluations.start(request, project, lot)
    return evaluations.evaluation_json(request, project, lot, evaluation)


@api_view("api.lot.evaluation", "GET", Permission.AUTHENTICATED,
          summary="Criteria, opened offers and the caller's own votes and scores (members), or the progress")
def read(request):
    project, lot = _lot(request)
    evaluation = evaluations.get_evaluation(request, lot)
    evaluations.check_reader(request, evaluation)
    return evaluations.evaluation_json(request, project, lot, evaluation)


@api_view("api.lot.evaluation.qualification", "PUT", Permission.EVALUATION_SCORE, body=QUALIFICATION,
          summary="A member's qualification vote on an opened bid")
def qualification(request):
    project, lot = _lot(request)
    evaluation = evaluations.get_evaluation(request, lot)
    member = _member(request, evaluation)
    data = request.json_input
    evaluations.vote(request, lot, evaluation, member, data["bid_id"], data["pass"], data.get("reason"))
    return evaluations.evaluation_json(request, project, lot, evaluation)["me"]


@api_view("api.lot.evaluation.scores", "PUT", Permission.EVALUATION_SCORE, body=SCORE,
          summary="A member's score of one criterion of one bid", responses={422: "evaluation.score_invalid"})
def scores(request):
    project, lot = _lot(request)
    evaluation = evaluations.get_evaluation(request, lot)
    data = request.json_input
    evaluations.check_score_number(data["score"])
    member = _member(request, evaluation)
    evaluations.score(request, lot, evaluation, member, data["bid_id"], data["criterion"], data["score"])
    return evaluations.evaluation_json(request, project, lot, evaluation)["me"]


@api_view("api.lot.evaluation.sign", "POST", Permission.EVALUATION_SCORE, summary="Sign and lock the member's work",
          responses={422: "evaluation.incomplete"})
def sign(request):
    project, lot = _lot(request)
    evaluation = evaluations.get_evaluation(request, lot)
    member = _member(request, evaluation)
    evaluations.sign(request, lot, evaluation, member)
    return evaluations.evaluation_json(request, project, lot, evaluation)["me"]


@api_view("api.lot.evaluation.finalize", "POST", Permission.PROJECTS_MANAGE,
          summary="Finalise once every member signed: the method's ranking", responses={409: "evaluation.unsigned"})
def finalize(request):
    project, lot = _lot(request, for_update=True)
    evaluation = evaluations.finalize(request, project, lot)
    return {"ranking": [evaluations.ranking_json(e) for e in evaluation.ranking], "lot_status": lot.status}


@api_view("api.lot.evaluation.report", "GET", Permission.AUTHENTICATED, summary="The evaluation report (评标报告) as a PDF")
def report(request):
    from ..pdf import render_pdf
    from .evaluation_report import report_values

    project, lot = _lot(request)
    evaluation = evaluations.get_evaluation(request, lot)
    evaluations.check_reader(request, evaluation)
    return render_pdf(request, "evaluation_report.jinja2", report_values(request, project, lot, evaluation),
                      filename=f"evaluation-report-{project.code}-{lot.number}.pdf")


# --- final quotes --------------------------------------------------------------------------------


@api_view("api.lot.final_quotes.round", "POST", Permission.PROJECTS_MANAGE, body=UNTIL, status=201,
          summary="Open a final-quote round (negotiation, consultation)")
def open_round(request):
    project, lot = _lot(request)
    round_ = awards.open_round(request, project, lot, _instant(request.json_input["until"], "until"))
    from ..i18n import instant

    return {"id": round_.id, "lot_id": lot.id, "opened_at": instant(round_.opened_at), "until": instant(round_.until)}


@api_view("api.lot.final_quotes", "POST", Permission.BIDS_SUBMIT, body=PRICE, status=201,
          summary="A bidder's final quote, once, before the round ends", responses={409: "final_quote.closed"})
def final_quote(request):
    project, lot = _lot(request)
    quote = awards.submit_final_quote(request, project, lot, request.json_input["price"])
    from ..i18n import instant, money

    return {"id": quote.id, "lot_id": lot.id, "price": money(quote.price), "at": instant(quote.at)}


# --- publicity and objections --------------------------------------------------------------------


@api_view("api.lot.publicity", "GET", Permission.PUBLIC, summary="The published candidates (404 before publication)")
def get_publicity(request):
    _project, lot = _lot(request)
    publicity = awards.get_publicity(request, lot)
    if publicity is None:
        raise NotFound(message=_("The candidates of this lot are not published."))
    return awards.publicity_json(publicity)


@api_view("api.lot.publicity", "POST", Permission.PROJECTS_MANAGE, status=201,
          summary="Publish the first three qualified candidates for the method's period")
def publish(request):
    project, lot = _lot(request, for_update=True)
    return awards.publicity_json(awards.publish(request, project, lot))


@api_view("api.lot.objections", "POST", Permission.BIDS_SUBMIT, body=TEXT, status=201,
          summary="A bidder's objection during the publicity", responses={409: "objection.closed"})
def object_to(request):
    project, lot = _lot(request)
    return awards.objection_json(request, awards.object_to(request, project, lot, request.json_input["text"]))


@api_view("api.lot.objections", "GET", Permission.PUBLIC, summary="Objections and their answers")
def list_objections(request):
    from sqlalchemy import select

    from ..models import Objection

    _project, lot = _lot(request)
    rows = request.dbsession.execute(select(Objection).where(Objection.lot_id == lot.id).order_by(Objection.at)).scalars()
    return {"items": [awards.objection_json(request, o) for o in rows], "next_cursor": None}


@api_view("api.objection.answer", "POST", Permission.PROJECTS_MANAGE, body=TEXT, summary="Answer an objection")
def answer_objection(request):
    return awards.objection_json(request, awards.answer_objection(request, request.matchdict["objection_id"],
                                                                  request.json_input["text"]))


# --- award and contract --------------------------------------------------------------------------


@api_view("api.lot.award", "POST", Permission.PROJECTS_MANAGE, body=AWARD, status=201, summary="Award the lot",
          responses={409: "award.publicity_not_ended, award.objection_pending", 422: "award.reason_required"})
def award(request):
    project, lot = _lot(request, for_update=True)
    data = request.json_input
    return awards.award_json(awards.award(request, project, lot, data["bid_id"], data.get("reason")))


@api_view("api.lot.award", "GET", Permission.PUBLIC, summary="The award, once made (404 before)")
def get_award(request):
    _project, lot = _lot(request)
    found = awards.get_award(request, lot)
    if found is None:
        raise NotFound(message=_("This lot is not awarded."))
    return awards.award_json(found)


@api_view("api.lot.award.notice", "GET", Permission.AUTHENTICATED,
          summary="The award notice (中标/成交通知书) PDF: officer, inspector, the winner")
def notice(request):
    from ..errors import Forbidden
    from ..pdf import render_kept_pdf

    project, lot = _lot(request)
    found = awards.get_award(request, lot)
    if found is None:
        raise NotFound(message=_("This lot is not awarded."))
    user = request.identity
    if user.role not in ("officer", "inspector") and user.org_id != found.winner_org_id:
        raise Forbidden(message=_("The notice goes to the winner; officers and inspectors may read it."))
    from .evaluation_report import notice_values

    # the notice never changes once awarded: rendered on the first request, then served from the file store
    return render_kept_pdf(request, "award_notice.jinja2", notice_values(request, project, lot, found),
                           filename=f"notice-{found.notice_code}.pdf")


@api_view("api.lot.contract", "POST", Permission.PROJECTS_MANAGE, body=CONTRACT, status=201,
          summary="Record the signed contract", responses={409: "contract.not_awarded"})
def contract(request):
    from ..i18n import instant, money

    project, lot = _lot(request, for_update=True)
    data = request.json_input
    contract = awards.record_contract(request, project, lot, _instant(data["signed_at"], "signed_at"), data["amount"])
    return {"id": contract.id, "lot_id": lot.id, "signed_at": instant(contract.signed_at), "amount": money(contract.amount),
            "lot_status": lot.status}


@api_view("api.verify", "GET", Permission.PUBLIC, summary="Confirm an award notice by its code")
def verify(request):
    return awards.verify_json(request, awards.by_notice_code(request, request.matchdict["code"]))
