"""Benchmark: the award notice PDF (GET .../award/notice.pdf): its first rendering, then the copy kept in the file store.

Not a test: it prints a table and exits 0 whatever the figures (it exits non-zero only if it crashes).
Run it with `make bench`, or alone: `.venv/bin/python bench/bench_award_pdf.py [--backend sqlite|postgresql]
[--notices N] [--requests N]`.

Requests go in process through the WSGI app (WebTest), as the awarded bidder with a bearer token.
"""
import argparse
import hashlib
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import common  # bench/common.py: python puts the script's folder first on sys.path

from trading.demo import full_uscc
from trading.models import Lot, Organization, Project
from trading.models.meta import new_id
from trading.services import accounts
from trading.services import award as awards

NOTICES = 10  # notices rendered for the first time, in a process that has rendered one already
REQUESTS = 200  # requests for kept notices
FIRST_GOAL = 1.5  # seconds
KEPT_GOAL = 0.020  # seconds, p95
PASSWORD = "Bench-password-2026"
NOW = datetime.now(UTC).replace(microsecond=0)


def build(registry, lots):
    """A tendering project with ``lots`` lots, each awarded to the same bidder; returns (project id, lot ids)."""
    engine = registry["dbengine"]
    project_id = new_id()
    lot_ids = [new_id() for _ in range(lots)]
    with engine.begin() as connection:
        owner = {"id": new_id(), "name": "杭州市城市建设发展集团有限公司", "uscc": full_uscc("91330100MA4000001"),
                 "kind": "owner", "created_at": NOW}
        common.insert_rows(connection, Organization.__table__, [owner])
        common.insert_rows(connection, Project.__table__, [{
            "id": project_id, "code": "ZJ2026-GC-000123", "method": "tendering.open", "sector": "tendering",
            "kind": "sealed", "title": "杭州萧山机场快速路（一期）道路及附属工程施工", "owner_org_id": owner["id"],
            "status": "evaluating", "timeline": {}, "params": {}, "created_at": NOW - timedelta(days=40),
            "published_at": NOW - timedelta(days=38), "listed_at": NOW - timedelta(days=38)}])
        common.insert_rows(connection, Lot.__table__, [{
            "id": lot_id, "project_id": project_id, "number": number, "title": f"第{number}标段：主线桥梁及匝道",
            "budget": Decimal("98000000.00"), "status": "publicity"} for number, lot_id in enumerate(lot_ids, 1)])
    with common.script_request(registry) as request:
        winner = accounts.create_organization(request, name="浙江交工集团股份有限公司",
                                              uscc=full_uscc("91330000MA4000002"), kind="bidder")
        accounts.create_user(request, username="bench-winner", password=PASSWORD, role="bidder", org_id=winner.id)
        project = request.dbsession.get(Project, project_id)
        for lot in project.lots:
            awards.record_award(request, project, lot, winner_org=winner, amount=Decimal("95372418.36") + lot.number,
                                system=True)
    return project_id, lot_ids


def run(backend, notices, requests):
    from webtest import TestApp

    with common.scratch_database(backend) as url:
        if url is None:
            return [[backend, "SKIP (PostgreSQL does not answer)"] + [""] * 7]
        with common.web_app(url) as (registry, wsgi):
            project_id, lot_ids = build(registry, notices + 1)
            webapp = TestApp(wsgi)
            token = webapp.post_json("/api/v1/auth/login", {"username": "bench-winner", "password": PASSWORD}).json["token"]
            headers = {"Authorization": f"Bearer {token}"}

            def path(lot_id, tail="award/notice.pdf"):
                return f"/api/v1/projects/{project_id}/lots/{lot_id}/{tail}"

            def get(lot_id, tail="award/notice.pdf"):
                response = webapp.get(path(lot_id, tail), headers=headers)
                if tail.endswith(".pdf"):
                    assert response.headers["X-Content-SHA256"] == hashlib.sha256(response.body).hexdigest()
                return response

            fresh_process = "weasyprint" not in sys.modules
            wall, cpu = time.perf_counter(), time.process_time()
            size = len(get(lot_ids[0]).body)
            cold = common.Timings()
            cold.wall.append(time.perf_counter() - wall)
            cold.cpu.append(time.process_time() - cpu)
            first = common.Timings()
            for lot_id in lot_ids[1:]:
                wall, cpu = time.perf_counter(), time.process_time()
                get(lot_id)
                first.wall.append(time.perf_counter() - wall)
                first.cpu.append(time.process_time() - cpu)
            kept_bodies = {lot_id: get(lot_id).body for lot_id in lot_ids}
            rounds = iter(range(10**9))

            def kept():
                lot_id = lot_ids[next(rounds) % len(lot_ids)]
                assert get(lot_id).body == kept_bodies[lot_id]

            kept_timings = common.timed(kept, runs=requests, warmup=5)
            award_json = common.timed(lambda: get(lot_ids[0], "award"), runs=requests, warmup=5)
    # the first backend's first request pays WeasyPrint's import and font loading; later ones find them loaded
    cold_name = ("first PDF of a fresh process (imports WeasyPrint)" if fresh_process
                 else "first notice on this database (WeasyPrint loaded)")
    return [
        row(backend, cold_name, 1, size, cold, FIRST_GOAL),
        row(backend, "first request for a notice", notices, size, first, FIRST_GOAL),
        row(backend, "kept notice, from the file store", requests, size, kept_timings, KEPT_GOAL),
        row(backend, "GET .../award (JSON, for comparison)", requests, "", award_json, None),
    ]


def row(backend, name, count, size, timings, goal):
    def fmt(seconds):
        return f"{seconds * 1000:,.1f}"

    p95 = common.p95(timings.wall)
    result = "" if goal is None else ("PASS" if p95 <= goal else "FAIL")
    return [backend, name, count, f"{size:,}" if size else "-", fmt(common.median(timings.wall)), fmt(p95),
            fmt(common.median(timings.cpu)), "-" if goal is None else fmt(goal), result]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=common.BACKENDS, action="append")
    parser.add_argument("--notices", type=int, default=NOTICES)
    parser.add_argument("--requests", type=int, default=REQUESTS)
    args = parser.parse_args(argv)
    print(f"Award notice PDF, GET .../award/notice.pdf as the winner (in process through WebTest); "
          f"{common.machine()}", flush=True)
    rows = []
    for backend in args.backend or common.BACKENDS:
        rows += run(backend, args.notices, args.requests)
    print(common.table(["backend", "measure", "requests", "bytes", "p50 ms", "p95 ms", "cpu ms", "goal ms", "result"],
                       rows))
    print(f"({common.machine()} at the end)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
