"""The manual clock: read, set forward, refuse to go back, run what fell due."""
from datetime import datetime, timedelta, timezone

import pytest

from trading.hookspecs import hookimpl
from trading.models import Deadline
from trading.testing import TEST_START


def test_get_returns_now_in_beijing_time(api):
    assert api.get("testing/clock").json == {"now": "2026-12-01T09:00:00+08:00"}


def test_admin_sets_the_clock_forward(logged_in):
    body = logged_in.put("testing/clock", {"now": "2026-12-02T10:30:00+08:00"}, as_user="admin").json
    assert body == {"now": "2026-12-02T10:30:00+08:00", "transitions": []}
    assert logged_in.get("testing/clock").json["now"] == "2026-12-02T10:30:00+08:00"


def test_clock_stands_still_between_sets(logged_in):
    first = logged_in.get("testing/clock").json["now"]
    assert logged_in.get("testing/clock").json["now"] == first


def test_clock_never_goes_back(logged_in):
    response = logged_in.put("testing/clock", {"now": "2026-11-30T09:00:00+08:00"}, as_user="admin", status=409)
    assert response.json["error"]["code"] == "clock.backwards"


@pytest.mark.parametrize("role", ["officer", "bidder", "expert", "inspector"])
def test_only_admin_sets_the_clock(logged_in, role):
    logged_in.put("testing/clock", {"now": "2026-12-02T10:30:00+08:00"}, as_user=role, status=403)


@pytest.mark.parametrize("now", ["2026-12-02T10:30:00", "tomorrow", "2026-13-45T10:30:00+08:00", 5])
def test_clock_needs_an_instant_with_offset(logged_in, now):
    logged_in.put("testing/clock", {"now": now}, as_user="admin", status=400)


class Recorder:
    def __init__(self):
        self.seen = []

    @hookimpl
    def ggzy_deadline_handlers(self):
        return {"test.ring": self.ring}

    def ring(self, deadline, request):
        self.seen.append(deadline.id)
        return "rang"


@pytest.fixture
def recorder(registry):
    plugin = Recorder()
    registry["plugin_manager"].register(plugin)
    registry.pop("deadline_handlers", None)
    yield plugin
    registry["plugin_manager"].unregister(plugin)
    registry.pop("deadline_handlers", None)


def test_setting_the_clock_applies_due_deadlines_exactly_once(logged_in, recorder, script):
    with script() as request:
        early = Deadline(name="test.ring", at=TEST_START + timedelta(hours=1))
        late = Deadline(name="test.ring", at=TEST_START + timedelta(hours=3))
        request.dbsession.add_all([early, late])
        request.dbsession.flush()
        early_id, late_id = early.id, late.id
    body = logged_in.put("testing/clock", {"now": "2026-12-01T11:00:00+08:00"}, as_user="admin").json
    assert [t["deadline_id"] for t in body["transitions"]] == [early_id]
    assert body["transitions"][0]["outcome"] == "rang"
    again = logged_in.put("testing/clock", {"now": "2026-12-01T11:00:00+08:00"}, as_user="admin").json
    assert again["transitions"] == []
    later = logged_in.put("testing/clock", {"now": "2026-12-01T12:00:00+08:00"}, as_user="admin").json
    assert [t["deadline_id"] for t in later["transitions"]] == [late_id]
    assert recorder.seen == [early_id, late_id]


def test_clock_route_does_not_exist_with_the_system_clock(app_settings):
    from webtest import TestApp

    from trading.config import configure

    app = configure({**app_settings, "ggzy.clock": "system"}).make_wsgi_app()
    TestApp(app).get("/api/v1/testing/clock", status=404)


def test_manual_clock_starts_at_system_time():
    from trading.clock import ManualClock

    before = datetime.now(timezone.utc)
    clock = ManualClock()
    assert before <= clock.now() <= datetime.now(timezone.utc)
