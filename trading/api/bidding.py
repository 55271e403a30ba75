"""Registration, deposits, documents, questions, sealed bids and the opening (API.md)."""
import jsonschema
from pyramid.response import FileResponse

from ..errors import DomainError, NotFound
from ..i18n import _, money
from ..security import Permission
from ..services import bids as bid_service
from ..services import documents, opening, projects, registrations
from . import api_view, parse_json
from .errors import error_response

REGISTER = {"type": "object", "properties": {"lot_ids": {"type": "array", "minItems": 1, "maxItems": 100,
                                                         "items": {"type": "string", "minLength": 1, "maxLength": 64}}},
            "required": ["lot_ids"]}
NOTIFY = {
    "type": "object",
    "properties": {
        "deposit_account": {"type": "string", "minLength": 1, "maxLength": 32},
        "amount": {"type": "string", "pattern": r"^[0-9]{1,16}(\.[0-9]{1,2})?$"},
        "paid_at": {"type": "string", "minLength": 1, "maxLength": 40},
        "reference": {"type": "string", "minLength": 1, "maxLength": 100},
        "payer_account": {"type": "string", "minLength": 1, "maxLength": 64},
    },
    "required": ["deposit_account", "amount", "paid_at", "reference", "payer_account"],
}
NOTIFY_VALIDATOR = jsonschema.Draft202012Validator(NOTIFY)  # checked in the view, after the signature
DOCUMENT = {"type": "object", "x-multipart": True, "required": ["file", "kind"],
            "properties": {"file": {"type": "string", "format": "binary"},
                           "kind": {"enum": list(documents.DOCUMENT_KINDS)}}}
TEXT = {"type": "object", "properties": {"text": {"type": "string", "minLength": 1, "maxLength": 10000}},
        "required": ["text"]}
BID = {"type": "object", "x-multipart": True, "required": ["offer", "unlock_secret", "files"],
       "properties": {"offer": {"type": "string", "description": "JSON object with price and method fields"},
                      "unlock_secret": {"type": "string"},
                      "files": {"type": "array", "items": {"type": "string", "format": "binary"}}}}
SECRET = {"type": "object", "properties": {"unlock_secret": {"type": "string", "minLength": 1, "maxLength": 1024}},
          "required": ["unlock_secret"]}


def _project(request, for_update=False):
    return projects.get_project(request, request.matchdict["project_id"], for_update=for_update)


# --- registration and deposits ----------------------------------------------------------------


@api_view("api.project.registrations", "POST", Permission.BIDS_SUBMIT, body=REGISTER, status=201,
          summary="Register the caller's organisation for lots of a project",
          responses={403: "registration.not_invited", 409: "registration.closed"})
def register(request):
    project = _project(request)
    registration = registrations.register(request, project, request.json_input["lot_ids"])
    return registrations.registration_json(registration)


@api_view("api.project.registrations", "GET", Permission.AUTHENTICATED,
          summary="Registrations: a bidder its own; inspectors and admins all; officers all once registration closed")
def list_registrations(request):
    project = _project(request)
    rows = registrations.list_for(request, project)
    with_org = request.identity.role != "bidder"
    return {"items": [registrations.registration_json(r, with_org=with_org) for r in rows], "next_cursor": None}


@api_view("api.deposits.notify", "POST", Permission.PUBLIC, summary="The bank's deposit notice (HMAC-signed)",
          responses={401: "auth.required (bad signature)", 404: "not_found (unknown account)"})
def deposit_notice(request):
    registrations.check_signature(request)  # the signature first (401), then the body as every JSON body (400)
    registration, recorded = registrations.notify(request, parse_json(request, NOTIFY_VALIDATOR))
    return {"deposit_account": registration.deposit_account, "status": registration.status,
            "amount_due": money(registration.amount_due), "amount_paid": money(registration.amount_paid),
            "recorded": recorded}


# --- documents and questions ------------------------------------------------------------------


@api_view("api.project.documents", "POST", Permission.PROJECTS_MANAGE, body=DOCUMENT, status=201,
          summary="Upload a document (multipart: file, kind)", responses={413: "upload.too_large"})
def upload_document(request):
    project = _project(request)
    document = documents.add_document(request, project, request.POST["file"], request.POST["kind"])
    return documents.document_json(document)


@api_view("api.project.documents", "GET", Permission.PUBLIC, summary="The project's documents (metadata)")
def list_documents(request):
    project = _project(request)
    return {"items": [documents.document_json(d) for d in documents.list_documents(request, project)],
            "next_cursor": None}


@api_view("api.document.content", "GET", Permission.AUTHENTICATED, produces="*/*",
          summary="Download a document: registered bidders while on offer, officers, inspectors; audited",
          responses={409: "document.not_on_offer"})
def download_document(request):
    document = documents.get_document(request, request.matchdict["doc_id"])
    project = projects.get_project(request, document.project_id)
    documents.check_download(request, project)
    documents.record_download(request, project, document)
    response = FileResponse(str(documents.content_path(request, document)), request=request,
                            content_type=document.content_type)
    response.content_disposition = _disposition(document.name)
    return response


def _disposition(name):
    from urllib.parse import quote

    ascii_name = name.encode("ascii", "replace").decode("ascii").replace('"', "")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"


