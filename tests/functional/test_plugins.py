"""The core calls the plugin hooks it owns: after every audit event, and while configuring."""
import pytest
from webtest import TestApp

from trading.config import configure
from trading.hookspecs import hookimpl


class Listener:
    def __init__(self):
        self.events = []

    @hookimpl
    def ggzy_after_event(self, event, request):
        self.events.append((event.seq, event.action, request.dbsession.in_transaction()))


@pytest.fixture
def listener(registry):
    plugin = Listener()
    registry["plugin_manager"].register(plugin)
    yield plugin
    registry["plugin_manager"].unregister(plugin)


def test_after_event_sees_every_audit_event_in_its_transaction(api, users, listener):
    from ..conftest import PASSWORD

    api.login("admin", PASSWORD)
    assert [action for _, action, _ in listener.events] == ["auth.login"]
    assert listener.events[0][2] is True


class Extension:
    @hookimpl
    def ggzy_includeme(self, config):
        config.add_route("test.extension", "/api/v1/test-extension")
        config.add_view(lambda request: {"hello": "plugin"}, route_name="test.extension", renderer="json",
                        permission="public")


def test_includeme_lets_a_plugin_add_routes(app_settings):
    app = configure(app_settings, extra_plugins=[Extension()]).make_wsgi_app()
    assert TestApp(app).get("/api/v1/test-extension").json == {"hello": "plugin"}


class DemoExtra:
    @hookimpl
    def ggzy_demo_data(self, request):
        return [("expert", "extra-expert", "extra-password")]


def test_demo_prints_the_logins_plugins_add(registry, script):
    from trading import demo

    plugin = DemoExtra()
    registry["plugin_manager"].register(plugin)
    try:
        with script() as request:
            logins = demo.load(request)
    finally:
        registry["plugin_manager"].unregister(plugin)
    assert ("expert", "extra-expert", "extra-password") in logins
    assert {role for role, _u, _p in logins} >= {"admin", "officer", "bidder", "expert", "inspector"}
