"""U+0000 in any text a client sends is a 400 request.invalid, on both databases, and stores nothing.

PostgreSQL refuses the character in text: before these checks a NUL in a page's or an API route's id, in a
query string, a JSON body or a form answered 500 there, and SQLite stored it. The address, plain forms, JSON and
multipart fields are checked at the door; a device fingerprint is cleaned instead, as file names are; anything
else that still reaches PostgreSQL with one is answered 400 by the exception view, the transaction aborted.
"""
import pytest
from sqlalchemy import func, select, text

from trading.models import AuctionBid, Organization

from ..conftest import PASSWORD
from .auction_helpers import lot_path
from .test_accounts import register_body
from .test_auctions import live_land  # noqa: F401 - a fixture
from .test_bidder_pages import browser, log_in
from .test_pages import csrf_of


def assert_invalid(response):
    assert response.json["error"]["code"] == "request.invalid"
    assert "U+0000" in response.json["error"]["message"]


@pytest.mark.parametrize("path", ["/projects?q=a%00b", "/projects/a%00b", "/projects/a%00b/results",
                                  "/auction/a%00b/b"])
def test_a_page_address_with_nul_is_a_400_page(api, path):
    page = api.app.get(path, status=400)
    assert page.content_type == "text/html" and "U+0000" in page.text


def test_a_logged_in_page_with_nul_in_its_id_is_a_400_page(api, users):
    page = log_in(api, "bidder").get("/bidder/projects/a%00b", status=400)
    assert 'action="/logout"' in page.text and "U+0000" in page.text


@pytest.mark.parametrize("path", ["/api/v1/projects/a%00b", "/api/v1/projects?q=a%00b",
                                  "/api/v1/documents/a%00b/content"])
def test_an_api_address_with_nul_is_400_request_invalid(api, logged_in, path):
    assert_invalid(api.app.get(path, headers={"Authorization": f"Bearer {api.tokens['officer']}"}, status=400))


def test_a_json_body_with_nul_is_400_and_registers_nobody(api, dbsession):
    before = dbsession.execute(select(func.count(Organization.id))).scalar()
    assert_invalid(api.post("organizations/register", register_body(name="Example\u0000 Ltd"), status=400))
    assert_invalid(api.post("organizations/register", {**register_body(), "n\u0000": "x"}, status=400))
    assert dbsession.execute(select(func.count(Organization.id))).scalar() == before
    api.post("organizations/register", register_body(name="Example\\u0000 Ltd"), status=201)  # a backslash, not NUL


def test_a_signed_bank_notice_with_nul_is_400(api, dbsession):
    from trading.models import DepositPayment

    from .sealed import bank_notice

    response = bank_notice(api, "test-bank-secret", "ACCOUNT", "100.00", "REF\u0000", status=400)
    assert_invalid(response)
    assert dbsession.execute(select(func.count(DepositPayment.id))).scalar() == 0


def test_a_form_field_with_nul_is_a_400_page(api, users):
    client = browser(api)
    form = client.get("/login")
    page = client.post("/login", {"username": "bid\x00der", "password": PASSWORD, "csrf_token": csrf_of(form)},
                       status=400)
    assert "U+0000" in page.text


def test_a_device_with_control_characters_is_kept_without_them(api, live_land, dbsession):  # noqa: F811
    path = lot_path(live_land) + "/auction/bids"
    api.post(path, {"amount": "10000000.00"}, as_user="bidder1", headers={"X-Client-Device": "dev\x00ice\x1f-1"},
             status=201)
    assert dbsession.execute(select(AuctionBid.device)).scalars().all() == ["device-1"]


def test_nul_that_reaches_postgresql_is_a_400_not_a_500(api, backend, monkeypatch, caplog):
    """The last line: input no door check sees (none is known) would otherwise answer 500."""
    if backend != "postgresql":
        pytest.skip("SQLite stores U+0000; only PostgreSQL refuses it")
    from trading.api import projects as project_api

    def search_with_nul(request, *args, **kwargs):
        request.dbsession.execute(text("SELECT CAST(:value AS text)"), {"value": "a\x00b"})

    monkeypatch.setattr(project_api.projects, "search", search_with_nul)
    response = api.app.get("/api/v1/projects", status=400)
    assert_invalid(response)
    assert "U+0000 in text refused by the database" in caplog.text
