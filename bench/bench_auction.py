"""Benchmark: 100 bidders at once on one live land auction, served by gunicorn on PostgreSQL, against the bare endpoint.

Not a test: it prints a table and exits 0 whatever the figures (it exits non-zero only if it crashes).
Run it with `make bench`, or alone: `.venv/bin/python bench/bench_auction.py [--seconds 30] [--worker-class gthread]`.

The app runs as it is deployed: `gunicorn --paste INI -w 2` on a fresh PostgreSQL database, with the manual clock.
The load comes from a separate process (this script with `--load-client`): one asyncio loop with a keep-alive
connection per bidder, which costs the server far less CPU than the server spends answering.
"""
import argparse
import asyncio
import configparser
import hashlib
import hmac
import http.client
import itertools
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import common  # bench/common.py: python puts the script's folder first on sys.path
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
CST = ZoneInfo("Asia/Shanghai")
API = "/api/v1"

BIDDERS = 100  # organisations, one user each, one connection each
CONCURRENCY = 100
SECONDS = 30
WARMUP_SECONDS = 3
WORKERS = 2
START_PRICE, INCREMENT = Decimal("10000000.00"), Decimal("100000.00")
MULTIPLES = (1, 1, 1, 2, 3)  # a bid is the current price plus this many increments
COUNTDOWN = 3600  # the round never ends during the run
PASSWORD = "bench-password-0123"
BANK_SECRET = "bench-bank-secret"
GOAL_SHARE = 0.40  # bid requests served per second, as a share of the bare endpoint's
GOAL_P99_MS = 150.0
REQUEST_TIMEOUT = 30.0  # seconds, per request in the load client
MAX_CYCLES = 1_000_000  # per client: the loops end by time, this only bounds them


# --- the load client (a separate process) ----------------------------------------------------------


class Connection:
    """One HTTP/1.1 keep-alive connection to 127.0.0.1, reopened when the server closes it (sync workers do)."""

    def __init__(self, port):
        self.port = port
        self.reader = self.writer = None

    async def request(self, method, path, headers, body=None):
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        data = b"" if body is None else json.dumps(body).encode()
        head = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{self.port}", "Accept: application/json",
                f"Content-Length: {len(data)}"]
        if body is not None:
            head.append("Content-Type: application/json")
        head += [f"{k}: {v}" for k, v in headers.items()]
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + data)
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionResetError("the server closed the connection")
        status = int(status_line.split(None, 2)[1])
        length, close = None, False
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "connection" and value.strip().lower() == "close":
                close = True
        payload = await self.reader.readexactly(length) if length is not None else await self.reader.read()
        if close or length is None:
            self.close()
        return status, payload

    def close(self):
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def load(spec):
    """Run ``spec["mode"]`` ("bids", "ping" or "me") with one coroutine per client until the time is up."""
    loop = asyncio.get_running_loop()
    seconds, port, mode = spec["seconds"], spec["port"], spec["mode"]
    lot_path = spec.get("lot_path")
    result = {"post": [], "get": [], "accepted": [], "refused": {}, "errors": {}, "get_errors": 0}
    stop = loop.time() + seconds

    def error(kind):
        result["errors"][kind] = result["errors"].get(kind, 0) + 1

    async def client(index):
        connection = Connection(port)
        headers = dict(spec["clients"][index % len(spec["clients"])])
        if mode == "ping":
            del headers["Authorization"]  # the bare endpoint: a token would cost a database look-up
        rng = random.Random(index)
        minimum = None  # the lowest acceptable bid as last learnt; None: read the room's state first
        cycles = 0
        while loop.time() < stop and cycles < MAX_CYCLES:
            cycles += 1
            try:
                if mode in ("ping", "me"):
                    started = time.perf_counter()
                    status, _body = await asyncio.wait_for(connection.request("GET", f"{API}/{mode}", headers),
                                                           REQUEST_TIMEOUT)
                    result["get"].append(time.perf_counter() - started)
                    if status != 200:
                        error(f"{mode} {status}")
                    continue
                if minimum is None:
                    # the room's state: at the start, and after leading (a 201 or auction.already_leading)
                    started = time.perf_counter()
                    status, body = await asyncio.wait_for(connection.request("GET", lot_path + "/auction", headers),
                                                          REQUEST_TIMEOUT)
                    result["get"].append(time.perf_counter() - started)
                    if status != 200:
                        result["get_errors"] += 1
                        error(f"GET auction {status}")
                        continue
                    current = json.loads(body)["current"]
                    minimum = Decimal(current) + INCREMENT if current else START_PRICE
                amount = minimum + INCREMENT * (rng.choice(MULTIPLES) - 1)
                started = time.perf_counter()
                status, body = await asyncio.wait_for(
                    connection.request("POST", lot_path + "/auction/bids", headers, {"amount": f"{amount:.2f}"}),
                    REQUEST_TIMEOUT)
                result["post"].append(time.perf_counter() - started)
                minimum = None
                if status == 201:
                    answer = json.loads(body)
                    result["accepted"].append([answer["seq"], answer["amount"]])
                elif status == 409:
                    problem = json.loads(body)["error"]
                    result["refused"][problem["code"]] = result["refused"].get(problem["code"], 0) + 1
                    if problem["code"] == "auction.too_low":
                        # outbid: the refusal names the lowest acceptable bid, so the next one needs no state read
                        minimum = Decimal(problem["details"][0]["minimum"])
                else:
                    error(f"POST bids {status}")
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
                error(type(exc).__name__)
                connection.close()
                await asyncio.sleep(0.05)  # a broken server must not turn this loop into a busy one
        connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(spec["concurrency"])))
    result["elapsed"] = time.perf_counter() - started
    return result


