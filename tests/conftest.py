"""Fixtures: the suite runs on SQLite and again on PostgreSQL, each test rolled back at its end."""
import os

import pytest

from trading import migrate, testing
from trading.config import configure
from trading.models import get_engine

CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _backends():
    wanted = os.environ.get("GGZY_TEST_BACKENDS", "sqlite,postgresql").split(",")
    backends = [b for b in wanted if b == "sqlite"]
    if "postgresql" in wanted:
        if testing.postgres_available():
            backends.append("postgresql")
        elif CI:
            raise pytest.UsageError("CI=true: PostgreSQL must answer on 127.0.0.1:5432 (user postgres)")
        else:
            print("\nNOTICE: PostgreSQL does not answer on 127.0.0.1:5432; the PostgreSQL runs are skipped.\n")
    return backends


BACKENDS = _backends()


def pytest_report_header(config):
    return f"ggzy database backends: {', '.join(BACKENDS)}"


@pytest.fixture(scope="session", params=BACKENDS)
def db_url(request, tmp_path_factory):
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("db") / "ggzy.sqlite"
        yield f"sqlite:///{path}"
    else:
        name, url = testing.create_pg_database()
        yield url
        testing.drop_pg_database(name)


@pytest.fixture(scope="session")
def backend(db_url):
    return "postgresql" if db_url.startswith("postgresql") else "sqlite"


@pytest.fixture(scope="session")
def engine(db_url):
    engine = get_engine({"sqlalchemy.url": db_url})
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def app_settings(db_url, engine, tmp_path_factory):
    return testing.app_settings(db_url, tmp_path_factory.mktemp("files"), dbengine=engine)


@pytest.fixture(scope="session")
def app_config(app_settings, engine):
    """The app, with the specialty catalogue committed once (every test reads it, none changes it)."""
    from experts.catalogue import load_specialties

    config = configure(app_settings)
    with testing.ScriptRequest(config.registry, config.registry["dbsession_factory"]) as request:
        load_specialties(request)
    return config


@pytest.fixture(scope="session")
def wsgi_app(app_config):
    return app_config.make_wsgi_app()


@pytest.fixture
def connection(engine):
    connection = engine.connect()
    outer = connection.begin()
    yield connection
    outer.rollback()
    connection.close()


@pytest.fixture
def session_factory(connection):
    return testing.nested_session_factory(connection)


@pytest.fixture
def registry(app_config, wsgi_app):
    registry = app_config.registry
    registry["clock"].reset(testing.TEST_START)
    return registry


@pytest.fixture
def clock(registry):
    return registry["clock"]


@pytest.fixture
def api(wsgi_app, registry, session_factory):
    return testing.Api(wsgi_app, {"app.session_factory": session_factory, "REMOTE_ADDR": "127.0.0.1"})


@pytest.fixture
def script(registry, session_factory):
    """``with script() as request:`` calls services directly, committed into the test's transaction."""

    def make(user=None, client_addr=None):
        return testing.ScriptRequest(registry, session_factory, user=user, client_addr=client_addr)

    return make


@pytest.fixture
def dbsession(session_factory):
    session = session_factory()
    yield session
    session.close()


PASSWORD = "correct horse battery"


@pytest.fixture
def users(script):
    """One user per role (bidder with its organisation), by role name; all share PASSWORD."""
    from trading.demo import full_uscc
    from trading.services import accounts

    made = {}
    with script() as request:
        org = accounts.create_organization(request, name="Test Bidder Co", uscc=full_uscc("91330100MA2T00001"),
                                           kind="bidder", phone="100", email="bidder@example.com",
                                           legal_representative="Test Person")
        for role in ("admin", "officer", "bidder", "expert", "inspector"):
            made[role] = accounts.create_user(request, username=role, password=PASSWORD, role=role,
                                              org_id=org.id if role == "bidder" else None)
    return made


@pytest.fixture
def logged_in(api, users):
    """The api with every role logged in (tokens under the role name)."""
    for role in users:
        api.login(role, PASSWORD)
    return api


def pytest_sessionstart(session):
    """Compile the translation catalogs when a .po file is newer than its .mo (make does it too)."""
    from trading.catalogs import compile_catalogs

    compile_catalogs()
