"""Generated requests from GET /api/v1/openapi.json, as each role and anonymously: no 5xx, every answer as described.

Schemathesis builds requests from the OpenAPI description the app serves and sends them in process
(WSGI) to an app on a copy of one seeded SQLite database per role: the reference data and the
living demo (`ggzy initdb`, `ggzy demo`), so that real ids reach the handlers. Each operation draws
its cases from three sources: ids that exist with bodies that fit the description (positive), the
same ids with bodies that break it (negative), and generated ids. Every answer goes through
schemathesis's checks: not a server error, a documented status code, a documented content type, a
body that matches the described schema (the error shape, bare objects, wrapped lists), documented
headers, and invalid input refused. Failures are collected over all operations and reported
together; generation is derandomized, so a run is repeatable. The audit chain verifies afterwards.
"""
import collections
import re
import shutil
import sqlite3

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from webtest import TestApp

from trading import audit, demo, migrate, reference, testing
from trading.config import configure
from trading.models import get_engine

pytestmark = [pytest.mark.fuzz, pytest.mark.slow]

ROLES = ("admin", "officer", "bidder", "expert", "inspector", "anonymous")
MINIMUM_REQUESTS = 2000
PER_ROLE = -(-MINIMUM_REQUESTS // len(ROLES))  # each role's share, so the roles together send at least 2,000
EXAMPLES = 5  # cases per operation and role (fewer when an operation has fewer distinct cases)
PDF_EXAMPLES = 2  # rendering a PDF costs a WeasyPrint run: the PDF routes get fewer cases
REAL_IDS = 6  # existing ids tried per path parameter (per lot for lot routes)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance, negative_data_rejection]
# revoking one's own token ends the role's run: it goes last
LAST = ("DELETE", "/api/v1/auth/token")

# the tables whose ids the path parameters take
ID_QUERIES = {
    "alert_id": "SELECT id FROM alerts ORDER BY id",
    "bid_id": "SELECT id FROM bids ORDER BY id",
    "doc_id": "SELECT id FROM documents ORDER BY id",
    "draw_id": "SELECT id FROM expert_draws ORDER BY id",
    "expert_id": "SELECT expert_id FROM expert_invitations UNION SELECT id FROM experts ORDER BY 1",
    "invitation_id": "SELECT id FROM expert_invitations ORDER BY id",
    "objection_id": "SELECT id FROM objections ORDER BY id",
    "org_id": "SELECT id FROM organizations ORDER BY id",
    "policy_id": "SELECT id FROM policies ORDER BY id",
    "question_id": "SELECT id FROM questions ORDER BY id",
    "code": "SELECT notice_code FROM awards ORDER BY notice_code",
    "project_id": "SELECT id FROM projects ORDER BY code",
}
FIXED_IDS = {"day": ["2026-12-05", "2026-12-07", "2027-01-01"], "year": ["2026", "2027"]}


def _settings(directory):
    return testing.app_settings(f"sqlite:///{directory}/ggzy.sqlite", directory / "files")


def _app(directory):
    settings = _settings(directory)
    engine = get_engine(settings)
    config = configure({**settings, "dbengine": engine})
    config.registry["clock"].reset(testing.TEST_START)
    return config.registry, config.make_wsgi_app(), engine


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """One database as `ggzy initdb` and `ggzy demo` leave it, and the ids its path parameters can take."""
    directory = tmp_path_factory.mktemp("fuzz-seed")
    settings = _settings(directory)
    engine = get_engine(settings)
    try:
        migrate.upgrade(engine)
        config = configure({**settings, "dbengine": engine})
        config.registry["clock"].reset(testing.TEST_START)
        factory = config.registry["dbsession_factory"]
        with testing.ScriptRequest(config.registry, factory) as request:
            reference.load_all(request)
        with testing.ScriptRequest(config.registry, factory) as request:
            demo.load(request)
    finally:
        engine.dispose()
    with sqlite3.connect(directory / "ggzy.sqlite") as db:
        ids = {name: [row[0] for row in db.execute(sql)] for name, sql in ID_QUERIES.items()}
        ids["lots"] = [tuple(row) for row in db.execute(
            "SELECT lots.project_id, lots.id FROM lots JOIN projects ON projects.id = lots.project_id "
            "ORDER BY projects.code, lots.number")]
    ids.update(FIXED_IDS)
    return directory, ids


def _copy(seed, target):
    """A copy of the seeded database and file store (the SQLite backup API: the WAL included)."""
    target.mkdir()
    with sqlite3.connect(seed / "ggzy.sqlite") as source, sqlite3.connect(target / "ggzy.sqlite") as copy:
        source.backup(copy)
    shutil.copytree(seed / "files", target / "files")


def _spread(values, n):
    """n values taken evenly across the list, so that every stage of the demo is represented."""
    if len(values) <= n:
        return list(values)
    return [values[i * len(values) // n] for i in range(n)]


def _path_sets(names, ids):
    if "lot_id" in names:
        return [{"project_id": p, "lot_id": lot} for p, lot in _spread(ids["lots"], REAL_IDS * 2)]
    (name,) = names
    return [{name: value} for value in _spread(ids[name], REAL_IDS * (2 if name == "project_id" else 1))]


def _strategy(operation, ids, headers):
    kw = {"headers": headers} if headers else {}
    negative = schemathesis.GenerationMode.NEGATIVE
    names = re.findall(r"{(\w+)}", operation.path)
    sources = [operation.as_strategy(**kw)]
    path_sets = _path_sets(names, ids) if names else [None]
    for mode in (schemathesis.GenerationMode.POSITIVE, negative):
        if names and not path_sets:
            break
        sources.append(st.one_of([
            operation.as_strategy(generation_mode=mode, **({"path_parameters": p} if p else {}), **kw)
            for p in path_sets
        ]))
    return st.one_of(sources)


def _operations(schema):
    operations = [result.ok() for result in schema.get_all_operations()]
    return sorted(operations, key=lambda op: (op.method.upper(), op.path) == LAST)


@pytest.mark.parametrize("role", ROLES)
def test_generated_requests_get_described_answers_and_never_a_server_error(role, seeded, tmp_path):
    seed, ids = seeded
    _copy(seed, tmp_path / "db")
    registry, app, engine = _app(tmp_path / "db")
    try:
        headers = None
        if role != "anonymous":
            login = TestApp(app).post_json("/api/v1/auth/login", {"username": role, "password": demo.DEMO_PASSWORD})
            headers = {"Authorization": f"Bearer {login.json['token']}"}
        schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
        sent = collections.Counter()
        statuses = collections.Counter()
        failures = {}

        for operation in _operations(schema):
            label = f"{operation.method.upper()} {operation.path}"
            examples = PDF_EXAMPLES if operation.path.endswith(".pdf") else EXAMPLES

            @settings(max_examples=examples, derandomize=True, database=None, deadline=None,
                      phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
            @given(case=_strategy(operation, ids, headers))
            def send(case):
                response = case.call()
                sent[label] += 1
                statuses[response.status_code] += 1
                try:
                    case.validate_response(response, checks=CHECKS)
                except* Exception as group:
                    for failure in group.exceptions:
                        key = (label, response.status_code, type(failure).__name__)
                        failures.setdefault(key, f"{failure}\n{case.as_curl_command()}\n{response.text[:500]}")

            send()

        with engine.connect() as connection:
            chain = audit.verify(connection)
    finally:
        engine.dispose()
    print(f"\n{role}: {sum(sent.values())} requests over {len(sent)} operations, statuses {dict(sorted(statuses.items()))}")
    report = "\n\n".join(f"{label} -> {status} ({kind}):\n{text}" for (label, status, kind), text in failures.items())
    assert not failures, f"{len(failures)} distinct failures as {role}:\n\n{report}"
    assert sum(sent.values()) >= PER_ROLE, (role, sum(sent.values()), dict(statuses))
    assert chain.ok, dict(chain)
