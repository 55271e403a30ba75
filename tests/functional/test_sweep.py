"""The due sweep applies each transition exactly once, also with two sweeps at the same moment."""
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import sessionmaker

from trading.hookspecs import hookimpl
from trading.models import Deadline
from trading.scheduler import sweep
from trading.testing import TEST_START


class Slow:
    def __init__(self):
        self.calls = []
        self.lock = threading.Lock()

    @hookimpl
    def ggzy_deadline_handlers(self):
        return {"test.slow": self.handle, "test.broken": self.broken}

    def handle(self, deadline, request):
        time.sleep(0.01)
        with self.lock:
            self.calls.append(deadline.id)
        return "handled"

    def broken(self, deadline, request):
        raise RuntimeError("this transition always fails")


@pytest.fixture
def slow(registry):
    plugin = Slow()
    registry["plugin_manager"].register(plugin)
    registry.pop("deadline_handlers", None)
    yield plugin
    registry["plugin_manager"].unregister(plugin)
    registry.pop("deadline_handlers", None)


@pytest.fixture
def committed(engine):
    """Sessions that really commit (for concurrency), with the rows removed afterwards."""
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    yield factory
    with factory() as session:
        session.execute(delete(Deadline).where(Deadline.name.like("test.%")))
        session.commit()


def add_deadlines(factory, count, name="test.slow", minutes=0):
    with factory() as session:
        rows = [Deadline(name=name, at=TEST_START + timedelta(minutes=minutes)) for _ in range(count)]
        session.add_all(rows)
        session.commit()
        return [row.id for row in rows]


def test_two_sweeps_at_once_apply_each_deadline_exactly_once(registry, slow, committed):
    ids = add_deadlines(committed, 20)
    results = []

    def run():
        results.append(sweep(registry, session_factory=committed))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(slow.calls) == sorted(ids)
    assert sorted(t["deadline_id"] for batch in results for t in batch) == sorted(ids)
    with committed() as session:
        done = session.execute(select(Deadline.done_at).where(Deadline.id.in_(ids))).scalars().all()
    assert all(done)
    assert sweep(registry, session_factory=committed) == []


def test_future_deadlines_wait_and_a_failing_one_stays_due(registry, slow, committed):
    later = add_deadlines(committed, 1, minutes=5)
    broken = add_deadlines(committed, 1, name="test.broken")
    now = add_deadlines(committed, 1)
    applied = sweep(registry, session_factory=committed)
    assert [t["deadline_id"] for t in applied] == now
    with committed() as session:
        assert session.get(Deadline, broken[0]).done_at is None
        assert session.get(Deadline, later[0]).done_at is None
