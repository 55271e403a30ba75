"""Organisations, users, login with its lockout, and token revocation."""
from datetime import timedelta

from sqlalchemy import func, select
from stdnum.cn import uscc as uscc_number
from stdnum.exceptions import ValidationError as NumberError

from .. import audit
from ..errors import BadCredentials, Conflict, Locked, NotFound, RuleViolation, RulesViolated
from ..i18n import _, local_text
from ..models import AuthToken, LoginThrottle, Organization, User
from ..models.accounts import ROLES
from ..security import get_passwords, issue_token

MIN_PASSWORD_LENGTH = 10


def check_uscc(code, field="uscc"):
    """The 18-character unified social credit code (统一社会信用代码), check character included."""
    try:
        return uscc_number.validate(code)
    except NumberError:
        raise RulesViolated([RuleViolation(
            "org.uscc_invalid",
            _("The unified social credit code ${code} is not valid (18 characters with a correct check character).",
              mapping={"code": code}),
            field=field,
        )]) from None


def check_password(password):
    if len(password) < MIN_PASSWORD_LENGTH:
        raise RulesViolated([RuleViolation(
            "auth.password_weak",
            _("The password needs at least ${n} characters.", mapping={"n": MIN_PASSWORD_LENGTH}),
            field="password",
        )])


def _ensure_new_username(dbsession, username):
    if dbsession.execute(select(User.id).where(func.lower(User.username) == username.lower())).first():
        raise Conflict("user.exists", _("The username ${username} is taken.", mapping={"username": username}))


def _ensure_new_uscc(dbsession, code):
    if dbsession.execute(select(Organization.id).where(Organization.uscc == code)).first():
        raise Conflict("org.exists", _("An organisation with the code ${code} is already registered.", mapping={"code": code}))


def create_organization(request, *, name, uscc, kind, legal_representative=None, contact_name=None, phone=None,
                        email=None, audit_action="organization.create"):
    code = check_uscc(uscc.strip().upper())
    _ensure_new_uscc(request.dbsession, code)
    org = Organization(name=name.strip(), uscc=code, kind=kind, legal_representative=legal_representative,
                       contact_name=contact_name, phone=phone, email=email, created_at=request.clock.now())
    request.dbsession.add(org)
    request.dbsession.flush()
    audit.record(request, audit_action, org, {"name": org.name, "uscc": org.uscc, "kind": kind})
    return org


def create_user(request, *, username, password, role, org_id=None, expert_id=None, display_name=None,
                actor=None, audit_action="user.create"):
    if role not in ROLES:
        raise ValueError(role)
    check_password(password)
    _ensure_new_username(request.dbsession, username)
    if org_id is not None and request.dbsession.get(Organization, org_id) is None:
        raise NotFound(message=_("The organisation ${id} does not exist.", mapping={"id": org_id}))
    now = request.clock.now()
    user = User(username=username, password_hash=get_passwords(request.registry).hash(password), role=role,
                org_id=org_id, expert_id=expert_id, display_name=display_name, created_at=now)
    request.dbsession.add(user)
    request.dbsession.flush()
    audit.record(request, audit_action, user, {"username": username, "role": role, "org_id": org_id}, actor=actor)
    return user


def register_bidder(request, data):
    """A bidder organisation and its first user, both audited (供应商/投标人注册)."""
    check_password(data["password"])
    code = check_uscc(data["uscc"].strip().upper())
    _ensure_new_username(request.dbsession, data["username"])
    org = create_organization(
        request, name=data["name"], uscc=code, kind="bidder",
        legal_representative=data.get("legal_representative"), contact_name=data.get("contact_name"),
        phone=data.get("phone"), email=data.get("email"), audit_action="organization.register",
    )
    user = create_user(request, username=data["username"], password=data["password"], role="bidder",
                       org_id=org.id, display_name=data.get("contact_name"), audit_action="user.register")
    return org, user


def _throttle(request, username, now):
    """The username's failure count, locked for the transaction; an expired lock starts a fresh count."""
    throttle = request.dbsession.execute(
        select(LoginThrottle).where(LoginThrottle.username == username).with_for_update()
    ).scalar_one_or_none()
    if throttle is None:
        throttle = LoginThrottle(username=username, failures=0)
        request.dbsession.add(throttle)
    if throttle.locked_until is not None and now >= throttle.locked_until:
        throttle.locked_until = None
        throttle.failures = 0
    return throttle


def _locked(throttle, now):
    return Locked(message=_("Too many failed logins for this username; try again after ${until}.",
                            mapping={"until": local_text(throttle.locked_until)})) \
        if throttle.locked_until is not None and now < throttle.locked_until else None


