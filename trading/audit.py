"""The hash-chained audit trail: append in the caller's transaction, recompute to verify."""
import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timezone
from decimal import Decimal
from json.encoder import encode_basestring as _json_string  # what json.dumps(ensure_ascii=False) writes for a str

from sqlalchemy import select

from .models import AuditEvent, AuditHead
from .models.audit import GENESIS_HASH

HEAD_ID = 1


def _plain(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return format_at(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    return value


def canonical_json(value):
    """Keys sorted, no spaces, non-ASCII kept as UTF-8: the platform's one canonical JSON."""
    return json.dumps(_plain(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_hex(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def format_at(moment):
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _id(value):
    return None if value is None else str(value)


def _json(value):
    """canonical_json(value), short-cut for the values an event's fields hold: a string or None."""
    if value is None:
        return "null"
    if type(value) is str:
        return _json_string(value)
    return canonical_json(value)


def canonical_event(seq, at, actor_id, ip, action, object_type, object_id, project_id, data_text):
    """The hashed text of one event; ``data_text`` is the stored canonical JSON of its data.

    Byte for byte ``canonical_json`` of the object {action, actor_id, at, data, ip, object_id, object_type,
    project_id, seq} with ``data`` replaced by ``data_text``, built without a JSON encoder per event.
    """
    return _event_text(
        seq if type(seq) is int else canonical_json(seq), _json(format_at(at) if isinstance(at, datetime) else at),
        _json(_id(actor_id)), _json(ip), _json(action), _json(object_type), _json(_id(object_id)),
        _json(_id(project_id)), data_text,
    )


def _event_text(seq, at, actor_id, ip, action, object_type, object_id, project_id, data):
    """canonical_json of the event object written out, each argument already JSON: its keys in sorted order."""
    return (f'{{"action":{action},"actor_id":{actor_id},"at":{at},"data":{data},"ip":{ip},"object_id":{object_id},'
            f'"object_type":{object_type},"project_id":{project_id},"seq":{seq}}}')


def chain_hash(prev_hash, canonical):
    return sha256_hex(prev_hash + canonical)


def lock_head(dbsession):
    """The chain head, locked until the transaction ends: writers chain in commit order."""
    return dbsession.execute(
        select(AuditHead).where(AuditHead.id == HEAD_ID).with_for_update().execution_options(populate_existing=True)
    ).scalar_one()


def head_hash(dbsession):
    return lock_head(dbsession).hash


def record(request, action, obj=None, data=None, *, object_type=None, object_id=None, project_id=None,
           actor=None, actor_id=None, ip=None, system=False):
    """Append one event to the chain in the caller's transaction and let plugins react to it.

    ``obj`` names the object (its ``__audit_type__`` or table, its id and its
    project); the actor is the request's user unless given; ``system=True``
    records the clock or the scheduler as the actor.
    """
    dbsession = request.dbsession
    if obj is not None:
        object_type = object_type or getattr(obj, "__audit_type__", None) or obj.__tablename__
        object_id = object_id if object_id is not None else getattr(obj, "id", None)
        if project_id is None:
            project_id = getattr(obj, "project_id", None)
    if not system:
        if actor is None and actor_id is None:
            actor = getattr(request, "identity", None)
        if actor_id is None and actor is not None:
            actor_id = actor.id
        if ip is None:
            ip = getattr(request, "client_addr", None)
    data_text = canonical_json(data or {})
    head = lock_head(dbsession)
    seq = head.seq + 1
    at = request.clock.now()
    canonical = canonical_event(seq, at, actor_id, ip, action, object_type, object_id, project_id, data_text)
    digest = chain_hash(head.hash, canonical)
    event = AuditEvent(
        seq=seq, at=at, actor_id=_id(actor_id), ip=ip, action=action, object_type=object_type,
        object_id=_id(object_id), project_id=_id(project_id), data=data_text, prev_hash=head.hash, hash=digest,
    )
    dbsession.add(event)
    head.seq, head.hash = seq, digest
    dbsession.flush()
    request.registry["plugin_manager"].hook.ggzy_after_event(event=event, request=request)
    return event


class VerifyResult(dict):
    @property
    def ok(self):
        return self["ok"]


def _at_text(at):
    """format_at of ``at`` as the database hands it back untyped: a naive UTC datetime, or SQLite's text."""
    if isinstance(at, str):
        if len(at) == 26 and at[10] == " " and at[0] != "0":  # SQLAlchemy's SQLite form, "YYYY-MM-DD HH:MM:SS.ffffff"
            return at[:10] + "T" + at[11:] + "Z"
        at = datetime.fromisoformat(at)
    return format_at(at if at.tzinfo is not None else at.replace(tzinfo=timezone.utc))


_VERIFY_COLUMNS = "seq, at, actor_id, ip, action, object_type, object_id, project_id, data, prev_hash, hash"


def verify(connection, batch=20000):
    """Recompute the whole chain; report the first event whose link or hash does not hold.

    Built for millions of events: keyset batches read through the driver's own cursor (plain tuples, no SQLAlchemy
    rows or column types), and each event's text written as ``canonical_event`` writes it, from the
    stored columns, which are strings or NULL, an integer seq, and the stored naive UTC time.
    """
    marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    query = (f"SELECT {_VERIFY_COLUMNS} FROM {AuditEvent.__table__.name} WHERE seq > {marker} ORDER BY seq "
             f"LIMIT {int(batch)}")
    expected_seq = 1
    prev = GENESIS_HASH
    checked = 0
    first_bad = None
    sha256 = hashlib.sha256
    string, at_text, plain_datetime, event_text = _json_string, _at_text, datetime, _event_text
    # the driver's cursor on the connection's own DBAPI connection: inside the caller's transaction, if any
    cursor = connection.connection.cursor()

    def fetch(after):
        # keyset batches: bounded memory on any database, no server-side cursor needed
        cursor.execute(query, (after,))
        return cursor.fetchall()

    # a database server reads the next batch while this thread hashes the current one (SQLite runs in this
    # thread anyway, and its connections belong to the thread that opened them)
    ahead = ThreadPoolExecutor(1) if connection.dialect.name != "sqlite" else None
    try:
        rows = fetch(0)
        while rows:
            following = ahead.submit(fetch, rows[-1][0]) if ahead is not None else None
            checked += len(rows)
            for seq, at, actor_id, ip, action, object_type, object_id, project_id, data, prev_hash, digest in rows:
                if first_bad is None:
                    # canonical_event's work without its per-field calls: the stored fields are str or None
                    if type(at) is plain_datetime and at.tzinfo is None and at.year >= 1000:
                        at = at.isoformat()  # = format_at: strftime's %Y pads no year below 1000, isoformat does
                        at = f'"{at}.000000Z"' if len(at) == 19 else f'"{at}Z"'
                    else:
                        at = string(at_text(at))
                    actor_id = "null" if actor_id is None else string(actor_id)
                    ip = "null" if ip is None else string(ip)
                    object_type = "null" if object_type is None else string(object_type)
                    object_id = "null" if object_id is None else string(object_id)
                    project_id = "null" if project_id is None else string(project_id)
                    canonical = event_text(seq, at, actor_id, ip, string(action), object_type, object_id, project_id,
                                           data)
                    if (seq != expected_seq or prev_hash != prev
                            or sha256((prev + canonical).encode("utf-8")).hexdigest() != digest):
                        first_bad = seq if seq == expected_seq else expected_seq
                prev = digest
                expected_seq = seq + 1
            rows = following.result() if following is not None else fetch(rows[-1][0])
    finally:
        if ahead is not None:
            ahead.shutdown()  # waits for a fetch still running before the cursor closes
        cursor.close()
    head = connection.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == HEAD_ID)).one_or_none()
    last_seq = expected_seq - 1
    if first_bad is None and head is not None and (head.seq != last_seq or head.hash != (prev if checked else GENESIS_HASH)):
        # events cut off the end of the chain: the head still remembers them
        first_bad = min(head.seq, last_seq + 1)
    return VerifyResult(ok=first_bad is None, checked=checked, first_bad_seq=first_bad,
                        head=prev if checked else GENESIS_HASH)
