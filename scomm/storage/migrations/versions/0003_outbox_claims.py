"""outbox claims with leases, backoff and parking; one response of each kind

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 23:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox') as b:
        b.add_column(sa.Column('claim', sa.String(length=40), nullable=True))
        b.add_column(sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True))
        b.add_column(sa.Column('not_before', sa.DateTime(timezone=True), nullable=True))
        b.add_column(sa.Column('parked_at', sa.DateTime(timezone=True), nullable=True))
    # Steps that failed three times under the old bus are parked, as they were.
    op.execute("UPDATE outbox SET parked_at = created_at WHERE done_at IS NULL AND attempts >= 3")
    with op.batch_alter_table('responses') as b:
        b.create_unique_constraint('uq_responses_transaction_id_kind', ['transaction_id', 'kind'])


def downgrade() -> None:
    with op.batch_alter_table('responses') as b:
        b.drop_constraint('uq_responses_transaction_id_kind', type_='unique')
    with op.batch_alter_table('outbox') as b:
        for c in ('parked_at', 'not_before', 'claimed_until', 'claim'):
            b.drop_column(c)
