"""Domain errors raised by services; one exception view turns them into the API's error body."""
from .i18n import _


class DomainError(Exception):
    """A refusal the caller can understand: an HTTP status, a stable code and a translatable message."""

    status = 409
    code = "conflict"

    def __init__(self, code=None, message=None, details=None, status=None, headers=None):
        self.code = code or self.code
        self.message = message if message is not None else self.default_message()
        self.details = list(details or [])
        if status is not None:
            self.status = status
        self.headers = dict(headers or {})
        super().__init__(self.code)

    def default_message(self):
        return _("The request cannot be carried out.")


class AuthRequired(DomainError):
    status = 401
    code = "auth.required"

    def default_message(self):
        return _("Please log in first.")


class BadCredentials(AuthRequired):
    def default_message(self):
        return _("The username or password is wrong.")


class Forbidden(DomainError):
    status = 403
    code = "auth.forbidden"

    def default_message(self):
        return _("You are not allowed to do this.")


class NotFound(DomainError):
    status = 404
    code = "not_found"

    def default_message(self):
        return _("Not found.")


class RequestInvalid(DomainError):
    """400: the request's shape is wrong; details name each field."""

    status = 400
    code = "request.invalid"

    def default_message(self):
        return _("The request is not valid.")


class Conflict(DomainError):
    """409: the action does not fit the object's phase or the clock."""

    status = 409


class TooLarge(DomainError):
    status = 413
    code = "upload.too_large"

    def default_message(self):
        return _("The upload is too large.")


class Locked(DomainError):
    status = 429
    code = "auth.locked"

    def default_message(self):
        return _("Too many failed logins; try again later.")


class RulesViolated(DomainError):
    """422: one or more legal or business rules are broken; details list each rule."""

    status = 422
    code = "rules.violated"

    def __init__(self, violations, message=None):
        self.violations = list(violations)
        details = [v if isinstance(v, dict) else v.as_detail() for v in self.violations]
        super().__init__(details=details, message=message)

    def default_message(self):
        return _("The request breaks ${count} rule(s).", mapping={"count": len(self.violations)})


class Unavailable(DomainError):
    status = 503
    code = "service.unavailable"
    retry_after = 5  # seconds: a database restart or failover takes a few

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.headers.setdefault("Retry-After", str(self.retry_after))

    def default_message(self):
        return _("The service is briefly unavailable; please try again.")


class RuleViolation:
    """One broken rule: its code, a translatable message and any extra fields for the details."""

    def __init__(self, rule, message, source=None, policy=None, **extra):
        self.rule = rule
        self.message = message
        self.source = source  # e.g. "TBL Art 24"
        self.policy = policy  # the code of the cited policy in the library, e.g. "TBL"
        self.extra = extra

    def as_detail(self):
        detail = {"rule": self.rule, "message": self.message, **self.extra}
        if self.source:
            detail["source"] = self.source
        if self.policy:
            detail["policy"] = self.policy
        return detail

    def __repr__(self):
        return f"RuleViolation({self.rule!r})"


class RuleWarning(RuleViolation):
    """A rule that warns without blocking (for example a deadline on a non-working day)."""

    blocking = False


RuleViolation.blocking = True


def field_error(field, message):
    return {"field": field, "message": message}
