"""Real processes for the multinode and fault tests: ini files, gunicorn nodes, schedulers, a private cluster.

Every process runs in its own session (process group), so that a test can
``kill -9`` a gunicorn master together with its workers, and so that the
``finally`` of each helper can always stop what it started, by its id.
"""
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from trading import migrate, testing
from trading.config import configure
from trading.models import get_engine

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
START_TIMEOUT = 60  # seconds for a node to answer /api/v1/ping on a loaded 2-core machine

SETTINGS = {
    "ggzy.clock": "system",  # several processes share one time: the system clock (ManualClock is per process)
    "ggzy.scheduler": "off",  # schedulers run as their own processes (`ggzy scheduler INI`)
    "ggzy.default_locale": "en",
    "ggzy.bank_secret": "test-bank-secret",
    "ggzy.session_secret": "test-session-secret",
    "ggzy.tick_seconds": "1",
    "ggzy.sweep_interval_seconds": "5",
    # data prepared on a manual clock weeks back logs in there: its tokens must still hold today
    "ggzy.token_hours": "2880",
    **testing.FAST_SETTINGS,
}

LOGGING = """
[loggers]
keys = root, scheduler

[logger_scheduler]
level = INFO
handlers =
qualname = trading.scheduler

[handlers]
keys = console

[formatters]
keys = generic

[logger_root]
level = WARN
handlers = console

[handler_console]
class = StreamHandler
args = (sys.stderr,)
level = NOTSET
formatter = generic

[formatter_generic]
format = %(asctime)s %(process)d %(levelname)-5.5s [%(name)s] %(message)s
"""


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_ini(path, db_url, storage_dir, **extra):
    """An ini like production.ini (PostgreSQL, scheduler off, system clock) with cheap argon2 for tests."""
    settings = {"sqlalchemy.url": db_url, "sqlalchemy.pool_size": "10", "sqlalchemy.max_overflow": "10",
                "ggzy.storage_dir": str(storage_dir), **SETTINGS, "retry.attempts": "3", **extra}
    lines = ["[app:main]", "use = egg:ggzy"] + [f"{k} = {v}" for k, v in settings.items()]
    Path(path).write_text("\n".join(lines) + "\n" + LOGGING, encoding="utf-8")
    return path


def app_settings(db_url, storage_dir, **extra):
    """The same settings for the in-process app that prepares data (its own clock, no scheduler)."""
    return {"sqlalchemy.url": db_url, "ggzy.storage_dir": str(storage_dir), **SETTINGS, "ggzy.testing": "true",
            **extra}


