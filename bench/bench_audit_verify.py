"""Benchmark: verifying an audit chain of 1,000,000 events, against hashlib alone over the same canonical bytes.

Not a test: it prints a table and exits 0 whatever the figures (it exits non-zero only if it crashes).
Run it with `make bench`, or alone:
`.venv/bin/python bench/bench_audit_verify.py [--events 1000000] [--backend postgresql|sqlite|both] [--runs 2]`.

The chain is generated with the real functions of trading/audit.py (``canonical_json`` for each event's data,
``canonical_event`` and ``chain_hash`` for its link) and bulk loaded (COPY on PostgreSQL, executemany on
SQLite). The verification timed is ``trading.audit.verify`` on a connection of the app's engine, which is what
``ggzy audit-verify`` runs. The baseline is ``hashlib.sha256(b).hexdigest()`` in a Python loop over exactly the
bytes verification has to hash (previous hash + canonical text, UTF-8), timed just before and just after each
verification, so that both see the same machine.
"""
import argparse
import hashlib
import random
import sys
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import common  # bench/common.py: python puts the script's folder first on sys.path
from sqlalchemy import update

from trading import audit, migrate
from trading.models import AuditEvent, AuditHead, get_engine
from trading.models.audit import GENESIS_HASH

EVENTS = 1_000_000
CHUNK = 50_000
SHAPES = 50_000
GOAL_SHARE = 0.30  # verification events/s as a share of hashlib alone's
SEED = 9
START = datetime(2026, 1, 5, 1, 0)  # naive UTC, as the column stores it
COLUMNS = ("seq", "at", "actor_id", "ip", "action", "object_type", "object_id", "project_id", "data", "prev_hash",
           "hash")


# --- a realistic chain ---------------------------------------------------------------------------------


class Population:
    """Users, organisations and projects the events refer to, drawn once."""

    def __init__(self, rng):
        def ids(n):
            return ["%032x" % rng.getrandbits(128) for _ in range(n)]

        self.users = ids(3000)
        self.orgs = ids(1500)
        self.projects = ids(800)
        self.lots = ids(1600)
        self.names = [f"bidder{i:04d}" for i in range(3000)]
        self.ips = [f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}" for _ in range(2000)]


def _hex64(rng):
    return "%064x" % rng.getrandbits(256)


def make_event(rng, pop, seq, at):
    """(actor_id, ip, action, object_type, object_id, project_id, data) of one event at the aware ``at``, in the
    platform's proportions:
    mostly auction bids, logins and sealed-bid traffic, some registrations, deposits and clock transitions."""
    kind = rng.random()
    user = rng.randrange(len(pop.users))
    actor, ip = pop.users[user], rng.choice(pop.ips)
    project = rng.choice(pop.projects)
    if kind < 0.35:
        amount = Decimal(10_000_000 + 100_000 * rng.randrange(1, 400)).quantize(Decimal("0.01"))
        return (actor, ip, "auction.bid", "auction_bid", "%032x" % rng.getrandbits(128), project,
                {"lot_id": rng.choice(pop.lots), "amount": amount, "paddle": rng.randrange(1, 300),
                 "seq": rng.randrange(1, 5000)})
    if kind < 0.55:
        return (actor, ip, "auth.login", "user", actor, None, {"username": pop.names[user], "via": "token"})
    if kind < 0.70:
        files = [{"name": rng.choice(["技术标.pdf", "商务标.pdf", "资格证明文件.zip", "报价单.xlsx"]), "sha256": _hex64(rng),
                  "size": rng.randrange(10_000, 30_000_000)} for _ in range(rng.randrange(1, 4))]
        return (actor, ip, "bid.submit", "bid", "%032x" % rng.getrandbits(128), project,
                {"lot_id": rng.choice(pop.lots), "org_id": rng.choice(pop.orgs), "receipt_hash": _hex64(rng),
                 "device": rng.choice([None, "Windows 10 / 投标客户端 3.2"]), "files": files, "supersedes": []})
    if kind < 0.80:
        return (actor, ip, "registration.create", "registration", "%032x" % rng.getrandbits(128), project,
                {"lot_ids": [rng.choice(pop.lots)], "amount_due": Decimal("200000.00"), "status": "pending_deposit",
                 "org_id": rng.choice(pop.orgs), "device": None})
    if kind < 0.88:
        return (None, "127.0.0.1", "deposit.paid", "deposit_payment", "%032x" % rng.getrandbits(128), project,
                {"registration_id": "%032x" % rng.getrandbits(128), "amount": Decimal("200000.00"),
                 "reference": f"BANK-{seq:09d}", "payer_account": f"6222{rng.randrange(10**12):012d}",
                 "paid_at": at - timedelta(minutes=5), "status": "qualified"})
    if kind < 0.95:
        return (None, None, rng.choice(["sealed.opening", "auction.live", "auction.round_end", "project.close"]),
                "project", project, project, {"deadline": "bid_deadline", "at": at})
    return (actor, ip, "project.amend", "project", project, project,
            {"title": "城东污水处理厂扩建工程施工（第二次）“更正公告”", "changes": {"bid_deadline": at.isoformat()},
             "reason": "招标文件澄清：技术参数调整 \\ 附件 \"二\"", "budget": Decimal("12345678.90")})


