"""Benchmark: the deadline rush, 300 bidders sealing a bid with a 1 MiB file in the last minute, against sealing alone.

Not a test: it prints a table and exits 0 whatever the figures (it exits non-zero only if it crashes).
Run it with `make bench`, or alone: `.venv/bin/python bench/bench_deadline_rush.py [--bidders 300] [--threads 4]`.

The app runs as it is deployed: `gunicorn --paste INI -w 2` (gthread) on a fresh PostgreSQL database, with the
sealing cost of the shipped settings (argon2id t=2, 19 MiB, p=1). The set-up (300 bidder organisations and users, a
published open tender, 300 registrations with their deposits paid, bearer tokens) goes through the services in this
process. The clock of every worker then stands 60 s before the bid deadline, and a separate load process
(this script with `--load-client`) sends the 300 bids at once, one connection each: multipart offer, unlock secret
and one 1 MiB file. The baseline is what the same machine does with the sealing alone: `trading.sealing` deriving
the key and encrypting the same offer and the same 1 MiB, in a loop, in 2 processes (as many as the workers),
measured just before and just after the rush.
"""
import argparse
import asyncio
import json
import multiprocessing
import sys
import tempfile
import time
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import common  # bench/common.py: python puts the script's folder first on sys.path
# the deployment helpers of the live-auction benchmark: the ini, ggzy, gunicorn, the workers' clocks, CPU meters
from bench_auction import (CST, WORKERS, Api, CpuMeter, cpu_seconds, free_port, ggzy, print_log_tail, restarted_workers,
                           start_gunicorn, tear_down, write_ini)
from sqlalchemy import select

from trading import settings as app_settings
from trading.sealing import KdfParams, Sealer

API = "/api/v1"
BIDDERS = 300
FILE_BYTES = 1024 * 1024
SECONDS_BEFORE_DEADLINE = 60
GOAL_SHARE = 0.60  # bids/s as a share of sealing alone's seals/s on as many processes as workers
SEALING_SECONDS = 8.0  # per measurement of sealing alone
UNLOCK_SECRET = "rush-unlock-secret-2026"
REQUEST_TIMEOUT = 300.0
DEPOSIT = Decimal("20000.00")


def bid_payload(bidder=0):
    """The 1 MiB file a bidder attaches and its offer. The bytes are random, so that nothing compresses them, and
    each bidder's differ in their first 32 bytes: identical files from two bidders would be a collusion alert."""
    import random

    data = random.Random(0).randbytes(FILE_BYTES)
    return f"bidder {bidder:024d}\n".encode("ascii") + data[32:], json.dumps({"price": f"{950000 + bidder}.00"})


# --- sealing alone -----------------------------------------------------------------------------------------


def _seal_loop(args):
    params_json, seconds, start_at = args
    params = KdfParams.from_json(params_json)
    data, offer = bid_payload()
    offer = offer.encode("utf-8")
    while time.time() < start_at:  # both processes start together
        time.sleep(0.001)
    count = 0
    started = time.perf_counter()
    cpu = time.process_time()
    while time.perf_counter() - started < seconds:
        sealer = Sealer(UNLOCK_SECRET, params)  # argon2id: a fresh salt and key per bid, as submit() does
        sealer.seal("bid-id", "offer", offer)
        sealer.seal("bid-id", "file:tender.pdf", data)
        sealer.forget()
        count += 1
    return count, time.perf_counter() - started, time.process_time() - cpu


def sealing_alone(params, processes=WORKERS, seconds=SEALING_SECONDS):
    """Seals a second (argon2id + AES-GCM of the offer and the 1 MiB file) of ``processes`` processes in a loop."""
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        start_at = time.time() + 1.0
        results = pool.map(_seal_loop, [(params.as_json(), seconds, start_at)] * processes)
    count = sum(r[0] for r in results)
    elapsed = max(r[1] for r in results)
    return {"count": count, "elapsed": elapsed, "rate": count / elapsed, "cpu_per_seal": sum(r[2] for r in results) / count}


# --- the load client (a separate process) -----------------------------------------------------------------


async def _post_bid(port, path, token, ip, body, boundary):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: application/json\r\n"
                f"Authorization: Bearer {token}\r\nX-Forwarded-For: {ip}\r\n"
                f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {len(body)}\r\n"
                f"Connection: close\r\n\r\n")
        writer.write(head.encode("latin-1"))
        writer.write(body)
        await writer.drain()
        status_line = await reader.readline()
        if not status_line:
            raise ConnectionResetError("the server closed the connection")
        status = int(status_line.split(None, 2)[1])
        length = None
        while True:
            line = await reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        payload = await reader.readexactly(length) if length is not None else await reader.read()
        return status, payload
    finally:
        writer.close()


