"""Security headers on every response, the session cookie's flags, and the password change that ends sessions."""
import configparser
import re
from datetime import timedelta
from pathlib import Path

import pytest
from webtest import TestApp

from trading.config import configure
from trading.headers import CONTENT_SECURITY_POLICY
from trading.settings import read as read_settings

from ..conftest import PASSWORD
from .test_pages import csrf_of

ROOT = Path(__file__).resolve().parents[2]

EXPECTED_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
                "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'")


def app_with(app_settings, session_factory, **overrides):
    """Another app on the test's database with some settings changed."""
    config = configure({**app_settings, **overrides})
    return TestApp(config.make_wsgi_app(), extra_environ={"app.session_factory": session_factory,
                                                           "REMOTE_ADDR": "127.0.0.1"})


def assert_security_headers(response):
    headers = response.headers
    assert headers["Content-Security-Policy"] == EXPECTED_CSP
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"
    assert "camera=()" in headers["Permissions-Policy"]


# --- headers -------------------------------------------------------------------------------------


def test_the_policy_is_the_documented_one():
    assert CONTENT_SECURITY_POLICY == EXPECTED_CSP


def test_pages_carry_the_security_headers(api):
    assert_security_headers(api.app.get("/"))
    assert_security_headers(api.app.get("/login"))


def test_error_pages_and_static_files_carry_them_too(api):
    assert_security_headers(api.app.get("/no/such/page", status=404))
    assert_security_headers(api.app.get("/static/style.css"))
    assert_security_headers(api.get("projects/unknown", status=404))


def test_refusals_made_before_any_view_carry_them_too(api):
    # a query that is not UTF-8 is answered by a tween of its own: the headers' tween must sit outside it
    assert_security_headers(api.app.get("/api/v1/projects?q=%ff", status=400))
    assert_security_headers(api.app.get("/projects?q=%ff", status=400))


def test_api_json_is_never_stored(api, logged_in):
    for response in (api.get("me", as_user="admin"), api.get("methods"), api.get("me", status=401),
                     api.post("auth/login", {"username": "admin", "password": PASSWORD})):
        assert_security_headers(response)
        assert response.headers["Cache-Control"] == "no-store"


def test_pages_are_not_marked_no_store_by_the_tween(api):
    # pages and static files keep their own caching; only API JSON is forced to no-store
    assert "no-store" not in api.app.get("/static/style.css").headers.get("Cache-Control", "")


def test_no_hsts_by_default(api):
    assert "Strict-Transport-Security" not in api.app.get("/").headers
    assert read_settings({"sqlalchemy.url": "sqlite://"})["ggzy.hsts"] is False


def test_hsts_when_the_setting_is_on(app_settings, session_factory, registry):
    app = app_with(app_settings, session_factory, **{"ggzy.hsts": "true"})
    for response in (app.get("/"), app.get("/api/v1/methods")):
        assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_production_ini_turns_on_hsts_and_secure_cookies():
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ROOT / "production.ini", encoding="utf-8")
    assert parser["app:main"]["ggzy.hsts"] == "true"
    assert parser["app:main"]["ggzy.secure_cookies"] == "true"


TEMPLATE_DIRS = [ROOT / "trading" / "templates", ROOT / "experts", ROOT / "monitoring", ROOT / "plugins"]
INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE), "an inline <script>"),
    (re.compile(r"<style\b", re.IGNORECASE), "a <style> element"),
    (re.compile(r"""\sstyle\s*=\s*["']""", re.IGNORECASE), "a style attribute"),
    (re.compile(r"""\son[a-z]+\s*=\s*["']""", re.IGNORECASE), "an event handler attribute"),
    (re.compile(r"javascript:", re.IGNORECASE), "a javascript: URL"),
]


def test_no_page_template_needs_inline_code_or_styles():
    """The CSP allows no inline script or style: a template that needs one breaks in the browser, silently."""
    found = []
    for folder in TEMPLATE_DIRS:
        for path in sorted(folder.rglob("*.jinja2")):
            if "pdf" in path.relative_to(folder).parts:
                continue  # rendered by WeasyPrint, never served as a page
            text = path.read_text(encoding="utf-8")
            for pattern, what in INLINE:
                for match in pattern.finditer(text):
                    line = text.count("\n", 0, match.start()) + 1
                    found.append(f"{path.relative_to(ROOT)}:{line}: {what}")
    assert not found, "\n".join(found)


# --- the session cookie --------------------------------------------------------------------------


def session_cookie_header(response):
    cookies = [value for name, value in response.headerlist if name.lower() == "set-cookie"]
    return next(c for c in cookies if c.startswith("ggzy_session="))


def test_session_cookie_is_httponly_and_samesite_lax(api):
    cookie = session_cookie_header(api.app.get("/login")).lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie.replace("samesite", "")


def test_session_cookie_is_secure_when_the_setting_is_on(app_settings, session_factory, registry):
    app = app_with(app_settings, session_factory, **{"ggzy.secure_cookies": "true"})
    cookie = session_cookie_header(app.get("/login")).lower()
    assert "; secure" in cookie and "httponly" in cookie and "samesite=lax" in cookie


