"""Benchmark: the public project list (GET /api/v1/projects, anonymous) over 100,000 projects, on SQLite and PostgreSQL.

Not a test: it prints a table and exits 0 whatever the figures (it exits non-zero only if it crashes).
Run it with `make bench`, or alone: `.venv/bin/python bench/bench_project_list.py [--backend sqlite|postgresql]
[--projects N] [--requests N] [--explain]`.

Requests go in process through the WSGI app (WebTest), so the figures are the app's and the database's work
without HTTP parsing or a network hop.
"""
import argparse
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import common  # bench/common.py: python puts the script's folder first on sys.path
from sqlalchemy import select

from trading.api.pagination import encode_cursor
from trading.demo import full_uscc
from trading.models import Amendment, Lot, Organization, Project
from trading.models.meta import new_id

PROJECTS = 100_000
REQUESTS = 200
BUDGET = 10  # seconds per measure at most (at least 20 requests)
GOAL = 0.050  # seconds, p95
SEED = 7
NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
OWNERS, AGENTS = 500, 100
# (status, weight): most of a centre's list is finished business; drafts are few and never shown to the public
STATUSES = [("draft", 2), ("announced", 12), ("opening", 1), ("evaluating", 3), ("auction", 1), ("publicity", 3),
            ("awarded", 18), ("contracted", 45), ("failed", 9), ("terminated", 6)]
CITIES = ["杭州", "宁波", "温州", "嘉兴", "湖州", "绍兴", "金华", "衢州", "舟山", "台州", "丽水", "义乌", "余姚", "慈溪",
          "瑞安", "乐清", "海宁", "桐乡", "诸暨", "上虞", "东阳", "永康", "临海", "温岭", "江山", "龙泉", "建德", "富阳",
          "临安", "淳安"]
SUBJECTS = {
    "tendering": ["道路改造工程", "桥梁维修工程", "污水管网工程", "学校新建工程", "医院扩建工程", "河道整治工程",
                  "安置房建设工程", "公园景观工程", "变电站土建工程", "体育馆装修工程"],
    "procurement": ["办公设备采购", "医疗器械采购", "教学设备采购", "信息系统运维服务", "物业管理服务", "车辆租赁服务",
                    "图书采购", "食堂食材配送服务", "安保服务", "绿化养护服务"],
    "land": ["国有建设用地使用权", "商住用地使用权", "工业用地使用权", "仓储用地使用权"],
    "equity": ["国有股权转让", "企业产权转让", "资产收益权转让", "房屋租赁权"],
}
# about 30 titles carry it: without an index, the search has to look at every row to fill a page. pg_trgm indexes
# words of 3 characters or more; its first 2 characters, rare too, show what a shorter word costs.
RARE = "萧山机场"


def weighted(rng, choices):
    return rng.choices([c for c, _w in choices], weights=[w for _c, w in choices])[0]


