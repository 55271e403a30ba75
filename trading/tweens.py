"""Request checks that run before any view: a query string or form that is not UTF-8 is a 400, never a 500."""
from .errors import RequestInvalid
from .i18n import _


def query_check_factory(handler, registry):
    def query_check(request):
        try:
            request.GET  # noqa: B018 - decoding happens on first access
        except UnicodeDecodeError:
            from .api.errors import error_response

            return error_response(request, RequestInvalid(message=_("The address is not valid UTF-8.")))
        return handler(request)

    return query_check


def includeme(config):
    config.add_tween("trading.tweens.query_check_factory")
