"""Two app nodes and two scheduler processes on one PostgreSQL: 50 openings due in the same second.

Each opening starts and closes exactly once (one ``opening.start`` and one
``opening.close`` event per project), bids land through either node up to the
deadline and none after it, every accepted bid is counted at the opening, and
``ggzy audit-verify`` finds the chain intact.

The processes share the system clock (the manual clock lives in one process).
The projects are created with a lawful timeline weeks ahead; once every
bidder has a first bid in, the test moves their bid deadlines to one second
a moment ahead, and later their decryption window ends (at least 5 minutes by
the rules) to another shared second, in the table the schedulers read, which is
what waiting would do.
"""
import json
import math
import re
import subprocess
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
import requests
from sqlalchemy import func, select, update

from trading.models import AuditEvent, Bid, Deadline, Project
from trading.services.projects import stored_instant

from ..functional.sealed import Parties, create_and_publish, iso, tendering_body
from . import nodes

pytestmark = [pytest.mark.multinode, pytest.mark.postgresql, pytest.mark.slow]

PROJECTS = 50
BIDDERS = 3  # tendering.open opens a lot with three bids or more


def _timeline(now):
    """A lawful timeline from now: documents for two weeks, bids due in 30 days."""
    start = (now + timedelta(minutes=5)).replace(second=0, microsecond=0)
    return {"docs_from": iso(start), "docs_until": iso(start + timedelta(days=14)),
            "bid_deadline": iso(start + timedelta(days=30))}


def _bid(session, url, token, project_id, lot_id, username, round_no):
    files = {"files": (f"offer-{round_no}.txt", f"{username} {project_id} round {round_no}".encode(), "text/plain")}
    data = {"offer": json.dumps({"price": f"{900000 - round_no}.00"}), "unlock_secret": f"secret {username}"}
    return session.post(f"{url}/api/v1/projects/{project_id}/lots/{lot_id}/bids", data=data, files=files,
                        headers={"Authorization": f"Bearer {token}"}, timeout=60)


def _wait_for(engine, query, expected, timeout, what):
    limit = time.monotonic() + timeout
    while time.monotonic() < limit:
        with engine.connect() as connection:
            value = connection.execute(query).scalar()
        if value == expected:
            return
        time.sleep(0.2)
    raise AssertionError(f"{what}: {value} instead of {expected} after {timeout} s")


def _next_second(lead):
    now = datetime.now(timezone.utc)
    return datetime.fromtimestamp(math.ceil(now.timestamp() + lead), tz=timezone.utc)


