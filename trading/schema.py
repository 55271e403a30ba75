"""JSON Schema checks as the API reports them: one detail per field, its message translatable."""
from decimal import Decimal

import jsonschema

from .errors import field_error
from .i18n import _


NUL = "\x00"  # PostgreSQL refuses it in text; refused at the input, so that SQLite stores nothing PostgreSQL would not


def has_nul(value):
    """Whether a decoded JSON value holds U+0000 in any string, key or value."""
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(NUL in key or has_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(has_nul(item) for item in value)
    return False


def json_numbers(value):
    """A copy with Decimals as JSON numbers: for jsonschema, or for a JSON column (the caller keeps its Decimals)."""
    if isinstance(value, dict):
        return {k: json_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_numbers(v) for v in value]
    if isinstance(value, Decimal):
        return float(value)
    return value


def field_of(error):
    parts = list(error.absolute_path)
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        parts.append(missing)
    if error.validator == "additionalProperties":
        extra = error.message.split("'")[1] if "'" in error.message else ""
        parts.append(extra)
    field = ""
    for part in parts:
        field += f"[{part}]" if isinstance(part, int) else (("." if field else "") + str(part))
    return field or "body"


def detail(error):
    v = error.validator
    value = error.validator_value
    if v == "required":
        message = _("This field is required.")
    elif v == "type":
        kinds = value if isinstance(value, list) else [value]
        message = _("Must be of type ${kind}.", mapping={"kind": " | ".join(kinds)})
    elif v == "enum":
        message = _("Must be one of: ${values}.", mapping={"values": ", ".join(map(str, value))})
    elif v == "const":
        message = _("Must be ${value}.", mapping={"value": value})
    elif v in ("minLength",):
        message = _("Must be at least ${n} characters long.", mapping={"n": value}) if value > 1 else _("Must not be empty.")
    elif v == "maxLength":
        message = _("Must be at most ${n} characters long.", mapping={"n": value})
    elif v == "pattern":
        message = _("Has the wrong format.")
    elif v == "format":
        message = _("Has the wrong format (${format}).", mapping={"format": value})
    elif v in ("minimum", "exclusiveMinimum"):
        message = _("Must be at least ${n}.", mapping={"n": value}) if v == "minimum" else _("Must be more than ${n}.", mapping={"n": value})
    elif v in ("maximum", "exclusiveMaximum"):
        message = _("Must be at most ${n}.", mapping={"n": value}) if v == "maximum" else _("Must be less than ${n}.", mapping={"n": value})
    elif v == "multipleOf":
        message = _("Must be a multiple of ${n}.", mapping={"n": value})
    elif v == "minItems":
        message = _("Needs at least ${n} item(s).", mapping={"n": value})
    elif v == "maxItems":
        message = _("Takes at most ${n} item(s).", mapping={"n": value})
    elif v == "uniqueItems":
        message = _("Items must not repeat.")
    elif v == "additionalProperties":
        message = _("This field is not known.")
    else:
        message = _("Is not valid.")
    return field_error(field_of(error), message)


def schema_details(schema_or_validator, value, prefix=""):
    """The details of every error of ``value`` against a schema, fields under ``prefix`` (e.g. "params")."""
    # a schema is a dict; isinstance against jsonschema's Validator protocol costs a request ~100 µs
    validator = (jsonschema.Draft202012Validator(schema_or_validator) if isinstance(schema_or_validator, dict)
                 else schema_or_validator)
    details = []
    for error in sorted(validator.iter_errors(json_numbers(value)), key=lambda e: [str(p) for p in e.absolute_path]):
        item = detail(error)
        if prefix:
            item["field"] = prefix + ("." + item["field"] if item["field"] != "body" else "")
        details.append(item)
    return details
