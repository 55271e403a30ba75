"""The trading methods the installed sector plugins provide."""
from ..security import Permission
from . import api_view


@api_view("api.methods", "GET", Permission.PUBLIC, summary="Every trading method of the installed sector plugins")
def list_methods(request):
    translate = request.localizer.translate
    items = [spec.as_json(translate) for spec in request.registry["methods"]]
    return {"items": items, "next_cursor": None}


@api_view("api.ping", "GET", Permission.PUBLIC, summary="A bare answer with no database work (load balancers, benchmarks)")
def ping(request):
    return {"pong": True, "now": request.clock.now().isoformat()}
