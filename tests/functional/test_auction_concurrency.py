"""50 threads bidding at once on one lot for 10 seconds on PostgreSQL: ordered, nothing lost, no equal pair."""
import random
import threading
import time
from decimal import Decimal

import pytest
from webtest import TestApp

from .auction_helpers import land_auction_body, lot_path, register_paid
from .sealed import Parties, at, create_and_publish, set_clock

pytestmark = [pytest.mark.postgresql, pytest.mark.slow]

THREADS = 50
SECONDS = 10


def test_fifty_threads_bidding_for_ten_seconds(committed_app, committed_script):
    registry, api, app = committed_app
    parties = Parties(api, committed_script, bidders=10)
    project = create_and_publish(api, land_auction_body(parties))
    users = [username for username, _org in parties.bidders]
    register_paid(api, project, users)
    set_clock(api, at(23, 10))
    path = "/api/v1/" + lot_path(project)
    accepted, refused, errors = [], [], []
    lock = threading.Lock()
    stop = time.monotonic() + SECONDS

    def bidder(index):
        client = TestApp(app, extra_environ={"REMOTE_ADDR": f"127.0.0.{index % 200 + 1}"})
        headers = api.headers(users[index % len(users)])
        rng = random.Random(index)
        while time.monotonic() < stop:
            current = client.get(path + "/auction").json["current"]
            base = Decimal(current) if current else Decimal("10000000.00") - Decimal("100000.00")
            amount = base + Decimal("100000.00") * rng.choice((1, 1, 2))
            response = client.post_json(path + "/auction/bids", {"amount": f"{amount:.2f}"}, headers=headers,
                                        expect_errors=True)
            with lock:
                if response.status_int == 201:
                    accepted.append((response.json["seq"], Decimal(response.json["amount"])))
                elif response.status_int == 409:
                    refused.append(response.json["error"]["code"])
                else:
                    errors.append((response.status_int, response.text[:200]))

    threads = [threading.Thread(target=bidder, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=SECONDS + 60)
    assert not errors, errors[:5]
    assert accepted, "no bid was accepted"
    history = api.get(lot_path(project) + "/quotes?limit=500").json["items"]
    seen = {(h["seq"], Decimal(h["amount"])) for h in history}
    while len(history) and len(seen) < len(accepted) and history[-1]["seq"] % 500 == 0:
        more = api.get(lot_path(project) + f"/quotes?limit=500&after={history[-1]['seq']}").json["items"]
        if not more:
            break
        history += more
        seen |= {(h["seq"], Decimal(h["amount"])) for h in more}
    assert set(accepted) <= seen  # every 201 is in the history with its amount
    assert len(history) == len(accepted)  # and nothing else is
    seqs = [h["seq"] for h in history]
    amounts = [Decimal(h["amount"]) for h in history]
    assert seqs == list(range(1, len(history) + 1))
    assert all(b > a for a, b in zip(amounts, amounts[1:]))  # strictly increasing with seq
    assert set(refused) <= {"auction.too_low", "auction.already_leading"}
    print(f"accepted {len(accepted)}, refused {len(refused)} in {SECONDS} s by {THREADS} threads")