def generate(count, rng):
    """Chunks of (rows, hashed bytes), the chain built with the real canonical form and hash of trading/audit.py.

    The fields and data of the events come from a pool of SHAPES realistic events (their data made canonical with
    ``canonical_json``), taken in turn; each event has its own seq, time and link, so every hash differs.
    """
    pop = Population(rng)
    shapes = []
    at = START.replace(tzinfo=timezone.utc)
    for index in range(min(SHAPES, count)):
        at += timedelta(seconds=rng.randrange(1, 60))
        *fields, data = make_event(rng, pop, index, at)
        shapes.append((*fields, audit.canonical_json(data)))
    canonical_event, chain_hash = audit.canonical_event, audit.chain_hash
    prev = GENESIS_HASH
    at = START
    seq = 0
    while seq < count:
        rows, hashed = [], []
        for _ in range(min(CHUNK, count - seq)):
            seq += 1
            at += timedelta(microseconds=rng.randrange(1, 2_000_000))
            actor_id, ip, action, object_type, object_id, project_id, data_text = shapes[seq % len(shapes)]
            canonical = canonical_event(seq, at.replace(tzinfo=timezone.utc), actor_id, ip, action, object_type,
                                        object_id, project_id, data_text)
            digest = chain_hash(prev, canonical)
            rows.append((seq, at, actor_id, ip, action, object_type, object_id, project_id, data_text, prev, digest))
            hashed.append((prev + canonical).encode("utf-8"))
            prev = digest
        yield rows, hashed


