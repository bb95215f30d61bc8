"""accounts, machine clients and bearer tokens; the audit trail's AU-3 fields and hash chain;
who submitted each transaction, for what scope

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 14:30:00

Entries written before this revision are chained here, oldest first, with the role
they had no record of left empty (the hashed form is frozen: security/audit_chain.py, v1).
"""
import sqlalchemy as sa
from alembic import op

from scomm.security.audit_chain import GENESIS, Entry, link

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

_NEW_AUDIT = (('role', sa.String(20)), ('ori', sa.String(20)), ('outcome', sa.String(20)),
              ('source', sa.String(64)), ('prev_hash', sa.String(64)), ('hash', sa.String(64)))


def upgrade() -> None:
    op.create_table(
        'accounts',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('name', sa.String(80), nullable=False, unique=True),
        sa.Column('role', sa.String(20), nullable=False),
        sa.Column('ori', sa.String(20)), sa.Column('state', sa.String(2)),
        sa.Column('field_office', sa.String(8)),
        sa.Column('password_hash', sa.String(200), nullable=False),
        sa.Column('totp_secret', sa.String(64), nullable=False),
        sa.Column('totp_last_step', sa.Integer()),
        sa.Column('failures', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by', sa.String(80), nullable=False),
        sa.Column('disabled_at', sa.DateTime(timezone=True)))
    op.create_table(
        'clients',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('client_id', sa.String(40), nullable=False, unique=True),
        sa.Column('name', sa.String(80), nullable=False),
        sa.Column('role', sa.String(20), nullable=False),
        sa.Column('ori', sa.String(20)),
        sa.Column('secret_digest', sa.String(64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by', sa.String(80), nullable=False),
        sa.Column('disabled_at', sa.DateTime(timezone=True)))
    op.create_table(
        'tokens',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('digest', sa.String(64), nullable=False, unique=True),
        sa.Column('account_id', sa.Integer(), sa.ForeignKey('accounts.id'), index=True),
        sa.Column('client_id', sa.Integer(), sa.ForeignKey('clients.id'), index=True),
        sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('idle_until', sa.DateTime(timezone=True)),
        sa.Column('revoked_at', sa.DateTime(timezone=True)))
    with op.batch_alter_table('transactions') as b:
        b.add_column(sa.Column('submitted_by', sa.String(80), nullable=True))
        b.add_column(sa.Column('submitted_scope', sa.String(20), nullable=True))
    with op.batch_alter_table('audit') as b:
        for name, type_ in _NEW_AUDIT:
            b.add_column(sa.Column(name, type_, nullable=True))
        b.create_unique_constraint('uq_audit_hash', ['hash'])
    _chain_existing()


def _chain_existing() -> None:
    bind = op.get_bind()
    audit = sa.table('audit', sa.column('id', sa.Integer), sa.column('at', sa.DateTime(timezone=True)),
                     sa.column('actor'), sa.column('action'), sa.column('target'),
                     sa.column('data', sa.JSON), sa.column('role'), sa.column('outcome'), sa.column('prev_hash'),
                     sa.column('hash'))
    prev = GENESIS
    for r in bind.execute(sa.select(audit).order_by(audit.c.id)).mappings().all():
        entry = Entry(at=r['at'], principal=r['actor'], role='', action=r['action'],
                      target=r['target'], data=r['data'] or {})
        h = link(prev, entry)
        bind.execute(audit.update().where(audit.c.id == r['id'])
                     .values(outcome='success', role='', prev_hash=prev, hash=h))
        prev = h


def downgrade() -> None:
    with op.batch_alter_table('audit') as b:
        b.drop_constraint('uq_audit_hash', type_='unique')
        for name, _ in reversed(_NEW_AUDIT):
            b.drop_column(name)
    with op.batch_alter_table('transactions') as b:
        b.drop_column('submitted_scope')
        b.drop_column('submitted_by')
    op.drop_table('tokens')
    op.drop_table('clients')
    op.drop_table('accounts')
