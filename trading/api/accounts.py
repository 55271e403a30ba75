"""Accounts API: login, token revocation, the caller, organisations and users."""
from sqlalchemy import select

from ..errors import DomainError, NotFound
from ..models import Organization, User
from ..models.accounts import ORG_KINDS, ROLES
from ..security import Permission
from ..services import accounts
from . import LIST_QUERY, api_view, page_limit
from .errors import error_response
from .pagination import keyset_page

USERNAME = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": r"^[A-Za-z0-9_.@-]+$"}
PASSWORD = {"type": "string", "minLength": 1, "maxLength": 256}
TEXT = {"type": "string", "minLength": 1, "maxLength": 200}
OPTIONAL_TEXT = {"type": ["string", "null"], "maxLength": 200}
NAME = {"type": "string", "minLength": 1, "maxLength": 100}
OPTIONAL_NAME = {"type": ["string", "null"], "maxLength": 100}
USCC = {"type": "string", "minLength": 1, "maxLength": 40}

LOGIN = {
    "type": "object",
    "properties": {"username": {"type": "string", "minLength": 1, "maxLength": 64}, "password": PASSWORD},
    "required": ["username", "password"],
}

REGISTER = {
    "type": "object",
    "properties": {
        "name": TEXT, "uscc": USCC, "legal_representative": NAME, "contact_name": NAME,
        "phone": {"type": "string", "minLength": 3, "maxLength": 40},
        "email": {"type": "string", "minLength": 3, "maxLength": 200, "pattern": r"^[^@\s]+@[^@\s]+$"},
        "username": USERNAME, "password": PASSWORD,
    },
    "required": ["name", "uscc", "legal_representative", "contact_name", "phone", "email", "username", "password"],
}

ORGANIZATION = {
    "type": "object",
    "properties": {
        "name": TEXT, "uscc": USCC, "kind": {"enum": list(ORG_KINDS)},
        "legal_representative": OPTIONAL_NAME, "contact_name": OPTIONAL_NAME,
        "phone": {"type": ["string", "null"], "maxLength": 40},
        "email": {"type": ["string", "null"], "maxLength": 200},
    },
    "required": ["name", "uscc", "kind"],
}

USER = {
    "type": "object",
    "properties": {
        "username": USERNAME, "password": PASSWORD, "role": {"enum": list(ROLES)},
        "org_id": {"type": ["string", "null"], "maxLength": 64},
        "expert_id": {"type": ["string", "null"], "maxLength": 64},
        "display_name": OPTIONAL_NAME,
    },
    "required": ["username", "password", "role"],
}


@api_view("api.auth.login", "POST", Permission.PUBLIC, body=LOGIN, summary="Log in; returns a bearer token",
          responses={401: "auth.required", 429: "auth.locked"})
def login(request):
    data = request.json_input
    try:
        user, token = accounts.login(request, data["username"], data["password"])
    except DomainError as error:
        # answered, not raised: the failure count and its audit event must be committed
        return error_response(request, error)
    return {"token": token, "user": accounts.user_json(user)}


@api_view("api.auth.token", "DELETE", Permission.AUTHENTICATED, status=204, summary="Revoke the bearer token in use")
def logout(request):
    if request.identity.token_id is not None:  # a browser session has no token: nothing to revoke
        accounts.revoke_token(request, request.identity.token_id)
    response = request.response
    response.status_int = 204
    del response.content_type
    return response


@api_view("api.me", "GET", Permission.AUTHENTICATED, summary="The calling user")
def me(request):
    body = accounts.user_json(request.identity)  # the principal carries every field of the user's JSON
    organization = accounts.caller_organization(request)
    if organization is not None:
        body["organization"] = accounts.organization_json(organization)
    return body


@api_view("api.organizations.register", "POST", Permission.PUBLIC, body=REGISTER, status=201,
          summary="Register a bidder organisation and its first user",
          responses={409: "org.exists", 422: "org.uscc_invalid, auth.password_weak"})
def register(request):
    org, user = accounts.register_bidder(request, request.json_input)
    return {"organization": accounts.organization_json(org), "user": accounts.user_json(user)}


@api_view("api.organizations", "POST", Permission.ORGANIZATIONS_CREATE, body=ORGANIZATION, status=201,
          summary="Create an owner, agent or bidder organisation", responses={409: "org.exists", 422: "org.uscc_invalid"})
def create_organization(request):
    data = request.json_input
    org = accounts.create_organization(
        request, name=data["name"], uscc=data["uscc"], kind=data["kind"],
        legal_representative=data.get("legal_representative"), contact_name=data.get("contact_name"),
        phone=data.get("phone"), email=data.get("email"),
    )
    return accounts.organization_json(org)


@api_view("api.organizations", "GET", Permission.ORGANIZATIONS_READ, query={**LIST_QUERY, "kind": list(ORG_KINDS), "q": "string"},
          summary="List organisations")
def list_organizations(request):
    query = select(Organization)
    q = request.query_input
    if "kind" in q:
        query = query.where(Organization.kind == q["kind"])
    if "q" in q:
        like = f"%{q['q']}%"
        query = query.where(Organization.name.like(like) | Organization.uscc.like(like))
    return keyset_page(request, query, Organization.name, Organization.id, accounts.organization_json, page_limit(request))


@api_view("api.organization", "GET", Permission.ORGANIZATIONS_READ, summary="One organisation")
def get_organization(request):
    org = request.dbsession.get(Organization, request.matchdict["org_id"])
    if org is None:
        raise NotFound()
    return accounts.organization_json(org)


@api_view("api.users", "POST", Permission.USERS_MANAGE, body=USER, status=201, summary="Create a user",
          responses={409: "user.exists", 422: "auth.password_weak"})
def create_user(request):
    data = request.json_input
    user = accounts.create_user(
        request, username=data["username"], password=data["password"], role=data["role"],
        org_id=data.get("org_id"), expert_id=data.get("expert_id"), display_name=data.get("display_name"),
    )
    return accounts.user_json(user)


@api_view("api.users", "GET", Permission.USERS_MANAGE, query={**LIST_QUERY, "role": list(ROLES)}, summary="List users")
def list_users(request):
    query = select(User)
    if "role" in request.query_input:
        query = query.where(User.role == request.query_input["role"])
    return keyset_page(request, query, User.username, User.id, accounts.user_json, page_limit(request))
