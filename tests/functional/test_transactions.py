"""How a request's transaction ends, and how pooled connections are checked: what keeps the hot paths cheap."""
import pytest
from sqlalchemy import create_engine, text

from trading import models, testing
from trading.models import User, get_engine
from trading.security import Principal
from trading.services import accounts

PASSWORD = "a long enough password 1"


def _reader(committed_app, committed_script):
    registry, api, _app = committed_app
    with committed_script() as request:
        accounts.create_user(request, username="reader", password=PASSWORD, role="officer")
    api.login("reader", PASSWORD)
    return registry, api


def test_read_only_requests_commit_and_keep_the_prepared_statements(committed_app, committed_script):
    # psycopg prepares a statement after 5 runs on a connection, and forgets them all at a ROLLBACK: read-only
    # requests that rolled back never got one, and PostgreSQL planned the token's statement at every request
    registry, api = _reader(committed_app, committed_script)
    for _ in range(8):
        assert api.get("me", as_user="reader", status=200).json["username"] == "reader"
    with registry["dbengine"].connect() as connection:  # requests one after another: the one pooled connection
        prepared = connection.execute(text("SELECT statement FROM pg_prepared_statements")).scalars().all()
    assert any("auth_tokens.token_hash" in statement for statement in prepared), prepared


def test_a_refused_live_bid_writes_nothing_and_the_next_request_reads_fine(committed_app, committed_script):
    from .auction_helpers import land_auction_body, lot_path, register_paid
    from .sealed import Parties, at, create_and_publish, set_clock

    registry, api, _app = committed_app
    parties = Parties(api, committed_script, bidders=2)
    project = create_and_publish(api, land_auction_body(parties))
    first, second = (username for username, _org in parties.bidders)
    register_paid(api, project, [first, second])
    set_clock(api, at(23, 10))
    path = lot_path(project) + "/auction/bids"
    api.post(path, {"amount": "10000000.00"}, as_user=first, status=201)
    events = api.get("audit?limit=500", as_user="inspector1", status=200).json["items"]
    for _ in range(6):  # answered from the quick look, committed as a read-only transaction
        refusal = api.post(path, {"amount": "10000000.00"}, as_user=second, status=409).json["error"]
        assert refusal["code"] == "auction.too_low" and refusal["details"] == [{"minimum": "10100000.00"}]
    assert api.get("audit?limit=500", as_user="inspector1", status=200).json["items"] == events
    state = api.get(lot_path(project) + "/auction", as_user=second, status=200).json
    assert (state["bids"], state["current"]) == (1, "10000000.00")
    assert api.post(path, {"amount": "10100000.00"}, as_user=second, status=201).json["seq"] == 2


@pytest.mark.postgresql
def test_a_pooled_connection_dropped_while_idle_is_replaced_before_use(backend, db_url, monkeypatch):
    if backend != "postgresql":
        pytest.skip("SQLite has no server to lose")
    engine = get_engine({"sqlalchemy.url": db_url})
    admin = create_engine(testing.PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            first = connection.execute(text("SELECT pg_backend_pid()")).scalar()
        with admin.connect() as connection:  # as a server restart does to every idle connection
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        monkeypatch.setattr(models, "IDLE_PING_SECONDS", 0.0)  # idle long enough to be checked
        with engine.connect() as connection:
            second = connection.execute(text("SELECT pg_backend_pid()")).scalar()
        assert second != first
    finally:
        engine.dispose()
        admin.dispose()


def test_a_session_of_the_transaction_manager_is_committed_only_by_it(script):
    with pytest.raises(RuntimeError, match="transaction manager"):
        with script() as request:
            request.dbsession.get(User, "nobody")  # joins the manager's transaction
            request.dbsession.commit()


def test_a_script_acting_as_a_user_has_its_principal(script, users):
    with script(user=users["officer"]) as request:
        assert request.identity == Principal.of(users["officer"])
        assert request.identity.role == "officer" and request.identity.token_id is None
    with script() as request:
        assert request.identity is None


def test_a_keyword_search_on_postgresql_is_planned_for_its_pattern(script, backend):
    # with prepared statements kept, a generic plan made without the pattern walked the listing index (140 ms
    # on 100,000 projects, bench_project_list) where a plan for the pattern uses the trigram index (20 ms)
    from trading.services import projects

    if backend != "postgresql":
        pytest.skip("SQLite plans every statement anew")
    with script() as request:
        request.dbsession.execute(projects.search(request, {"sector": "land"})).all()
        assert request.dbsession.execute(text("SHOW plan_cache_mode")).scalar() == "auto"
        request.dbsession.execute(projects.search(request, {"q": "道路"})).all()
        assert request.dbsession.execute(text("SHOW plan_cache_mode")).scalar() == "force_custom_plan"  # LOCAL
