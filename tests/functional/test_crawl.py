"""Every page a link leads to, on the living demo, for anonymous visitors and each role: no dead end, no 500.

The crawl follows the links (and stylesheets, scripts, images) of every page it reaches, visiting one address
of each shape (ids folded), and checks each answers neither 404 nor a server error. It reads the pages in
Chinese (never following the language switch) and finds no English sentence left untranslated in them. Forms
are not posted here: each page's own tests do that.
"""
import html
import re
from urllib.parse import urljoin, urlsplit

import pytest

from trading import demo

from .test_bidder_pages import browser
from .test_pages import csrf_of

pytestmark = pytest.mark.slow

LINK = re.compile(r'(?:href|src)="([^"#]+)')
ENGLISH = re.compile(r"\b[A-Za-z]{2,}(?:[ ,'-]+[A-Za-z]{2,}){2,}\b")  # three English words in a row
ID = re.compile(r"/[0-9a-f]{32}")
WORKSPACES = {"admin": "/admin", "officer": "/officer", "bidder": "/bidder", "expert": "/expert",
              "inspector": "/inspector"}
MAX_PAGES = 120


@pytest.fixture
def demo_site(script):
    with script() as request:
        demo.load(request)


def shape_of(url):
    parts = urlsplit(url)
    return ID.sub("/X", parts.path) + ("?" + "&".join(sorted(q.split("=")[0] for q in parts.query.split("&")))
                                       if parts.query else "")


def visible_text(page):
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return [html.unescape(part).strip() for part in re.split(r"<[^>]+>", page) if part.strip()]


def crawl(client, start):
    """{url: (status, the page that linked it)} for one address of each shape reachable from ``start``, and
    {English words: a page showing them} for the pages' visible text."""
    answers, english, shapes, queue = {}, {}, set(), [(url, None) for url in start]
    while queue and len(answers) < MAX_PAGES:
        url, linked_from = queue.pop(0)
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost") or shape_of(url) in shapes or parts.path.startswith("/language/"):
            continue
        shapes.add(shape_of(url))
        response = client.get(parts.path + ("?" + parts.query if parts.query else ""), status="*",
                              expect_errors=True)
        answers[url] = (response.status_int, linked_from)
        if response.status_int == 200 and "html" in response.content_type:
            for link in LINK.findall(response.text):
                queue.append((urljoin(url, link.replace("&amp;", "&")), url))
            for text in visible_text(response.text):
                for words in ENGLISH.findall(text):
                    english.setdefault(words, url)
    return answers, english


@pytest.mark.parametrize("role", [None, *WORKSPACES])
def test_every_link_of_every_page_leads_somewhere_in_chinese(api, demo_site, role):
    client = browser(api)
    client.extra_environ = {**client.extra_environ, "HTTP_ACCEPT_LANGUAGE": "zh-CN"}
    start = ["http://localhost/"]
    if role is not None:
        form = client.get("/login")
        client.post("/login", {"username": role, "password": demo.DEMO_PASSWORD, "csrf_token": csrf_of(form)},
                    status=303)
        start.append("http://localhost" + WORKSPACES[role])
    answers, english = crawl(client, start)
    broken = {url: answer for url, answer in answers.items() if answer[0] == 404 or answer[0] >= 500}
    assert not broken, broken
    assert not english, english  # words a template or a plugin shows without the catalogs
    # the crawl really went through the site: the project pages, and for a role its workspace's own pages
    assert len(answers) >= 12 and any(shape_of(url) == "/projects/X" for url in answers), sorted(answers)
