"""Bidder pages (投标人/供应商): self-registration, the workspace, a project's bidding page and a bid's receipt."""
import json
import re
from decimal import Decimal

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.security import remember
from pyramid.view import view_config
from sqlalchemy import select

from ..api.errors import error_response
from ..errors import Conflict, DomainError, NotFound, RequestInvalid, RulesViolated, TooLarge, field_error
from ..i18n import TIMELINE_LABELS, _, money
from ..methods import MONEY_PATTERN, SEALED
from ..models import Bid, Lot, Project, Registration
from ..security import Permission
from ..services import accounts, documents, opening, projects, registrations
from ..services import bids as bid_service
from . import flash, form_errors


REGISTER_FIELDS = (
    # name, max length
    ("name", 200),
    ("uscc", 40),
    ("legal_representative", 100),
    ("contact_name", 100),
    ("phone", 40),
    ("email", 200),
    ("username", 64),
)
USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9_.@-]+$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+$")
# the form field a refusal without a field belongs to
CODE_FIELDS = {"org.exists": "uscc", "user.exists": "username"}
CURRENT_BIDS = ("sealed", "opened", "above_ceiling", "decrypt_failed")


# --- helpers ---------------------------------------------------------------------------------


def _refusal(request, error, doom=True):
    """A refusal as the form shows it; the transaction is doomed unless the refusal must stay on record."""
    if doom:
        request.tm.doom()
    request.response.status_int = error.status
    shown = form_errors(request, error)
    fields = {}
    for name, message in shown["fields"].items():
        # offer.price -> price, files[0] -> files: the names of the form's own fields
        name = name.removeprefix("offer.").split("[")[0]
        fields.setdefault(name, message)
    if not fields and error.code in CODE_FIELDS:
        fields[CODE_FIELDS[error.code]] = shown["message"]
    shown["fields"] = fields
    return shown


def _org_id(request):
    return request.identity.org_id


def _project(request):
    project = projects.get_project(request, request.matchdict["project_id"])
    if projects.apply_due(request, project.id):
        request.dbsession.refresh(project)
    return project


def _my_bids(request, project_id=None):
    query = (select(Bid, Project, Lot).join(Project, Project.id == Bid.project_id).join(Lot, Lot.id == Bid.lot_id)
             .where(Bid.org_id == _org_id(request)).order_by(Bid.submitted_at.desc(), Bid.id))
    if project_id is not None:
        query = query.where(Bid.project_id == project_id)
    else:
        query = query.where(Bid.status.in_(CURRENT_BIDS)).limit(200)
    return request.dbsession.execute(query).all()


def _my_registrations(request):
    return request.dbsession.execute(
        select(Registration, Project).join(Project, Project.id == Registration.project_id)
        .where(Registration.org_id == _org_id(request))
        .order_by(Registration.created_at.desc(), Registration.id).limit(200)
    ).all()


def _registration_open(request, project, now):
    """Whether registration looks open; the service decides when a registration is submitted."""
    if project.status != "announced" and not (project.kind != SEALED and project.status == "auction"):
        return False
    closes = registrations.registration_closes_at(request, project)
    return closes is not None and now < closes


def _open_projects(request, now):
    rows = request.dbsession.execute(
        select(Project).where(Project.status.in_(("announced", "auction")))
        .order_by(Project.listed_at.desc(), Project.id).limit(200)
    ).scalars().all()
    return [(p, registrations.registration_closes_at(request, p)) for p in rows if _registration_open(request, p, now)]


def _ms(moment):
    return int(moment.timestamp() * 1000)


def _money_input(text):
    """A price as people type it (spaces, thousands separators) as the API's decimal string, or None."""
    cleaned = (text or "").strip().replace(",", "").replace("，", "").replace(" ", "")
    if not re.fullmatch(MONEY_PATTERN, cleaned):
        return None
    return money(Decimal(cleaned))


# --- organisation self-registration ----------------------------------------------------------


@view_config(route_name="register_org", renderer="bidder/register.jinja2", request_method="GET",
             permission=Permission.PUBLIC)
def register_form(request):
    return {"values": {}, "error": None}


