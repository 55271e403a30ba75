"""Passwords (argon2id), bearer tokens, browser sessions with CSRF, permissions and the security policy."""
import enum
import hashlib
import ipaddress
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Optional

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from pyramid.request import RequestLocalCache
from pyramid.security import Allowed, Denied
from pyramid.session import SignedCookieSessionFactory
from sqlalchemy import bindparam, select

from . import bid_memo
from .models import AuthToken, User


class Permission(enum.StrEnum):
    """Every permission a view can name; ROLE_PERMISSIONS says which roles hold it."""

    PUBLIC = "public"
    AUTHENTICATED = "authenticated"
    USERS_MANAGE = "users.manage"
    ORGANIZATIONS_CREATE = "organizations.create"
    ORGANIZATIONS_READ = "organizations.read"
    PROJECTS_MANAGE = "projects.manage"
    PROJECTS_SUPERVISE = "projects.supervise"
    BIDS_SUBMIT = "bids.submit"
    EXPERTS_MANAGE = "experts.manage"
    EXPERTS_READ = "experts.read"
    DRAWS_MANAGE = "draws.manage"
    DRAWS_READ = "draws.read"
    INVITATIONS_ANSWER = "invitations.answer"
    EVALUATION_SCORE = "evaluation.score"
    AUDIT_READ = "audit.read"
    ALERTS_MANAGE = "alerts.manage"
    MONITORING_READ = "monitoring.read"
    POLICIES_MANAGE = "policies.manage"
    CALENDAR_MANAGE = "calendar.manage"
    CONFLICTS_DECLARE = "conflicts.declare"
    CLOCK_SET = "clock.set"


ROLE_PERMISSIONS = {
    Permission.USERS_MANAGE: {"admin"},
    Permission.ORGANIZATIONS_CREATE: {"admin", "officer"},
    Permission.ORGANIZATIONS_READ: {"admin", "officer", "inspector"},
    Permission.PROJECTS_MANAGE: {"officer"},
    Permission.PROJECTS_SUPERVISE: {"officer", "inspector", "admin"},
    Permission.BIDS_SUBMIT: {"bidder"},
    Permission.EXPERTS_MANAGE: {"admin"},
    Permission.EXPERTS_READ: {"admin", "inspector"},
    Permission.DRAWS_MANAGE: {"officer"},
    Permission.DRAWS_READ: {"officer", "inspector", "admin"},
    Permission.INVITATIONS_ANSWER: {"expert"},
    Permission.EVALUATION_SCORE: {"expert"},
    Permission.AUDIT_READ: {"inspector", "admin"},
    Permission.ALERTS_MANAGE: {"inspector"},
    Permission.MONITORING_READ: {"inspector"},
    Permission.POLICIES_MANAGE: {"admin"},
    Permission.CALENDAR_MANAGE: {"admin"},
    # an expert declares its own conflicts; the admin anyone's (the view checks which expert)
    Permission.CONFLICTS_DECLARE: {"admin", "expert"},
    Permission.CLOCK_SET: {"admin"},
}


def roles_for(permission):
    """The roles holding a permission; None means anyone, including anonymous callers."""
    if permission in (Permission.PUBLIC, None):
        return None
    if permission == Permission.AUTHENTICATED:
        return {"admin", "officer", "bidder", "expert", "inspector"}
    return ROLE_PERMISSIONS[Permission(permission)]


# --- passwords -------------------------------------------------------------------------------


