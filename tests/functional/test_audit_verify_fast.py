"""The fast paths of the audit chain: canonical_event and verify write, byte for byte, what canonical JSON gives."""
import json
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import insert, text, update

from trading import audit
from trading.models import AuditEvent, AuditHead
from trading.models.audit import GENESIS_HASH

AWKWARD = 'q " \\ \n \t \x07 \x7f 中 é \u2028'  # fits the 32-character id columns


def reference_text(seq, at, actor_id, ip, action, object_type, object_id, project_id, data_text):
    """The definition: canonical JSON (sorted keys, no spaces, UTF-8) of the event with its data spliced in."""
    head = json.dumps({"seq": seq, "at": at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                       "actor_id": actor_id, "ip": ip, "action": action, "object_type": object_type,
                       "object_id": object_id, "project_id": project_id, "data": None},
                      sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return head.replace('"data":null', '"data":' + data_text, 1)


def events():
    data = [audit.canonical_json({"a": AWKWARD, "n": None, "amount": Decimal("1.50"), "list": [1, "二"]}), "{}"]
    times = [datetime(2026, 12, 1, 1, 0, tzinfo=timezone.utc),  # no microseconds: isoformat would drop them
             datetime(2026, 12, 1, 1, 0, 0, 5, tzinfo=timezone.utc),
             datetime(2027, 1, 2, 3, 4, 5, 678901, tzinfo=timezone.utc),
             datetime(999, 5, 6, 7, 8, 9, 10, tzinfo=timezone.utc)]  # strftime's %Y does not pad years below 1000
    values = [None, AWKWARD, "0123456789abcdef0123456789abcdef", "", '"data":null']
    rows = []
    for seq in range(1, 41):
        pick = [values[(seq * k) % len(values)] for k in (1, 2, 3, 5, 7)]
        rows.append((seq, times[seq % len(times)], pick[0], pick[1], pick[2] or "x.action", pick[3], pick[4],
                     values[seq % 3], data[seq % 2]))
    return rows


def test_canonical_event_is_the_canonical_json_of_the_event():
    for row in events():
        assert audit.canonical_event(*row) == reference_text(*row)


def test_canonical_event_accepts_non_string_ids_and_a_text_time():
    at = datetime(2026, 12, 1, 1, 0, tzinfo=timezone.utc)
    assert audit.canonical_event(3, "2026-12-01T01:00:00.000000Z", 7, None, "a", None, 8, 9, "{}") == (
        reference_text(3, at, "7", None, "a", None, "8", "9", "{}"))


def store(connection, backend, rows):
    if backend == "postgresql":
        connection.execute(text("SET LOCAL session_replication_role = replica"))  # past the append-only trigger
    connection.execute(text("DELETE FROM audit_events"))
    prev = GENESIS_HASH
    for seq, at, actor_id, ip, action, object_type, object_id, project_id, data_text in rows:
        if backend == "sqlite" and at.year < 1000:
            at = at.replace(year=1999)  # SQLite's text form of year 999 has no meaning to SQLAlchemy
        digest = audit.chain_hash(prev, reference_text(seq, at, actor_id, ip, action, object_type, object_id,
                                                       project_id, data_text))
        connection.execute(insert(AuditEvent).values(
            seq=seq, at=at, actor_id=actor_id, ip=ip, action=action, object_type=object_type, object_id=object_id,
            project_id=project_id, data=data_text, prev_hash=prev, hash=digest))
        prev = digest
    connection.execute(update(AuditHead).where(AuditHead.id == audit.HEAD_ID).values(seq=len(rows), hash=prev))
    return prev


@pytest.mark.parametrize("batch", [7, 20000])
def test_verify_recomputes_awkward_events_and_finds_a_change(connection, backend, batch):
    rows = events()
    head = store(connection, backend, rows)
    assert dict(audit.verify(connection, batch=batch)) == {"ok": True, "checked": len(rows), "first_bad_seq": None,
                                                           "head": head}
    connection.execute(text("UPDATE audit_events SET ip = :ip WHERE seq = 12"), {"ip": AWKWARD + "!"})
    result = audit.verify(connection, batch=batch)
    assert result["ok"] is False and result["first_bad_seq"] == 12 and result["checked"] == len(rows)
