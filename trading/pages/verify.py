"""The public page that confirms an award notice by its code (reached from the notice's QR code)."""
from pyramid.view import view_config

from ..errors import NotFound
from ..security import Permission
from ..services import award as awards


@view_config(route_name="verify", renderer="verify.jinja2", permission=Permission.PUBLIC)
def verify(request):
    code = request.matchdict["code"][:60]
    try:
        found = awards.verify_json(request, awards.by_notice_code(request, code))
    except NotFound:
        request.response.status_int = 404
        return {"code": code, "notice": None}
    return {"code": code, "notice": found}
