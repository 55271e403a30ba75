"""project list indexes, rendered PDF cache

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26

- ix_projects_listed (listed_at, id): the public list newest first and its cursor, without drafts or filters.
- ix_projects_sector_status_listing (sector, status, listed_at, id): both filters at once, which ?q= narrows.
- On PostgreSQL, trigram GIN indexes on projects.title and projects.code for ?q= (ILIKE '%word%'), when the
  pg_trgm extension is installed or can be created here (CREATE EXTENSION needs a superuser or, from
  PostgreSQL 13, the database owner for this trusted extension). Without it the migration goes on: the search
  still works, by scanning. An operator can run `CREATE EXTENSION pg_trgm` and then the two CREATE INDEX
  statements below by hand.
- rendered_pdfs: PDFs rendered once, kept in the file store, found again by the hash of their HTML.
"""
import logging

from alembic import op
import sqlalchemy as sa
import trading.models.meta


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

TRIGRAM_INDEXES = {"ix_projects_title_trgm": "title", "ix_projects_code_trgm": "code"}


def upgrade():
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.create_index('ix_projects_listed', ['listed_at', 'id'], unique=False)
        batch_op.create_index('ix_projects_sector_status_listing', ['sector', 'status', 'listed_at', 'id'],
                              unique=False)

    op.create_table('rendered_pdfs',
    sa.Column('html_hash', sa.String(length=64), nullable=False),
    sa.Column('template', sa.String(length=100), nullable=False),
    sa.Column('file_key', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('rendered_at', trading.models.meta.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('html_hash', name=op.f('pk_rendered_pdfs'))
    )

    bind = op.get_bind()
    if bind.dialect.name == "postgresql" and _trigram_available(bind):
        for name, column in TRIGRAM_INDEXES.items():
            op.execute(f"CREATE INDEX {name} ON projects USING gin ({column} gin_trgm_ops)")


def _trigram_available(bind):
    """Whether pg_trgm is installed, or could be installed now; a refusal is rolled back to a savepoint."""
    if bind.exec_driver_sql("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'").first():
        return True
    if not bind.exec_driver_sql("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'").first():
        log.warning("pg_trgm is not available on this server: the project search (?q=) will scan")
        return False
    try:
        with bind.begin_nested():
            bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        return True
    except sa.exc.DBAPIError as error:
        log.warning("pg_trgm could not be created (%s): the project search (?q=) will scan; "
                    "a superuser can run CREATE EXTENSION pg_trgm, then this migration's CREATE INDEX statements",
                    str(error.orig).strip().splitlines()[0])
        return False


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for name in TRIGRAM_INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {name}")
    op.drop_table('rendered_pdfs')
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.drop_index('ix_projects_sector_status_listing')
        batch_op.drop_index('ix_projects_listed')