def _count_failure(request, throttle, now):
    settings = request.registry.settings
    throttle.failures += 1
    locked = throttle.failures >= settings["ggzy.login_max_failures"]
    if locked:
        throttle.locked_until = now + timedelta(minutes=settings["ggzy.login_lock_minutes"])
        throttle.failures = 0
    return locked


def verify_current_password(request, user, password):
    """A password change proves the current password under the login's lockout: a stolen token cannot guess on."""
    now = request.clock.now()
    throttle = _throttle(request, user.username, now)
    refusal = _locked(throttle, now)
    if refusal is not None:
        audit.record(request, "user.password_change_refused", user, {"reason": "locked"})
        raise refusal
    ok, _rehash = get_passwords(request.registry).verify(user.password_hash, password)
    if not ok:
        locked = _count_failure(request, throttle, now)
        audit.record(request, "user.password_change_refused", user, {"reason": "password_wrong", "locked": locked})
        raise RulesViolated([RuleViolation("auth.password_wrong", _("The current password is wrong."),
                                           field="current_password")])
    throttle.failures = 0


def login(request, username, password, with_token=True):
    """Check a password with the lockout; return (user, token) or raise.

    Failures must be committed although the caller answers 401: callers turn the
    raised error into a response rather than letting it abort the transaction.
    """
    settings = request.registry.settings
    dbsession = request.dbsession
    now = request.clock.now()
    passwords = get_passwords(request.registry)
    throttle = _throttle(request, username, now)
    refusal = _locked(throttle, now)
    if refusal is not None:
        audit.record(request, "auth.login_failed", object_type="user", object_id=None,
                     data={"username": username, "reason": "locked"}, actor_id=None)
        raise refusal
    user = dbsession.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None or not user.active:
        passwords.waste_time(password)
        ok = False
    else:
        ok, rehash = passwords.verify(user.password_hash, password)
    if not ok:
        locked = _count_failure(request, throttle, now)
        audit.record(request, "auth.login_failed", object_type="user", object_id=user.id if user else None,
                     data={"username": username, "reason": "bad_credentials", "locked": locked}, actor_id=None)
        raise BadCredentials()
    throttle.failures = 0
    if rehash:
        user.password_hash = passwords.hash(password)
    token = issue_token(dbsession, user, now, settings["ggzy.token_hours"]) if with_token else None
    audit.record(request, "auth.login", user, {"username": username, "via": "token" if with_token else "session"},
                 actor=user)
    return user, token


def revoke_token(request, token_id):
    request.dbsession.get(AuthToken, token_id).revoked_at = request.clock.now()
    audit.record(request, "auth.logout", object_type="auth_token", object_id=token_id, data={})


def _revoke_all_tokens(request, user, now):
    """Every live token of the user stops working now (its browser sessions end through the user's state)."""
    for token in request.dbsession.execute(
        select(AuthToken).where(AuthToken.user_id == user.id, AuthToken.revoked_at.is_(None))
    ).scalars():
        token.revoked_at = now


def change_password(request, user, new_password):
    """A new password revokes every token of the user and ends its browser sessions."""
    check_password(new_password)
    now = request.clock.now()
    user.password_hash = get_passwords(request.registry).hash(new_password)
    user.password_changed_at = now
    _revoke_all_tokens(request, user, now)
    audit.record(request, "user.password_change", user, {})


def deactivate_user(request, user):
    """The user can no longer log in: its tokens are revoked and its browser sessions end (an admin keeps itself)."""
    if request.identity is not None and user.id == request.identity.id:
        raise Conflict("user.self", _("You cannot deactivate your own account."))
    if not user.active:
        raise Conflict("user.inactive", _("The user ${username} is already deactivated.",
                                          mapping={"username": user.username}))
    now = request.clock.now()
    user.active = False
    _revoke_all_tokens(request, user, now)
    audit.record(request, "user.deactivate", user, {"username": user.username})


def caller_organization(request):
    """The caller's organisation, or None: one primary-key read, not the caller's user row and its relationship."""
    org_id = request.identity.org_id if request.identity is not None else None
    return request.dbsession.get(Organization, org_id) if org_id is not None else None


def user_json(user):
    return {"id": user.id, "username": user.username, "role": user.role, "org_id": user.org_id,
            "expert_id": user.expert_id, "display_name": user.display_name}


def organization_json(org):
    return {"id": org.id, "name": org.name, "uscc": org.uscc, "kind": org.kind,
            "legal_representative": org.legal_representative, "contact_name": org.contact_name,
            "phone": org.phone, "email": org.email}
