"""One place that turns every refusal into the API's error body (or an HTML page), in the request's language."""
import logging

from pyramid.csrf import BadCSRFToken
from pyramid.httpexceptions import HTTPException, HTTPForbidden, HTTPFound, HTTPNotFound
from pyramid.interfaces import IRoutesMapper
from pyramid.renderers import render_to_response
from pyramid.response import Response
from pyramid.view import exception_view_config, forbidden_view_config, notfound_view_config
from sqlalchemy.exc import DBAPIError

from ..errors import AuthRequired, DomainError, Forbidden, NotFound, RequestInvalid, TooLarge, Unavailable
from ..i18n import _

log = logging.getLogger(__name__)

METHOD_NOT_ALLOWED = "request.method_not_allowed"


def is_api(request):
    return request.path.startswith("/api/")


def translate(request, message):
    if message is None:
        return None
    return request.localizer.translate(message) if hasattr(message, "domain") else str(message)


def _translate_details(request, details):
    out = []
    for item in details:
        if isinstance(item, dict):
            item = {k: (translate(request, v) if hasattr(v, "domain") else v) for k, v in item.items()}
        out.append(item)
    return out


def error_body(request, error):
    return {"error": {"code": error.code, "message": translate(request, error.message),
                      "details": _translate_details(request, error.details)}}


def error_response(request, error):
    """The error as a response, without raising: the caller's transaction still commits (audited refusals)."""
    if is_api(request) or request.environ.get("ggzy.wants_json"):
        response = Response(json_body=error_body(request, error), status=error.status, charset="utf-8")
        response.content_type = "application/json"
    else:
        if isinstance(error, AuthRequired) and request.method == "GET":
            return HTTPFound(location=request.route_url("login", _query={"next": request.path_qs}))
        response = render_to_response(
            "trading:templates/error.jinja2",
            {"error": error, "message": translate(request, error.message),
             "details": _translate_details(request, error.details)},
            request=request,
        )
        response.status = error.status
    for name, value in error.headers.items():
        response.headers[name] = value
    response.headers["Cache-Control"] = "no-store"
    return response


@exception_view_config(DomainError)
def domain_error(error, request):
    return error_response(request, error)


@forbidden_view_config()
def forbidden(exc, request):
    if request.identity is None:
        return error_response(request, AuthRequired())
    return error_response(request, Forbidden())


@exception_view_config(BadCSRFToken)
def bad_csrf(exc, request):
    return error_response(request, Forbidden(message=_("The form has expired or its security token is missing; reload the page and try again.")))


def _allowed_methods(request):
    """The methods the matched route answers, when a route matched but no view took the method."""
    route = request.matched_route
    if route is None:
        mapper = request.registry.queryUtility(IRoutesMapper)
        for candidate in mapper.get_routes() if mapper else ():
            if candidate.match(request.path_info) is not None:
                route = candidate
                break
    if route is None:
        return None
    methods = route_methods(request.registry).get(route.name)
    return sorted(methods) if methods else None


def route_methods(registry):
    """route name -> the request methods its views answer, read once from the introspector."""
    table = registry.get("route_methods")
    if table is None:
        table = {}
        for item in registry.introspector.get_category("views") or ():
            view = item["introspectable"]
            name = view.get("route_name")
            methods = view.get("request_methods")
            if name is None:
                continue
            if methods is None:
                methods = ("GET", "POST", "PUT", "PATCH", "DELETE")
            elif isinstance(methods, str):
                methods = (methods,)
            table.setdefault(name, set()).update(methods)
            if "GET" in methods:
                table[name].add("HEAD")
        registry["route_methods"] = table
    return table


@notfound_view_config()
def not_found(exc, request):
    allowed = _allowed_methods(request)
    if allowed and request.method not in allowed:
        error = DomainError(
            "request.method_not_allowed",
            _("The method ${method} is not allowed here; use ${allowed}.",
              mapping={"method": request.method, "allowed": ", ".join(allowed)}),
            status=405,
            headers={"Allow": ", ".join(allowed)},
        )
        return error_response(request, error)
    return error_response(request, NotFound())


@exception_view_config(HTTPException)
def http_exception(exc, request):
    if isinstance(exc, (HTTPFound,)) or exc.code < 400:
        return exc
    if isinstance(exc, HTTPNotFound):
        return not_found(exc, request)
    if isinstance(exc, HTTPForbidden):
        return forbidden(exc, request)
    if exc.code == 413:
        return error_response(request, TooLarge())
    return error_response(request, DomainError("request.invalid" if exc.code == 400 else "http.error",
                                               _("The request cannot be carried out."), status=exc.code))


@exception_view_config(DBAPIError)
def database_error(exc, request):
    if is_nul_refused(exc):
        # input the checks at the door do not see (a multipart field, a header kept with a bid) that carried U+0000:
        # the client's to fix, and the transaction is aborted as for any exception, so nothing of it is stored
        log.warning("U+0000 in text refused by the database on %s %s", request.method, request.path)
        return error_response(request, RequestInvalid(message=_("Text must not contain the character U+0000.")))
    log.exception("database error on %s %s", request.method, request.path)
    if is_disconnect(exc):
        return error_response(request, Unavailable())
    return server_error(exc, request)


def is_nul_refused(exc):
    """psycopg refuses to send text holding U+0000 to PostgreSQL, before the statement reaches the server."""
    orig = getattr(exc, "orig", None)
    return type(orig).__name__ == "DataError" and "NUL (0x00)" in str(orig)


def is_disconnect(exc):
    """The database is down or the connection broke (not a constraint, a serialization failure or a bug)."""
    if exc.connection_invalidated:
        return True
    name = type(getattr(exc, "orig", None)).__name__
    return name in ("OperationalError", "InterfaceError", "AdminShutdown", "ConnectionFailure", "CannotConnectNow")


@exception_view_config(Exception)
def server_error(exc, request):
    log.exception("unexpected error on %s %s", request.method, request.path)
    return error_response(request, DomainError("server.error", _("An unexpected error occurred; it has been logged."), status=500))


