"""Fixtures for functional tests that need really committed transactions (concurrency, several processes)."""
import pytest

from trading import migrate, testing
from trading.config import configure
from trading.models import get_engine

from .sealed import Parties


@pytest.fixture
def committed_app(backend, app_settings):
    """An app on its own PostgreSQL database whose transactions really commit (registry, Api)."""
    if backend != "postgresql":
        pytest.skip("a concurrency matter for PostgreSQL (SQLite serialises writers)")
    name, url = testing.create_pg_database("ggzy_commit")
    engine = get_engine({"sqlalchemy.url": url, "sqlalchemy.pool_size": "30", "sqlalchemy.max_overflow": "30"})
    try:
        migrate.upgrade(engine)
        config = configure({**app_settings, "sqlalchemy.url": url, "dbengine": engine})
        app = config.make_wsgi_app()
        config.registry["clock"].reset(testing.TEST_START)
        yield config.registry, testing.Api(app, {"REMOTE_ADDR": "127.0.0.1"}), app
    finally:
        engine.dispose()
        testing.drop_pg_database(name)


@pytest.fixture
def committed_script(committed_app):
    registry = committed_app[0]

    def make(**kw):
        return testing.ScriptRequest(registry, registry["dbsession_factory"], **kw)

    return make


@pytest.fixture
def parties(api, script):
    """An owner, an agent, officer1, inspector1, admin1 and three bidder organisations, all logged in (sealed.Parties)."""
    return Parties(api, script)