def load_postgresql(engine, chunks):
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        with cursor.copy(f"COPY audit_events ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for rows in chunks:
                for row in rows:
                    copy.write_row(row)
        raw.commit()
    finally:
        raw.close()


def load_sqlite(engine, chunks):
    table = AuditEvent.__table__
    with engine.begin() as connection:
        for rows in chunks:
            connection.exec_driver_sql(
                f"INSERT INTO {table.name} ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})",
                [(r[0], r[1].isoformat(sep=" ", timespec="microseconds"), *r[2:]) for r in rows])


def build(engines, count):
    """Generate once, load into every database; returns (all hashed bytes, last hash, seconds).

    The secondary indexes of audit_events are dropped for the load and built again after it (one sort each
    instead of a million insertions); verification reads by the primary key only.
    """
    started = time.perf_counter()
    rng = random.Random(SEED)
    indexes = list(AuditEvent.__table__.indexes)
    for engine in engines.values():
        with engine.begin() as connection:
            for index in indexes:
                index.drop(connection)
    hashed_all = []
    last = GENESIS_HASH
    for rows, hashed in generate(count, rng):
        hashed_all += hashed
        last = rows[-1][-1]
        for name, engine in engines.items():  # load as we go: bounded memory for the rows
            (load_postgresql if name == "postgresql" else load_sqlite)(engine, [rows])
    for engine in engines.values():
        with engine.begin() as connection:
            connection.execute(update(AuditHead).where(AuditHead.id == audit.HEAD_ID).values(seq=count, hash=last))
            for index in indexes:
                index.create(connection)
        common.analyze(engine)
    return hashed_all, last, time.perf_counter() - started


# --- the timings ---------------------------------------------------------------------------------------


def hashlib_alone(hashed):
    sha256 = hashlib.sha256
    started = time.perf_counter()
    for data in hashed:
        sha256(data).hexdigest()
    return time.perf_counter() - started


def time_verify(engine):
    wall, cpu = time.perf_counter(), time.process_time()
    with engine.connect() as connection:  # as `ggzy audit-verify` does
        result = audit.verify(connection)
    return result, time.perf_counter() - wall, time.process_time() - cpu


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=EVENTS, help=f"events in the chain (default {EVENTS:,})")
    parser.add_argument("--backend", choices=("postgresql", "sqlite", "both"), default="postgresql",
                        help="database(s) to verify on (default postgresql; both takes about twice as long)")
    parser.add_argument("--runs", type=int, default=2, help="verifications per backend (default 2)")
    args = parser.parse_args(argv)
    backends = ["postgresql", "sqlite"] if args.backend == "both" else [args.backend]
    print(f"Audit verification: a chain of {args.events:,} events generated with trading/audit.py, verified with "
          f"trading.audit.verify (as `ggzy audit-verify`), against hashlib.sha256 alone over the same bytes")
    print(f"machine: {common.machine()} at the start", flush=True)

    with common.scratch_database("postgresql") as pg_url, common.scratch_database("sqlite") as sqlite_url:
        urls = {"postgresql": pg_url, "sqlite": sqlite_url}
        engines = {}
        for name in backends:
            if urls[name] is None:
                print(f"skipped {name}: the server does not answer on {common.PG_URL.rsplit('/', 1)[0]}")
                continue
            engines[name] = get_engine({"sqlalchemy.url": urls[name]})
            migrate.upgrade(engines[name])
        if not engines:
            return 0
        try:
            hashed, last, seconds = build(engines, args.events)
            print(f"set-up: {args.events:,} events generated and loaded into {', '.join(engines)} in {seconds:.1f} s "
                  f"(mean hashed message {sum(map(len, hashed)) / len(hashed):.0f} bytes)", flush=True)
            rows, goals, problems = [], [], []
            for name, engine in engines.items():
                baseline, verify_wall, verify_cpu = [], [], []
                for _run in range(args.runs):
                    baseline.append(hashlib_alone(hashed))
                    result, wall, cpu = time_verify(engine)
                    verify_wall.append(wall)
                    verify_cpu.append(cpu)
                    baseline.append(hashlib_alone(hashed))
                    if not (result.ok and result["checked"] == args.events and result["head"] == last):
                        problems.append(f"{name}: verify answered {dict(result)}")
                print(f"machine: {common.machine()} after {name}", flush=True)
                hash_rate = args.events / common.median(baseline)
                verify_rate = args.events / common.median(verify_wall)
                share = verify_rate / hash_rate
                rows.append([name, f"{args.events:,}", f"{common.median(verify_wall):.2f}",
                             f"{common.median(verify_cpu):.2f}", f"{verify_rate:,.0f}",
                             f"{common.median(baseline):.2f}", f"{hash_rate:,.0f}", f"{share:.0%}",
                             "PASS" if share >= GOAL_SHARE else "FAIL"])
                goals.append(f"{name}: verification {verify_rate:,.0f} events/s = {share:.0%} of hashlib alone's "
                             f"{hash_rate:,.0f}/s (goal >= {GOAL_SHARE:.0%}): "
                             f"{'PASS' if share >= GOAL_SHARE else 'FAIL'}")
        finally:
            for engine in engines.values():
                engine.dispose()
    print()
    print(common.table(["backend", "events", "verify s", "verify cpu s", "verify events/s", "hashlib s",
                        "hashlib events/s", "share", "goal 30%"], rows))
    print()
    for goal in goals:
        print(goal)
    print(f"medians of {args.runs} verification(s) and {2 * args.runs} hashlib loop(s) per backend; "
          f"every verification ok with the expected head" if not problems else "PROBLEMS: " + "; ".join(problems))
    print(f"machine: {common.machine()} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