@api_view("api.project.questions", "POST", Permission.BIDS_SUBMIT, body=TEXT, status=201,
          summary="Ask a question (registered bidders, until questions_until)", responses={409: "question.closed"})
def ask(request):
    project = _project(request)
    question = documents.ask(request, project, request.json_input["text"])
    return documents.question_json(request, question)


@api_view("api.project.questions", "GET", Permission.PUBLIC, summary="Questions and answers; askers never shown")
def list_questions(request):
    project = _project(request)
    return {"items": [documents.question_json(request, q) for q in documents.list_questions(request, project)],
            "next_cursor": None}


@api_view("api.question.answer", "POST", Permission.PROJECTS_MANAGE, body=TEXT, summary="Answer a question publicly")
def answer(request):
    question = documents.answer(request, request.matchdict["question_id"], request.json_input["text"])
    return documents.question_json(request, question)


# --- sealed bids ------------------------------------------------------------------------------


@api_view("api.lot.bids", "POST", Permission.BIDS_SUBMIT, body=BID, status=201,
          summary="Submit a sealed bid (multipart: offer, unlock_secret, files)",
          responses={403: "bid.not_qualified", 409: "bid.deadline_passed", 413: "upload.too_large"})
def submit_bid(request):
    project = _project(request)
    lot = projects.get_lot(request, project, request.matchdict["lot_id"])
    files = [f for f in request.POST.getall("files") if getattr(f, "filename", None) is not None]
    bid = bid_service.submit(request, project, lot, request.POST.get("offer", ""), request.POST.get("unlock_secret", ""),
                             files)
    return bid_service.bid_json(bid)


def _own_bid(request):
    try:
        return bid_service.get_own(request, request.matchdict["bid_id"]), None
    except bid_service.AccessDenied as error:
        # answered, not raised: the denied attempt stays in the audit trail
        return None, error_response(request, error)


@api_view("api.bid", "GET", Permission.AUTHENTICATED, summary="The owner's bid: metadata until opened")
def get_bid(request):
    bid, denied = _own_bid(request)
    if denied is not None:
        return denied
    return bid_service.bid_json(bid, with_offer=True)


@api_view("api.bid", "DELETE", Permission.BIDS_SUBMIT, summary="Withdraw the owner's bid before the deadline",
          responses={409: "bid.deadline_passed"})
def withdraw_bid(request):
    bid, denied = _own_bid(request)
    if denied is not None:
        return denied
    return bid_service.bid_json(bid_service.withdraw(request, bid))


@api_view("api.bid.receipt", "GET", Permission.AUTHENTICATED, summary="The bid receipt (回执) as a PDF")
def bid_receipt(request):
    from ..pdf import render_pdf

    bid, denied = _own_bid(request)
    if denied is not None:
        return denied
    project = projects.get_project(request, bid.project_id)
    lot = projects.get_lot(request, project, bid.lot_id)
    return render_pdf(request, "receipt.jinja2", {"bid": bid, "project": project, "lot": lot},
                      filename=f"receipt-{bid.id}.pdf")


@api_view("api.bid.decrypt", "POST", Permission.BIDS_SUBMIT, body=SECRET,
          summary="Decrypt the owner's bid in the decryption window",
          responses={409: "opening.not_decrypting, bid.not_decryptable", 422: "bid.unlock_failed"})
def decrypt_bid(request):
    bid, denied = _own_bid(request)
    if denied is not None:
        return denied
    try:
        bid = bid_service.decrypt(request, bid, request.json_input["unlock_secret"])
    except DomainError as error:
        if error.code != "rules.violated":
            raise
        # a wrong secret is answered, not raised: the failed attempt stays on record
        return error_response(request, error)
    return {"id": bid.id, "status": bid.status, "offer": bid_service._offer_json(bid.offer),
            "price": money(bid.price) if bid.price is not None else None}


# --- the opening ------------------------------------------------------------------------------


@api_view("api.project.opening", "POST", Permission.PROJECTS_MANAGE, summary="Start the opening at the bid deadline",
          responses={409: "opening.too_early"})
def start_opening(request):
    project = opening.start(request, _project(request).id)
    return {**opening.record_json(request, project), "project_status": project.status}


@api_view("api.project.opening", "GET", Permission.PUBLIC, summary="Decryption progress, then the opening record")
def get_opening(request):
    project = _project(request)
    if projects.apply_due(request, project.id):
        request.dbsession.refresh(project)
    return opening.record_json(request, project)


@api_view("api.project.opening.close", "POST", Permission.PROJECTS_MANAGE, summary="Close the opening",
          responses={409: "opening.window_open"})
def close_opening(request):
    project = opening.close(request, _project(request).id)
    return {**opening.record_json(request, project), "project_status": project.status}


@api_view("api.project.opening.record", "GET", Permission.PUBLIC, summary="The opening record (开标记录表) as a PDF")
def opening_record_pdf(request):
    from ..pdf import render_pdf

    project = _project(request)
    if projects.apply_due(request, project.id):
        request.dbsession.refresh(project)
    if project.opening_closed_at is None:
        raise NotFound(message=_("The opening record exists once the opening has closed."))
    from ..audit import canonical_json, sha256_hex

    record = opening.record_json(request, project)
    values = {"project": project, "record": record, "record_hash": sha256_hex(canonical_json(record))}
    return render_pdf(request, "opening_record.jinja2", values,
                      filename=f"opening-record-{project.code}.pdf")


