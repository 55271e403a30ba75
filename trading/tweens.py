"""Request checks before any view (a query string that is not UTF-8 is a 400), and a 503 when the database is down."""
import logging

from pyramid.response import Response
from pyramid.tweens import EXCVIEW

from .errors import RequestInvalid, Unavailable
from .i18n import _
from .schema import NUL

log = logging.getLogger(__name__)


FORM = "application/x-www-form-urlencoded"


def query_check_factory(handler, registry):
    """The address and a plain form, checked before any view reads them: a 400, never a 500 later.

    A query string that is not UTF-8, and U+0000 (``%00``) in the path, the query or a form field: PostgreSQL
    refuses that character in text, so it would fail at the first statement that names it (on SQLite it would be
    stored). JSON bodies are checked as they are parsed (``trading.api.parse_json``).

    Under pyramid_tm: the error page's header names the caller, which a browser session reads from the database,
    and a session outside the request's transaction cannot join it (a logged-in page answered 500).
    """

    def refuse(request, message):
        from .api.errors import error_response

        return error_response(request, RequestInvalid(message=message))

    def query_check(request):
        try:
            query = request.GET
        except UnicodeDecodeError:
            return refuse(request, _("The address is not valid UTF-8."))
        if NUL in request.path_info or any(NUL in key or NUL in value for key, value in query.items()):
            return refuse(request, _("The address must not contain the character U+0000 (%00)."))
        if request.method == "POST" and request.content_type == FORM:
            try:
                form = request.POST
            except UnicodeDecodeError:
                return refuse(request, _("The form is not valid UTF-8."))
            if any(NUL in key or (isinstance(value, str) and NUL in value) for key, value in form.items()):
                return refuse(request, _("A form field must not contain the character U+0000."))
        return handler(request)

    return query_check


def database_down_factory(handler, registry):
    """The database went away outside any view (pyramid_tm loads the user, or the commit fails): a 503, not a 500.

    Errors inside views reach the exception view; these happen in pyramid_tm, above it.
    """
    from sqlalchemy.exc import DBAPIError

    def database_down(request):
        try:
            return handler(request)
        except DBAPIError as exc:
            from .api.errors import error_response, is_disconnect

            if not is_disconnect(exc):
                raise
            log.warning("database unavailable on %s %s: %s", request.method, request.path, exc.orig)
            try:
                return error_response(request, Unavailable())
            except DBAPIError:
                # a page's template wants the user, from the database that is down: plain text then
                return Response(request.localizer.translate(Unavailable().message), status=503, charset="utf-8",
                                content_type="text/plain", headers={"Retry-After": str(Unavailable.retry_after)})

    return database_down


def includeme(config):
    config.add_tween("trading.tweens.query_check_factory", under="pyramid_tm.tm_tween_factory", over=EXCVIEW)
    # above pyramid_tm, whose begin and commit are outside every view
    config.add_tween("trading.tweens.database_down_factory", over="pyramid_tm.tm_tween_factory")
