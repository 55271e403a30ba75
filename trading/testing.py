"""Test helpers shipped with the package, so that plugin tests can use them too."""
import contextlib
import json
import os
import tempfile
import uuid
from datetime import datetime, timezone

import transaction
from sqlalchemy import create_engine, text
from sqlalchemy.orm import sessionmaker
from webtest import TestApp

from .models import TmSession
from .scheduler import SystemRequest

PG_ADMIN_URL = os.environ.get("GGZY_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")

# cheap argon2 for tests: the production cost is a setting, and the tests check that it is applied
FAST_SETTINGS = {
    "ggzy.password_time_cost": "1",
    "ggzy.password_memory_kib": "64",
    "ggzy.seal_time_cost": "1",
    "ggzy.seal_memory_kib": "64",
}



def app_settings(url, storage_dir, **over):
    """The settings tests run the app with: a manual clock, no scheduler, fixed secrets, cheap argon2."""
    return {
        "sqlalchemy.url": url,
        "ggzy.storage_dir": str(storage_dir),
        "ggzy.clock": "manual",
        "ggzy.scheduler": "off",
        "ggzy.testing": "true",
        "ggzy.default_locale": "en",
        "ggzy.bank_secret": "test-bank-secret",
        "ggzy.session_secret": "test-session-secret",
        # the tests move the clock by weeks: tokens outlive that (their expiry has its own test)
        "ggzy.token_hours": "2880",
        **FAST_SETTINGS,
        **over,
    }


TEST_START = datetime(2026, 12, 1, 1, 0, tzinfo=timezone.utc)  # 09:00 Beijing time, a Tuesday


def postgres_available():
    try:
        engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:
        return False


def create_pg_database(prefix="ggzy_test"):
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return name, PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def drop_pg_database(name):
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name AND pid <> pg_backend_pid()"
        ), {"name": name})
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


@contextlib.contextmanager
def scratch_database(backend, prefix="ggzy_scratch"):
    """An empty database of its own, gone afterwards: yields its URL, or None when PostgreSQL does not answer.

    SQLite is a file in a temporary folder; PostgreSQL a database created on the server of ``GGZY_TEST_PG`` (as
    the test suite's are) and dropped at the end. For what needs a schema of its own: a migration's test, a
    benchmark.
    """
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="ggzy-scratch-") as folder:
            yield f"sqlite:///{os.path.join(folder, 'scratch.sqlite')}"
        return
    if not postgres_available():
        yield None
        return
    name, url = create_pg_database(prefix=prefix)
    try:
        yield url
    finally:
        drop_pg_database(name)


def nested_session_factory(connection):
    """Sessions whose commits are savepoints inside the test's transaction, rolled back at its end."""
    return sessionmaker(bind=connection, class_=TmSession, join_transaction_mode="create_savepoint", expire_on_commit=False)


class ScriptRequest(SystemRequest):
    """A request for calling services directly in a test, in its own committed (nested) transaction."""

    def __init__(self, registry, session_factory, user=None, client_addr=None):
        self._tm = transaction.TransactionManager(explicit=True)
        super().__init__(registry, self._tm, session_factory)
        self.user = user
        self.client_addr = client_addr

    def __enter__(self):
        self._tm.begin()
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self._tm.commit()
        else:
            self._tm.abort()
        return False


class Api:
    """A WebTest app speaking the JSON API, with a bearer token per logged-in user."""

    def __init__(self, app, environ):
        self.app = TestApp(app, extra_environ=environ)
        self.tokens = {}

    def headers(self, as_user=None, headers=None, lang=None):
        out = dict(headers or {})
        if as_user is not None:
            out["Authorization"] = f"Bearer {self.tokens[as_user]}"
        if lang:
            out["Accept-Language"] = lang
        return out

    def login(self, username, password):
        response = self.app.post_json("/api/v1/auth/login", {"username": username, "password": password})
        self.tokens[username] = response.json["token"]
        return response.json

    def call(self, method, path, body=None, as_user=None, status=None, headers=None, lang=None, **kw):
        hdrs = self.headers(as_user, headers, lang)
        path = path if path.startswith("/") else "/api/v1/" + path
        if body is not None and not isinstance(body, (bytes, str)):
            return self.app._gen_request(method.upper(), path, params=json.dumps(body), headers=hdrs,
                                         content_type="application/json", status=status, **kw) if method.upper() != "GET" else None
        if method.upper() == "GET":
            return self.app.get(path, headers=hdrs, status=status, **kw)
        if method.upper() == "DELETE":
            return self.app.delete(path, headers=hdrs, status=status, **kw)
        return self.app._gen_request(method.upper(), path, params=body or b"", headers=hdrs, status=status, **kw)

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.call("POST", path, {} if body is None else body, **kw)

    def put(self, path, body=None, **kw):
        return self.call("PUT", path, {} if body is None else body, **kw)

    def patch(self, path, body=None, **kw):
        return self.call("PATCH", path, {} if body is None else body, **kw)

    def delete(self, path, **kw):
        return self.call("DELETE", path, **kw)
