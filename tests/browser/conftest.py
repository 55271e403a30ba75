"""Browser fixtures: Debian's chromium through Playwright's sync API, and the real app served on demo data.

One browser per session (per xdist worker), one server per test module (its own SQLite database in its own
temporary directory, on a free port), a new browser context per test. Screenshots of each journey's key
steps are kept under var/test-artifacts/browser/<test>/ (CI keeps them as artefacts).
"""
import os
import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from .live import PASSWORD, LiveServer, demo_database

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts" / "browser"
LOCALES = {"zh_CN": "zh-CN", "en": "en-US"}  # the app's locale -> the browser's (its Accept-Language)
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}
# a loaded CI machine answers slower than a desk: what the pages update by polling gets ten seconds
expect.set_options(timeout=10_000)


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        if CI:
            pytest.fail(f"CI=true: the browser tests need Debian's chromium at {CHROMIUM} (make system-deps)")
        pytest.skip(f"Debian's chromium is not installed at {CHROMIUM} (apt-get install --no-install-recommends "
                    "chromium); the browser tests are skipped")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
    finally:
        playwright.stop()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory):
    """The demo's database and files, made once; each module's server works on its own copy."""
    return demo_database(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="module")
def server(browser, demo_template, tmp_path_factory):
    """The app on demo data, shared by the tests of one module (each journey makes its own projects)."""
    live = LiveServer(tmp_path_factory.mktemp("live"), template=demo_template)
    yield live
    live.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.call_report = report
    return report


@pytest.fixture
def contexts(browser, server, request, shot):
    """``contexts(locale="zh_CN", viewport=DESKTOP)`` opens a fresh browser context (cookies of its own).

    When the test fails, each open page is photographed as it was (the last artefact of the journey).
    """
    opened = []

    def new(locale="zh_CN", viewport=DESKTOP):
        context = browser.new_context(locale=LOCALES[locale], base_url=server.url, viewport=viewport,
                                      accept_downloads=True, timezone_id="Asia/Shanghai")
        context.set_default_timeout(10_000)
        opened.append(context)
        return context

    yield new
    report = getattr(request.node, "call_report", None)
    for context in opened:
        if report is not None and report.failed:
            for page in context.pages:
                shot(page, "failed")
        context.close()


@pytest.fixture
def page(contexts):
    return contexts().new_page()


class Shots:
    """Numbered PNGs of a journey's key steps, in a directory named after the test."""

    def __init__(self, directory):
        self.directory = directory
        self.count = 0

    def __call__(self, page, step, full_page=True):
        self.count += 1
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{self.count:02d}-{step}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path


@pytest.fixture
def shot(request):
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name).strip("_")
    directory = ARTIFACTS / name
    shutil.rmtree(directory, ignore_errors=True)
    return Shots(directory)


def log_in(page, username, password=PASSWORD, next_path=None):
    """Log in through the login form; lands where the form sends the role (or on next_path)."""
    page.goto("/login" + (f"?next={next_path}" if next_path else ""))
    page.fill("#username", username)
    page.fill("#password", password)
    page.locator("main form").get_by_role("button").click()
    expect(page.locator("header .who")).to_have_count(1)
