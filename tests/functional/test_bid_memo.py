"""Live bids refused from memory (trading/bid_memo.py): the full path's answer, without a statement, forgotten at
every change it rests on."""
import pytest
from sqlalchemy import event

from trading import bid_memo, testing
from trading.config import configure

from .sealed import PASSWORD, at
from .test_auctions import bid, live_land  # noqa: F401 - live_land is a fixture

TOO_LOW = "10050000.00"  # after a first bid of 10,000,000.00 the minimum is 10,100,000.00


@pytest.fixture
def statements(connection):
    """The SQL the app sends while the test runs (its sessions use the test's connection)."""
    sent = []

    def record(_conn, _cursor, statement, *_args):
        sent.append(statement)

    event.listen(connection, "before_cursor_execute", record)
    yield sent
    event.remove(connection, "before_cursor_execute", record)


@pytest.fixture
def outbid(api, live_land):  # noqa: F811 - the fixture imported above
    """bidder1 leads at 10,000,000.00; bidder2's bid below the minimum was refused by the full path."""
    bid(api, live_land, "bidder1", "10000000.00")
    assert bid(api, live_land, "bidder2", TOO_LOW, status=409).json["error"]["code"] == "auction.too_low"
    return live_land


def full_path_only(monkeypatch, registry):
    monkeypatch.setattr(registry[bid_memo.MEMO], "refusal", lambda *args: None)


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_a_remembered_refusal_is_the_full_paths_answer_without_a_statement(api, outbid, registry, statements,
                                                                           monkeypatch, lang):
    with monkeypatch.context() as patch:
        full_path_only(patch, registry)
        full = bid(api, outbid, "bidder2", TOO_LOW, status=409, lang=lang)
    assert statements
    statements.clear()
    remembered = bid(api, outbid, "bidder2", TOO_LOW, status=409, lang=lang)
    assert statements == []
    assert remembered.body == full.body
    assert sorted(remembered.headerlist) == sorted(full.headerlist)
    error = remembered.json["error"]
    assert error["code"] == "auction.too_low" and error["details"] == [{"minimum": "10100000.00"}]
    assert ("不得低于" in error["message"]) == (lang == "zh-CN")


def test_the_memo_never_accepts_and_another_bidder_is_judged_by_the_full_path(api, outbid, statements):
    statements.clear()
    assert bid(api, outbid, "bidder3", TOO_LOW, status=409).json["error"]["code"] == "auction.too_low"
    assert statements  # bidder3's token was never seen refused
    accepted = bid(api, outbid, "bidder2", "10100000.00").json  # at the remembered minimum: the full path
    assert accepted["seq"] == 2
    # bidder2 leads now: its own bid, however low, is the full path's auction.already_leading
    assert bid(api, outbid, "bidder2", TOO_LOW, status=409).json["error"]["code"] == "auction.already_leading"


def test_an_accepted_bid_raises_the_remembered_minimum(api, outbid, statements):
    bid(api, outbid, "bidder3", "10500000.00")  # accepted: the memo keeps bidder2, and the lot's minimum rises
    statements.clear()
    refused = bid(api, outbid, "bidder2", "10550000.00", status=409).json["error"]
    assert refused["details"] == [{"minimum": "10600000.00"}]
    assert statements == []


def _logout(api):
    api.delete("auth/token", as_user="bidder2", status=204)


def _new_password(api):
    api.post("me/password", {"current_password": PASSWORD, "new_password": "another horse battery"}, as_user="bidder2",
             status=204)


def _deactivated(api, script):
    from trading.models import User
    from trading.services import accounts

    with script() as request:
        user = request.dbsession.query(User).filter_by(username="bidder2").one()
        accounts.deactivate_user(request, user)


@pytest.mark.parametrize("change", [_logout, _new_password, _deactivated])
def test_a_token_that_stopped_working_gets_401_at_once(api, script, outbid, change):
    if change is _deactivated:
        change(api, script)
    else:
        change(api)
    assert bid(api, outbid, "bidder2", TOO_LOW, status=401).json["error"]["code"] == "auth.required"


