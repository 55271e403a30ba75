"""The database kit: engine, session factory, the request's transaction-bound session."""
import zope.sqlalchemy
from sqlalchemy import engine_from_config, event
from sqlalchemy.orm import configure_mappers, sessionmaker

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


def get_engine(settings, prefix="sqlalchemy."):
    options = {}
    url = settings[prefix + "url"]
    if url.startswith("sqlite"):
        options["connect_args"] = {"check_same_thread": False, "timeout": 10}
    else:
        options.setdefault("pool_pre_ping", True)
    engine = engine_from_config(settings, prefix, **options)
    if engine.dialect.name == "sqlite":
        _prepare_sqlite(engine)
    return engine


def get_session_factory(engine):
    return sessionmaker(bind=engine, expire_on_commit=False)


def get_tm_session(session_factory, transaction_manager, request=None):
    """A session joined to the transaction manager: committed or aborted by pyramid_tm, never by hand."""
    dbsession = session_factory(info={"request": request})
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
