"""Faults on PostgreSQL: an app killed with -9 during uploads, and the database restarted during a live auction."""
import hashlib
import json
import os
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
import requests
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session, selectinload

from trading import audit, migrate
from trading.models import AuditEvent, Bid, get_engine
from trading.sealing import KdfParams, Sealer
from trading.services.bids import receipt_hash
from trading.services.opening import COUNTED
from trading.storage import FileStore

from ..conftest import PASSWORD
from ..functional.auction_helpers import land_auction_body, lot_path, register_paid
from ..functional.sealed import Parties, create_and_publish, iso, tendering_body
from . import nodes

pytestmark = [pytest.mark.multinode, pytest.mark.faults, pytest.mark.postgresql, pytest.mark.slow]

UPLOADS = 50
FILE_BYTES = 1024 * 1024


def _timeline(now):
    start = (now + timedelta(minutes=5)).replace(second=0, microsecond=0)
    return {"docs_from": iso(start), "docs_until": iso(start + timedelta(days=14)),
            "bid_deadline": iso(start + timedelta(days=30))}


def _upload(url, token, project_id, lot_id, index):
    data = os.urandom(FILE_BYTES)  # random bytes: no two bids share a file
    files = {"files": (f"bid-{index}.bin", data, "application/octet-stream")}
    fields = {"offer": json.dumps({"price": f"{800000 + index}.00"}), "unlock_secret": f"secret number {index}"}
    return requests.post(f"{url}/api/v1/projects/{project_id}/lots/{lot_id}/bids", data=fields, files=files,
                         headers={"Authorization": f"Bearer {token}"}, timeout=60), hashlib.sha256(data).hexdigest()


