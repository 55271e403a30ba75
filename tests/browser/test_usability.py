"""Usability basics on the main pages of each role: labels, a way back, keyboard focus, phone width, contrast."""
import re

import pytest

from trading.i18n import local_text

from .conftest import DESKTOP, PHONE, log_in
from .live import PASSWORD

pytestmark = pytest.mark.browser

# JavaScript run in the page: what the checks below look at
UNLABELLED = """() => {
  const visible = (e) => { const r = e.getBoundingClientRect(); const s = getComputedStyle(e);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none'; };
  const name = (e) => {
    const parts = [e.getAttribute('aria-label') || '', e.getAttribute('title') || ''];
    for (const id of (e.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean)) {
      const ref = document.getElementById(id); if (ref) parts.push(ref.textContent); }
    for (const label of (e.labels || [])) parts.push(label.textContent);
    return parts.join('').trim(); };
  return [...document.querySelectorAll('input, select, textarea')]
    .filter((e) => !['hidden', 'submit', 'button', 'reset', 'image'].includes(e.type) && visible(e) && !name(e))
    .map((e) => e.outerHTML.slice(0, 160));
}"""
FOCUS = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  const s = getComputedStyle(e); const r = e.getBoundingClientRect();
  return {tag: e.tagName, text: (e.textContent || e.name || '').trim().slice(0, 40),
          outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0,
          shadow: s.boxShadow !== 'none', visible: r.width > 0 && r.height > 0,
          in_main: !!e.closest('main') && e.matches('a, button, input, select, textarea, summary')};
}"""
OVERFLOW = """() => { const s = document.scrollingElement;
  const wide = [...document.querySelectorAll('body *')]
    .filter((e) => e.getBoundingClientRect().right > s.clientWidth + 1
    && !e.closest('.table-wrap, .ar-table-wrap, pre, [style*=overflow]') && getComputedStyle(e).position !== 'fixed')
    .slice(0, 5).map((e) => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right));
  return {scroll: s.scrollWidth, client: s.clientWidth, wide: wide}; }"""
COLOURS = """() => {
  const opaque = (c) => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const p = m[1].split(',').map(Number); return p.length < 4 || p[3] > 0.99 ? p.slice(0, 3) : null; };
  const background = (e) => { for (let n = e; n; n = n.parentElement) {
      const b = opaque(getComputedStyle(n).backgroundColor); if (b) return b; } return [255, 255, 255]; };
  const pairs = {};
  for (const e of document.querySelectorAll('body *')) {
    const text = [...e.childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent).join('').trim();
    if (!text) continue;
    const s = getComputedStyle(e); const r = e.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || s.visibility === 'hidden' || parseFloat(s.opacity) < 0.99) continue;
    if (e.closest('.visually-hidden, .skip, [aria-hidden=true]')) continue;
    const fg = opaque(s.color); if (!fg) continue;
    const size = parseFloat(s.fontSize); const bold = parseInt(s.fontWeight, 10) >= 700;
    const large = size >= 24 || (bold && size >= 18.66);
    const key = fg.join(',') + '/' + background(e).join(',') + '/' + (large ? 'L' : 'N');
    const where = e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).split(' ')[0] : '');
    if (!(key in pairs)) pairs[key] = where + ': ' + text.slice(0, 30);
  }
  return pairs;
}"""


def luminance(rgb):
    def channel(value):
        value /= 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(v) for v in rgb)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(first, second):
    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def pages_of(server, role):
    """The main pages each role works on, from the demo's own projects."""
    api = server.api
    items = api.get("projects?limit=100").json["items"]
    by = lambda **want: next(p for p in items if all(p[k] == v for k, v in want.items()))  # noqa: E731
    announced = by(method="tendering.open", status="announced")
    auction = by(method="land.auction")
    room = f"/auction/{auction['id']}/{auction['lots'][0]['id']}"
    if role == "public":
        return ["/", "/projects", f"/projects/{announced['id']}", "/policies", "/methods", "/register", "/login", room]
    evaluating = by(status="evaluating")
    publicity = by(status="publicity")
    if role == "bidder":
        return ["/bidder", f"/bidder/projects/{announced['id']}", f"/bidder/projects/{publicity['id']}/results", room]
    if role == "officer":
        return ["/officer", "/officer/projects/new", "/officer/projects/new?method=tendering.open",
                f"/officer/projects/{announced['id']}", f"/officer/projects/{announced['id']}/opening",
                f"/officer/projects/{evaluating['id']}/lots/{evaluating['lots'][0]['id']}/evaluation",
                f"/officer/projects/{evaluating['id']}/draws",
                f"/officer/projects/{publicity['id']}/lots/{publicity['lots'][0]['id']}/conduct"]
    if role == "expert":
        sheet = f"/expert/evaluations/{evaluating['id']}/{evaluating['lots'][0]['id']}"
        return ["/expert", "/expert/evaluations", sheet]
    if role == "inspector":
        return ["/inspector", "/inspector/audit", "/inspector/projects",
                f"/inspector/projects/{announced['id']}/timeline",
                "/inspector/chain", "/inspector/figures"]
    return ["/admin/users", "/admin/experts", "/admin/experts/new", "/admin/experts/import", "/admin/calendar",
            f"/projects/{publicity['id']}/results", f"/projects/{publicity['id']}/opening"]


