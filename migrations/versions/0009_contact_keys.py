"""organisations' contact keys

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26

- organizations.phone_key, email_key, representative_key (indexed): the phone, the email and the legal
  representative without whitespace, in lower case, as the shared-contact collusion rule compares them. The rule
  looks its matches up by these instead of reading every other bidder of the lot at every bid. Existing rows are
  filled here; the model keeps them from now on (trading/models/accounts.py).
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

KEYS = {"phone_key": "phone", "email_key": "email", "representative_key": "legal_representative"}
BATCH = 1000


def _key(value):
    # trading.models.accounts.contact_key as of this revision, copied: a migration must not change with the app
    key = "".join((value or "").split()).lower()
    return key or None


def upgrade():
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        for column in KEYS:
            batch_op.add_column(sa.Column(column, sa.Text(), nullable=True))
            batch_op.create_index(batch_op.f(f'ix_organizations_{column}'), [column], unique=False)

    orgs = sa.table("organizations", sa.column("id"), *(sa.column(name) for name in (*KEYS, *KEYS.values())))
    bind = op.get_bind()
    rows = bind.execute(sa.select(orgs.c.id, *(orgs.c[source] for source in KEYS.values())).order_by(orgs.c.id)).all()
    update = orgs.update().where(orgs.c.id == sa.bindparam("org_id")).values(
        {column: sa.bindparam(f"new_{column}") for column in KEYS})
    for start in range(0, len(rows), BATCH):
        batch = [{"org_id": row[0], **{f"new_{column}": _key(value) for column, value in zip(KEYS, row[1:])}}
                 for row in rows[start:start + BATCH]]
        bind.execute(update, batch)


def downgrade():
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        for column in KEYS:
            batch_op.drop_index(batch_op.f(f'ix_organizations_{column}'))
            batch_op.drop_column(column)