def test_kill_9_during_fifty_uploads_leaves_whole_bids_or_none(postgres, tmp_path):
    storage = tmp_path / "files"
    started, timings = time.monotonic(), {}
    with nodes.pg_database("ggzy_kill") as (db_url, engine), nodes.processes() as running:
        ini = nodes.write_ini(tmp_path / "node.ini", db_url, storage)
        node = nodes.start_node("node", ini, tmp_path, workers=2, threads=4)
        running.append(node)

        _registry, api, script = nodes.in_process_app(nodes.app_settings(db_url, storage), engine)
        parties = Parties(api, script, bidders=0)
        parties.bidders = nodes.add_bidders(api, script, UPLOADS, PASSWORD)
        project = create_and_publish(api, tendering_body(
            parties, timeline=_timeline(datetime.now(timezone.utc)), lots=[{"title": "Lot 1", "budget": "1000000.00"}]))
        lot_id = project["lots"][0]["id"]
        nodes.parallel(api, lambda client, username: client.post(
            f"projects/{project['id']}/registrations", {"lot_ids": [lot_id]}, as_user=username, status=201),
            [username for username, _org in parties.bidders])
        usernames = [username for username, _org in parties.bidders]
        timings["prepare"] = time.monotonic() - started
        nodes.wait_ready(node)
        timings["node ready"] = time.monotonic() - started

        answers = {}  # index -> (status, json or None, plaintext sha256)
        done = threading.Event()
        lock = threading.Lock()

        def upload(index):
            try:
                response, digest = _upload(node.url, api.tokens[usernames[index]], project["id"], lot_id, index)
                outcome = (response.status_code, response.json() if response.status_code == 201 else response.text,
                           digest)
            except requests.RequestException as error:
                outcome = (None, type(error).__name__, None)
            with lock:
                answers[index] = outcome
                if sum(1 for status, *_rest in answers.values() if status == 201) >= 8:
                    done.set()

        pool = ThreadPoolExecutor(UPLOADS)
        futures = [pool.submit(upload, index) for index in range(UPLOADS)]
        assert done.wait(60), f"no uploads were accepted: {answers}\n{node.log_tail()}"
        node.kill_group()  # kill -9 the master and its workers, mid-way
        pool.shutdown(wait=True)
        for future in futures:
            future.result()
        node.stop()
        timings["killed"] = time.monotonic() - started
        statuses = Counter(status for status, *_rest in answers.values())
        assert statuses[201] < UPLOADS, f"the kill came after every upload had finished: {statuses}"
        assert set(statuses) <= {201, None}, answers  # an answer is a whole bid or a broken connection

        restarted = nodes.start_node("node-restarted", ini, tmp_path, workers=2, threads=4)
        running.append(restarted)

        # what the database holds: every bid whole, with its files, its receipt and its one audit event
        store = FileStore(storage)
        with Session(engine) as session:
            bids = session.execute(select(Bid).options(selectinload(Bid.files))).scalars().all()
            events = session.execute(select(AuditEvent.object_id, AuditEvent.data)
                                     .where(AuditEvent.action == "bid.submit")).all()
            by_id = {bid.id: bid for bid in bids}
            for bid in bids:
                assert bid.status in COUNTED and bid.status == "sealed"
                assert bid.files, f"bid {bid.id} has no file"
                index = usernames.index(next(u for u, org in parties.bidders if org == bid.org_id))
                sealer = Sealer(f"secret number {index}", KdfParams.from_json(bid.kdf), salt=bid.salt)
                offer = json.loads(sealer.open(bid.id, "offer", bid.offer_nonce, bid.offer_ciphertext))
                assert offer == {"price": f"{800000 + index}.00"}
                for bid_file in bid.files:
                    cipher = store.read(bid_file.cipher_key)
                    assert hashlib.sha256(cipher).hexdigest() == bid_file.cipher_key
                    plain = sealer.open(bid.id, "file:" + bid_file.name, bid_file.nonce, cipher)
                    assert len(plain) == bid_file.size == FILE_BYTES
                    assert hashlib.sha256(plain).hexdigest() == bid_file.sha256
                assert bid.receipt_hash == receipt_hash(bid.id, bid.submitted_at, bid.lot_id, bid.org_id, bid.files)
            # one bid.submit event per stored bid, and no event for a bid that is not stored
            assert sorted(object_id for object_id, _data in events) == sorted(by_id)
            for object_id, data in events:
                assert json.loads(data)["receipt_hash"] == by_id[object_id].receipt_hash
            with engine.connect() as connection:
                orphans = connection.execute(text(
                    "SELECT count(*) FROM bid_files f LEFT JOIN bids b ON b.id = f.bid_id WHERE b.id IS NULL")).scalar()
                assert orphans == 0
                chain = audit.verify(connection)
            assert chain.ok, dict(chain)

        timings["checked"] = time.monotonic() - started
        # every 201 is stored as answered; the uploads that got no answer are absent or (committed) whole above
        for index, (status, body, digest) in answers.items():
            if status == 201:
                bid = by_id[body["id"]]
                assert bid.receipt_hash == body["receipt_hash"]
                assert [f.sha256 for f in bid.files] == [digest]

        # after the restart, the owners read their bids and receipts; the others bid again
        nodes.wait_ready(restarted)
        for bid in bids[:2]:
            owner = next(u for u, org in parties.bidders if org == bid.org_id)
            headers = {"Authorization": f"Bearer {api.tokens[owner]}"}
            body = requests.get(f"{restarted.url}/api/v1/bids/{bid.id}", headers=headers, timeout=30).json()
            assert body["receipt_hash"] == bid.receipt_hash and body["status"] == "sealed"
        # one receipt as a PDF (WeasyPrint's first page in a fresh process takes seconds)
        receipt = requests.get(f"{restarted.url}/api/v1/bids/{bids[0].id}/receipt.pdf", timeout=60, headers={
            "Authorization": f"Bearer {api.tokens[next(u for u, org in parties.bidders if org == bids[0].org_id)]}"})
        assert receipt.status_code == 200 and receipt.content.startswith(b"%PDF")
        missing = [index for index in range(UPLOADS)
                   if not any(org == parties.bidders[index][1] for org in (b.org_id for b in bids))]
        assert missing, "every upload was stored: nothing was cut short"
        for index in missing[:3]:
            response, _digest = _upload(restarted.url, api.tokens[usernames[index]], project["id"], lot_id, index)
            assert response.status_code == 201, response.text
        timings["after restart"] = time.monotonic() - started
    print(f"\nkill -9: {statuses[201]} answered 201, {statuses[None]} cut off, {len(bids)} stored whole, "
          f"{UPLOADS - len(bids)} absent; " + ", ".join(f"{k} {v:.1f}s" for k, v in timings.items()))


