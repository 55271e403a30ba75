"""Benchmark: the expert draw's eligibility and selection on a pool of 100,000 experts, on SQLite and PostgreSQL.

Not a test: it prints a table and exits 0 whatever the figures (it exits non-zero only if it crashes).
Run it with `make bench`, or alone: `.venv/bin/python bench/bench_draw.py [--backend sqlite|postgresql]`.
"""
import argparse
import random
import secrets
import sys
import time
from datetime import UTC, date, datetime, timedelta

import common  # bench/common.py: python puts the script's folder first on sys.path
from stdnum.cn import ric

from experts import draws
from experts.catalogue import CATALOGUE, load_specialties
from experts.models import Draw, Expert, ExpertConflict, ExpertSpecialty, Invitation
from trading import audit
from trading.demo import full_uscc
from trading.models import Bid, Lot, Organization, Project, User
from trading.models.meta import new_id

POOL = 100_000
SPECIALTIES_EACH = 5
EMPLOYERS = 2_000
BIDDERS = 20
REQUIREMENTS = [{"specialty": "A0101", "count": 5}, {"specialty": "A0104", "count": 2}]
ALTERNATES = 3
GOAL = 0.5  # seconds
RUNS = 5
SEED = 1
LEAVES = [code for code, _name, _en in CATALOGUE if not any(c != code and c.startswith(code) for c, _n, _e in CATALOGUE)]
NOW = datetime.now(UTC).replace(microsecond=0)


def uscc(index):
    return full_uscc(f"91330100MA2{index:06d}")


def id_number(index, birth):
    body = f"330106{birth:%Y%m%d}{index % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def build(registry):
    """The pool, the parties and a committed draw; returns (project id, draw id) and the seconds it took."""
    started = time.perf_counter()
    rng = random.Random(SEED)
    with common.script_request(registry) as request:
        load_specialties(request)
    engine = registry["dbengine"]
    with engine.begin() as connection:
        usccs = [uscc(i) for i in range(EMPLOYERS)]
        # the owner, the agent and the bidders are employers of the pool too: their staff must be avoided
        orgs = [{"id": new_id(), "name": f"单位{i:04d}", "uscc": usccs[i], "kind": kind, "created_at": NOW}
                for i, kind in enumerate(["owner", "agent"] + ["bidder"] * BIDDERS)]
        common.insert_rows(connection, Organization.__table__, orgs)
        owner, agent, bidders = orgs[0], orgs[1], orgs[2:]
        user_id = new_id()
        common.insert_rows(connection, User.__table__, [{
            "id": user_id, "username": "bench-bidder", "password_hash": "-", "role": "bidder",
            "org_id": bidders[0]["id"], "active": True, "created_at": NOW}])
        project_id, lot_id = new_id(), new_id()
        past = [new_id() for _ in range(200)]  # earlier projects of the same owner and of others
        common.insert_rows(connection, Project.__table__, [{
            "id": pid, "code": f"BENCH-{i:04d}", "method": "tendering.open", "sector": "tendering", "kind": "sealed",
            "title": f"基准项目{i}", "owner_org_id": owner["id"] if i % 4 == 0 else agent["id"],
            "agent_org_id": agent["id"], "status": "evaluating", "timeline": {}, "params": {},
            "created_at": NOW - timedelta(days=30), "listed_at": NOW - timedelta(days=30)}
            for i, pid in enumerate([project_id, *past])])
        common.insert_rows(connection, Lot.__table__, [{"id": lot_id, "project_id": project_id, "number": 1,
                                                        "title": "一标段"}])
        common.insert_rows(connection, Bid.__table__, [{
            "id": new_id(), "project_id": project_id, "lot_id": lot_id, "org_id": org["id"], "user_id": user_id,
            "status": "opened", "submitted_at": NOW - timedelta(days=1), "kdf": {}, "salt": b"\0" * 32,
            "offer_nonce": b"\0" * 12, "offer_ciphertext": b"", "receipt_hash": "0" * 64, "unlock_failures": 0}
            for org in bidders])

        ids = [new_id() for _ in range(POOL)]
        youngest, oldest = date(1991, 1, 1), date(1956, 1, 1)
        span = (youngest - oldest).days

        def experts():
            numbers = set()
            for index, expert_id in enumerate(ids):
                birth = oldest + timedelta(days=rng.randrange(span))
                while id_number(index, birth) in numbers:
                    birth += timedelta(days=1)
                numbers.add(id_number(index, birth))
                suspended = rng.random() < 0.01
                yield {"id": expert_id, "name": f"专家{index:06d}", "id_number": id_number(index, birth),
                       "birth_date": birth, "phone": f"139{index:08d}", "employer_name": "单位",
                       "employer_uscc": usccs[rng.randrange(EMPLOYERS)], "region_code": "330100",
                       "title": "高级工程师", "status": "suspended" if suspended else "active",
                       "suspended_until": NOW + timedelta(days=90) if suspended else None,
                       "created_at": NOW, "updated_at": NOW}

        common.insert_rows(connection, Expert.__table__, experts())
        common.insert_rows(connection, ExpertSpecialty.__table__, (
            {"expert_id": expert_id, "code": code}
            for expert_id in ids for code in rng.sample(LEAVES, SPECIALTIES_EACH)))
        party_usccs = [org["uscc"] for org in orgs]
        common.insert_rows(connection, ExpertConflict.__table__, [{
            "id": new_id(), "expert_id": rng.choice(ids), "org_uscc": rng.choice(party_usccs), "reason": "曾任职",
            "declared_at": NOW - timedelta(days=100)} for _ in range(300)])
        # history: a committee per earlier project (same-owner limit), and members already on this project's committee
        past_draws = [{"id": new_id(), "project_id": pid, "owner_org_id": owner["id"] if i % 4 == 0 else agent["id"],
                       "requirements": REQUIREMENTS, "owner_representatives": 0, "alternates": ALTERNATES,
                       "evaluation_at": NOW - timedelta(days=rng.randrange(1, 170)), "status": "complete",
                       "nonce": "0" * 64, "commitment": "0" * 64, "created_at": NOW - timedelta(days=180)}
                      for i, pid in enumerate([project_id, *past])]
        common.insert_rows(connection, Draw.__table__, past_draws)
        regulars = rng.sample(ids, 200)  # a few experts who sit on many committees
        invitations = []
        for draw in past_draws:
            members = list(dict.fromkeys(rng.sample(regulars, 4) + rng.sample(ids, 5)))
            for position, expert_id in enumerate(members):
                invitations.append({"id": new_id(), "draw_id": draw["id"], "project_id": draw["project_id"],
                                    "expert_id": expert_id, "specialty": "A0101", "requirement": 0,
                                    "position": position, "role": "member",
                                    "status": "accepted" if position < 7 else "declined"})
        common.insert_rows(connection, Invitation.__table__, invitations)
    common.analyze(engine)
    with common.script_request(registry) as request:
        project = request.dbsession.get(Project, project_id)
        nonce = secrets.token_hex(32)
        draw = Draw(project_id=project.id, owner_org_id=project.owner_org_id, requirements=REQUIREMENTS,
                    owner_representatives=0, alternates=ALTERNATES, evaluation_at=NOW + timedelta(days=2),
                    status="committed", nonce=nonce, commitment=draws.commitment_of(nonce), created_at=NOW)
        request.dbsession.add(draw)
        request.dbsession.flush()
        draw_id = draw.id
    return project_id, draw_id, time.perf_counter() - started