def multipart(boundary, offer, secret, filename, data):
    def field(name, value):
        return (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").encode("utf-8")

    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{filename}\"\r\n"
            f"Content-Type: application/pdf\r\n\r\n").encode("utf-8")
    return field("offer", offer) + field("unlock_secret", secret) + head + data + f"\r\n--{boundary}--\r\n".encode()


async def rush(spec):
    boundary = "ggzy-rush-boundary-7MA4YWxkTrZu0gW"
    bodies = [multipart(boundary, offer, UNLOCK_SECRET, "投标文件.pdf", data)
              for data, offer in map(bid_payload, range(len(spec["clients"])))]
    result = {"latencies": [], "statuses": {}, "receipts": [], "errors": {}}

    async def bidder(client, body):
        started = time.perf_counter()
        try:
            status, payload = await asyncio.wait_for(
                _post_bid(spec["port"], spec["path"], client["token"], client["ip"], body, boundary), REQUEST_TIMEOUT)
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError) as error:
            kind = type(error).__name__
            result["errors"][kind] = result["errors"].get(kind, 0) + 1
            return
        result["latencies"].append(time.perf_counter() - started)
        result["statuses"][status] = result["statuses"].get(status, 0) + 1
        if status == 201:
            answer = json.loads(payload)
            result["receipts"].append([answer["id"], answer["receipt_hash"]])
        else:
            code = (json.loads(payload).get("error") or {}).get("code", "?") if payload.startswith(b"{") else "?"
            kind = f"{status} {code}"
            result["errors"][kind] = result["errors"].get(kind, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*(bidder(client, body) for client, body in zip(spec["clients"], bodies)))
    result["elapsed"] = time.perf_counter() - started
    return result


def load_client_main():
    spec = json.loads(sys.stdin.read())
    print(json.dumps(asyncio.run(rush(spec))))
    return 0


