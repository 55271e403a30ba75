"""The database kit: engine, session factory, the request's transaction-bound session."""
import time

import zope.sqlalchemy
from sqlalchemy import engine_from_config, event
from sqlalchemy.exc import DisconnectionError
from pyramid.settings import asbool
from sqlalchemy.orm import Session, configure_mappers, sessionmaker
from transaction._transaction import Status
from zope.sqlalchemy.datamanager import STATUS_CHANGED, join_transaction

from .meta import Base, metadata, new_id  # noqa: F401
from .accounts import AuthToken, LoginThrottle, Organization, User  # noqa: F401
from .audit import AuditEvent, AuditHead  # noqa: F401
from .deadlines import Deadline  # noqa: F401
from .projects import Amendment, Lot, Project, ProjectCounter  # noqa: F401
from .registrations import DepositPayment, Registration, RegistrationLot  # noqa: F401
from .documents import Document, Question, RenderedPdf  # noqa: F401
from .bids import Bid, BidFile  # noqa: F401
from .reference import CalendarOverride, CalendarYear, Policy  # noqa: F401
from .outbox import OutboxMessage  # noqa: F401
from .auctions import AuctionBid, AuctionState, Paddle  # noqa: F401
from .evaluation import (  # noqa: F401
    Award, Contract, Evaluation, EvaluationMember, FinalQuote, FinalQuoteRound, Objection, Publicity,
    QualificationVote, Score,
)

configure_mappers()


def _prepare_sqlite(engine):
    """WAL, a busy timeout, and BEGIN IMMEDIATE, so concurrent writers queue instead of failing."""

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, connection_record):
        dbapi_connection.isolation_level = None  # let SQLAlchemy's begin event emit BEGIN
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


IDLE_PING_SECONDS = 1.0  # a restart takes longer: a connection last used before it has been idle at least that long


def _ping_when_idle(engine):
    """Check a pooled connection before use only when it has been idle: a restarted server is found before a request.

    SQLAlchemy's ``pool_pre_ping`` checks at every checkout, a round trip on every request. A busy connection
    needs none: when the server goes away, its first error invalidates the whole pool, and the request answers
    503 (``trading.tweens``). A connection idle for a while may have outlived a restart nobody saw; it is pinged,
    and replaced when the ping fails.
    """

    @event.listens_for(engine, "checkin")
    def on_checkin(dbapi_connection, connection_record):
        connection_record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def on_checkout(dbapi_connection, connection_record, connection_proxy):
        idle_since = connection_record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < IDLE_PING_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise DisconnectionError("the idle connection no longer answers") from error  # the pool reconnects


def get_engine(settings, prefix="sqlalchemy."):
    options = {}
    url = settings[prefix + "url"]
    if url.startswith("sqlite"):
        options["connect_args"] = {"check_same_thread": False, "timeout": 10}
    engine = engine_from_config(settings, prefix, **options)
    if engine.dialect.name == "sqlite":
        _prepare_sqlite(engine)
    elif not asbool(settings.get(prefix + "pool_pre_ping")):  # unless the settings ask for a ping at every checkout
        _ping_when_idle(engine)
    return engine


class TmSession(Session):
    """A session joined to the transaction manager in its ``info``: committed or aborted by it, never by hand.

    zope.sqlalchemy's ``register`` adds seven listeners to each session it is given, which cost a request about
    as much CPU as its token look-up. The listeners here are registered once, on this class; each reads the
    session's own manager from ``info["transaction_manager"]``. A session made without one (a script using the
    factory directly) is a plain session that commits by itself.

    A session joins as changed, so zope.sqlalchemy's listeners that mark a session changed after a write are not
    needed: a transaction the manager commits ends in COMMIT even when it only read. With
    zope.sqlalchemy's default, a read-only one ended in ROLLBACK, and psycopg forgets its prepared statements at
    every ROLLBACK: no statement of a read-only request was ever prepared, and PostgreSQL planned the hot
    statements (the token's, the auction's quick look) at every request, which cost it more CPU than the
    statements themselves. An aborted transaction still rolls back.
    """


def _manager(session):
    return session.info.get("transaction_manager")


@event.listens_for(TmSession, "after_begin")
@event.listens_for(TmSession, "after_attach")
def _join(session, *_args):
    """A session that begins, or is given an object, joins its manager's transaction (once: joining is idempotent)."""
    if (manager := _manager(session)) is not None:
        join_transaction(session, STATUS_CHANGED, manager)


@event.listens_for(TmSession, "before_commit")
def _before_commit(session):
    manager = _manager(session)
    if manager is not None and not session.in_nested_transaction() and manager.get().status != Status.COMMITTING:
        raise RuntimeError("commit the transaction manager, not the session")


def get_session_factory(engine):
    return sessionmaker(bind=engine, class_=TmSession, expire_on_commit=False)


def get_tm_session(session_factory, transaction_manager, request=None):
    """A session joined to ``transaction_manager`` (pyramid_tm's, or a script's): it commits or aborts it."""
    dbsession = session_factory(info={"request": request, "transaction_manager": transaction_manager})
    if not isinstance(dbsession, TmSession):  # a factory of plain sessions (a test's): listeners of its own
        zope.sqlalchemy.register(dbsession, transaction_manager=transaction_manager)
    return dbsession


def includeme(config):
    settings = config.get_settings()
    settings["tm.manager_hook"] = "pyramid_tm.explicit_manager"
    config.include("pyramid_tm")
    config.include("pyramid_retry")

    dbengine = settings.get("dbengine") or get_engine(settings)
    session_factory = settings.get("dbsession_factory") or get_session_factory(dbengine)
    config.registry["dbengine"] = dbengine
    config.registry["dbsession_factory"] = session_factory

    def dbsession(request):
        # a test hands the app a factory of sessions nested in the test's own transaction
        factory = request.environ.get("app.session_factory") or session_factory
        return get_tm_session(factory, request.tm, request=request)

    config.add_request_method(dbsession, reify=True)