class Passwords:
    """argon2id hashing with the cost from settings; verify() says whether to rehash."""

    def __init__(self, time_cost, memory_kib, parallelism):
        self.hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism, type=Type.ID
        )
        # checked against unknown usernames so that a miss costs as long as a hit
        self._dummy = self.hasher.hash(secrets.token_hex(16))

    @classmethod
    def from_settings(cls, settings):
        return cls(
            settings["ggzy.password_time_cost"],
            settings["ggzy.password_memory_kib"],
            settings["ggzy.password_parallelism"],
        )

    def hash(self, password):
        return self.hasher.hash(password)

    def verify(self, password_hash, password):
        """Return (ok, needs_rehash)."""
        try:
            self.hasher.verify(password_hash or self._dummy, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False, False
        if not password_hash:
            return False, False
        return True, self.hasher.check_needs_rehash(password_hash)

    def waste_time(self, password):
        self.verify(None, password)


def get_passwords(registry):
    return registry["passwords"]


# --- tokens ----------------------------------------------------------------------------------


def token_digest(token):
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(dbsession, user, now, hours):
    """A random bearer token; the database keeps only its digest."""
    token = secrets.token_urlsafe(32)
    dbsession.add(AuthToken(user=user, token_hash=token_digest(token), created_at=now, expires_at=now + timedelta(hours=hours)))
    return token


TOKEN_CHARS = 200  # longer than any token issue_token gives: refused without a look-up


def bearer_token(request):
    """The request's bearer token: None without an Authorization header, "" for one that cannot be a token."""
    token = _bearer(request)
    return "" if token and len(token) > TOKEN_CHARS else token


def _bearer(request):
    header = request.headers.get("Authorization")
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer":
        return ""
    return value.strip()


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller as its credentials name it: what permission checks and services need, read without the ORM.

    ``request.identity`` is one of these (or None); ``request.user``, the full ``User``, is loaded only by the few
    views that change the user or show its organisation. ``token_id`` is the bearer token that named the caller
    (None for a browser session).
    """

    id: str
    username: str
    role: str
    org_id: Optional[str]
    expert_id: Optional[str]
    display_name: Optional[str]
    token_id: Optional[str] = None

    @classmethod
    def of(cls, user, token_id=None):
        """The principal of a ``User`` (scripts and tests that act as a user they hold)."""
        if user is None:
            return None
        return cls(user.id, user.username, user.role, user.org_id, user.expert_id, user.display_name, token_id)


_PRINCIPAL = (User.id, User.username, User.role, User.org_id, User.expert_id, User.display_name)

# built once: every API request runs one of them, and building a statement cost as much CPU as running it;
# plain columns, because loading ORM objects for the token and its user cost twice the statement itself
TOKEN_QUERY = (select(*_PRINCIPAL, AuthToken.id, AuthToken.revoked_at, AuthToken.expires_at, User.active)
               .join(AuthToken, AuthToken.user_id == User.id).where(AuthToken.token_hash == bindparam("digest")))
SESSION_QUERY = select(*_PRINCIPAL, User.active, User.password_changed_at).where(User.id == bindparam("user_id"))


def _row(request, query, params):
    # on the session's connection: the same transaction, without the ORM's per-statement work for plain columns
    return request.dbsession.connection().execute(query, params).first()


def find_token(request):
    """The principal named by the bearer token; None without one, False for a bad, expired or revoked one."""
    token = bearer_token(request)
    if token is None:
        return None
    if not token:
        return False
    digest = token_digest(token)
    row = _row(request, TOKEN_QUERY, {"digest": digest})
    if row is None:
        return False
    *principal, token_id, revoked_at, expires_at, active = row
    if revoked_at is not None or expires_at <= request.clock.now() or not active:
        return False
    request.environ[bid_memo.TOKEN] = (digest, expires_at)  # a refused live bid may be remembered with it
    return Principal(*principal, token_id)


# --- client address --------------------------------------------------------------------------


DEVICE_CHARS = 128  # the device columns of bids and auction bids


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def client_device(request):
    """The client's device fingerprint (X-Client-Device, or the pages' ggzy_device cookie), cut to its column."""
    value = request.headers.get("X-Client-Device") or request.cookies.get("ggzy_device")
    if value:
        value = _CONTROL.sub("", value)  # evidence to compare, not to store raw: PostgreSQL refuses U+0000 in text
    return value[:DEVICE_CHARS] if value else None


def client_addr(request):
    """REMOTE_ADDR, or behind a trusted proxy the right-most X-Forwarded-For entry that is not one."""
    remote = request.environ.get("REMOTE_ADDR") or None
    trusted = request.registry.settings["ggzy.trusted_proxies"]
    if not remote or not trusted or not _in(remote, trusted):
        return remote
    forwarded = request.headers.get("X-Forwarded-For")
    if not forwarded:
        return remote
    for part in reversed([p.strip() for p in forwarded.split(",") if p.strip()]):
        try:
            address = ipaddress.ip_address(part)
        except ValueError:
            return remote
        if not _in(str(address), trusted):
            return str(address)
    return remote


def _in(address, networks):
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


# --- the policy ------------------------------------------------------------------------------


class SecurityPolicy:
    """A bearer token (API clients) or the session (browser pages) names the user; roles grant permissions."""

    def __init__(self):
        self._identities = RequestLocalCache(self._identity)

    def identity(self, request):
        """The caller's ``Principal``, or None: read once per request."""
        return self._identities.get_or_create(request)

    def _identity(self, request):
        """A bad token marks the request (``ggzy.bad_credentials``): the API answers 401, not an anonymous view."""
        principal = find_token(request)
        if principal is False:
            request.environ["ggzy.bad_credentials"] = True
            return None
        if principal is not None:
            return principal
        user_id = request.session.get("user_id") if _has_session_cookie(request) else None
        if not user_id:
            return None
        row = _row(request, SESSION_QUERY, {"user_id": user_id})
        if row is None:
            return None
        *principal, active, changed = row
        logged_in = request.session.get("logged_in_at")
        if active and (changed is None or (logged_in and logged_in >= changed.timestamp())):
            return Principal(*principal)
        return None

    def authenticated_userid(self, request):
        identity = request.identity
        return identity.id if identity is not None else None

    def permits(self, request, context, permission):
        roles = roles_for(permission)
        if roles is None:
            return Allowed("public")
        identity = request.identity
        if identity is None:
            return Denied("not authenticated")
        if identity.role in roles:
            return Allowed(f"role {identity.role}")
        return Denied(f"role {identity.role} lacks {permission}")

    def remember(self, request, userid, **kw):
        request.session.invalidate()  # a new session id at login
        request.session["user_id"] = userid
        request.session["logged_in_at"] = request.clock.now().timestamp()
        request.session.new_csrf_token()
        return []

    def forget(self, request, **kw):
        request.session.invalidate()
        return []