def run_rush(spec):
    import subprocess

    completed = subprocess.run([sys.executable, __file__, "--load-client"], input=json.dumps(spec),
                               capture_output=True, text=True, timeout=REQUEST_TIMEOUT + 120, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"the load client failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout)


# --- the set-up, through the services ---------------------------------------------------------------------


def tender_timeline(deadline):
    """An open tender whose bid deadline is ``deadline``: documents on offer 30 to 16 days before (the rules want
    20 days from the documents to the deadline and 5 working days of documents)."""
    docs_from = (deadline - timedelta(days=30)).astimezone(CST).replace(hour=9, minute=0, second=0, microsecond=0)
    return {"docs_from": docs_from.isoformat(), "docs_until": (docs_from + timedelta(days=14, hours=8)).isoformat(),
            "bid_deadline": deadline.astimezone(CST).isoformat()}


def set_up(url, bidders, deadline, token_hours):
    """Parties, a tender published a month before ``deadline``, qualified registrations and bearer tokens, on a
    manual clock of its own: (project id, lot id, [(token, org id)])."""
    from trading.demo import full_uscc
    from trading.models import Project, User
    from trading.security import issue_token
    from trading.services import accounts, projects, registrations

    timeline = tender_timeline(deadline)
    with common.app(url, **{"ggzy.clock": "manual"}) as registry:
        clock = registry["clock"]
        clock.reset(datetime.fromisoformat(timeline["docs_from"]) - timedelta(hours=1))  # published the day before
        with common.script_request(registry) as request:
            owner = accounts.create_organization(request, name="市水务局", uscc=full_uscc("11330100002500100"),
                                                 kind="owner")
            officer = accounts.create_user(request, username="officer", password="bench-password-0123",
                                           role="officer")
            users = []
            for index in range(bidders):
                org = accounts.create_organization(
                    request, name=f"投标公司{index:03d}", uscc=full_uscc(f"91330100MA2B{index:05d}"), kind="bidder",
                    phone=f"0571-8800{index:04d}", email=f"b{index}@example.com", legal_representative=f"法人{index}")
                users.append(accounts.create_user(request, username=f"bidder{index:03d}",
                                                  password="bench-password-0123", role="bidder", org_id=org.id))
            owner_id, officer_id = owner.id, officer.id
            user_ids = [user.id for user in users]
        with common.script_request(registry) as request:
            request.user = request.dbsession.get(User, officer_id)
            project = projects.create(request, {
                "method": "tendering.open", "title": "城东污水处理厂扩建工程施工（截止前一分钟基准）",
                "owner_org_id": owner_id,
                "lots": [{"title": "一标段", "budget": "1000000.00", "deposit": f"{DEPOSIT}"}],
                "timeline": timeline, "params": {"evaluation": "lowest_price", "decrypt_minutes": 30},
            })
            projects.publish(request, project)
            project_id, lot_id = project.id, project.lots[0].id
        clock.set(datetime.fromisoformat(timeline["docs_from"]) + timedelta(hours=1))
        tokens = []
        for start in range(0, bidders, 50):
            with common.script_request(registry) as request:
                request.headers = {}  # what the services read of an HTTP request (X-Client-Device)
                project = request.dbsession.get(Project, project_id)
                for index in range(start, min(start + 50, bidders)):
                    request.user = request.dbsession.get(User, user_ids[index])
                    request.client_addr = bidder_ip(index)
                    registration = registrations.register(request, project, [lot_id])
                    registrations.notify(request, {
                        "deposit_account": registration.deposit_account, "amount": f"{DEPOSIT}",
                        "paid_at": clock.now().isoformat(), "reference": f"RUSH-{index:04d}",
                        "payer_account": f"6222{index:012d}"})
                    if registration.status != "qualified":
                        raise RuntimeError(f"registration {index} is {registration.status}")
                    tokens.append((issue_token(request.dbsession, request.user, clock.now(), token_hours),
                                   request.user.org_id))
    return project_id, lot_id, tokens


def workers_clock(api, tries=64):
    """The latest of the workers' manual clocks that concurrent pings reach: each stands still where its worker
    started, so the deadline can be set a minute after it."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:
        seen = set(pool.map(lambda _: datetime.fromisoformat(api.call("GET", "/testing/clock", status=200)["now"]),
                            range(tries)))
    return max(seen), len(seen)


def worker_pids(server):
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == server.pid:
                pids.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return sorted(pids)


def bidder_ip(index):
    return f"198.18.{index // 250}.{index % 250 + 1}"  # RFC 2544 benchmarking addresses


def check(url, project_id, receipts):
    """Every 201 is one sealed bid with its receipt and its ciphertext in the store; nothing else was kept."""
    from sqlalchemy import create_engine, func

    from trading.models import Bid, BidFile

    problems = []
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            stored = dict(connection.execute(select(Bid.id, Bid.receipt_hash).where(Bid.project_id == project_id)).all())
            files = connection.execute(select(func.count()).select_from(BidFile).join(Bid).where(
                Bid.project_id == project_id)).scalar()
            events = connection.execute(text_count("bid.submit")).scalar()
    finally:
        engine.dispose()
    answered = dict(receipts)
    if stored != answered:
        problems.append(f"{len(stored)} bids stored for {len(answered)} answered 201 (or receipts differ)")
    if files != len(stored):
        problems.append(f"{files} bid files for {len(stored)} bids")
    if events != len(stored):
        problems.append(f"{events} bid.submit audit events for {len(stored)} bids")
    return problems


def text_count(action):
    from sqlalchemy import func

    from trading.models import AuditEvent

    return select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)


# --- the run ------------------------------------------------------------------------------------------------


def seal_params(ini):
    import configparser

    parser = configparser.RawConfigParser()
    parser.optionxform = str
    parser.read(ini, encoding="utf-8")
    return KdfParams.from_settings(app_settings.read(dict(parser["app:main"])))


def bench(args):
    name, url = common.testing.create_pg_database(prefix="ggzy_bench")
    folder = tempfile.mkdtemp(prefix="ggzy-bench-rush-")
    server = None
    log_path = Path(folder) / "gunicorn.log"
    try:
        ini = write_ini(folder, url, "gthread", args.threads)
        params = seal_params(ini)
        started = time.perf_counter()
        ggzy("initdb", str(ini))
        port = free_port()
        with open(log_path, "w") as log:
            server = start_gunicorn(ini, port, "gthread", args.threads, log)
        # the workers' manual clocks stand where they started: the tender's deadline is set a minute after them
        clock, clocks = workers_clock(Api(port))
        deadline = (clock + timedelta(seconds=SECONDS_BEFORE_DEADLINE + 1)).replace(microsecond=0)
        project_id, lot_id, tokens = set_up(url, args.bidders, deadline, token_hours=60 * 24)
        print(f"set-up: {args.bidders} qualified bidders on a published tender, its bid deadline "
              f"{SECONDS_BEFORE_DEADLINE}-{SECONDS_BEFORE_DEADLINE + 1} s after the workers' clocks ({clocks} seen), "
              f"in {time.perf_counter() - started:.1f} s (database {name}, port {port}); sealing {params.as_json()}",
              flush=True)

        print(f"machine: {common.machine()} before sealing alone", flush=True)
        before = sealing_alone(params)
        clients = [{"token": token, "ip": bidder_ip(index)} for index, (token, _org) in enumerate(tokens)]
        spec = {"port": port, "path": f"{API}/projects/{project_id}/lots/{lot_id}/bids", "clients": clients}
        meter = CpuMeter(server, name)
        print(f"machine: {common.machine()} before the rush", flush=True)
        workers = worker_pids(server)
        meter.start()
        split = cpu_seconds(workers)
        result = run_rush(spec)
        result["cpu"] = meter.stop()
        result["split"] = [round(cpu_seconds([pid]).get(pid, 0.0) - split.get(pid, 0.0), 1) for pid in workers]
        print(f"machine: {common.machine()} after the rush", flush=True)
        after = sealing_alone(params)
        problems = check(url, project_id, result["receipts"])
        problems += restarted_workers(log_path)
        return before, result, after, problems
    except Exception:
        print_log_tail(log_path)
        raise
    finally:
        tear_down(server, name, folder)


def ms(seconds):
    return f"{seconds * 1000:.0f}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bidders", type=int, default=BIDDERS, help=f"bidders, one bid each (default {BIDDERS})")
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker (default 4)")
    parser.add_argument("--load-client", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.load_client:
        return load_client_main()
    print(f"Deadline rush: {args.bidders} bidders at once, each a sealed bid with a 1 MiB file, "
          f"{SECONDS_BEFORE_DEADLINE} s before the deadline; gunicorn -w {WORKERS} --worker-class gthread "
          f"--threads {args.threads}, PostgreSQL; against sealing alone in {WORKERS} processes")
    print(f"machine: {common.machine()} at the start", flush=True)
    if not common.testing.postgres_available():
        print(f"skipped: PostgreSQL does not answer on {common.PG_URL.rsplit('/', 1)[0]}")
        return 0
    before, result, after, problems = bench(args)
    accepted = result["statuses"].get("201", 0)
    rate = accepted / result["elapsed"]
    baseline = (before["rate"] + after["rate"]) / 2
    errors = sum(result["errors"].values())
    lat = result["latencies"]
    rows = [
        [f"sealing alone, {WORKERS} processes (before)", before["count"], f"{before['elapsed']:.1f}",
         f"{before['rate']:.1f}", "-", "-", "-"],
        [f"POST .../bids ({args.bidders} at once)", accepted, f"{result['elapsed']:.1f}", f"{rate:.1f}",
         ms(common.percentile(lat, 50)), ms(common.percentile(lat, 99)), errors],
        [f"sealing alone, {WORKERS} processes (after)", after["count"], f"{after['elapsed']:.1f}",
         f"{after['rate']:.1f}", "-", "-", "-"],
    ]
    print()
    print(common.table(["what", "bids/seals", "seconds", "per second", "p50 ms", "p99 ms", "errors"], rows))
    print()
    share = rate / baseline if baseline else float("nan")
    print(f"bids {rate:.1f}/s = {share:.0%} of sealing alone's {baseline:.1f}/s (mean of before and after; "
          f"goal >= {GOAL_SHARE:.0%}): {'PASS' if share >= GOAL_SHARE else 'FAIL'}")
    app_cpu, db_cpu = result["cpu"]
    per_bid = "?" if app_cpu is None or not accepted else f"{app_cpu / accepted * 1000:.1f}"
    per_bid_db = "?" if db_cpu is None or not accepted else f"{db_cpu / accepted * 1000:.1f}"
    print(f"server CPU per bid: {per_bid} ms in gunicorn's workers + {per_bid_db} ms in PostgreSQL; "
          f"sealing alone {before['cpu_per_seal'] * 1000:.1f} / {after['cpu_per_seal'] * 1000:.1f} ms a seal "
          f"(before / after); CPU seconds of each worker during the rush: {result['split']}")
    if app_cpu is not None and db_cpu is not None and accepted:
        seal_cpu = (before["cpu_per_seal"] + after["cpu_per_seal"]) / 2
        print(f"in CPU, whatever else the machine runs: a seal costs {seal_cpu * 1000:.1f} ms, a bid "
              f"{(app_cpu + db_cpu) / accepted * 1000:.1f} ms of server CPU: {seal_cpu / ((app_cpu + db_cpu) / accepted):.0%}")
    print(f"statuses: {result['statuses']}; errors: {result['errors'] or 'none'}")
    print("checks: every 201 is one stored bid with its receipt, one file and one bid.submit event"
          if not problems else "PROBLEMS: " + "; ".join(problems))
    print(f"latencies are the client's, from opening the connection to reading the whole response; "
          f"machine: {common.machine()} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