@view_config(route_name="register_org", renderer="bidder/register.jinja2", request_method="POST",
             permission=Permission.PUBLIC)
def register_submit(request):
    """A bidder organisation and its first user (供应商/投标人注册); the new user is logged in."""
    if request.identity is not None:
        return {"values": {}, "error": _refusal(request, Conflict(
            "session.logged_in", _("You are logged in; log out before registering another organisation.")))}
    values = {name: request.POST.get(name, "").strip() for name, _limit in REGISTER_FIELDS}
    password = request.POST.get("password", "")
    confirm = request.POST.get("password_confirm", "")
    details = []
    for name, limit in REGISTER_FIELDS:
        if not values[name]:
            details.append(field_error(name, _("This field is required.")))
        elif len(values[name]) > limit:
            details.append(field_error(name, _("At most ${n} characters.", mapping={"n": limit})))
    if values["email"] and not EMAIL_PATTERN.match(values["email"]):
        details.append(field_error("email", _("Enter an email address such as name@example.com.")))
    if values["username"] and not USERNAME_PATTERN.match(values["username"]):
        details.append(field_error("username", _("Use letters, digits and . _ @ - only.")))
    if not password:
        details.append(field_error("password", _("This field is required.")))
    elif len(password) > 256:
        details.append(field_error("password", _("At most ${n} characters.", mapping={"n": 256})))
    elif password != confirm:
        details.append(field_error("password_confirm", _("The two passwords differ.")))
    # the rules, all at once: a form shows every broken one, not only the first
    for check, value in ((accounts.check_uscc, values["uscc"].upper()), (accounts.check_password, password)):
        if value and len(value) <= 256:
            try:
                check(value)
            except RulesViolated as error:
                details.extend(error.details)
    if details:
        error = RulesViolated(details) if all("rule" in d for d in details) else RequestInvalid(details=details)
        return {"values": values, "error": _refusal(request, error)}
    try:
        _org, user = accounts.register_bidder(request, {**values, "password": password})
    except DomainError as error:
        return {"values": values, "error": _refusal(request, error)}
    headers = remember(request, user.id)
    flash(request, _("Your organisation ${name} is registered and you are logged in as ${username}.",
                     mapping={"name": values["name"], "username": user.username}))
    return HTTPSeeOther(location=request.route_url("bidder.home"), headers=headers)


# --- the workspace -----------------------------------------------------------------------------


@view_config(route_name="bidder.home", renderer="bidder/home.jinja2", permission=Permission.BIDS_SUBMIT)
def home(request):
    now = request.clock.now()
    registered = {}
    rows = []
    if request.identity.org_id is not None:
        rows = _my_registrations(request)
        registered = {registration.project_id: registration for registration, _project in rows}
    return {
        "organization": accounts.caller_organization(request),
        "registrations": rows,
        "bids": _my_bids(request) if request.identity.org_id is not None else [],
        "open_projects": _open_projects(request, now),
        "registered": registered,
        "now": now,
    }


# --- one project -------------------------------------------------------------------------------