class Process:
    """A child process in its own process group, its output in a log file."""

    def __init__(self, name, argv, log_dir, env=None):
        self.name = name
        self.log_path = Path(log_dir) / f"{name}.log"
        self._log = open(self.log_path, "ab")
        self.popen = subprocess.Popen(
            [str(a) for a in argv], stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, cwd=str(ROOT), env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})})

    @property
    def pid(self):
        return self.popen.pid

    def alive(self):
        return self.popen.poll() is None

    def log_tail(self, lines=30):
        try:
            return "\n".join(self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def kill_group(self, sig=signal.SIGKILL):
        """Signal the whole process group (a gunicorn master and its workers)."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, sig)

    def terminate(self):
        if self.alive():
            self.kill_group(signal.SIGTERM)

    def stop(self, timeout=10):
        self.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=timeout)
        # workers outlive a master killed with -9: the group goes in any case
        self.kill_group(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=timeout)
        self._log.close()


def start_node(name, ini, log_dir, workers=2, threads=4):
    port = free_port()
    argv = [BIN / "gunicorn", "--paste", ini, "--bind", f"127.0.0.1:{port}", "--workers", workers,
            "--worker-class", "gthread", "--threads", threads, "--timeout", "60", "--graceful-timeout", "3",
            "--backlog", "256"]
    process = Process(name, argv, log_dir)
    process.port = port
    process.url = f"http://127.0.0.1:{port}"
    return process


def start_scheduler(name, ini, log_dir):
    return Process(name, [BIN / "ggzy", "scheduler", ini], log_dir)


def wait_ready(process, timeout=START_TIMEOUT):
    """Wait until the node answers /api/v1/ping; fail with its log if it dies or stays silent."""
    limit = time.monotonic() + timeout
    while time.monotonic() < limit:
        if not process.alive():
            raise AssertionError(f"{process.name} exited with {process.popen.returncode}:\n{process.log_tail()}")
        try:
            if requests.get(process.url + "/api/v1/ping", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{process.name} did not answer within {timeout} s:\n{process.log_tail()}")


@contextlib.contextmanager
def processes():
    """Collects started processes and always stops them, whatever the test did."""
    started = []
    try:
        yield started
    finally:
        for process in started:
            process.terminate()  # all at once: they shut down side by side
        for process in reversed(started):
            process.stop()


@contextlib.contextmanager
def pg_database(prefix="ggzy_multinode", url=None):
    """A fresh, migrated database on the shared server (or ``url``'s server), dropped at the end."""
    name, db_url = testing.create_pg_database(prefix)
    engine = get_engine({"sqlalchemy.url": db_url, "sqlalchemy.pool_size": "5"})
    try:
        migrate.upgrade(engine)
        yield db_url, engine
    finally:
        engine.dispose()
        testing.drop_pg_database(name)


def in_process_app(settings, engine):
    """The app in this process, to prepare data quickly: (registry, Api, script maker)."""
    config = configure({**settings, "dbengine": engine})
    app = config.make_wsgi_app()
    registry = config.registry

    def script(**kw):
        return testing.ScriptRequest(registry, registry["dbsession_factory"], **kw)

    return registry, testing.Api(app, {"REMOTE_ADDR": "127.0.0.1"}), script


# --- a private PostgreSQL cluster ------------------------------------------------------------------

PG_BIN_DIRS = ("/usr/local/bin", "/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin",
               "/usr/lib/postgresql/17/bin")


def pg_bin(name):
    for folder in PG_BIN_DIRS:
        candidate = Path(folder) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which(name)
    return found


class PrivateCluster:
    """initdb + pg_ctl in a temporary folder, on a free port: restarting it disturbs no other test.

    PostgreSQL refuses to run as root: as root, the binaries run as the ``postgres`` OS user, who owns the folder.
    """

    def __init__(self):
        self.initdb, self.pg_ctl = pg_bin("initdb"), pg_bin("pg_ctl")
        if not (self.initdb and self.pg_ctl):
            raise RuntimeError("initdb and pg_ctl are not installed")
        self.as_root = os.geteuid() == 0
        self.folder = Path(tempfile.mkdtemp(prefix="ggzy-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.started = False
        if self.as_root:
            import pwd

            user = pwd.getpwnam("postgres")
            os.chown(self.folder, user.pw_uid, user.pw_gid)
        self._run([self.initdb, "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync",
                   "--locale=C"], timeout=120)
        with open(self.data / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write("\nfsync = off\nsynchronous_commit = off\nfull_page_writes = off\nshared_buffers = 32MB\n"
                       "max_connections = 100\nlisten_addresses = '127.0.0.1'\n")

    @property
    def admin_url(self):
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, name):
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def _run(self, argv, timeout=60):
        argv = [str(a) for a in argv]
        if self.as_root:
            argv = ["runuser", "-u", "postgres", "--"] + argv
        result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd=str(self.folder))
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed ({result.returncode}): {result.stdout}\n{result.stderr}")
        return result

    def start(self):
        self._run([self.pg_ctl, "-D", self.data, "-l", self.folder / "server.log", "-w", "-t", "60",
                   "-o", f"-p {self.port} -k {self.folder}", "start"])
        self.started = True

    def stop(self, mode="fast"):
        self._run([self.pg_ctl, "-D", self.data, "-m", mode, "-w", "-t", "60", "stop"])
        self.started = False

    def destroy(self):
        try:
            if self.started or (self.data / "postmaster.pid").exists():
                self._run([self.pg_ctl, "-D", self.data, "-m", "immediate", "-w", "-t", "30", "stop"])
        except (RuntimeError, subprocess.TimeoutExpired):
            pass
        shutil.rmtree(self.folder, ignore_errors=True)

    def server_log(self):
        try:
            return (self.folder / "server.log").read_text(encoding="utf-8", errors="replace")[-3000:]
        except OSError:
            return ""


def parallel(api, work, items, threads=4):
    """Run ``work(api, item)`` over ``items`` on a few threads, each with its own WebTest client of the same app."""
    from concurrent.futures import ThreadPoolExecutor

    local = {}

    def run(item):
        import threading

        key = threading.get_ident()
        if key not in local:
            local[key] = testing.Api(api.app.app, api.app.extra_environ)
            local[key].tokens = api.tokens
        return work(local[key], item)

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(run, items))


def add_bidders(api, script, count, password):
    """``count`` bidder organisations with one logged-in user each; returns [(username, org id)]."""
    from trading.demo import full_uscc
    from trading.services import accounts

    made = []
    with script() as request:
        for index in range(count):
            org = accounts.create_organization(
                request, name=f"Bidder Co {index + 1}", uscc=full_uscc(f"91330100MA2C{index:05d}"), kind="bidder",
                phone=f"0571-8900{index:04d}", email=f"c{index}@example.com", legal_representative=f"Person {index}")
            accounts.create_user(request, username=f"uploader{index + 1}", password=password, role="bidder",
                                 org_id=org.id)
            made.append((f"uploader{index + 1}", org.id))
    # the clients of parallel() share api.tokens: each login lands there
    parallel(api, lambda client, username: client.login(username, password), [u for u, _org in made])
    return made