def _current_user(request):
    """The caller's ``User`` row, loaded on first use (most requests need only ``request.identity``)."""
    identity = request.identity
    return request.dbsession.get(User, identity.id) if identity is not None else None


def _has_session_cookie(request):
    return SESSION_COOKIE in request.cookies


SESSION_COOKIE = "ggzy_session"


def _check_csrf(request):
    """Pages and session-authenticated calls need the CSRF token; bearer-token calls do not."""
    if _bearer(request) is not None:
        return False
    if request.path.startswith("/api/"):
        return _has_session_cookie(request)
    return True


def includeme(config):
    settings = config.get_settings()
    config.registry["passwords"] = Passwords.from_settings(settings)
    config.set_session_factory(
        SignedCookieSessionFactory(
            settings["ggzy.session_secret"],
            cookie_name=SESSION_COOKIE,
            httponly=True,
            samesite="Lax",
            secure=settings["ggzy.secure_cookies"],
            timeout=12 * 3600,
            reissue_time=600,
        )
    )
    config.set_default_csrf_options(require_csrf=True, header="X-CSRF-Token", callback=_check_csrf)
    config.set_security_policy(SecurityPolicy())
    config.add_request_method(_current_user, "user", reify=True)
    config.add_request_method(client_addr, "client_addr", reify=True)
    config.add_request_method(client_device, "client_device", reify=True)