# --- PostgreSQL restarted during a live auction -----------------------------------------------------


def test_a_database_that_does_not_answer_gives_503_in_the_error_shape(tmp_path):
    """In process, against a port nobody listens on: the API, a token lookup and a page all answer 503."""
    from webtest import TestApp

    from trading.config import configure

    url = f"postgresql+psycopg://postgres@127.0.0.1:{nodes.free_port()}/nothing"
    app = TestApp(configure(nodes.app_settings(url, tmp_path / "files")).make_wsgi_app())
    # no token: the view's query fails; a token: pyramid_tm looks the user up before any view runs
    for headers in ({}, {"Authorization": "Bearer some-token"}):
        response = app.get("/api/v1/projects", headers=headers, status=503)
        assert response.json["error"]["code"] == "service.unavailable"
        assert set(response.json["error"]) == {"code", "message", "details"}
        assert response.headers["Retry-After"] == "5"
    page = app.get("/projects", status=503)
    assert page.content_type == "text/html" and page.headers["Retry-After"] == "5"
    assert app.get("/api/v1/ping").json["pong"] is True  # what needs no database still answers



@pytest.fixture
def private_cluster(postgres):
    """A PostgreSQL cluster of this test's own: restarting it disturbs no other test."""
    try:
        cluster = nodes.PrivateCluster()
    except (RuntimeError, OSError) as error:
        # PostgreSQL answers, so its binaries are installed: a cluster that cannot be made is a failure
        pytest.fail(f"a private PostgreSQL cluster cannot be made here: {error}")
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()


