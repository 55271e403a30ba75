"""Runs the Alembic migrations from code: `ggzy initdb` and the tests build the schema this way."""
from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(url=None, connection=None):
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(engine, revision="head"):
    """Bring the schema to ``revision``; safe to run again."""
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection=connection), revision)


class SchemaBehind(RuntimeError):
    """The database's schema is not the one this code needs: the app refuses to start rather than answer 500s."""


def check_schema(engine):
    """Raise SchemaBehind unless the database is at the newest revision; say nothing when it cannot be reached.

    A server started before `ggzy initdb` ran the new migrations would fail on the first page that reads a new
    column. A database that does not answer is left to the requests (503 until it is back), not to the start.
    """
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlalchemy.exc import DBAPIError

    heads = set(ScriptDirectory.from_config(alembic_config()).get_heads())
    try:
        with engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    except DBAPIError:
        return
    if current != heads:
        raise SchemaBehind(
            f"the database schema is at {', '.join(sorted(current)) or 'nothing (an empty database)'}, this code needs "
            f"{', '.join(sorted(heads))}: run `ggzy initdb INI` (it runs the migrations), then start again")
