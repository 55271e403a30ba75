"""The manual clock (ggzy.clock = manual): read it, or move it forward and run what fell due."""
from ..errors import RequestInvalid, field_error
from ..i18n import _, instant
from ..scheduler import sweep_in_request
from ..security import Permission
from ..timeutil import INSTANT_SCHEMA, parse_instant
from . import api_view

CLOCK = {"type": "object", "properties": {"now": INSTANT_SCHEMA}, "required": ["now"]}


@api_view("api.testing.clock", "GET", Permission.PUBLIC, summary="The manual clock's now")
def get_clock(request):
    return {"now": instant(request.clock.now())}


@api_view("api.testing.clock", "PUT", Permission.CLOCK_SET, body=CLOCK,
          summary="Set the manual clock and run every due transition", responses={409: "clock.backwards"})
def set_clock(request):
    try:
        new = parse_instant(request.json_input["now"])
    except ValueError:
        raise RequestInvalid(details=[field_error("now", _("Must be an RFC 3339 instant with an offset."))]) from None
    request.clock.set(new)
    transitions = sweep_in_request(request)
    return {"now": instant(request.clock.now()), "transitions": transitions}
