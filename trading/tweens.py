"""Request checks before any view (a query string that is not UTF-8 is a 400), and a 503 when the database is down."""
import logging

from pyramid.response import Response
from pyramid.tweens import EXCVIEW

from .errors import RequestInvalid, Unavailable
from .i18n import _

log = logging.getLogger(__name__)


def query_check_factory(handler, registry):
    """A query string that is not UTF-8 is a 400 before any view decodes it.

    Under pyramid_tm: the error page's header names the caller, which a browser session reads from the database,
    and a session outside the request's transaction cannot join it (a logged-in page answered 500).
    """

    def query_check(request):
        try:
            request.GET  # noqa: B018 - decoding happens on first access
        except UnicodeDecodeError:
            from .api.errors import error_response

            return error_response(request, RequestInvalid(message=_("The address is not valid UTF-8.")))
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
    config.add_tween("trading.tweens.database_down_factory")
