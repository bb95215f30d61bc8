"""policies as data, the jail's side of a detainer

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 14:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cases') as b:
        b.add_column(sa.Column('framework', sa.String(length=24), nullable=True))
        b.add_column(sa.Column('agreement', sa.JSON(), nullable=True))
        b.add_column(sa.Column('detainer_honoured', sa.Boolean(), nullable=True))
        b.add_column(sa.Column('hold', sa.JSON(), nullable=True))
        b.add_column(sa.Column('custody_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table('policy_entries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('entry', sa.JSON(), nullable=False),
        sa.Column('entry_key', sa.String(length=120), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by', sa.String(length=80), nullable=False),
        sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_policy_entries_entry_key', 'policy_entries', ['entry_key'])


def downgrade() -> None:
    op.drop_index('ix_policy_entries_entry_key', table_name='policy_entries')
    op.drop_table('policy_entries')
    with op.batch_alter_table('cases') as b:
        for c in ('custody_at', 'hold', 'detainer_honoured', 'agreement', 'framework'):
            b.drop_column(c)
