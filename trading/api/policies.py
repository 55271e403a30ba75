"""Policies and regulations API (政策法规): search the library, read one policy, and (admins) add one."""
from datetime import date

from ..errors import RequestInvalid, field_error
from ..i18n import _
from ..models import Policy
from ..policies import SECTORS
from ..security import Permission
from ..services import policies
from . import LIST_QUERY, api_view, page_limit
from .pagination import decode_cursor, keyset_page

# a real calendar date, leap years included, so that a bad date is refused with the request's shape (before permission)
ISO_DATE = (
    r"^(?!0000)(?:[0-9]{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
    r"|02-(?:0[1-9]|1[0-9]|2[0-8]))|(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)-02-29)$"
)
NOT_BLANK = r"\S"

POLICY = {
    "type": "object",
    "properties": {
        "title": {"type": "string", "minLength": 1, "maxLength": 300, "pattern": NOT_BLANK},
        "issuer": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": NOT_BLANK},
        "number": {"type": ["string", "null"], "maxLength": 100},
        "issued_on": {"type": "string", "format": "date", "pattern": ISO_DATE, "description": "YYYY-MM-DD"},
        "sector": {"enum": list(SECTORS)},
        "body": {"type": "string", "minLength": 1, "maxLength": 200000, "pattern": NOT_BLANK},
    },
    "required": ["title", "issuer", "issued_on", "sector", "body"],
}


def _bad_date(field):
    return RequestInvalid(details=[field_error(field, _("Has the wrong format (${format}).", mapping={"format": "YYYY-MM-DD"}))])


def parse_date(text, field):
    if not isinstance(text, str) or len(text) != 10:
        raise _bad_date(field)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _bad_date(field) from None


def _check_cursor(request):
    """The cursor's keys must be an issue date and an id, or the database would be asked nonsense."""
    cursor = request.query_input.get("cursor")
    if cursor:
        issued_on, policy_id = decode_cursor(cursor, 2)
        if not isinstance(policy_id, str) or not isinstance(issued_on, str):
            raise RequestInvalid(details=[field_error("cursor", _("The cursor is not valid."))])
        try:
            date.fromisoformat(issued_on)
        except ValueError:
            raise RequestInvalid(details=[field_error("cursor", _("The cursor is not valid."))]) from None


@api_view("api.policies", "GET", Permission.PUBLIC, query={**LIST_QUERY, "q": "string", "sector": list(SECTORS)},
          summary="Search the policies library: q matches title, number, issuer or body; newest first")
def list_policies(request):
    filters = request.query_input
    limit = page_limit(request)
    _check_cursor(request)
    query = policies.search(request.dbsession, q=filters.get("q"), sector=filters.get("sector"))
    return keyset_page(request, query, Policy.issued_on, Policy.id, policies.policy_list_json, limit,
                       descending=True, convert=date.fromisoformat)


@api_view("api.policy", "GET", Permission.PUBLIC, summary="One policy, by its id or its code (e.g. TBL), with the full body",
          responses={404: "not_found"})
def get_policy(request):
    return policies.policy_json(policies.get_by_code_or_id(request.dbsession, request.matchdict["policy_id"]))


@api_view("api.policies", "POST", Permission.POLICIES_MANAGE, body=POLICY, status=201,
          summary="Add a policy to the library (JSON; file uploads are not accepted yet)")
def create_policy(request):
    data = dict(request.json_input)
    data["issued_on"] = parse_date(data["issued_on"], "issued_on")
    return policies.policy_json(policies.create(request, data))