def _project_values(request, project, errors=None, values=None):
    """Everything the project page shows; ``errors`` maps a form key to its refusal."""
    now = request.clock.now()
    timeline = projects.timeline_of(project)
    method = projects.method_of(request, project)
    own = registrations.list_for(request, project) if request.identity.org_id is not None else []
    registration = own[0] if own else None
    registered_lots = set(registration.lot_ids) if registration is not None else set()
    sealed = project.kind == SEALED
    deadline = timeline.get("bid_deadline")
    docs = documents.list_documents(request, project)
    download_refusal = None
    if request.identity.org_id is None:
        download_refusal = _("Your user belongs to no organisation.")
    else:
        try:
            documents.check_download(request, project)
        except DomainError as error:
            download_refusal = request.localizer.translate(error.message)
    questions_until = timeline.get("questions_until")
    bids_by_lot = {lot.id: [] for lot in project.lots}
    if request.identity.org_id is not None:
        for bid, _p, _lot in _my_bids(request, project.id):
            bids_by_lot.setdefault(bid.lot_id, []).append(bid)
    decrypting = (project.status == "opening" and project.window_until is not None and now < project.window_until)
    countdown = None
    if sealed and project.status == "announced" and deadline is not None and now < deadline:
        countdown = {"label": _("Time left until the bid deadline"), "target": deadline}
    elif decrypting:
        countdown = {"label": _("Time left in the decryption window"), "target": project.window_until}
    return {
        "project": project,
        "method": method,
        "timeline": [(name, timeline[name]) for name in method.timeline if name in timeline],
        "timeline_labels": TIMELINE_LABELS,
        "now": now,
        "now_ms": _ms(now),
        "countdown": countdown and {**countdown, "target_ms": _ms(countdown["target"])},
        "sealed": sealed,
        "deadline": deadline,
        "registration": registration,
        "registered_lots": registered_lots,
        "registration_open": _registration_open(request, project, now),
        "registration_closes": registrations.registration_closes_at(request, project),
        "invited_only": project.method == "tendering.invited",
        "documents": docs,
        "docs_from": timeline.get("docs_from"),
        "docs_until": timeline.get("docs_until"),
        "download_refusal": download_refusal,
        "questions": documents.list_questions(request, project),
        "questions_until": questions_until,
        "can_ask": (registration is not None and project.status == "announced" and questions_until is not None
                    and now < questions_until),
        "bids_by_lot": bids_by_lot,
        "can_submit": sealed and project.status == "announced" and deadline is not None and now < deadline,
        "procurement": project.sector == "procurement",
        "decrypting": decrypting,
        "opening_closed": project.opening_closed_at is not None,
        "progress": {lot["lot_id"]: lot for lot in opening.record_json(request, project)["lots"]} if decrypting else {},
        "min_secret": bid_service.MIN_SECRET,
        "errors": errors or {},
        "values": values or {},
    }


@view_config(route_name="bidder.project", renderer="bidder/project.jinja2", request_method="GET",
             permission=Permission.BIDS_SUBMIT)
def project_page(request):
    return _project_values(request, _project(request))


@view_config(route_name="bidder.project", renderer="bidder/project.jinja2", request_method="POST",
             permission=Permission.BIDS_SUBMIT)
def project_action(request):
    """Every form of the project page posts here; ``action`` says which."""
    project = _project(request)
    action = ACTIONS.get(request.POST.get("action", ""))
    if action is None:
        error = RequestInvalid(details=[field_error("action", _("Unknown action."))])
        return _project_values(request, project, errors={"page": _refusal(request, error)})
    return action(request, project)


def _back(request, project, message, anchor):
    flash(request, message)
    return HTTPSeeOther(location=request.route_url("bidder.project", project_id=project.id, _anchor=anchor))


def _register(request, project):
    lot_ids = [value[:64] for value in request.POST.getall("lot_ids")][:100]
    try:
        registration = registrations.register(request, project, lot_ids)
    except DomainError as error:
        return _project_values(request, project, errors={"register": _refusal(request, error)},
                               values={"lot_ids": lot_ids})
    if registration.status == "qualified":
        message = _("You are registered and qualified to bid.")
    else:
        message = _("You are registered. Pay the deposit of ${amount} CNY to the account ${account} to qualify.",
                    mapping={"amount": money(registration.amount_due), "account": registration.deposit_account})
    return _back(request, project, message, "registration")


def _ask(request, project):
    text = request.POST.get("text", "").strip()
    if not text:
        error = RequestInvalid(details=[field_error("text", _("This field is required."))])
    elif len(text) > 10000:
        error = RequestInvalid(details=[field_error("text", _("At most ${n} characters.", mapping={"n": 10000}))])
    else:
        try:
            documents.ask(request, project, text)
        except DomainError as err:
            error = err
        else:
            return _back(request, project, _("Your question is sent. The answer will be published here for everyone, "
                                             "without your name."), "questions")
    return _project_values(request, project, errors={"ask": _refusal(request, error)}, values={"text": text})


