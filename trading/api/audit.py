"""The audit trail: browse events and recompute the chain."""
import json

from sqlalchemy import select

from .. import audit
from ..i18n import instant
from ..models import AuditEvent, User
from ..security import Permission
from . import LIST_QUERY, api_view, page_limit
from .pagination import decode_cursor, encode_cursor

AUDIT_QUERY = {**LIST_QUERY, "project_id": "string", "actor_id": "string", "action": "string",
               "object_type": "string", "object_id": "string", "since": "instant", "until": "instant"}


def event_json(event, actor):
    return {
        "seq": event.seq,
        "at": audit.format_at(event.at),
        "actor": {"id": actor.id, "username": actor.username, "role": actor.role} if actor else
                 ({"id": event.actor_id, "username": None, "role": None} if event.actor_id else None),
        "actor_id": event.actor_id,
        "ip": event.ip,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "project_id": event.project_id,
        "data": json.loads(event.data),
        "prev_hash": event.prev_hash,
        "hash": event.hash,
        "local_time": instant(event.at),
    }


def audit_query(filters):
    query = select(AuditEvent, User).outerjoin(User, User.id == AuditEvent.actor_id)
    for name in ("project_id", "actor_id", "action", "object_type", "object_id"):
        if name in filters:
            query = query.where(getattr(AuditEvent, name) == filters[name])
    if "since" in filters:
        query = query.where(AuditEvent.at >= filters["since"])
    if "until" in filters:
        query = query.where(AuditEvent.at < filters["until"])
    return query


@api_view("api.audit", "GET", Permission.AUDIT_READ, query=AUDIT_QUERY, summary="Audit events, oldest first")
def list_events(request):
    filters = request.query_input
    limit = page_limit(request)
    query = audit_query(filters)
    if "cursor" in filters:
        (after,) = decode_cursor(filters["cursor"], 1)
        query = query.where(AuditEvent.seq > int(after))
    rows = request.dbsession.execute(query.order_by(AuditEvent.seq).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "items": [event_json(event, actor) for event, actor in rows],
        "next_cursor": encode_cursor([rows[-1][0].seq]) if more else None,
    }


@api_view("api.audit.verify", "GET", Permission.AUDIT_READ, summary="Recompute the whole audit chain")
def verify(request):
    return dict(audit.verify(request.dbsession.connection()))
