"""The caller changes its own password: every token of the user is revoked and its browser sessions end."""
from .. import audit
from ..errors import RulesViolated, RuleViolation
from ..i18n import _
from ..security import Permission, get_passwords
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
    ok, _rehash = get_passwords(request.registry).verify(user.password_hash, data["current_password"])
    if not ok:
        # answered, not raised: the refusal's audit event is committed (a stolen token guessing the password shows)
        audit.record(request, "user.password_change_refused", user, {"reason": "password_wrong"})
        return error_response(request, RulesViolated([RuleViolation(
            "auth.password_wrong", _("The current password is wrong."), field="current_password")]))
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