def test_postgresql_restart_during_a_live_auction(private_cluster, tmp_path):
    cluster = private_cluster
    admin = create_engine(cluster.admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text('CREATE DATABASE "ggzy_restart"'))
    admin.dispose()
    db_url = cluster.url("ggzy_restart")
    engine = get_engine({"sqlalchemy.url": db_url})
    storage = tmp_path / "files"
    try:
        migrate.upgrade(engine)
        with nodes.processes() as running:
            ini = nodes.write_ini(tmp_path / "node.ini", db_url, storage)
            node = nodes.start_node("node", ini, tmp_path, workers=2, threads=4)
            running.append(node)

            # the auction is prepared on a manual clock 25 days back, and goes live now
            registry, api, script = nodes.in_process_app(
                nodes.app_settings(db_url, storage, **{"ggzy.clock": "manual"}), engine)
            now = datetime.now(timezone.utc)
            registry["clock"].reset(now - timedelta(days=25))
            parties = Parties(api, script, bidders=3)
            project = create_and_publish(api, land_auction_body(
                parties, timeline={"registration_until": iso(now - timedelta(hours=17)), "auction_at": iso(now)},
                params={"countdown_seconds": 600}))
            usernames = [username for username, _org in parties.bidders]
            register_paid(api, project, usernames)
            registry["clock"].set(datetime.now(timezone.utc))
            assert api.get(lot_path(project) + "/auction").json["phase"] == "live"
            nodes.wait_ready(node)

            path = f"{node.url}/api/v1/{lot_path(project)}"
            accepted, refused, unavailable, errors = [], Counter(), [], []
            lock = threading.Lock()
            phase = {"name": "before"}
            stop = threading.Event()

            def record(sent, response, what):
                with lock:
                    if response.status_code == 201:
                        accepted.append((sent, response.json()["seq"], Decimal(response.json()["amount"])))
                    elif response.status_code == 409:
                        refused[response.json()["error"]["code"]] += 1
                    elif response.status_code == 503:
                        unavailable.append((sent, response.headers.get("Retry-After"), response.json(),
                                            phase["name"], what))
                    else:
                        errors.append((sent, what, response.status_code, response.text[:300]))

            def bidder(username):
                session = requests.Session()
                headers = {"Authorization": f"Bearer {api.tokens[username]}"}
                current = None
                while not stop.is_set():
                    sent = phase["name"]
                    try:
                        state = session.get(path + "/auction", headers=headers, timeout=15)
                        if state.status_code == 200:
                            current = state.json()["current"]
                        else:
                            record(sent, state, "state")
                        # the bid goes out even when the state could not be read: the bid API must answer too
                        amount = (Decimal(current) + Decimal("100000.00")) if current else Decimal("10000000.00")
                        response = session.post(path + "/auction/bids", json={"amount": f"{amount:.2f}"},
                                                headers=headers, timeout=15)
                    except requests.RequestException as error:
                        with lock:
                            errors.append((sent, type(error).__name__))
                        continue
                    record(sent, response, "bid")
                    if response.status_code == 503:
                        time.sleep(0.1)

            threads = [threading.Thread(target=bidder, args=(username,)) for username in usernames]
            for thread in threads:
                thread.start()
            try:
                _wait(lambda: any(p == "before" for p, *_ in accepted), 30,
                      lambda: f"no bid before the outage: {refused} {errors[:3]} {unavailable[:2]}")
                phase["name"] = "down"
                cluster.stop("fast")
                _wait(lambda: sum(1 for p, *_rest, what in unavailable if p == "down" and what == "bid") >= 3, 30,
                      lambda: f"no 503 during the outage: {errors[:3]}\n{node.log_tail()}")
                time.sleep(1)
                phase["name"] = "restarting"
                cluster.start()
                phase["name"] = "after"
                _wait(lambda: sum(1 for p, *_ in accepted if p == "after") >= 3, 60,
                      lambda: f"no bid after the restart: {refused} {errors[:3]} {unavailable[-2:]}\n{node.log_tail()}")
            finally:
                stop.set()
                for thread in threads:
                    thread.join(timeout=30)

            assert not errors, errors[:5]
            assert set(refused) <= {"auction.too_low", "auction.already_leading"}, refused
            for sent, retry_after, body, answered, _what in unavailable:
                # only while the database was away: sent before it came back, answered after it went
                assert sent != "after" and answered != "before", (sent, answered)
                assert set(body) == {"error"} and body["error"]["code"] == "service.unavailable", body
                assert set(body["error"]) == {"code", "message", "details"} and body["error"]["message"]
                assert retry_after and int(retry_after) > 0

            # the auction goes on, and every 201 is in the history with its amount, before and after
            state = requests.get(path + "/auction", timeout=30).json()
            assert state["phase"] == "live"
            history = requests.get(path + "/quotes?limit=500", timeout=30).json()["items"]
            # (a bid whose commit went through as the server stopped may be answered 503 and still stand: a subset)
            stored = {(h["seq"], Decimal(h["amount"])) for h in history}
            assert {(seq, amount) for _p, seq, amount in accepted} <= stored
            assert sorted(h["seq"] for h in history) == list(range(1, len(history) + 1))
            amounts = [Decimal(h["amount"]) for h in sorted(history, key=lambda h: h["seq"])]
            assert all(b > a for a, b in zip(amounts, amounts[1:]))
            with engine.connect() as connection:
                chain = audit.verify(connection)
            assert chain.ok, dict(chain)
    finally:
        engine.dispose()
    phases = Counter(p for p, *_ in accepted)
    print(f"\nrestart: {dict(phases)} bids accepted by phase, 503 answers {dict(Counter(u[-1] for u in unavailable))}, "
          f"refused {dict(refused)}")


def _wait(predicate, timeout, message):
    limit = time.monotonic() + timeout
    while time.monotonic() < limit:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(message() if callable(message) else message)