def iso(moment):
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def build(registry, count):
    """``count`` projects with 1–3 lots each and a few amendments; returns the seconds it took."""
    started = time.perf_counter()
    rng = random.Random(SEED)
    methods = list(registry["methods"])
    engine = registry["dbengine"]
    with engine.begin() as connection:
        orgs = [{"id": new_id(), "name": f"{rng.choice(CITIES)}{kind}单位{i:04d}", "uscc": full_uscc(f"91330100MA3{i:06d}"),
                 "kind": kind, "created_at": NOW - timedelta(days=1500)}
                for i, kind in enumerate(["owner"] * OWNERS + ["agent"] * AGENTS)]
        common.insert_rows(connection, Organization.__table__, orgs)
        owners, agents = orgs[:OWNERS], orgs[OWNERS:]
        projects, lots, amendments = [], [], []
        span = 3 * 365 * 24 * 3600
        for index in range(count):
            method = rng.choice(methods)
            status = weighted(rng, STATUSES)
            # the newest projects are still running, the old ones finished: a listing time that fits the status
            age = rng.randrange(span // 20) if status in ("announced", "draft", "opening") else rng.randrange(span)
            listed = (NOW - timedelta(seconds=age)).replace(microsecond=0)
            subject = rng.choice(SUBJECTS[method.sector])
            city = rng.choice(CITIES)
            title = f"{city}{RARE if rng.random() < 0.0003 else ''}{subject}（{index % 97 + 1}期）"
            timeline = {name: iso(listed + timedelta(days=5 * (n + 1))) for n, name in enumerate(method.timeline)}
            project_id = new_id()
            owner = rng.choice(owners)
            projects.append({
                "id": project_id, "code": f"B{listed:%Y}{index:07d}", "method": method.code, "sector": method.sector,
                "kind": method.kind, "title": title, "description": f"{title}，详见招标文件。",
                "owner_org_id": owner["id"], "agent_org_id": rng.choice(agents)["id"] if rng.random() < 0.7 else None,
                "status": status, "timeline": timeline, "params": {}, "created_at": listed - timedelta(days=2),
                "published_at": None if status == "draft" else listed, "listed_at": listed,
                "terminated_at": listed + timedelta(days=3) if status == "terminated" else None,
                "termination_reason": "项目终止" if status == "terminated" else None})
            money_fields = list(method.lot_fields.get("properties", {}))
            for number in range(1, rng.choice((1, 1, 1, 2, 3)) + 1):
                amount = rng.randrange(100_000, 50_000_000) * 100
                lots.append({"id": new_id(), "project_id": project_id, "number": number, "title": f"第{number}标段",
                             **{name: None for name in ("budget", "deposit", "start_price", "increment",
                                                        "reserve_price")},
                             **{name: amount // (1 if name in ("budget", "start_price", "reserve_price") else 50)
                                for name in money_fields}})
            if status != "draft" and rng.random() < 0.1:
                amendments.append({"id": new_id(), "project_id": project_id, "text": "澄清：开标时间顺延。",
                                   "changes": {}, "issued_at": listed + timedelta(days=1)})
        for table, rows in ((Project.__table__, projects), (Lot.__table__, lots), (Amendment.__table__, amendments)):
            common.copy_rows(connection, table, rows)
    common.analyze(engine)
    return time.perf_counter() - started


def deep_cursor(registry, position):
    """The cursor a client holds after paging ``position`` public projects in: (listed_at, id) of that row."""
    with registry["dbengine"].connect() as connection:
        row = connection.execute(
            select(Project.listed_at, Project.id).where(Project.status != "draft")
            .order_by(Project.listed_at.desc(), Project.id.desc()).offset(position - 1).limit(1)).one()
    return encode_cursor([row.listed_at.isoformat(), row.id])


def measures(registry, count):
    """(name, query string) of each timed request."""
    deep = min(50_000, count // 2)
    return [
        ("first page", {}),
        ("sector + status", {"sector": "procurement", "status": "announced"}),
        ("sector + status + q", {"sector": "tendering", "status": "contracted", "q": "杭州"}),
        ("q, common word", {"q": "宁波"}),
        ("q, rare word", {"q": RARE}),
        ("q, rare word of 2 characters", {"q": RARE[:2]}),
        (f"deep page (cursor at {deep:,})", {"cursor": deep_cursor(registry, deep)}),
        ("next page of sector + status", None),  # filled in from the response of "sector + status"
    ]


def timed_within(run, runs, budget):
    """``common.timed`` that stops after ``budget`` seconds (but not before 20 runs): a slow search stays short."""
    for _ in range(5):
        run()
    timings = common.Timings()
    started = time.perf_counter()
    while len(timings.wall) < runs and (len(timings.wall) < 20 or time.perf_counter() - started < budget):
        wall, cpu = time.perf_counter(), time.process_time()
        run()
        timings.wall.append(time.perf_counter() - wall)
        timings.cpu.append(time.process_time() - cpu)
    return timings


def explain(engine, webapp, query):
    """The plan PostgreSQL picks for the list query of ``query`` (EXPLAIN ANALYZE, captured from the app's SQL)."""
    from sqlalchemy import event

    captured = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if "FROM projects" in statement and "ORDER BY projects.listed_at" in statement and not captured:
            captured.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        webapp.get("/api/v1/projects?" + urlencode(query))
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    statement, parameters = captured[0]
    with engine.connect() as connection:
        raw = connection.connection.dbapi_connection
        with raw.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS OFF) " + statement, parameters)
            return "\n".join(row[0] for row in cursor.fetchall())


def run(backend, count, requests, show_plans):
    from webtest import TestApp

    rows = []
    with common.scratch_database(backend) as url:
        if url is None:
            return [[backend, "SKIP (PostgreSQL does not answer)"] + [""] * 8]
        with common.web_app(url) as (registry, wsgi):
            seconds = build(registry, count)
            print(f"{backend}: {count:,} projects loaded in {seconds:.1f} s ({common.machine()})", flush=True)
            webapp = TestApp(wsgi)
            timed = measures(registry, count)
            next_cursor = None
            for name, query in timed:
                if query is None:
                    query = {"sector": "procurement", "status": "announced", "cursor": next_cursor}
                path = "/api/v1/projects" + ("?" + urlencode(query) if query else "")
                first = webapp.get(path)
                if name == "sector + status":
                    next_cursor = first.json["next_cursor"]
                items = len(first.json["items"])

                def one():
                    webapp.get(path)

                timings = timed_within(one, requests, BUDGET)
                result = "PASS" if common.p95(timings.wall) <= GOAL else "FAIL"
                rows.append([backend, name, f"{items}", len(timings.wall), f"{common.median(timings.wall) * 1000:.1f}",
                             f"{common.p95(timings.wall) * 1000:.1f}", f"{common.median(timings.cpu) * 1000:.1f}",
                             f"{GOAL * 1000:.0f}", result])
                if show_plans and backend == "postgresql":
                    print(f"-- {name}: {path}\n{explain(registry['dbengine'], webapp, query)}\n", flush=True)
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=common.BACKENDS, action="append")
    parser.add_argument("--projects", type=int, default=PROJECTS)
    parser.add_argument("--requests", type=int, default=REQUESTS)
    parser.add_argument("--explain", action="store_true", help="print PostgreSQL's plan of each list query")
    args = parser.parse_args(argv)
    print(f"Public project list, GET /api/v1/projects (anonymous, in process through WebTest), {args.projects:,} "
          f"projects, {args.requests} requests per measure; {common.machine()}", flush=True)
    rows = []
    for backend in args.backend or common.BACKENDS:
        rows += run(backend, args.projects, args.requests, args.explain)
    print(common.table(["backend", "measure", "items", "requests", "p50 ms", "p95 ms", "cpu ms", "goal ms", "result"], rows))
    print(f"({common.machine()} at the end)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
