"""The hash-chained audit trail: recomputable from outside, tamper-evident, append-only on PostgreSQL."""
import hashlib
import json

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from ..conftest import PASSWORD


def independent_hash(prev_hash, event):
    """API.md's chain rule, written from its text rather than with the implementation."""
    canonical = json.dumps(
        {
            "seq": event["seq"], "at": event["at"], "actor_id": event["actor"]["id"] if event["actor"] else None,
            "ip": event["ip"], "action": event["action"], "object_type": event["object_type"],
            "object_id": event["object_id"], "project_id": event["project_id"], "data": event["data"],
        },
        sort_keys=True, separators=(",", ":"), ensure_ascii=False,
    )
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


def all_events(api, user, **filters):
    items, cursor = [], None
    while True:
        query = "&".join(f"{k}={v}" for k, v in {**filters, **({"cursor": cursor} if cursor else {})}.items())
        page = api.get(f"audit?limit=3&{query}", as_user=user).json
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return items


def test_chain_recomputes_from_the_published_events(logged_in):
    logged_in.post("users", {"username": "x1", "password": "0123456789", "role": "expert"}, as_user="admin", status=201)
    events = all_events(logged_in, "inspector")
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    prev = "0" * 64
    for event in events:
        assert event["prev_hash"] == prev
        assert independent_hash(prev, event) == event["hash"]
        prev = event["hash"]
    verify = logged_in.get("audit/verify", as_user="inspector").json
    assert verify == {"ok": True, "checked": len(events), "first_bad_seq": None, "head": prev}


def test_events_carry_actor_and_client_address(logged_in):
    events = all_events(logged_in, "admin", action="auth.login")
    assert {e["actor"]["username"] for e in events} == {"admin", "officer", "bidder", "expert", "inspector"}
    assert {e["ip"] for e in events} == {"127.0.0.1"}
    assert all(e["at"].endswith("Z") and len(e["at"]) == 27 for e in events)


def test_audit_filters_by_action_and_actor(logged_in):
    officer_id = logged_in.get("me", as_user="officer").json["id"]
    events = all_events(logged_in, "inspector", actor_id=officer_id)
    assert events and {e["actor"]["id"] for e in events} == {officer_id}


def tamper(connection, backend, seq):
    if backend == "postgresql":
        connection.execute(text("SET LOCAL session_replication_role = replica"))
    connection.execute(text("UPDATE audit_events SET data = :data WHERE seq = :seq"), {"data": '{"changed":true}', "seq": seq})
    if backend == "postgresql":
        connection.execute(text("SET LOCAL session_replication_role = origin"))


def test_changed_row_makes_verify_report_its_seq(logged_in, connection, backend):
    events = all_events(logged_in, "inspector")
    assert len(events) >= 5
    tamper(connection, backend, 3)
    verify = logged_in.get("audit/verify", as_user="inspector").json
    assert verify["ok"] is False
    assert verify["first_bad_seq"] == 3
    assert verify["checked"] == len(events)


def test_deleted_last_row_is_detected_through_the_head(logged_in, connection, backend):
    last = all_events(logged_in, "inspector")[-1]["seq"]
    if backend == "postgresql":
        connection.execute(text("SET LOCAL session_replication_role = replica"))
    connection.execute(text("DELETE FROM audit_events WHERE seq = :seq"), {"seq": last})
    verify = logged_in.get("audit/verify", as_user="admin").json
    assert verify["ok"] is False and verify["first_bad_seq"] == last


@pytest.mark.postgresql
@pytest.mark.parametrize("statement", ["UPDATE audit_events SET action = 'x' WHERE seq = 1",
                                       "DELETE FROM audit_events WHERE seq = 1"])
def test_postgresql_trigger_refuses_update_and_delete(logged_in, connection, backend, statement):
    if backend != "postgresql":
        pytest.skip("the trigger exists on PostgreSQL only")
    savepoint = connection.begin_nested()
    with pytest.raises(DBAPIError, match="append-only"):
        connection.execute(text(statement))
    savepoint.rollback()
    assert logged_in.get("audit/verify", as_user="inspector").json["ok"] is True


@pytest.mark.parametrize("role", ["officer", "bidder", "expert"])
def test_audit_is_for_inspectors_and_admins_only(logged_in, role):
    logged_in.get("audit", as_user=role, status=403)
    logged_in.get("audit/verify", as_user=role, status=403)


def test_audit_anonymous_is_401(api):
    api.get("audit", status=401)


def test_audit_rejects_bad_filters(logged_in):
    response = logged_in.get("audit?since=yesterday&limit=0", as_user="inspector", status=400)
    assert response.json["error"]["code"] == "request.invalid"


def test_login_as_session_then_audit_actor_is_the_user(api, users):
    api.login("inspector", PASSWORD)
    event = all_events(api, "inspector", action="auth.login")[-1]
    assert event["actor"]["username"] == "inspector"
