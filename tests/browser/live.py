"""The real app served over HTTP for a browser: a fresh SQLite database with the demo, on a manual clock."""
import functools
import shutil
import threading
from datetime import datetime

import waitress
from waitress import wasyncore
from pyramid.i18n import TranslationString, make_localizer
from pyramid.interfaces import ITranslationDirectories
from sqlalchemy import select

from trading import demo, migrate, reference, testing
from trading.config import configure
from trading.models import User, get_engine

PASSWORD = demo.DEMO_PASSWORD
BANK_SECRET = "browser-bank-secret"


def _configure(directory):
    url = f"sqlite:///{directory / 'ggzy.sqlite'}"
    engine = get_engine({"sqlalchemy.url": url})
    settings = {
        "sqlalchemy.url": url,
        "dbengine": engine,
        "ggzy.storage_dir": str(directory / "files"),
        "ggzy.clock": "manual",
        "ggzy.scheduler": "off",
        "ggzy.testing": "true",
        "ggzy.default_locale": "zh_CN",
        "ggzy.bank_secret": BANK_SECRET,
        "ggzy.session_secret": "browser-session-secret",
        "ggzy.token_hours": "2880",
        **testing.FAST_SETTINGS,
    }
    return engine, configure(settings)


def demo_database(directory):
    """`ggzy initdb` and `ggzy demo` into a SQLite file and a file store under `directory`.

    Made once per test session and copied for each server: a copy costs milliseconds, the demo seconds.
    """
    directory.mkdir(parents=True, exist_ok=True)
    engine, config = _configure(directory)
    try:
        migrate.upgrade(engine)
        for load in (reference.load_all, demo.load):
            with testing.ScriptRequest(config.registry, config.registry["dbsession_factory"]) as request:
                load(request)
    finally:
        engine.dispose()  # the last connection's close folds the WAL back into the file
    return directory


class LiveServer:
    """ggzy on 127.0.0.1 and a free port, in a thread: waitress, as `pserve development.ini` runs it.

    The clock is manual: it stands still while a page is looked at (a live auction stays live, a countdown
    shows the same time left), and a journey moves it on through the testing clock API (`set_clock`).
    `api` speaks the JSON API to the same app in process (WebTest), for the parts of a story that
    happen off screen: other bidders' bids, the bank's deposit notice, the clock.
    """

    def __init__(self, directory, template=None):
        """Serve a copy of `template` (a directory made by `demo_database`), or a new demo database."""
        if template is None:
            demo_database(directory)
        else:
            shutil.copytree(template, directory, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*-shm"))
        self.engine, config = _configure(directory)
        self.registry = config.registry
        self._localizers = {}
        self.app = config.make_wsgi_app()
        self.api = testing.Api(self.app, {"REMOTE_ADDR": "10.30.0.1"})
        # a few threads: each browser page polls (the auction room every second) while the test acts
        self._server = waitress.create_server(self.app, host="127.0.0.1", port=0, threads=8,
                                              clear_untrusted_proxy_headers=True, ident="ggzy-browser-tests")
        self.url = f"http://127.0.0.1:{self._server.effective_port}"
        self._thread = threading.Thread(target=self._server.run, name="ggzy-live-server", daemon=True)
        self._thread.start()

    def script(self, user=None, client_addr=None):
        """``with server.script() as request:`` calls the services directly, committed."""
        return testing.ScriptRequest(self.registry, self.registry["dbsession_factory"], user=user,
                                     client_addr=client_addr)

    @property
    def clock(self):
        return self.registry["clock"]

    def now(self):
        return self.clock.now()

    def login(self, username, password=PASSWORD):
        if username not in self.api.tokens:
            self.api.login(username, password)
        return username

    def set_clock(self, moment: datetime):
        """Move the manual clock through the API, which also runs every transition that fell due."""
        self.login("admin")
        return self.api.put("testing/clock", {"now": moment.isoformat()}, as_user="admin", status=200).json

    def translator(self, locale):
        """``t(msgid, **mapping)``: the app's messages in ``locale``, for the journeys to find on pages."""
        return functools.partial(self.text, locale)

    def text(self, locale, msgid, **mapping):
        """A message as the app shows it in a locale (the catalogs' translation)."""
        if locale not in self._localizers:
            directories = self.registry.queryUtility(ITranslationDirectories, default=[])
            self._localizers[locale] = make_localizer(locale, directories)
        return self._localizers[locale].translate(TranslationString(msgid, domain="ggzy", mapping=mapping))

    def user(self, username):
        with self.script() as request:
            return request.dbsession.execute(select(User).where(User.username == username)).scalar_one()

    def close(self):
        """Stop serving: the channels are closed in the server's own loop thread, which then ends."""
        server = self._server
        server.task_dispatcher.shutdown(cancel_pending=True, timeout=5)
        server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
        self._thread.join(timeout=10)
        self.engine.dispose()
