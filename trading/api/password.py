"""The caller changes its own password: every token of the user is revoked and its browser sessions end."""
from ..errors import DomainError, RulesViolated
from ..security import Permission
from ..services import accounts
from . import api_view
from .accounts import PASSWORD
from .errors import error_response

CHANGE_PASSWORD = {
    "type": "object",
    "properties": {"current_password": PASSWORD, "new_password": PASSWORD},
    "required": ["current_password", "new_password"],
}


@api_view("api.me.password", "POST", Permission.AUTHENTICATED, body=CHANGE_PASSWORD, status=204,
          summary="Change the caller's password; revokes every token of the user and ends its browser sessions",
          responses={422: "auth.password_wrong, auth.password_weak"})
def change_password(request):
    data = request.json_input
    user = request.user
    try:
        accounts.verify_current_password(request, user, data["current_password"])
    except DomainError as error:
        # answered, not raised: the failure count and its audit event are committed, as for logins
        return error_response(request, error)
    try:
        accounts.change_password(request, user, data["new_password"])
    except RulesViolated as error:
        # the service names the field "password"; here the caller sent it as new_password
        for detail in error.details:
            if detail.get("field") == "password":
                detail["field"] = "new_password"
        raise
    response = request.response
    response.status_int = 204
    del response.content_type
    return response
