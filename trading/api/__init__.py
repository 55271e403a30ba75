"""The JSON API: the view decorator, input checking before permission, and the shared view helpers."""
import json
from decimal import Decimal

import jsonschema
from pyramid.view import view_config
from pyramid.viewderivers import INGRESS

from ..errors import AuthRequired, RequestInvalid, field_error
from ..i18n import _
from ..schema import NUL, has_nul, schema_details
from ..security import roles_for

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


def api_view(route_name, method, permission, *, body=None, query=None, required_query=(), status=200, summary="",
             responses=None, produces=None, **kw):
    """Register a JSON API view; ``body`` is the JSON Schema of its request body, checked before permission.

    ``produces`` is the media type of a success that is not JSON (a route ending in .pdf is application/pdf).
    """
    if permission is None:
        raise ValueError(f"{route_name} {method}: every view names its permission")
    return view_config(
        route_name=route_name,
        request_method=method,
        permission=str(permission),
        renderer="json",
        api_doc={
            "body": body,
            "query": query or {},
            "required_query": tuple(required_query),
            "status": status,
            "summary": summary,
            "responses": responses or {},
            "permission": str(permission),
            "produces": produces,
        },
        **kw,
    )


def api_input(view, info):
    """Authentication (401), then the request's shape (400), before Pyramid checks the permission (403)."""
    doc = info.options.get("api_doc")
    if doc is None:
        return view
    needs_user = roles_for(doc["permission"]) is not None
    body_schema = doc["body"]
    query_schema = doc["query"]
    required_query = doc.get("required_query", ())
    status = doc["status"]
    multipart = bool(body_schema and body_schema.get("x-multipart"))
    validator = (jsonschema.Draft202012Validator(body_schema)
                 if body_schema and body_schema.get("type") == "object" and not multipart else None)

    def wrapper(context, request):
        if request.environ.get("ggzy.bad_credentials") is None:
            request.identity  # noqa: B018 - reads the credentials now, so a bad token is known
        if request.environ.get("ggzy.bad_credentials"):
            raise AuthRequired(message=_("The token is unknown, expired or revoked."))
        if needs_user and request.identity is None:
            raise AuthRequired()
        if query_schema:
            request.query_input = parse_query(request, query_schema)
            missing = [name for name in required_query if name not in request.query_input]
            if missing:
                raise RequestInvalid(details=[field_error(name, _("This field is required.")) for name in missing])
        if multipart:
            check_multipart(request, body_schema)
        if validator is not None:
            request.json_input = parse_json(request, validator)
        if status != 200:
            request.response.status_int = status
        return view(context, request)

    return wrapper


api_input.options = ("api_doc",)


def check_multipart(request, schema):
    """A multipart upload: the size limit first (413), then the fields the schema requires (400)."""
    from .. import multipart
    from ..errors import TooLarge

    limit = request.registry.settings["ggzy.upload_max_bytes"]
    # the whole body may carry several files and form fields: allow some room for them
    if request.content_length is not None and request.content_length > limit + 1024 * 1024:
        raise TooLarge(message=_("The upload is larger than the limit of ${mb} MB.", mapping={"mb": limit // (1024 * 1024)}))
    if not request.content_type.startswith("multipart/form-data"):
        raise RequestInvalid(message=_("The body must be multipart/form-data."))
    try:
        fields = multipart.form(request)  # request.POST, read without cgi's line-by-line pass when it can be
    except Exception:
        raise RequestInvalid(message=_("The multipart body cannot be read.")) from None
    # (a file's name is only a display name, cleaned where it is kept: services/documents.py)
    if any(NUL in name or (isinstance(value, str) and NUL in value) for name, value in fields.items()):
        raise RequestInvalid(message=_("A form field must not contain the character U+0000."))
    details = []
    for name in schema.get("required", []):
        values = fields.getall(name)
        if not values or all((getattr(v, "filename", None) is None and not str(v).strip()) for v in values):
            details.append(field_error(name, _("This field is required.")))
    for name, spec in schema.get("properties", {}).items():
        if spec.get("format") == "binary" or spec.get("type") == "array":
            for value in fields.getall(name):
                if getattr(value, "filename", None) is None:
                    details.append(field_error(name, _("Must be a file.")))
                    break
    if details:
        raise RequestInvalid(details=details)


def _reject_constant(value):
    raise ValueError(f"{value} is not a JSON number")


def parse_json(request, validator):
    if request.content_type.startswith("multipart/"):
        raise RequestInvalid(message=_("The body must be JSON (Content-Type: application/json)."))
    try:
        text = request.body.decode("utf-8")
        data = json.loads(text, parse_float=Decimal, parse_constant=_reject_constant) if text.strip() else None
    except (UnicodeDecodeError, ValueError):
        raise RequestInvalid(message=_("The body is not valid JSON.")) from None
    if "\\u0000" in text and has_nul(data):  # only the escape can put U+0000 in a string: strict JSON has no raw one
        raise RequestInvalid(message=_("Text in the body must not contain the character U+0000."))
    if data is None:
        data = {}
    details = schema_details(validator, data)
    if details:
        raise RequestInvalid(details=details)
    return data


def parse_query(request, spec):
    """Query parameters by a simple spec: name -> ("string"|"integer"|"instant"|"enum", extra)."""
    from ..timeutil import parse_instant

    values = {}
    details = []
    for name, kind in spec.items():
        raw = request.GET.get(name)
        if raw is None or raw == "":
            continue
        if isinstance(kind, (list, tuple)):
            if raw not in kind:
                details.append(field_error(name, _("Must be one of: ${values}.", mapping={"values": ", ".join(kind)})))
                continue
            values[name] = raw
        elif kind == "integer":
            try:
                values[name] = int(raw)
            except ValueError:
                details.append(field_error(name, _("Must be of type ${kind}.", mapping={"kind": "integer"})))
        elif kind == "instant":
            try:
                values[name] = parse_instant(raw)
            except ValueError:
                details.append(field_error(name, _("Must be an RFC 3339 instant with an offset.")))
        else:
            if len(raw) > 500:
                details.append(field_error(name, _("Must be at most ${n} characters long.", mapping={"n": 500})))
                continue
            values[name] = raw
    if details:
        raise RequestInvalid(details=details)
    return values


LIST_QUERY = {"limit": "integer", "cursor": "string"}


def page_limit(request):
    limit = request.query_input.get("limit", DEFAULT_LIMIT) if hasattr(request, "query_input") else DEFAULT_LIMIT
    if limit < 1 or limit > MAX_LIMIT:
        raise RequestInvalid(details=[field_error("limit", _("Must be between 1 and ${max}.", mapping={"max": MAX_LIMIT}))])
    return limit


def includeme(config):
    config.add_view_deriver(api_input, under=INGRESS, over="secured_view")
    config.scan(".", ignore=".testing")
    if config.get_settings()["ggzy.clock"] == "manual":
        config.scan(".testing")