def test_a_terminated_project_answers_ended_at_once(api, outbid):
    api.post(f"projects/{outbid['id']}/terminate", {"reason": "规划调整"}, as_user="officer1")
    assert bid(api, outbid, "bidder2", TOO_LOW, status=409).json["error"]["code"] == "auction.ended"


def test_the_round_over_answers_ended(api, outbid, clock):
    clock.set(at(23, 10, 5))  # the end, without a sweep or any request in between
    assert bid(api, outbid, "bidder2", TOO_LOW, status=409).json["error"]["code"] == "auction.ended"


@pytest.mark.parametrize("variant", ["extra field", "number", "query", "form", "no token"])
def test_anything_unusual_is_the_full_paths_to_answer(api, outbid, statements, variant):
    path = f"/api/v1/projects/{outbid['id']}/lots/{outbid['lots'][0]['id']}/auction/bids"
    headers = api.headers("bidder2")
    statements.clear()
    if variant == "extra field":
        response = api.app.post_json(path, {"amount": TOO_LOW, "note": "x"}, headers=headers, status=409)
        assert response.json["error"]["code"] == "auction.too_low"
    elif variant == "number":
        api.app.post_json(path, {"amount": 10050000}, headers=headers, status=400)
    elif variant == "query":
        response = api.app.post_json(path + "?x=1", {"amount": TOO_LOW}, headers=headers, status=409)
        assert response.json["error"]["code"] == "auction.too_low"
    elif variant == "form":
        api.app.post(path, {"amount": TOO_LOW}, headers=headers, status=400)
    else:
        api.app.post_json(path, {"amount": TOO_LOW}, status=401)
    assert statements or variant == "no token"  # without a token no statement is needed: still a 401, as always


def test_another_process_hears_of_a_change_when_its_memo_runs_out(api, outbid, app_settings, session_factory,
                                                                 registry, monkeypatch):
    """DESIGN's stateless processes: the memo of a second app process is not told of the first one's logout.

    For at most ggzy.bid_refusal_memo_ms it refuses a bid below the minimum with the revoked token as too low
    (never accepts it); then it answers 401, as the first process does at once.
    """
    other = configure(app_settings)
    other.registry["clock"].set(registry["clock"].now())
    second = testing.Api(other.make_wsgi_app(), {"app.session_factory": session_factory, "REMOTE_ADDR": "127.0.0.1"})
    second.tokens = api.tokens
    for _first_the_full_path_then_the_quick_look in range(2):
        assert bid(second, outbid, "bidder2", TOO_LOW, status=409).json["error"]["code"] == "auction.too_low"
    _logout(api)
    assert bid(api, outbid, "bidder2", TOO_LOW, status=401)
    assert bid(second, outbid, "bidder2", TOO_LOW, status=409).json["error"]["code"] == "auction.too_low"
    assert bid(second, outbid, "bidder2", "10100000.00", status=401)  # never accepted
    later = bid_memo.time.monotonic() + other.registry[bid_memo.MEMO].seconds
    monkeypatch.setattr(bid_memo.time, "monotonic", lambda: later)
    assert bid(second, outbid, "bidder2", TOO_LOW, status=401)


def test_zero_milliseconds_turns_the_memo_off(app_settings):
    config = configure({**app_settings, "ggzy.bid_refusal_memo_ms": "0"})
    assert bid_memo.MEMO not in config.registry


def test_a_bid_being_taken_is_taken_no_longer_once_its_transaction_ends(api, outbid, registry, monkeypatch):
    """Committed or aborted, never left behind: a bid on the lot would wait for it."""
    from trading.services import auction

    memo = registry[bid_memo.MEMO]
    lot_id = outbid["lots"][0]["id"]
    bid(api, outbid, "bidder2", "10100000.00")
    assert lot_id not in memo._taking

    def broken(*_args):
        raise RuntimeError("the audit trail failed")

    monkeypatch.setattr(auction, "_audit_bid", broken)
    api.post(f"projects/{outbid['id']}/lots/{lot_id}/auction/bids", {"amount": "10200000.00"}, as_user="bidder3",
             status=500)
    assert lot_id not in memo._taking