# --- changing the password -----------------------------------------------------------------------

NEW_PASSWORD = "a brand new passphrase"


def change(api, as_user, current, new, status):
    return api.post("me/password", {"current_password": current, "new_password": new}, as_user=as_user,
                    status=status)


def test_password_change_needs_a_user(api, users):
    change(api, None, PASSWORD, NEW_PASSWORD, 401)
    # authentication answers before the body's shape
    api.post("me/password", {"current_password": 1}, status=401)


def test_password_change_checks_the_body_first(logged_in):
    body = logged_in.post("me/password", {"current_password": PASSWORD}, as_user="bidder", status=400).json
    assert [d["field"] for d in body["error"]["details"]] == ["new_password"]


def test_a_wrong_current_password_is_refused_and_audited(logged_in, dbsession):
    from sqlalchemy import select

    from trading.models import AuditEvent

    body = change(logged_in, "bidder", "not my password", NEW_PASSWORD, 422).json
    assert body["error"]["code"] == "rules.violated"
    assert [d["rule"] for d in body["error"]["details"]] == ["auth.password_wrong"]
    assert body["error"]["details"][0]["field"] == "current_password"
    actions = dbsession.execute(select(AuditEvent.action).order_by(AuditEvent.seq.desc()).limit(1)).scalars().all()
    assert actions == ["user.password_change_refused"]
    # nothing changed: the token still works and the old password still logs in
    logged_in.get("me", as_user="bidder", status=200)
    logged_in.login("bidder", PASSWORD)


def test_a_weak_new_password_is_refused(logged_in):
    body = change(logged_in, "officer", PASSWORD, "short", 422).json
    assert [(d["rule"], d["field"]) for d in body["error"]["details"]] == [("auth.password_weak", "new_password")]
    logged_in.get("me", as_user="officer", status=200)


def test_a_password_change_revokes_every_token_of_the_user(logged_in, dbsession):
    from sqlalchemy import select

    from trading.models import AuditEvent

    first = logged_in.tokens["expert"]
    logged_in.login("expert", PASSWORD)  # a second token of the same user
    second = logged_in.tokens["expert"]
    response = change(logged_in, "expert", PASSWORD, NEW_PASSWORD, 204)
    assert response.body == b""
    for token in (first, second):
        body = logged_in.get("me", headers={"Authorization": f"Bearer {token}"}, status=401).json
        assert body["error"]["code"] == "auth.required"
    # other users keep their tokens
    logged_in.get("me", as_user="admin", status=200)
    logged_in.post("auth/login", {"username": "expert", "password": PASSWORD}, status=401)
    assert logged_in.login("expert", NEW_PASSWORD)["user"]["username"] == "expert"
    actions = dbsession.execute(select(AuditEvent.action).where(AuditEvent.action.like("user.password%"))).scalars().all()
    assert actions == ["user.password_change"]


def browser_login(api, username, password=PASSWORD):
    form = api.app.get("/login")
    api.app.post("/login", {"username": username, "password": password, "csrf_token": csrf_of(form), "next": "/"},
                 status=303)


def test_a_password_change_ends_the_users_browser_sessions(logged_in, clock):
    browser_login(logged_in, "officer")
    assert "Log out" in logged_in.app.get("/").text
    logged_in.app.get("/officer", status=200)
    clock.set(clock.now() + timedelta(minutes=1))
    change(logged_in, "officer", PASSWORD, NEW_PASSWORD, 204)
    # the next request of the browser finds itself logged out
    assert "Log out" not in logged_in.app.get("/").text
    assert logged_in.app.get("/officer", status=302).location.split("?")[0].endswith("/login")
    logged_in.app.get("/api/v1/me", status=401)
    # a new login with the new password starts a good session again
    browser_login(logged_in, "officer", NEW_PASSWORD)
    logged_in.app.get("/officer", status=200)


def test_a_browser_changing_its_own_password_is_logged_out(api, users, clock):
    browser_login(api, "bidder")
    token = csrf_of(api.app.get("/login"))  # the session's CSRF token, as pages carry it
    clock.set(clock.now() + timedelta(minutes=1))
    api.app.post_json("/api/v1/me/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
                      headers={"X-CSRF-Token": token}, status=204)
    api.app.get("/api/v1/me", status=401)


@pytest.mark.parametrize("role", ["admin", "officer", "bidder", "expert", "inspector"])
def test_every_role_may_change_its_password(logged_in, role):
    change(logged_in, role, PASSWORD, NEW_PASSWORD, 204)


def test_guessing_the_current_password_locks_the_username_like_logins(logged_in):
    for _ in range(5):
        response = change(logged_in, "officer", "wrong guess", NEW_PASSWORD, 422)
        assert response.json["error"]["details"][0]["rule"] == "auth.password_wrong"
    locked = change(logged_in, "officer", PASSWORD, NEW_PASSWORD, 429)
    assert locked.json["error"]["code"] == "auth.locked"
    logged_in.post("auth/login", {"username": "officer", "password": PASSWORD}, status=429)
