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