def _submit(request, project):
    lot_id = request.POST.get("lot_id", "")[:64]
    price_text = request.POST.get("price", "")[:64]
    values = {"lot_id": lot_id, "price": price_text, "sme": bool(request.POST.get("sme"))}
    limit = request.registry.settings["ggzy.upload_max_bytes"]
    try:
        lot = projects.get_lot(request, project, lot_id)
    except DomainError as error:
        return _project_values(request, project, errors={"page": _refusal(request, error)})
    key = "bid:" + lot.id
    try:
        if request.content_length is not None and request.content_length > limit + 1024 * 1024:
            raise TooLarge(message=_("The upload is larger than the limit of ${mb} MB.",
                                     mapping={"mb": limit // (1024 * 1024)}))
        secret = request.POST.get("unlock_secret", "")
        details = []
        price = _money_input(price_text)
        if price is None:
            details.append(field_error("price", _("Enter the price in CNY as a number with at most two decimal "
                                                  "places, for example 950000.00.")))
        if secret != request.POST.get("unlock_secret_confirm", ""):
            details.append(field_error("unlock_secret_confirm", _("The two unlock secrets differ.")))
        if details:
            raise RequestInvalid(details=details)
        offer = {"price": price}
        if project.sector == "procurement":
            offer["sme"] = values["sme"]
        files = [f for f in request.POST.getall("files") if getattr(f, "filename", None)]
        bid = bid_service.submit(request, project, lot, json.dumps(offer), secret, files)
    except DomainError as error:
        return _project_values(request, project, errors={key: _refusal(request, error)}, values=values)
    flash(request, _("Your bid is sealed. Keep the receipt and your unlock secret: without the secret the bid "
                     "cannot be opened."))
    return HTTPSeeOther(location=request.route_url("bidder.bid", bid_id=bid.id))


def _own_bid(request):
    """(bid, None) for the caller's bid; (None, the 404 response) otherwise, the attempt committed to the audit."""
    try:
        return bid_service.get_own(request, request.POST.get("bid_id", "")[:64]), None
    except bid_service.AccessDenied as error:
        return None, error_response(request, error)


def _withdraw(request, project):
    bid, denied = _own_bid(request)
    if denied is not None:
        return denied
    try:
        if bid.project_id != project.id:
            raise NotFound()
        bid_service.withdraw(request, bid)
    except DomainError as error:
        return _project_values(request, project, errors={"withdraw:" + bid.id: _refusal(request, error)})
    return _back(request, project, _("Your bid ${id} is withdrawn.", mapping={"id": bid.id}), "lot-" + bid.lot_id)


def _decrypt(request, project):
    bid, denied = _own_bid(request)
    if denied is not None:
        return denied
    try:
        if bid.project_id != project.id:
            raise NotFound()
        bid = bid_service.decrypt(request, bid, request.POST.get("unlock_secret", "")[:1024])
    except DomainError as error:
        # a wrong secret is rendered, not raised, and committed: the failed attempt stays audited
        audited = error.code == "rules.violated"
        return _project_values(request, project, errors={"decrypt:" + bid.id: _refusal(request, error, doom=not audited)})
    return _back(request, project, _("Your bid is decrypted: price ${price} CNY.",
                                     mapping={"price": money(bid.price) if bid.price is not None else "-"}),
                 "lot-" + bid.lot_id)


ACTIONS = {"register": _register, "ask": _ask, "submit": _submit, "withdraw": _withdraw, "decrypt": _decrypt}


# --- one bid -----------------------------------------------------------------------------------


@view_config(route_name="bidder.bid", renderer="bidder/bid.jinja2", request_method="GET",
             permission=Permission.AUTHENTICATED)
def bid_page(request):
    """The owner's bid and its receipt; anyone else gets the API's 404, the attempt audited and committed."""
    try:
        bid = bid_service.get_own(request, request.matchdict["bid_id"])
    except bid_service.AccessDenied as error:
        return error_response(request, error)
    project = projects.get_project(request, bid.project_id)
    if projects.apply_due(request, project.id):
        request.dbsession.refresh(project)
        request.dbsession.refresh(bid)
    lot = projects.get_lot(request, project, bid.lot_id)
    return {"bid": bid, "project": project, "lot": lot, "deadline": projects.timeline_of(project).get("bid_deadline"),
            "offer": bid_service._offer_json(bid.offer) if bid.opened_at is not None else None}