def test_two_nodes_two_schedulers_fifty_openings_in_one_second(postgres, tmp_path):
    timings = {}
    started = time.monotonic()
    storage = tmp_path / "files"
    with nodes.pg_database() as (db_url, engine), nodes.processes() as running:
        ini = nodes.write_ini(tmp_path / "node.ini", db_url, storage)
        # the nodes boot while this process prepares the data
        app_nodes = [nodes.start_node(f"node{i}", ini, tmp_path, workers=2, threads=4) for i in (1, 2)]
        running.extend(app_nodes)
        schedulers = [nodes.start_scheduler(f"scheduler{i}", ini, tmp_path) for i in (1, 2)]
        running.extend(schedulers)

        _registry, api, script = nodes.in_process_app(nodes.app_settings(db_url, storage), engine)
        parties = Parties(api, script, bidders=BIDDERS)

        def prepare(client, index):
            body = tendering_body(parties, title=f"Scale-out project {index}",
                                  timeline=_timeline(datetime.now(timezone.utc)),
                                  lots=[{"title": "Lot 1", "budget": "1000000.00"}],  # no deposit: qualified at once
                                  params={"evaluation": "lowest_price", "decrypt_minutes": 5})
            project = create_and_publish(client, body)
            for username, _org in parties.bidders:
                registration = client.post(f"projects/{project['id']}/registrations",
                                           {"lot_ids": [project["lots"][0]["id"]]}, as_user=username, status=201).json
                assert registration["status"] == "qualified"
            return project

        projects = nodes.parallel(api, prepare, range(PROJECTS))
        timings["prepare"] = time.monotonic() - started
        for node in app_nodes:
            nodes.wait_ready(node)
        timings["nodes ready"] = time.monotonic() - started

        pairs = [(project["id"], project["lots"][0]["id"], username)
                 for project in projects for username, _org in parties.bidders]
        tokens = api.tokens
        local = threading.local()

        def session():
            if not hasattr(local, "session"):
                local.session = requests.Session()
            return local.session

        accepted = defaultdict(list)  # (project, username) -> [(bid id, submitted_at, node)]
        refused, errors = Counter(), []
        lock = threading.Lock()

        def submit(index, pair, round_no):
            project_id, lot_id, username = pair
            node = app_nodes[index % 2]  # alternate nodes
            response = _bid(session(), node.url, tokens[username], project_id, lot_id, username, round_no)
            with lock:
                if response.status_code == 201:
                    accepted[(project_id, username)].append((response.json()["id"], response.json()["submitted_at"],
                                                             node.name))
                elif response.status_code == 409:
                    refused[response.json()["error"]["code"]] += 1
                else:
                    errors.append((response.status_code, response.text[:300]))
            return response.status_code

        # a first bid from every bidder on every project, through both nodes
        with ThreadPoolExecutor(16) as pool:
            statuses = list(pool.map(lambda item: submit(item[0], item[1], 0), enumerate(pairs)))
        assert not errors, errors[:3]
        assert statuses == [201] * len(pairs)
        timings["first bids"] = time.monotonic() - started

        # every bid deadline moves to one second, a moment ahead
        deadline = _next_second(2.0)
        with script() as request:
            for project in request.dbsession.execute(select(Project)).scalars():
                timeline = dict(project.timeline)
                timeline["bid_deadline"] = timeline["questions_until"] = stored_instant(deadline)
                timeline["docs_until"] = stored_instant(deadline - timedelta(seconds=1))
                project.timeline = timeline
            request.dbsession.execute(update(Deadline).where(Deadline.name == "sealed.opening").values(at=deadline))

        # the rush: each bidder keeps superseding its bid through alternate nodes until past the deadline
        stop_at = deadline + timedelta(seconds=1)

        def rush(chunk):
            round_no = 1
            while datetime.now(timezone.utc) < stop_at:
                for index, pair in chunk:
                    submit(index + round_no, pair, round_no)
                round_no += 1

        chunks = [list(enumerate(pairs))[i::16] for i in range(16)]
        with ThreadPoolExecutor(16) as pool:
            list(pool.map(rush, chunks))
        assert not errors, errors[:3]
        assert set(refused) <= {"bid.deadline_passed"}, refused
        assert refused["bid.deadline_passed"] > 0, "no bid arrived after the deadline: the rush did not straddle it"
        timings["rush"] = time.monotonic() - started

        # the schedulers (and any node that read a project) start the 50 openings
        _wait_for(engine, select(func.count()).select_from(Project).where(Project.opening_started_at.is_not(None)),
                  PROJECTS, 30, "openings started")
        with engine.connect() as connection:
            started_at = connection.execute(select(func.min(Project.opening_started_at),
                                                   func.max(Project.opening_started_at))).one()
        # then every decryption window ends in one shared second
        window_end = _next_second(1.0)
        with engine.begin() as connection:
            connection.execute(update(Deadline).where(Deadline.name == "sealed.opening_close").values(at=window_end))
        _wait_for(engine, select(func.count()).select_from(Project).where(Project.opening_closed_at.is_not(None)),
                  PROJECTS, 30, "openings closed")
        time.sleep(1.5)  # two more scheduler ticks: a second application would show now
        timings["openings"] = time.monotonic() - started
        for process in running:
            assert process.alive(), f"{process.name} died:\n{process.log_tail()}"

        with engine.connect() as connection:
            events = Counter(connection.execute(
                select(AuditEvent.action, AuditEvent.project_id)
                .where(AuditEvent.action.in_(("opening.start", "opening.close")))).all())
            statuses = Counter(connection.execute(select(Project.status)).scalars())
            pending = connection.execute(select(func.count()).select_from(Deadline).where(
                Deadline.done_at.is_(None), Deadline.at <= window_end)).scalar()
            bids = connection.execute(select(Bid.id, Bid.project_id, Bid.org_id, Bid.status, Bid.submitted_at)).all()
            submit_events = connection.execute(select(func.count()).select_from(AuditEvent)
                                               .where(AuditEvent.action == "bid.submit")).scalar()
            start_data = {project_id: json.loads(data) for project_id, data in connection.execute(
                select(AuditEvent.project_id, AuditEvent.data).where(AuditEvent.action == "opening.start"))}

        for project in projects:
            assert events[("opening.start", project["id"])] == 1, project["id"]
            assert events[("opening.close", project["id"])] == 1, project["id"]
        assert len(events) == 2 * PROJECTS
        assert statuses == {"evaluating": PROJECTS}
        assert pending == 0

        # every 201 is a stored bid, nothing else is; each bidder's last 201 is its one counted bid
        accepted_ids = {bid_id for items in accepted.values() for bid_id, _at, _node in items}
        assert {row.id for row in bids} == accepted_ids
        assert submit_events == len(accepted_ids)
        assert all(row.submitted_at < deadline for row in bids)
        counted = {row.id for row in bids if row.status != "superseded"}
        assert counted == {items[-1][0] for items in accepted.values()}
        for project in projects:
            lots = start_data[project["id"]]["lots"]
            assert [lot["bids"] for lot in lots] == [BIDDERS]
        assert {node for items in accepted.values() for _id, _at, node in items} == {"node1", "node2"}

        verify = subprocess.run([str(nodes.BIN / "ggzy"), "audit-verify", str(ini)], capture_output=True, text=True,
                                timeout=120)
        assert verify.returncode == 0, verify.stdout + verify.stderr
        report = json.loads(verify.stdout.strip().splitlines()[-1])
        assert report["ok"] is True
        timings["verified"] = time.monotonic() - started
        # who applied the transitions: each scheduler logs its sweeps (the nodes apply due ones for requests too)
        by_scheduler = {process.name: sum(int(match) for match in re.findall(
            r"sweep applied (\d+) transition", process.log_path.read_text(encoding="utf-8", errors="replace")))
            for process in schedulers}

    print(f"\nscale-out: {len(accepted_ids)} bids accepted, {sum(refused.values())} refused after the deadline; "
          f"openings started between {started_at[0]:%H:%M:%S.%f} and {started_at[1]:%H:%M:%S.%f}; "
          f"transitions applied by {by_scheduler}; "
          + ", ".join(f"{k} {v:.1f}s" for k, v in timings.items()))
