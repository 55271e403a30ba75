"""Parsing instants from the wire: RFC 3339 with an offset, kept as aware UTC datetimes."""
import re
from datetime import datetime, timezone

_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?([Zz]|[+-]\d{2}:\d{2})$")


def parse_instant(text):
    """An RFC 3339 instant with an offset (``Z`` or ``+08:00``); a naive or malformed one is a ValueError."""
    if not isinstance(text, str) or not _RFC3339.match(text.strip()):
        raise ValueError(f"not an RFC 3339 instant with an offset: {text!r}")
    text = text.strip()
    if text[-1] in "Zz":
        text = text[:-1] + "+00:00"
    moment = datetime.fromisoformat(text.replace("t", "T"))
    return moment.astimezone(timezone.utc)


INSTANT_SCHEMA = {
    "type": "string",
    "pattern": r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?([Zz]|[+-]\d{2}:\d{2})$",
    "description": "RFC 3339 instant with an offset",
}