def eligibility_and_selection(registry, project_id, draw_id):
    """What a run computes before it writes: eligibility, the eligible hash, the seed and the selection."""
    facts = {}

    def run():
        with common.rolled_back(registry) as request:
            project = request.dbsession.get(Project, project_id)
            draw = request.dbsession.get(Draw, draw_id)
            eligible, exclusions = draws.eligibility(request, draw, project)
            eligible_hash = draws.eligible_hash_of(eligible)
            seed = draws.seed_of(draw.nonce, eligible_hash, audit.head_hash(request.dbsession))
            draws.select_experts(seed, eligible, draw.requirements, draw.alternates)
        eligible_ids = set().union(*eligible.values())
        facts["eligible"] = len(eligible_ids)
        facts["candidates"] = len(eligible_ids) + len({e["expert_id"] for e in exclusions})

    return common.timed(run, RUNS), facts


def full_run(registry, project_id, draw_id):
    """draws.run itself (eligibility, record, invitations, audit), in a transaction rolled back after each run."""

    def run():
        with common.rolled_back(registry) as request:
            draws.run(request, draws.get(request, draw_id, for_update=True))
            request.dbsession.flush()

    return common.timed(run, RUNS)


def bench(backend):
    with common.scratch_database(backend) as url:
        if url is None:
            print(f"{backend}: skipped, PostgreSQL does not answer on {common.PG_URL.rsplit('/', 1)[0]}")
            return [[backend, "skipped: no server", "-", "-", "-", "-", "-", "-", f"{GOAL}s", "SKIP"]]
        with common.app(url) as registry:
            project_id, draw_id, setup = build(registry)
            print(f"{backend}: pool of {POOL:,} experts loaded in {setup:.1f} s", flush=True)
            selection, facts = eligibility_and_selection(registry, project_id, draw_id)
            whole = full_run(registry, project_id, draw_id)
    rows = []
    for measure, times in (("eligibility + selection", selection), ("draws.run (rolled back)", whole)):
        verdict = "PASS" if common.p95(times.wall) <= GOAL else "FAIL"
        rows.append([backend, measure, f"{POOL:,}", f"{facts['candidates']:,}", f"{facts['eligible']:,}",
                     f"{common.median(times.wall):.3f}s", f"{common.p95(times.wall):.3f}s",
                     f"{common.median(times.cpu):.3f}s", f"{GOAL}s", verdict])
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=common.BACKENDS, action="append",
                        help="run on this backend only (repeatable); default: both")
    args = parser.parse_args(argv)
    requirement = " + ".join(f"{r['specialty']} ×{r['count']}" for r in REQUIREMENTS)
    print(f"Expert draw: {requirement}, {ALTERNATES} alternates each; {POOL:,} experts with {SPECIALTIES_EACH} "
          f"specialties each, {EMPLOYERS:,} employers, {BIDDERS} bidders to avoid; {RUNS} runs after 1 warm-up")
    print(f"machine: {common.machine()} at the start")
    rows = []
    for backend in args.backend or common.BACKENDS:
        rows += bench(backend)
    print()
    print(common.table(["backend", "measure", "pool", "candidates", "eligible", "median", "p95", "cpu", "goal",
                        "result"], rows))
    print(f"\nmedian and p95 (nearest rank: the slowest of {RUNS}) are wall-clock; cpu is this process's median "
          f"(Python and SQLite, not the PostgreSQL server); PASS when p95 <= goal. machine: {common.machine()} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
