"""The due sweep over the deadline table, and the APScheduler wiring that makes it prompt."""
import logging
import threading
from datetime import timedelta

import transaction
from sqlalchemy import func, select

from .models import Deadline, get_tm_session
from .security import Principal

log = logging.getLogger(__name__)


class SystemRequest:
    """What a transition handler needs when no HTTP request is behind it: the clock acts, nobody else."""

    user = None
    client_addr = None
    client_device = None

    @property
    def identity(self):
        """The principal of ``user`` (None here; scripts and tests that act as a user set ``user``)."""
        return Principal.of(self.user)

    def __init__(self, registry, tm, session_factory=None):
        self.registry = registry
        self.tm = tm
        self.clock = registry["clock"]
        self.dbsession = get_tm_session(session_factory or registry["dbsession_factory"], tm, request=self)
        self.environ = {}
        from pyramid.i18n import make_localizer
        from pyramid.interfaces import ITranslationDirectories

        dirs = registry.queryUtility(ITranslationDirectories, default=[])
        self.locale_name = registry.settings["ggzy.default_locale"]
        self.localizer = make_localizer(self.locale_name, dirs)


def deadline_handlers(registry):
    handlers = registry.get("deadline_handlers")
    if handlers is None:
        handlers = {}
        for mapping in registry["plugin_manager"].hook.ggzy_deadline_handlers():
            handlers.update(mapping or {})
        registry["deadline_handlers"] = handlers
    return handlers


def _due_query(dbsession, now, exclude=(), project_id=None):
    query = (
        select(Deadline)
        .where(Deadline.done_at.is_(None), Deadline.at <= now)
        .order_by(Deadline.at, Deadline.id)
        .limit(1)
    )
    if project_id is not None:
        query = query.where(Deadline.project_id == project_id)
    if exclude:
        query = query.where(Deadline.id.not_in(list(exclude)))
    if dbsession.get_bind().dialect.name == "postgresql":
        # two sweepers never take the same row; each takes the next free one
        query = query.with_for_update(skip_locked=True)
    return query


def apply_deadline(request, deadline):
    """Apply one due transition and mark the row done, in the caller's transaction."""
    handler = deadline_handlers(request.registry).get(deadline.name)
    now = request.clock.now()
    if handler is None:
        log.warning("no handler for deadline %s (%s)", deadline.id, deadline.name)
        outcome = "no handler"
    else:
        outcome = handler(deadline, request) or "done"
    deadline.done_at = now
    deadline.outcome = str(outcome)[:200]
    request.dbsession.flush()
    return {
        "deadline_id": deadline.id,
        "name": deadline.name,
        "project_id": deadline.project_id,
        "lot_id": deadline.lot_id,
        "at": deadline.at.isoformat(),
        "outcome": deadline.outcome,
    }


def sweep(registry, limit=100000, session_factory=None):
    """Apply every due transition once, each in its own transaction; return what was applied."""
    applied = []
    failed = set()
    while len(applied) < limit:
        tm = transaction.TransactionManager(explicit=True)
        request = SystemRequest(registry, tm, session_factory)
        tm.begin()
        deadline_id = name = None
        try:
            deadline = request.dbsession.execute(
                _due_query(request.dbsession, request.clock.now(), failed)
            ).scalar_one_or_none()
            if deadline is None:
                tm.abort()
                break
            deadline_id, name = deadline.id, deadline.name
            result = apply_deadline(request, deadline)
            tm.commit()
            applied.append(result)
        except Exception:
            tm.abort()
            if deadline_id is None:
                raise
            log.exception("deadline %s (%s) failed; it stays due", deadline_id, name)
            failed.add(deadline_id)
    return applied


def sweep_in_request(request, project_id=None):
    """Apply every due transition (of one project, if given) inside the request's own transaction.

    The manual clock's PUT runs them all; a request that reads a project runs
    that project's first (DESIGN.md). Each is a savepoint: one that fails stays
    due for the sweep, and the request still answers with what is stored.
    """
    applied = []
    failed = set()
    while True:
        deadline = request.dbsession.execute(
            _due_query(request.dbsession, request.clock.now(), failed, project_id)).scalar_one_or_none()
        if deadline is None:
            return applied
        savepoint = request.dbsession.begin_nested()
        try:
            applied.append(apply_deadline(request, deadline))
            savepoint.commit()
        except Exception:
            log.exception("deadline %s (%s) failed; it stays due", deadline.id, deadline.name)
            savepoint.rollback()
            failed.add(deadline.id)


def next_due(registry):
    tm = transaction.TransactionManager(explicit=True)
    request = SystemRequest(registry, tm)
    with tm:
        return request.dbsession.execute(select(func.min(Deadline.at)).where(Deadline.done_at.is_(None))).scalar()


class Scheduler:
    """APScheduler with a memory job store: an interval sweep and a date job for the nearest deadline.

    Nothing depends on its job store: jobs are rebuilt from the deadline table,
    and several scheduler processes against one PostgreSQL are safe because the
    sweep takes rows with SKIP LOCKED.
    """

    def __init__(self, registry, blocking=False):
        from apscheduler.schedulers.background import BackgroundScheduler
        from apscheduler.schedulers.blocking import BlockingScheduler

        self.registry = registry
        defaults = {"coalesce": True, "max_instances": 1, "misfire_grace_time": None}
        cls = BlockingScheduler if blocking else BackgroundScheduler
        self.scheduler = cls(job_defaults=defaults, timezone="UTC")
        self._lock = threading.Lock()

    def run(self):
        with self._lock:
            try:
                applied = sweep(self.registry)
                if applied:
                    log.info("sweep applied %d transition(s)", len(applied))
            except Exception:
                log.exception("sweep failed")
            self._plan_next()

    def _plan_next(self):
        try:
            at = next_due(self.registry)
        except Exception:
            log.exception("cannot read the next deadline")
            return
        if at is None:
            return
        clock_now = self.registry["clock"].now()
        run_at = max(at, clock_now) + timedelta(milliseconds=50)
        self.scheduler.add_job(self.run, "date", run_date=run_at, id="next-deadline", replace_existing=True)

    def tick(self):
        """Every second: one indexed query for the earliest due deadline, a sweep only when one is due.

        This is what keeps a separate scheduler process to the second for
        deadlines that app processes add or move (a live auction's end).
        """
        try:
            at = next_due(self.registry)
        except Exception:
            log.exception("cannot read the next deadline")
            return
        if at is not None and at <= self.registry["clock"].now():
            self.run()

    def poke(self):
        """A deadline may have been added or moved: plan the date job again."""
        if self.scheduler.running:
            self.scheduler.add_job(self.run, "date", id="poke", replace_existing=True)

    def start(self):
        from datetime import datetime, timezone

        interval = self.registry.settings["ggzy.sweep_interval_seconds"]
        self.scheduler.add_job(self.run, "interval", seconds=interval, id="sweep",
                               next_run_time=datetime.now(timezone.utc))
        self.scheduler.add_job(self.tick, "interval", seconds=self.registry.settings["ggzy.tick_seconds"], id="tick")
        self.scheduler.start()

    def shutdown(self):
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
