"""The working-day calendar API: anyone reads a year; administrators override days and confirm years."""
import json
from datetime import date

import pytest
from sqlalchemy import select

from trading.models import AuditEvent, CalendarOverride


def events(dbsession, prefix="calendar."):
    rows = dbsession.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars().all()
    return [e for e in rows if e.action.startswith(prefix)]


def test_anyone_reads_a_years_calendar_with_its_non_working_days(api):
    body = api.get("calendar?year=2026").json
    assert body["year"] == 2026
    assert body["confirmed"] is True
    assert body["items"] == [] and body["next_cursor"] is None
    assert "2026-10-01" in body["non_working_days"]
    assert "2026-10-10" not in body["non_working_days"]  # the adjusted working Saturday
    assert "2026-10-11" in body["non_working_days"]
    assert body["non_working_days"] == sorted(body["non_working_days"])


def test_admin_override_shows_in_the_years_calendar(logged_in, dbsession):
    response = logged_in.put("calendar/days/2026-10-10", {"workday": False, "note": "Typhoon"}, as_user="admin")
    assert response.json == {"day": "2026-10-10", "workday": False, "note": "Typhoon"}
    body = logged_in.get("calendar?year=2026").json
    assert body["items"] == [{"day": "2026-10-10", "workday": False, "note": "Typhoon"}]
    assert "2026-10-10" in body["non_working_days"]
    assert dbsession.get(CalendarOverride, date(2026, 10, 10)).workday is False


def test_override_again_replaces_the_day(logged_in):
    logged_in.put("calendar/days/2026-10-05", {"workday": True}, as_user="admin")
    logged_in.put("calendar/days/2026-10-05", {"workday": False, "note": "back to the holiday"}, as_user="admin")
    items = logged_in.get("calendar?year=2026").json["items"]
    assert items == [{"day": "2026-10-05", "workday": False, "note": "back to the holiday"}]


def test_deleting_an_override_gives_the_day_back_to_the_official_calendar(logged_in):
    logged_in.put("calendar/days/2026-10-05", {"workday": True}, as_user="admin")
    assert "2026-10-05" not in logged_in.get("calendar?year=2026").json["non_working_days"]
    response = logged_in.delete("calendar/days/2026-10-05", as_user="admin", status=204)
    assert response.body == b""
    body = logged_in.get("calendar?year=2026").json
    assert body["items"] == [] and "2026-10-05" in body["non_working_days"]


def test_confirming_an_uncovered_year_makes_it_confirmed(logged_in):
    before = logged_in.get("calendar?year=2099").json
    assert before["confirmed"] is False
    assert len(before["non_working_days"]) == 104  # weekends only
    response = logged_in.put("calendar/years/2099", {"note": "State Council notice"}, as_user="admin")
    assert response.json == {"year": 2099, "confirmed": True}
    assert logged_in.get("calendar?year=2099").json["confirmed"] is True


def test_changes_are_audited(logged_in, dbsession, users):
    logged_in.put("calendar/days/2099-01-01", {"workday": False, "note": "New Year's Day"}, as_user="admin")
    logged_in.delete("calendar/days/2099-01-01", as_user="admin", status=204)
    logged_in.put("calendar/years/2099", {}, as_user="admin")
    found = [(e.action, e.object_type, e.object_id, e.actor_id, json.loads(e.data)) for e in events(dbsession)]
    admin_id = users["admin"].id
    assert found == [
        ("calendar.override", "calendar_override", "2099-01-01", admin_id,
         {"day": "2099-01-01", "workday": False, "note": "New Year's Day", "previous": None}),
        ("calendar.override_delete", "calendar_override", "2099-01-01", admin_id,
         {"day": "2099-01-01", "workday": False, "note": "New Year's Day"}),
        ("calendar.confirm_year", "calendar_year", "2099", admin_id, {"year": 2099, "note": None}),
    ]


@pytest.mark.parametrize("role", ["officer", "bidder", "expert", "inspector"])
def test_only_admin_may_change_the_calendar(logged_in, dbsession, role):
    response = logged_in.put("calendar/days/2026-10-10", {"workday": False}, as_user=role, status=403)
    assert response.json["error"]["code"] == "auth.forbidden"
    logged_in.delete("calendar/days/2026-10-10", as_user=role, status=403)
    logged_in.put("calendar/years/2099", {}, as_user=role, status=403)
    assert events(dbsession) == []


def test_anonymous_change_is_401(api):
    response = api.put("calendar/days/2026-10-10", {"workday": False}, status=401)
    assert response.json["error"]["code"] == "auth.required"
    api.delete("calendar/days/2026-10-10", status=401)
    api.put("calendar/years/2099", {}, status=401)


def test_malformed_body_is_400_before_the_permission_check(logged_in):
    response = logged_in.put("calendar/days/2026-10-10", {"workday": "yes"}, as_user="officer", status=400)
    assert response.json["error"]["details"][0]["field"] == "workday"
    response = logged_in.put("calendar/days/2026-10-10", {"workday": True, "note": "x" * 201}, as_user="admin", status=400)
    assert response.json["error"]["details"][0]["field"] == "note"
    response = logged_in.put("calendar/days/2026-10-10", {}, as_user="admin", status=400)
    assert response.json["error"]["details"][0]["field"] == "workday"


@pytest.mark.parametrize("day", ["2026-13-01", "2026-02-30", "20261001", "2026-10-1", "today", "2026-10-01T00:00"])
def test_bad_day_is_400_naming_the_day(logged_in, day):
    response = logged_in.put(f"calendar/days/{day}", {"workday": False}, as_user="admin", status=400)
    assert response.json["error"]["code"] == "request.invalid"
    assert [d["field"] for d in response.json["error"]["details"]] == ["day"]
    response = logged_in.delete(f"calendar/days/{day}", as_user="admin", status=400)
    assert [d["field"] for d in response.json["error"]["details"]] == ["day"]


def test_deleting_a_day_without_override_is_404(logged_in, dbsession):
    response = logged_in.delete("calendar/days/2026-10-01", as_user="admin", status=404)
    assert response.json["error"]["code"] == "not_found"
    assert events(dbsession) == []


@pytest.mark.parametrize("query", ["", "?year=", "?year=abc", "?year=1999", "?year=2101", "?year=20.5"])
def test_year_outside_2000_to_2100_or_missing_is_400(api, query):
    response = api.get(f"calendar{query}", status=400)
    assert response.json["error"]["code"] == "request.invalid"
    assert [d["field"] for d in response.json["error"]["details"]] == ["year"]


@pytest.mark.parametrize("year", ["1999", "2101", "next"])
def test_confirming_a_bad_year_is_400(logged_in, year):
    response = logged_in.put(f"calendar/years/{year}", {}, as_user="admin", status=400)
    assert [d["field"] for d in response.json["error"]["details"]] == ["year"]


def test_errors_speak_the_callers_language(api):
    response = api.get("calendar?year=1999", lang="zh-CN", status=400)
    assert response.json["error"]["details"][0]["message"] == "不得小于 2000。"
