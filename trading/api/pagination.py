"""Keyset pagination: {"items": [...], "next_cursor": ...} with opaque cursors."""
import base64
import json

from sqlalchemy import tuple_

from ..errors import RequestInvalid, field_error
from ..i18n import _


def encode_cursor(values):
    raw = json.dumps(values, separators=(",", ":"), default=str).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(text, size):
    try:
        padded = text + "=" * (-len(text) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        if not isinstance(values, list) or len(values) != size:
            raise ValueError
        return values
    except (ValueError, UnicodeError, TypeError):
        raise RequestInvalid(details=[field_error("cursor", _("The cursor is not valid."))]) from None


def keyset_page(request, query, sort_column, id_column, to_json, limit, descending=False, convert=None):
    """One page of ``query`` ordered by (sort_column, id_column); the cursor carries the last row's keys."""
    cursor = getattr(request, "query_input", {}).get("cursor")
    if cursor:
        sort_value, id_value = decode_cursor(cursor, 2)
        try:
            if not isinstance(id_value, str) or isinstance(sort_value, (dict, list)):
                raise ValueError("cursor")
            if convert is not None:
                sort_value = convert(sort_value)
                if getattr(sort_value, "tzinfo", True) is None:
                    raise ValueError("an instant without its offset")
        except (ValueError, TypeError, OverflowError):
            raise RequestInvalid(details=[field_error("cursor", _("The cursor is not valid."))]) from None
        # a row-value comparison, not "a < x OR (a = x AND b < y)": both databases then seek an index on
        # (..., sort_column, id_column) straight to the cursor instead of scanning and filtering up to it
        keys = tuple_(sort_column, id_column)
        query = query.where(keys < (sort_value, id_value) if descending else keys > (sort_value, id_value))
    order = (sort_column.desc(), id_column.desc()) if descending else (sort_column, id_column)
    rows = request.dbsession.execute(query.order_by(*order).limit(limit + 1)).scalars().all()
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if more and rows:
        last = rows[-1]
        next_cursor = encode_cursor([_key(getattr(last, sort_column.key)), getattr(last, id_column.key)])
    return {"items": [to_json(row) for row in rows], "next_cursor": next_cursor}


def _key(value):
    return value.isoformat() if hasattr(value, "isoformat") else value
