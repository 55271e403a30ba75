"""The error shape of API.md for every kind of bad request; never a 500."""
import pytest


def assert_error(response, status, code):
    assert response.status_int == status
    assert response.content_type == "application/json"
    error = response.json["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["details"], list)
    return error


def test_malformed_json_is_400(api):
    response = api.post("auth/login", b"{not json", status=400)
    assert_error(response, 400, "request.invalid")


def test_missing_field_is_400_with_one_detail_per_field(api):
    response = api.post("auth/login", {"username": "x"}, status=400)
    error = assert_error(response, 400, "request.invalid")
    assert error["details"] == [{"field": "password", "message": "This field is required."}]


def test_wrong_type_is_400(api):
    response = api.post("auth/login", {"username": 5, "password": ["x"]}, status=400)
    error = assert_error(response, 400, "request.invalid")
    assert sorted(d["field"] for d in error["details"]) == ["password", "username"]


@pytest.mark.parametrize("body", [b"[]", b"null", b'"text"', b"1e999", b"NaN", b"\xff\xfe"])
def test_json_that_is_not_an_object_is_400(api, body):
    assert_error(api.post("auth/login", body, status=400), 400, "request.invalid")


def test_unknown_route_is_404(api):
    assert_error(api.get("no/such/thing", status=404), 404, "not_found")


def test_wrong_method_is_405_with_allow(api):
    response = api.call("PATCH", "methods", {}, status=405)
    assert_error(response, 405, "request.method_not_allowed")
    assert "GET" in response.headers["Allow"]


def test_messages_follow_accept_language(api):
    response = api.post("auth/login", {"username": "x"}, status=400, lang="zh-CN")
    assert response.json["error"]["message"] != "The request is not valid."
    assert any("\u4e00" <= ch <= "\u9fff" for ch in response.json["error"]["message"])


def test_authentication_is_checked_before_the_body(api):
    assert_error(api.post("users", b"{broken", status=401), 401, "auth.required")


def test_body_is_checked_before_permission(logged_in):
    assert_error(logged_in.post("users", b"{broken", as_user="bidder", status=400), 400, "request.invalid")
    assert_error(logged_in.post("users", {"username": "someone", "password": "0123456789", "role": "officer"},
                                as_user="bidder", status=403), 403, "auth.forbidden")


def test_html_pages_answer_404_as_a_page(api):
    response = api.app.get("/no-such-page", status=404)
    assert response.content_type == "text/html"


def test_a_query_string_that_is_not_utf8_is_400(api):
    assert_error(api.app.get("/api/v1/projects?q=%ff", status=400), 400, "request.invalid")
    assert api.app.get("/projects?q=%ff", status=400).content_type == "text/html"


@pytest.mark.parametrize("role", ["bidder", "officer"])
def test_a_logged_in_page_with_a_query_string_that_is_not_utf8_is_a_400_page_that_knows_the_caller(api, users, role):
    from .test_bidder_pages import log_in

    page = log_in(api, role).get("/projects?q=%ff", status=400)  # the page's header reads the caller from the database
    assert page.content_type == "text/html" and "UTF-8" in page.text
    assert 'action="/logout"' in page.text  # the header of a logged-in caller, not an anonymous page


def test_a_forged_cursor_without_an_offset_is_400(api):
    from trading.api.pagination import encode_cursor

    cursor = encode_cursor(["2026-12-01T09:00:00", "x"])
    assert_error(api.get(f"projects?cursor={cursor}", status=400), 400, "request.invalid")
