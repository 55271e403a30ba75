"""Two sweeps at the same moment on PostgreSQL open and close each project exactly once."""
import threading

import pytest
from sqlalchemy import func, select

from trading import audit
from trading.models import AuditEvent
from trading.scheduler import sweep

from .sealed import Parties, at, create_and_publish, register_and_pay, submit_bid, tendering_body

pytestmark = [pytest.mark.postgresql, pytest.mark.slow]


def run_together(registry, count=2):
    results, errors = [], []

    def work():
        try:
            results.append(sweep(registry))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    return [item for batch in results for item in batch]


def test_two_sweeps_open_and_close_each_project_exactly_once(committed_app, committed_script):
    registry, api, _app = committed_app
    parties = Parties(api, committed_script)
    projects = [create_and_publish(api, tendering_body(parties, title=f"并发项目{i}")) for i in range(8)]
    for project in projects:
        for username, _org in parties.bidders:
            register_and_pay(api, project, username)
            submit_bid(api, project, username, "900000.00")

    registry["clock"].set(at(21, 9, 30))
    opened = [t for t in run_together(registry) if t["name"] == "sealed.opening"]
    assert sorted(t["project_id"] for t in opened) == sorted(p["id"] for p in projects)
    registry["clock"].set(at(21, 10, 0))
    closed = [t for t in run_together(registry) if t["name"] == "sealed.opening_close"]
    assert sorted(t["project_id"] for t in closed) == sorted(p["id"] for p in projects)

    with registry["dbengine"].connect() as connection:
        counts = dict(connection.execute(
            select(AuditEvent.action, func.count()).where(AuditEvent.action.in_(["opening.start", "opening.close"]))
            .group_by(AuditEvent.action)).all())
        assert counts == {"opening.start": len(projects), "opening.close": len(projects)}
        assert audit.verify(connection).ok
    for project in projects:
        assert api.get(f"projects/{project['id']}").json["status"] == "evaluating"