USERS = {"public": None, "bidder": "bidder", "officer": "officer", "expert": "expert", "inspector": "inspector",
         "admin": "admin"}


@pytest.mark.parametrize("locale", ["zh_CN", "en"])  # English words are longer: both must fit a phone
@pytest.mark.parametrize("role", list(USERS))
def test_main_pages_of_each_role_meet_the_usability_basics(server, contexts, role, locale):
    context = contexts(locale, viewport=DESKTOP)
    page = context.new_page()
    if USERS[role]:
        log_in(page, USERS[role])
    problems = []
    pairs = {}
    for path in pages_of(server, role):
        page.set_viewport_size(DESKTOP)
        response = page.goto(path)
        assert response.ok, (path, response.status)
        page.wait_for_load_state()
        overflow = page.evaluate(OVERFLOW)
        if overflow["scroll"] > overflow["client"] + 1:
            problems.append(f"{path}: {overflow['scroll']} px wide at 1280 px: {overflow['wide']}")
        # every visible form field has an accessible name
        for html in page.evaluate(UNLABELLED):
            problems.append(f"{path}: no label: {html}")
        # a way back: the header's home link, and on inner pages a breadcrumb or a back link in the page
        if page.locator("header.site a[href='/']").count() < 1:
            problems.append(f"{path}: no link home in the header")
        if path not in ("/", "/login") and page.locator(
                "main nav.breadcrumb a, main .back a, main a.back, main nav a, main a[href='/']").count() == 0:
            problems.append(f"{path}: no breadcrumb or back link")
        # the keyboard reaches the page's own controls, past the header, and shows where it is at each step
        page.locator("body").focus()
        in_main = False
        for _press in range(80):
            page.keyboard.press("Tab")
            focus = page.evaluate(FOCUS)
            if focus is None:
                continue
            if focus["visible"] and not (focus["outline"] or focus["shadow"]):
                problems.append(f"{path}: no visible focus on {focus['tag']} {focus['text']!r}")
            if focus["in_main"]:
                in_main = True
                break
        if not in_main:
            problems.append(f"{path}: Tab does not reach the page's controls")
        # phone width: nothing wider than the screen
        page.set_viewport_size(PHONE)
        overflow = page.evaluate(OVERFLOW)
        if overflow["scroll"] > overflow["client"] + 1:
            problems.append(f"{path}: {overflow['scroll']} px wide at 375 px: {overflow['wide']}")
        page.set_viewport_size(DESKTOP)
        for key, where in page.evaluate(COLOURS).items():
            pairs.setdefault(key, f"{path} {where}")
    for key, where in pairs.items():
        fg, bg, size = key.split("/")
        ratio = contrast([int(v) for v in fg.split(",")], [int(v) for v in bg.split(",")])
        if ratio < (3.0 if size == "L" else 4.5):
            problems.append(f"contrast {ratio:.2f}: rgb({fg}) on rgb({bg}) at {where}")
    assert not problems, "\n".join(problems)


def test_bidding_and_auction_pages_show_the_server_time(server, contexts):
    page = contexts("zh_CN").new_page()
    log_in(page, "bidder")
    now = local_text(server.now())
    announced = next(p for p in server.api.get("projects?method=tendering.open&status=announced").json["items"])
    auction = next(p for p in server.api.get("projects?method=land.auction").json["items"])
    page.goto(f"/bidder/projects/{announced['id']}")
    assert page.locator(".clock-box .server-clock").inner_text().startswith(now)
    page.goto(f"/auction/{auction['id']}/{auction['lots'][0]['id']}")
    assert re.sub(r"\s+", " ", page.locator("#ar-server-time").inner_text()).startswith(now)


def test_a_user_logs_in_and_reaches_the_workspace_with_the_keyboard_alone(server, contexts):
    page = contexts("zh_CN").new_page()
    page.goto("/login?next=/bidder")
    assert page.evaluate("document.activeElement.id") == "username"  # the form takes the focus itself
    page.keyboard.type("bidder")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/bidder")
    # the skip link is the first stop of the keyboard, and it leads into the page's content
    page.locator("body").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')") == "#main"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("!!document.activeElement.closest('main')")
