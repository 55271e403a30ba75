"""Helpers shared by the benchmarks: scratch databases, the app on them, bulk loading, timing and the report table."""
import contextlib
import json
import math
import os
import statistics
import tempfile
import time

from sqlalchemy import insert, text

from trading import migrate, testing
from trading.config import configure
from trading.models import get_engine

BACKENDS = ("sqlite", "postgresql")
PG_URL = testing.PG_ADMIN_URL  # postgresql+psycopg://postgres@127.0.0.1:5432/postgres, or $GGZY_TEST_PG


def scratch_database(backend):
    """An empty database for one benchmark, gone afterwards: yields its URL, or None when it is unavailable."""
    return testing.scratch_database(backend, prefix="ggzy_bench")


@contextlib.contextmanager
def app(url, **settings):
    """The configured registry on a migrated database at ``url`` (no scheduler, English messages)."""
    engine = get_engine({"sqlalchemy.url": url})
    migrate.upgrade(engine)
    with tempfile.TemporaryDirectory(prefix="ggzy-bench-files-") as files:
        config = configure({
            "sqlalchemy.url": url, "dbengine": engine, "ggzy.storage_dir": files, "ggzy.clock": "system",
            "ggzy.scheduler": "off", "ggzy.default_locale": "en", **testing.FAST_SETTINGS, **settings,
        })
        try:
            yield config.registry
        finally:
            engine.dispose()


@contextlib.contextmanager
def web_app(url, **settings):
    """``(registry, wsgi_app)`` on a migrated database at ``url``: for timing requests in process (WebTest)."""
    from pyramid.router import Router

    with app(url, **settings) as registry:
        yield registry, Router(registry)


def script_request(registry):
    """``with script_request(registry) as request:`` a request for calling services, committed at the end."""
    return testing.ScriptRequest(registry, registry["dbsession_factory"])


@contextlib.contextmanager
def rolled_back(registry):
    """A request whose transaction is rolled back at the end: for timing a service without keeping its writes."""
    request = script_request(registry)
    request.tm.begin()
    try:
        yield request
    finally:
        request.tm.abort()


def insert_rows(connection, table, rows, batch=20000):
    """Core executemany in batches: bounded memory, and fast on both backends (insertmanyvalues on PostgreSQL)."""
    rows = iter(rows)
    count = 0
    while True:
        chunk = [row for _i, row in zip(range(batch), rows)]
        if not chunk:
            return count
        connection.execute(insert(table), chunk)
        count += len(chunk)


def copy_rows(connection, table, rows):
    """Bulk load with COPY on PostgreSQL (about twice as fast as ``insert_rows`` for wide rows), elsewhere
    ``insert_rows``. Values go through each column type's bind processing, as in an INSERT, but column
    defaults are not applied: a key missing from a row is NULL."""
    if connection.dialect.name != "postgresql":
        return insert_rows(connection, table, rows)
    columns = list(table.columns)
    processors = [column.type.bind_processor(connection.dialect) for column in columns]
    names = ", ".join(connection.dialect.identifier_preparer.quote(column.name) for column in columns)
    count = 0
    with connection.connection.dbapi_connection.cursor() as cursor:
        with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
            for row in rows:
                values = (row.get(column.name) for column in columns)
                values = [value if value is None or processor is None else processor(value)
                          for value, processor in zip(values, processors)]
                # JSON columns: psycopg adapts dicts only with its Json wrapper; COPY's text format takes the text
                copy.write_row([json.dumps(v) if isinstance(v, (dict, list)) else v for v in values])
                count += 1
    return count


def analyze(engine):
    """Planner statistics and visibility map as a settled database has them (autovacuum has been by)."""
    if engine.dialect.name == "postgresql":
        # outside a transaction; without VACUUM a freshly loaded table gets no index-only scans
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    else:
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))


class Timings:
    """Seconds per run: ``wall`` (what the goal is about) and ``cpu`` (this process only, the same when the machine is busy)."""

    def __init__(self):
        self.wall = []
        self.cpu = []


def timed(run, runs=5, warmup=1):
    """Timings of ``runs`` calls of ``run()``, after ``warmup`` untimed calls."""
    for _ in range(warmup):
        run()
    timings = Timings()
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        run()
        timings.wall.append(time.perf_counter() - wall)
        timings.cpu.append(time.process_time() - cpu)
    return timings


def machine():
    """The machine in a line: how many CPUs and how busy they were, since other work skews wall-clock figures."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return f"{os.cpu_count()} CPUs, load average {load:.1f}"


def median(times):
    return statistics.median(times)


def p95(times):
    """Nearest-rank 95th percentile: with 5 runs, the slowest."""
    ordered = sorted(times)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def table(headers, rows):
    """A plain text table, columns padded to their widest cell, numbers right-aligned."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    numeric = [all(_is_number(row[i]) for row in cells[1:]) for i in range(len(headers))]

    def line(row):
        return "  ".join(c.rjust(w) if n else c.ljust(w) for c, w, n in zip(row, widths, numeric)).rstrip()

    return "\n".join([line(cells[0]), "  ".join("-" * w for w in widths)] + [line(row) for row in cells[1:]])


def _is_number(cell):
    try:
        float(cell.rstrip("s").replace(",", ""))
        return True
    except ValueError:
        return False


def percentile(values, q):
    """Nearest-rank ``q``-th percentile (0 < q <= 100) of ``values``; NaN when there are none."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]
