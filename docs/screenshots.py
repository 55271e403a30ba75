"""Takes the README's screenshots: each role's workspace on fresh demo data, in zh_CN and en.

Run from the repository root with the project's virtualenv:

    .venv/bin/python docs/screenshots.py            # both languages into docs/img/
    .venv/bin/python docs/screenshots.py --locale zh_CN --out /tmp/shots

It builds a throwaway SQLite site in a temporary directory (`ggzy initdb` and
`ggzy demo`, exactly as `make run` does), serves it with waitress on a free
port in a background thread, and drives Debian's chromium through
Playwright's sync API (never `playwright install`). Each page is shot at
1280x800 and saved as a palette PNG to keep the repository small.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1280, "height": 800}
PASSWORD = "ggzy-demo-2026"
LOCALES = ("zh_CN", "en")
# the live land auction of the demo (trading/demo_projects.py)
AUCTION_CODE = "LY-TD-2026-0001"

# (file name, username or None for the public, path or a callable finding it, description)
SHOTS = [
    ("home", None, "/", "the public home page"),
    ("bidder", "bidder", "/bidder", "the bidder workspace"),
    ("auction", "bidder", "auction", "a live land auction room, as bidder"),
    ("officer", "officer", "/officer", "the officer workspace"),
    ("expert", "expert", "scoring", "an expert scoring the bids of a lot"),
    ("inspector", "inspector", "/inspector", "the inspector's alert board"),
    ("admin", "admin", "/admin/experts", "the administrator's expert pool"),
]


def make_site(directory):
    """A development.ini copy with its own SQLite file and file store, loaded with the demo data."""
    ini = Path(directory) / "screenshots.ini"
    text = (ROOT / "development.ini").read_text(encoding="utf-8")
    # reading a project applies its due transitions, so no scheduler thread is needed here
    text = re.sub(r"(?m)^ggzy\.scheduler\s*=.*$", "ggzy.scheduler = off", text)
    ini.write_text(text, encoding="utf-8")
    (Path(directory) / "var").mkdir()
    for command in ("initdb", "demo"):
        done = subprocess.run([sys.executable, "-m", "trading.cli", command, str(ini)], cwd=ROOT,
                              capture_output=True, text=True)
        if done.returncode:
            sys.stderr.write(done.stdout + done.stderr)
            raise RuntimeError(f"ggzy {command} failed with exit status {done.returncode}")
    return ini


def serve(ini):
    """Serve the site on a free port of 127.0.0.1 in a daemon thread; return (server, base URL)."""
    from pyramid.paster import get_app
    from waitress.server import create_server

    app = get_app(str(ini), "main")
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    threading.Thread(target=server.run, name="waitress", daemon=True).start()
    return server, f"http://127.0.0.1:{server.effective_port}"


def optimise(path):
    """Rewrite a screenshot as an optimised palette PNG (text pages need no more than 256 colours)."""
    from PIL import Image

    with Image.open(path) as image:
        palette = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    palette.save(path, optimize=True)


def log_in(page, base, username):
    page.goto(base + "/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    if "/login" in page.url:
        raise RuntimeError(f"could not log in as {username}")


def auction_room(page, base):
    """The room of the demo's live land auction, found from the public announcements."""
    page.goto(base + "/projects")
    page.click(f"tr:has-text('{AUCTION_CODE}') a")
    href = page.get_attribute("a[href^='/auction/']", "href")
    return href


def scoring_page(page, base):
    """The demo expert's lot waiting for scores, found from the expert's evaluations."""
    page.goto(base + "/expert/evaluations")
    return page.get_attribute("main a[href^='/expert/evaluations/']", "href")


FIND = {"auction": auction_room, "scoring": scoring_page}


def take(browser, base, locale, out):
    """Every shot of one language; returns the files written."""
    written = []
    for name, username, target, _description in SHOTS:
        context = browser.new_context(viewport=VIEWPORT, locale="zh-CN" if locale == "zh_CN" else "en-US",
                                      timezone_id="Asia/Shanghai")
        context.add_cookies([{"name": "_LOCALE_", "value": locale, "url": base}])
        page = context.new_page()
        try:
            if username:
                log_in(page, base, username)
            path = FIND[target](page, base) if target in FIND else target
            response = page.goto(base + path)
            if response is None or response.status != 200:
                raise RuntimeError(f"{path}: HTTP {response.status if response else '?'}")
            page.wait_for_load_state("networkidle")
            # the live pages count down; the shot is taken once the scripts have drawn them
            page.wait_for_timeout(300)
            file = out / locale / f"{name}.png"
            file.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(file))
            optimise(file)
            written.append(file)
        finally:
            context.close()
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img", help="directory for the PNGs (default docs/img)")
    parser.add_argument("--locale", choices=LOCALES, action="append", help="only this language (repeatable)")
    args = parser.parse_args(argv)
    if not os.path.exists(CHROMIUM):
        print(f"{CHROMIUM} is missing: apt-get install --no-install-recommends chromium fonts-noto-cjk", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    directory = tempfile.mkdtemp(prefix="ggzy-screenshots-")
    server = None
    try:
        ini = make_site(directory)
        server, base = serve(ini)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                for locale in args.locale or LOCALES:
                    for file in take(browser, base, locale, args.out):
                        print(f"{file.relative_to(ROOT) if file.is_relative_to(ROOT) else file}"
                              f"  {file.stat().st_size // 1024} KiB")
            finally:
                browser.close()
    finally:
        if server is not None:
            server.close()
        shutil.rmtree(directory, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
