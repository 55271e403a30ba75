"""Pages: the base layout, login and logout with CSRF, the language switch, the methods page."""
import re

from ..conftest import PASSWORD


def csrf_of(page):
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def test_home_page_in_chinese_by_default(api, registry):
    registry.settings["ggzy.default_locale"] = "zh_CN"
    try:
        page = api.app.get("/")
    finally:
        registry.settings["ggzy.default_locale"] = "en"
    assert '<html lang="zh-CN">' in page.text
    assert "公共资源交易" in page.text


def test_home_page_in_english_on_request(api):
    page = api.app.get("/", headers={"Accept-Language": "en"})
    assert '<html lang="en">' in page.text and "Public Resource Trading Platform" in page.text


def test_language_switch_sets_a_cookie_and_returns(api):
    response = api.app.get("/language/zh_CN?next=/methods")
    assert response.status_int == 302 and response.location.endswith("/methods")
    page = api.app.get("/methods")
    assert '<html lang="zh-CN">' in page.text


def test_language_switch_refuses_foreign_redirects(api):
    response = api.app.get("/language/en?next=//evil.example/")
    assert response.location.endswith("/")
    assert "evil" not in response.location


def test_each_role_logs_in_and_out(api, users):
    for role in users:
        form = api.app.get("/login")
        response = api.app.post("/login", {"username": role, "password": PASSWORD, "csrf_token": csrf_of(form),
                                           "next": "/"})
        assert response.status_int == 303
        home = api.app.get("/")
        assert role in home.text and "Log out" in home.text
        api.app.post("/logout", {"csrf_token": csrf_of(home)}, status=303)
        assert "Log out" not in api.app.get("/").text


def test_login_without_csrf_token_is_refused(api, users):
    api.app.get("/login")
    response = api.app.post("/login", {"username": "admin", "password": PASSWORD}, status=403)
    assert "Log out" not in api.app.get("/").text
    assert response.content_type == "text/html"


def test_wrong_password_on_the_page_says_so(api, users):
    form = api.app.get("/login")
    page = api.app.post("/login", {"username": "admin", "password": "nope", "csrf_token": csrf_of(form)}, status=401)
    assert "wrong" in page.text


def test_login_gets_a_new_session_id(api, users):
    form = api.app.get("/login")
    before = api.app.cookies.get("ggzy_session")
    api.app.post("/login", {"username": "admin", "password": PASSWORD, "csrf_token": csrf_of(form)})
    assert api.app.cookies.get("ggzy_session") != before


def test_session_cookie_alone_cannot_post_to_the_api_without_csrf(api, users):
    form = api.app.get("/login")
    api.app.post("/login", {"username": "admin", "password": PASSWORD, "csrf_token": csrf_of(form)})
    api.app.post_json("/api/v1/users", {"username": "x", "password": "0123456789", "role": "officer"}, status=403)
    api.get("me", status=200)


def test_methods_page_lists_every_method(api):
    page = api.app.get("/methods")
    for code in ("tendering.open", "procurement.single_source", "land.auction", "equity.transfer"):
        assert code in page.text


def test_pages_use_no_external_resources(api):
    page = api.app.get("/")
    assert not re.search(r'(src|href)="(https?:)?//', page.text)


def _page_login(api, username, next_url=None):
    form = api.app.get("/login")
    fields = {"username": username, "password": PASSWORD, "csrf_token": csrf_of(form)}
    if next_url is not None:
        fields["next"] = next_url
    return api.app.post("/login", fields, status=303)


def test_the_administrators_header_links_to_the_expert_pool(api, users):
    assert 'href="/admin/experts"' not in api.app.get("/").text
    _page_login(api, "officer", "/")
    assert 'href="/admin/experts"' not in api.app.get("/").text
    api.app.post("/logout", {"csrf_token": csrf_of(api.app.get("/"))}, status=303)
    _page_login(api, "admin", "/")
    page = api.app.get("/")
    assert re.search(r'<a href="/admin/experts">Expert pool</a>', page.text)
    api.app.get("/admin/experts", status=200)


def test_logging_in_without_a_next_address_lands_in_the_roles_workspace(api, users):
    workspaces = {"officer": "/officer", "bidder": "/bidder", "expert": "/expert", "inspector": "/inspector",
                  "admin": "/admin/users"}
    # the home page's own login link asks for no page in particular
    assert 'href="/login"' in api.app.get("/").text
    for role, path in workspaces.items():
        response = _page_login(api, role)
        assert response.location.endswith(path), (role, response.location)
        home = api.app.get("/")
        assert f'<a class="button" href="{path}">Go to your workspace</a>' in home.text
        api.app.get(path, status=200)
        api.app.post("/logout", {"csrf_token": csrf_of(home)}, status=303)
    # an explicit next address still wins
    assert _page_login(api, "officer", "/projects").location.endswith("/projects")
