"""HTML pages: the base layout's views for the public and the five roles' entry points."""
from pyramid.httpexceptions import HTTPFound, HTTPSeeOther
from pyramid.security import forget, remember
from pyramid.view import view_config
from sqlalchemy import text

from ..errors import DomainError
from ..i18n import LOCALES, _
from ..security import Permission
from ..services import accounts

ROLE_HOME = {
    "admin": _("Administration"),
    "officer": _("Officer workspace"),
    "bidder": _("Bidder workspace"),
    "expert": _("Expert workspace"),
    "inspector": _("Inspector workspace"),
}


# each role's workspace (a plugin's route when the plugin serves it; home when that plugin is not loaded)
ROLE_WORKSPACE = {
    "admin": "admin.users",
    "officer": "officer.home",
    "bidder": "bidder.home",
    "expert": "experts.invitations",
    "inspector": "inspector.alerts",
}


def workspace_url(request, user, path=False):
    """The user's workspace address, or None when the role has none in this installation."""
    route = ROLE_WORKSPACE.get(user.role) if user else None
    if route is None:
        return None
    try:
        return request.route_path(route) if path else request.route_url(route)
    except KeyError:
        return None


def form_errors(request, error):
    """A refusal as a form shows it: the message, field -> message, and the broken rules."""
    translate = request.localizer.translate
    fields, rules = {}, []
    for detail in error.details:
        message = translate(detail["message"]) if hasattr(detail.get("message"), "domain") else detail.get("message")
        if "rule" in detail:
            rules.append({**detail, "message": message})
            if detail.get("field"):
                fields.setdefault(detail["field"], message)
        elif "field" in detail:
            fields.setdefault(detail["field"], message)
    return {"message": translate(error.message) if hasattr(error.message, "domain") else str(error.message),
            "code": error.code, "fields": fields, "rules": rules}


def flash(request, message):
    request.session.flash(request.localizer.translate(message) if hasattr(message, "domain") else message)


def _safe_next(request, target):
    if not target or not target.startswith("/") or target.startswith("//"):
        return request.route_url("home")
    return target


@view_config(route_name="home", renderer="home.jinja2", permission=Permission.PUBLIC)
def home(request):
    return {"methods": list(request.registry["methods"]), "role_home": ROLE_HOME,
            "workspace": workspace_url(request, request.identity, path=True)}


@view_config(route_name="methods", renderer="methods.jinja2", permission=Permission.PUBLIC)
def methods_page(request):
    return {"methods": list(request.registry["methods"])}


@view_config(route_name="login", renderer="login.jinja2", request_method="GET", permission=Permission.PUBLIC)
def login_form(request):
    return {"next": request.params.get("next", ""), "error": None, "username": ""}


@view_config(route_name="login", renderer="login.jinja2", request_method="POST", permission=Permission.PUBLIC)
def login_submit(request):
    username = request.POST.get("username", "").strip()[:64]
    password = request.POST.get("password", "")[:256]
    next_url = request.POST.get("next", "")
    if not username or not password:
        request.response.status_int = 400
        return {"next": next_url, "error": _("Enter your username and password."), "username": username}
    try:
        user, _token = accounts.login(request, username, password, with_token=False)
    except DomainError as error:
        # rendered, not raised: the failed attempt is committed with its audit event
        request.response.status_int = error.status
        return {"next": next_url, "error": error.message, "username": username}
    headers = remember(request, user.id)
    if not next_url:
        # no page asked for: the role's own workspace
        return HTTPSeeOther(location=workspace_url(request, user) or request.route_url("home"), headers=headers)
    return HTTPSeeOther(location=_safe_next(request, next_url), headers=headers)


@view_config(route_name="logout", request_method="POST", permission=Permission.PUBLIC)
def logout(request):
    headers = forget(request)
    return HTTPSeeOther(location=request.route_url("home"), headers=headers)


@view_config(route_name="language", permission=Permission.PUBLIC)
def language(request):
    locale = request.matchdict["locale"]
    response = HTTPFound(location=_safe_next(request, request.params.get("next")))
    if locale in LOCALES:
        response.set_cookie("_LOCALE_", locale, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response


@view_config(route_name="heartbeat", renderer="json", permission=Permission.PUBLIC)
def heartbeat(request):
    """Every component's check: the database answers, the clock reads."""
    request.dbsession.execute(text("SELECT 1"))
    return {"database": "ok", "clock": request.clock.kind, "now": request.clock.now().isoformat()}


def includeme(config):
    config.scan(__name__)
