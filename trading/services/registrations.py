"""Registration (报名) with a virtual deposit account each, and the bank's deposit notices."""
import hashlib
import hmac
import secrets
from decimal import Decimal

from sqlalchemy import func, select

from .. import audit
from ..errors import AuthRequired, Conflict, Forbidden, NotFound, RequestInvalid, field_error
from ..i18n import _, local_text, money
from ..methods import SEALED
from ..models import DepositPayment, Registration, RegistrationLot
from .projects import timeline_of

# when registration closes, by method kind and timeline field
def registration_closes_at(request, project):
    """Sealed: the bid deadline; auctions: what the method's policy says (listing_until, registration_until or
    disclosure_until, API.md)."""
    timeline = timeline_of(project)
    if project.kind == SEALED:
        return timeline.get("bid_deadline")
    from .auction import policy_for

    return policy_for(request, project.lots[0]).registration_closes(timeline)


def _new_account(dbsession):
    """A virtual account number: a bank prefix and 12 random digits, unique across registrations."""
    while True:
        number = "6229" + "".join(secrets.choice("0123456789") for _ in range(12))
        if dbsession.execute(select(Registration.id).where(Registration.deposit_account == number)).first() is None:
            return number


def register(request, project, lot_ids):
    user = request.identity
    if project.status != "announced" and not (project.kind != SEALED and project.status == "auction"):
        raise Conflict("registration.closed", _("Registration for this project is closed."))
    closes = registration_closes_at(request, project)
    now = request.clock.now()
    if closes is None or now >= closes:
        raise Conflict("registration.closed", _("Registration closed at ${at}.", mapping={"at": local_text(closes)}))
    if project.method == "tendering.invited" and user.org_id not in (project.params or {}).get("invitees", []):
        raise Forbidden("registration.not_invited", _("Only the organisations invited by the tenderer may register."))
    lots = {lot.id: lot for lot in project.lots}
    unknown = [lot_id for lot_id in lot_ids if lot_id not in lots]
    if unknown or not lot_ids:
        raise RequestInvalid(details=[field_error("lot_ids", _("Name one or more lots of this project."))])
    existing = request.dbsession.execute(
        select(Registration).where(Registration.project_id == project.id, Registration.org_id == user.org_id)
    ).scalar_one_or_none()
    if existing is not None:
        raise Conflict("registration.exists", _("Your organisation has already registered for this project."))
    due = sum((lots[lot_id].deposit or Decimal("0") for lot_id in set(lot_ids)), Decimal("0"))
    registration = Registration(
        project_id=project.id, org_id=user.org_id, user_id=user.id,
        status="qualified" if due == 0 else "pending_deposit",
        deposit_account=_new_account(request.dbsession), amount_due=due, amount_paid=Decimal("0"),
        created_at=now, qualified_at=now if due == 0 else None, ip=request.client_addr,
        lots=[RegistrationLot(lot_id=lot_id) for lot_id in dict.fromkeys(lot_ids)],
    )
    request.dbsession.add(registration)
    request.dbsession.flush()
    if registration.status == "qualified":
        give_paddles(request, project, registration)
    audit.record(request, "registration.create", registration,
                 {"lot_ids": registration.lot_ids, "amount_due": due, "status": registration.status,
                  "org_id": user.org_id, "device": request.client_device})
    return registration


def give_paddles(request, project, registration):
    """A qualified bidder of an auction gets its paddle number on each of its lots (kept from listing to live)."""
    if project.kind == SEALED:
        return
    from .auction import paddle_for

    for lot_id in registration.lot_ids:
        paddle_for(request, lot_id, registration.org_id)


def registration_json(registration, with_org=False):
    body = {
        "id": registration.id,
        "project_id": registration.project_id,
        "status": registration.status,
        "lot_ids": registration.lot_ids,
        "deposit_account": registration.deposit_account,
        "amount_due": money(registration.amount_due),
        "amount_paid": money(registration.amount_paid),
    }
    if with_org:
        body["org_id"] = registration.org_id
        body["org_name"] = registration.organization.name
    return body


def list_for(request, project):
    """Bidders see their own; inspectors and admins all; officers all once registration has closed."""
    user = request.identity
    query = select(Registration).where(Registration.project_id == project.id).order_by(Registration.created_at,
                                                                                       Registration.id)
    if user.role == "bidder":
        query = query.where(Registration.org_id == user.org_id)
    elif user.role == "officer":
        closes = registration_closes_at(request, project)
        if project.status in ("draft", "announced") and (closes is None or request.clock.now() < closes):
            raise Forbidden(message=_("Registrants stay hidden from officers until registration closes (${at}).",
                                      mapping={"at": local_text(closes)}))
    elif user.role not in ("inspector", "admin"):
        raise Forbidden()
    return request.dbsession.execute(query).scalars().all()


def qualified_registration(request, project, lot_id, org_id):
    return request.dbsession.execute(
        select(Registration).join(RegistrationLot).where(
            Registration.project_id == project.id, Registration.org_id == org_id,
            RegistrationLot.lot_id == lot_id, Registration.status == "qualified")
    ).scalar_one_or_none()


def is_registered(request, project, org_id):
    return request.dbsession.execute(
        select(func.count()).select_from(Registration).where(Registration.project_id == project.id,
                                                             Registration.org_id == org_id)
    ).scalar() > 0


# --- the bank --------------------------------------------------------------------------------


def check_signature(request):
    """X-Signature: hex HMAC-SHA256 of the raw body under ggzy.bank_secret."""
    given = (request.headers.get("X-Signature") or "").strip().lower()
    secret = request.registry.settings["ggzy.bank_secret"].encode("utf-8")
    expected = hmac.new(secret, request.body, hashlib.sha256).hexdigest()
    if not given or not hmac.compare_digest(given, expected):
        raise AuthRequired("auth.required", _("The bank notice's signature is missing or wrong."))


def notify(request, data):
    """Record a payment once per reference; qualify the registration once its deposits are paid."""
    from ..timeutil import parse_instant

    dbsession = request.dbsession
    known = dbsession.execute(select(DepositPayment).where(DepositPayment.reference == data["reference"])).scalar_one_or_none()
    if known is not None:
        return known.registration, False
    registration = dbsession.execute(
        select(Registration).where(Registration.deposit_account == data["deposit_account"]).with_for_update()
    ).scalar_one_or_none()
    if registration is None:
        raise NotFound("not_found", _("No registration has the deposit account ${account}.",
                                      mapping={"account": data["deposit_account"]}))
    try:
        paid_at = parse_instant(data["paid_at"])
    except ValueError:
        raise RequestInvalid(details=[field_error("paid_at", _("Must be an RFC 3339 instant with an offset."))]) from None
    amount = Decimal(data["amount"])
    now = request.clock.now()
    payment = DepositPayment(registration_id=registration.id, reference=data["reference"], amount=amount,
                             paid_at=paid_at, payer_account=data["payer_account"], received_at=now)
    dbsession.add(payment)
    registration.amount_paid = (registration.amount_paid or Decimal("0")) + amount
    if registration.status != "qualified" and registration.amount_paid >= registration.amount_due:
        registration.status = "qualified"
        registration.qualified_at = now
        from ..models import Project

        give_paddles(request, dbsession.get(Project, registration.project_id), registration)
    dbsession.flush()
    audit.record(request, "deposit.paid", payment,
                 {"registration_id": registration.id, "amount": amount, "reference": data["reference"],
                  "payer_account": data["payer_account"], "paid_at": paid_at, "status": registration.status},
                 project_id=registration.project_id, system=True, ip=request.client_addr)
    return registration, True