def load_client_main():
    """``--load-client``: read the spec as JSON on stdin, write the result as JSON on stdout."""
    spec = json.load(sys.stdin)
    result = asyncio.run(load(spec))
    json.dump(result, sys.stdout)
    return 0


def run_load(spec):
    """The load in its own process, so that it shares no interpreter (nor GIL) with anything else."""
    completed = subprocess.run([sys.executable, __file__, "--load-client"], input=json.dumps(spec), check=False,
                               capture_output=True, text=True, timeout=spec["seconds"] + 3 * REQUEST_TIMEOUT + 60)
    if completed.returncode != 0:
        raise RuntimeError(f"the load client failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout)


# --- talking to the server during set-up -------------------------------------------------------------


class Api:
    """Plain http.client calls for the set-up and the checks: one connection per call, JSON in and out."""

    def __init__(self, port):
        self.port = port
        self.tokens = {}

    def call(self, method, path, body=None, as_user=None, status=None, headers=None, raw=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            sent = dict(headers or {})
            data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
            if data is not None:
                sent.setdefault("Content-Type", "application/json")
            if as_user is not None:
                sent["Authorization"] = f"Bearer {self.tokens[as_user]}"
            connection.request(method, API + path, body=data, headers=sent)
            response = connection.getresponse()
            payload = response.read()
        finally:
            connection.close()
        if status is not None and response.status != status:
            raise RuntimeError(f"{method} {path}: expected {status}, got {response.status}: {payload[:500]!r}")
        return json.loads(payload) if payload else None

    def login(self, username, password=PASSWORD):
        self.tokens[username] = self.call("POST", "/auth/login", {"username": username, "password": password},
                                          status=200)["token"]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_ini(folder, url, worker_class, threads):
    """development.ini with the scratch database, the manual clock, no scheduler and cheap password hashing."""
    parser = configparser.RawConfigParser()
    parser.optionxform = str  # keep the keys' case
    parser.read(ROOT / "development.ini", encoding="utf-8")
    app = parser["app:main"]
    app["sqlalchemy.url"] = url
    app["ggzy.storage_dir"] = str(Path(folder) / "files")
    app["ggzy.clock"] = "manual"
    app["ggzy.scheduler"] = "off"
    app["ggzy.bank_secret"] = BANK_SECRET
    app["ggzy.default_locale"] = "en"
    # the bidders reach the app through 127.0.0.1: as behind the centre's reverse proxy, each carries its own address
    app["ggzy.trusted_proxies"] = "127.0.0.1"
    # the set-up logs in on the start clock and bids on the auction's, 22 days on: tokens must outlive the move
    app["ggzy.token_hours"] = str(60 * 24)
    app["ggzy.password_time_cost"] = "1"
    app["ggzy.password_memory_kib"] = "64"
    if worker_class == "gthread":
        # one connection per thread, so that no thread waits for the pool (the default is 5 + 10 overflow)
        app["sqlalchemy.pool_size"] = str(max(threads, 5))
        app["sqlalchemy.max_overflow"] = "5"
    parser["logger_root"]["level"] = "WARN"  # gunicorn's own messages (workers booting, timeouts) still come through
    ini = Path(folder) / "bench.ini"
    with open(ini, "w", encoding="utf-8") as handle:
        parser.write(handle)
    return ini


def ggzy(*args, stdin=None):
    completed = subprocess.run([str(VENV_BIN / "ggzy"), *args], input=stdin, capture_output=True, text=True,
                               cwd=ROOT, timeout=300, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"ggzy {args[0]} failed:\n{completed.stdout}\n{completed.stderr}")
    return completed.stdout


def start_gunicorn(ini, port, worker_class, threads, log):
    command = [str(VENV_BIN / "gunicorn"), "--paste", str(ini), "-w", str(WORKERS), "-b", f"127.0.0.1:{port}",
               "--worker-class", worker_class, "--timeout", "120", "--backlog", "2048"]
    if worker_class == "gthread":
        command += ["--threads", str(threads)]
    if "--no-control-socket" in subprocess.run([command[0], "--help"], capture_output=True, text=True, check=False).stdout:
        command.append("--no-control-socket")  # gunicorn 27: no shared ~/.gunicorn/gunicorn.ctl between runs
    process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {process.returncode}")
        try:
            Api(port).call("GET", "/ping", status=200)
            return process
        except (OSError, RuntimeError):
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer within 60 s")


def stop_gunicorn(process):
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)  # its own session: the master and its workers, nothing else
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def cpu_seconds(pids):
    """CPU seconds (user + system) each process has used, from /proc: {pid: seconds}, missing the ones not found."""
    seconds = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        seconds[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return seconds


class CpuMeter:
    """The CPU that gunicorn's workers and the database's backends spend during a load: independent of how busy
    the machine is with other work, where the wall-clock figures are not. Linux only, PostgreSQL on this machine."""

    def __init__(self, server, dbname):
        self.server, self.dbname = server, dbname

    def _pids(self):
        workers = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == self.server.pid:
                    workers.append(int(stat.parent.name))
            except (OSError, ValueError, IndexError):
                continue
        engine = create_engine(common.PG_URL)
        try:
            with engine.connect() as connection:
                backends = connection.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = :name"),
                                              {"name": self.dbname}).scalars().all()
        finally:
            engine.dispose()
        return workers, backends

    def start(self):
        workers, backends = self._pids()
        self.before = (cpu_seconds(workers), cpu_seconds(backends))

    def stop(self):
        """(app CPU seconds, database CPU seconds) since start; None for a side /proc does not show."""
        workers, backends = self._pids()
        used = []
        for pids, before in zip((workers, backends), self.before):
            now = cpu_seconds(pids)
            used.append(sum(now[pid] - before.get(pid, 0.0) for pid in now) if now else None)
        return tuple(used)


def parse_instant(text):
    return datetime.fromisoformat(text)


def working_day(day):
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def set_clock_everywhere(api, moment):
    """Move the manual clock of every worker: each process has its own, and a PUT reaches only the one that answers.

    Before the move, concurrent pings must show as many distinct clocks as there are workers (each manual clock
    starts at its worker's start): that shows they reach every worker. Then concurrent PUTs, repeated until rounds
    of concurrent pings all answer with the new time.
    """
    def ping(_):
        return parse_instant(api.call("GET", "/ping", status=200)["now"])

    with ThreadPoolExecutor(16) as pool:
        seen = set()
        for _round in range(20):
            seen |= set(pool.map(ping, range(32)))
            if len(seen) >= WORKERS:
                break
        if len(seen) < WORKERS:
            raise RuntimeError(f"concurrent pings reached {len(seen)} worker clock(s) of {WORKERS}")
        transitions = []
        agreed = 0
        for _round in range(20):
            answers = list(pool.map(lambda _: api.call("PUT", "/testing/clock", {"now": moment.isoformat()},
                                                       as_user="admin", status=200), range(8)))
            transitions += [t for answer in answers for t in answer["transitions"]]
            agreed = 0
            for _check in range(3):
                if set(pool.map(ping, range(48))) != {moment}:
                    break
                agreed += 1
            if agreed == 3:
                return transitions
    raise RuntimeError("could not move every worker's clock")


def bank_notice(api, account, amount, reference, payer, paid_at):
    raw = json.dumps({"deposit_account": account, "amount": amount, "paid_at": paid_at, "reference": reference,
                      "payer_account": payer}).encode("utf-8")
    signature = hmac.new(BANK_SECRET.encode("utf-8"), raw, hashlib.sha256).hexdigest()
    api.call("POST", "/deposits/notify", raw=raw, headers={"X-Signature": signature}, status=200)


def set_up(api, ini):
    """Users, organisations, a published land auction with 100 qualified bidders, and the clock at its start."""
    from trading.demo import full_uscc

    ggzy("create-user", str(ini), "--username", "admin", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n")
    api.login("admin")
    api.call("POST", "/users", {"username": "officer", "password": PASSWORD, "role": "officer"}, as_user="admin",
             status=201)
    api.login("officer")
    owner = api.call("POST", "/organizations", {"name": "市自然资源和规划局", "uscc": full_uscc("11330100002500300"),
                                                "kind": "owner"}, as_user="admin", status=201)
    bidders = []
    for index in range(BIDDERS):
        username = f"bidder{index:03d}"
        api.call("POST", "/organizations/register", {
            "name": f"竞买公司{index:03d}", "uscc": full_uscc(f"91330100MA2C{index:05d}"),
            "legal_representative": f"法人{index:03d}", "contact_name": f"联系人{index:03d}",
            "phone": f"0571-8700{index:04d}", "email": f"bidder{index:03d}@example.com",
            "username": username, "password": PASSWORD}, status=201)
        api.login(username)
        bidders.append(username)

    now = parse_instant(api.call("GET", "/testing/clock", status=200)["now"]).astimezone(CST)
    auction_day = working_day(now.date() + timedelta(days=22))
    registration_day = auction_day - timedelta(days=1)
    while registration_day.weekday() >= 5:
        registration_day -= timedelta(days=1)
    auction_at = datetime(auction_day.year, auction_day.month, auction_day.day, 10, 0, tzinfo=CST)
    registration_until = datetime(registration_day.year, registration_day.month, registration_day.day, 17, 0, tzinfo=CST)
    project = api.call("POST", "/projects", {
        "method": "land.auction", "title": "城东A-3地块国有建设用地使用权拍卖出让（基准）", "owner_org_id": owner["id"],
        "lots": [{"title": "A-3地块", "start_price": f"{START_PRICE}", "increment": f"{INCREMENT}",
                  "reserve_price": "12000000.00", "deposit": "2000000.00"}],
        "timeline": {"registration_until": registration_until.isoformat(), "auction_at": auction_at.isoformat()},
        "params": {"countdown_seconds": COUNTDOWN},
    }, as_user="officer", status=201)
    project = api.call("POST", f"/projects/{project['id']}/publish", as_user="officer", status=200)
    lot_id = project["lots"][0]["id"]
    paid_at = now.isoformat()
    for index, username in enumerate(bidders):
        registration = api.call("POST", f"/projects/{project['id']}/registrations", {"lot_ids": [lot_id]},
                                as_user=username, status=201)
        bank_notice(api, registration["deposit_account"], registration["amount_due"], f"BENCH-{index:03d}",
                    f"6222{index:012d}", paid_at)

    transitions = set_clock_everywhere(api, auction_at)
    lot_path = f"{API}/projects/{project['id']}/lots/{lot_id}"
    state = api.call("GET", lot_path.removeprefix(API) + "/auction", as_user=bidders[0], status=200)
    if state["phase"] != "live":
        raise RuntimeError(f"the lot is not live after moving the clock to {auction_at}: {state}, {transitions}")
    clients = [{"Authorization": f"Bearer {api.tokens[username]}",
                "X-Forwarded-For": f"198.18.{index // 250}.{index % 250 + 1}"}  # RFC 2544 benchmarking addresses
               for index, username in enumerate(bidders)]
    return lot_path, clients


def history(api, lot_path):
    items, after = [], 0
    for _page in range(10_000):
        page = api.call("GET", lot_path.removeprefix(API) + f"/quotes?limit=500&after={after}", status=200)
        items += page["items"]
        if not page["items"] or page.get("next_cursor") is None:
            break
        after = page["items"][-1]["seq"]
    return items


def check(api, lot_path, accepted):
    """The lot's history is strictly increasing in seq and amount, holds every 201 and nothing else; the chain holds."""
    items = history(api, lot_path)
    seqs = [item["seq"] for item in items]
    amounts = [Decimal(item["amount"]) for item in items]
    problems = []
    if seqs != list(range(1, len(items) + 1)):
        problems.append("seq is not 1, 2, 3, ... without gaps")
    if not all(b > a for a, b in itertools.pairwise(amounts)):
        problems.append("amounts are not strictly increasing")
    stored = {(item["seq"], Decimal(item["amount"])) for item in items}
    answered = {(seq, Decimal(amount)) for seq, amount in accepted}
    if answered - stored:
        problems.append(f"{len(answered - stored)} accepted bid(s) missing from the history")
    if len(items) != len(answered):
        problems.append(f"the history has {len(items)} entries for {len(answered)} accepted bids")
    verify = api.call("GET", "/audit/verify", as_user="admin", status=200)
    if not verify["ok"]:
        problems.append(f"audit chain broken at seq {verify['first_bad_seq']}")
    return len(items), verify, problems


# --- the report -------------------------------------------------------------------------------------


def ms(seconds):
    return f"{seconds * 1000:.1f}"


def rows_of(bids, ping, me):
    bid_seconds, ping_seconds = bids["elapsed"], ping["elapsed"]
    accepted, refused = len(bids["accepted"]), sum(bids["refused"].values())
    post_errors = sum(v for k, v in bids["errors"].items() if not k.startswith("GET"))
    rows = [
        ["POST .../auction/bids", CONCURRENCY, f"{bid_seconds:.1f}", f"{(accepted + refused) / bid_seconds:.1f}",
         f"{accepted / bid_seconds:.1f}", f"{refused / bid_seconds:.1f}",
         ms(common.percentile(bids["post"], 50)), ms(common.percentile(bids["post"], 99)), post_errors],
        ["GET .../auction (when leading or at the start)", CONCURRENCY, f"{bid_seconds:.1f}",
         f"{len(bids['get']) / bid_seconds:.1f}", "-", "-", ms(common.percentile(bids["get"], 50)),
         ms(common.percentile(bids["get"], 99)), bids["get_errors"]],
        ["GET /api/v1/ping", CONCURRENCY, f"{ping_seconds:.1f}", f"{len(ping['get']) / ping_seconds:.1f}", "-", "-",
         ms(common.percentile(ping["get"], 50)), ms(common.percentile(ping["get"], 99)), sum(ping["errors"].values())],
        ["GET /api/v1/me (a token's look-up; no goal)", CONCURRENCY, f"{me['elapsed']:.1f}",
         f"{len(me['get']) / me['elapsed']:.1f}", "-", "-", ms(common.percentile(me["get"], 50)),
         ms(common.percentile(me["get"], 99)), sum(me["errors"].values())],
    ]
    served = (accepted + refused) / bid_seconds
    bare = len(ping["get"]) / ping_seconds
    p99 = common.percentile(bids["post"], 99) * 1000
    goals = [
        (f"bid throughput {served:.1f}/s = {served / bare:.0%} of the bare endpoint's {bare:.1f}/s "
         f"(goal >= {GOAL_SHARE:.0%}): {'PASS' if served >= GOAL_SHARE * bare else 'FAIL'}"),
        f"bid p99 {p99:.1f} ms (goal < {GOAL_P99_MS:.0f} ms): {'PASS' if p99 < GOAL_P99_MS else 'FAIL'}",
    ]
    return rows, goals


def cpu_line(bids, ping):
    """Server CPU per request in each phase: what the figures cost, whatever else the machine was doing."""
    def per(seconds, requests):
        return "?" if seconds is None or not requests else f"{seconds / requests * 1000:.2f}"

    bid_requests = len(bids["post"]) + len(bids["get"])
    app, database = bids["cpu"]
    ping_app, _ = ping["cpu"]
    return (f"server CPU per request (ms): bids phase (the reads and the POSTs together) {per(app, bid_requests)} in "
            f"gunicorn's workers + {per(database, bid_requests)} in PostgreSQL; ping {per(ping_app, len(ping['get']))} "
            f"in the workers")


def restarted_workers(log_path):
    """A problem when gunicorn booted more workers than it runs: one died or was restarted during the run."""
    booted = log_path.read_text(errors="replace").count("Booting worker")
    return [] if booted == WORKERS else [f"{booted} workers booted for {WORKERS}: a worker died or was restarted "
                                         f"(see its log)"]


def print_log_tail(log_path):
    if log_path.exists():
        print("gunicorn log (tail):\n" + log_path.read_text(errors="replace")[-3000:], file=sys.stderr)


def tear_down(server, dbname, folder):
    stop_gunicorn(server)
    common.testing.drop_pg_database(dbname)
    shutil.rmtree(folder, ignore_errors=True)


def bench(args):
    name, url = common.testing.create_pg_database(prefix="ggzy_bench")
    folder = tempfile.mkdtemp(prefix="ggzy-bench-auction-")
    server = None
    log_path = Path(folder) / "gunicorn.log"
    try:
        ini = write_ini(folder, url, args.worker_class, args.threads)
        started = time.perf_counter()
        ggzy("initdb", str(ini))
        port = free_port()
        with open(log_path, "w") as log:
            server = start_gunicorn(ini, port, args.worker_class, args.threads, log)
        api = Api(port)
        lot_path, clients = set_up(api, ini)
        print(f"set-up: {BIDDERS} qualified bidders on a live lot in {time.perf_counter() - started:.1f} s "
              f"(database {name}, port {port})", flush=True)

        spec = {"port": port, "concurrency": CONCURRENCY, "clients": clients, "lot_path": lot_path}
        warm_bids = run_load({**spec, "mode": "bids", "seconds": WARMUP_SECONDS})
        run_load({**spec, "mode": "ping", "seconds": WARMUP_SECONDS})
        meter = CpuMeter(server, name)
        print(f"machine: {common.machine()} before the bids", flush=True)
        meter.start()
        bids = run_load({**spec, "mode": "bids", "seconds": args.seconds})
        bids["cpu"] = meter.stop()
        print(f"machine: {common.machine()} before the pings", flush=True)
        meter.start()
        ping = run_load({**spec, "mode": "ping", "seconds": args.seconds})
        ping["cpu"] = meter.stop()
        # not a goal: the floor every bid pays before its own work (the token's look-up and a transaction)
        me = run_load({**spec, "mode": "me", "seconds": min(args.seconds, 10)})

        entries, verify, problems = check(api, lot_path, warm_bids["accepted"] + bids["accepted"])
        problems += restarted_workers(log_path)
        return bids, ping, me, entries, verify, problems
    except Exception:
        print_log_tail(log_path)
        raise
    finally:
        tear_down(server, name, folder)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=SECONDS, help=f"length of each load (default {SECONDS})")
    parser.add_argument("--worker-class", choices=("gthread", "sync"), default="gthread",
                        help="gunicorn worker class (default gthread)")
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker (default 4)")
    parser.add_argument("--load-client", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.load_client:
        return load_client_main()
    server = f"gunicorn -w {WORKERS} --worker-class {args.worker_class}" + (
        f" --threads {args.threads}" if args.worker_class == "gthread" else "")
    print(f"Live auction: {CONCURRENCY} bidders at once on one land lot for {args.seconds:g} s (each bids the "
          f"lowest acceptable amount + increment × {'/'.join(str(m - 1) for m in sorted(set(MULTIPLES)))}, learnt from "
          f"the last refusal or, at the start and after leading, from GET .../auction), then the same "
          f"load on GET /api/v1/ping; {server}, PostgreSQL")
    print(f"machine: {common.machine()} at the start", flush=True)
    if not common.testing.postgres_available():
        print(f"skipped: PostgreSQL does not answer on {common.PG_URL.rsplit('/', 1)[0]}")
        return 0
    bids, ping, me, entries, verify, problems = bench(args)
    rows, goals = rows_of(bids, ping, me)
    print()
    print(common.table(["endpoint", "concurrency", "seconds", "requests/s", "accepted/s", "refused/s", "p50 ms",
                        "p99 ms", "errors"], rows))
    print()
    for goal in goals:
        print(goal)
    refused = ", ".join(f"{code} {count}" for code, count in sorted(bids["refused"].items())) or "none"
    print(f"\nrefusals: {refused}; errors: {dict(bids['errors']) or 'none'} (bids), "
          f"{dict(ping['errors']) or 'none'} (ping)")
    print(f"checks: history of {entries} entries strictly increasing in seq and amount, every 201 in it; "
          f"audit chain of {verify['checked']} events ok={verify['ok']}"
          + ("" if not problems else "\nPROBLEMS: " + "; ".join(problems)))
    print(cpu_line(bids, ping))
    print(f"requests/s of the bids counts the POSTs answered (201 + 409); latencies are the client's, request sent "
          f"to response read. machine: {common.machine()} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
