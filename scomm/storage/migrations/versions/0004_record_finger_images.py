"""the enrolled finger images of CJIS and IDENT records (for the examiner's picture)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 04:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

TABLES = ('cjis_fingers', 'ident_fingers')


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as b:
            b.add_column(sa.Column('image', sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as b:
            b.drop_column('image')
