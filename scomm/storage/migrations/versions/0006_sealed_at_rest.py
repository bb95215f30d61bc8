"""data keys; submissions, prints, templates, responses and personal fields sealed at rest

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 18:00:00

The first data key is made here (and the master key file, if the database has no data
key yet and the file does not exist). Binary columns are sealed where they stand; the
others become binary columns in the same place: a new column is filled, the old one
dropped, the new one renamed (the path SQLite and PostgreSQL share), so they are
nullable in SQL. Rows are converted in pages, in this one transaction.
"""
import sqlalchemy as sa
from alembic import op

from scomm.messages import ResponseKind, finding_of
from scomm.storage.data_keys import Sealer
from scomm.storage.sealed import SealedBytes, SealedDate, SealedJSON, SealedText, _Sealed, sealer_of

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

_KEYS = {'transactions': ('id',), 'probe_fingers': ('transaction_id', 'finger'), 'responses': ('id',),
         'cjis_subjects': ('id',), 'cjis_fingers': ('subject_id', 'finger'), 'ident_identities': ('id',),
         'ident_fingers': ('identity_id', 'finger'), 'persons': ('id',), 'events': ('id',)}
_IN_PLACE = [('transactions', 'raw'), ('probe_fingers', 'template'), ('responses', 'body'),
             ('cjis_fingers', 'template'), ('cjis_fingers', 'image'),
             ('ident_fingers', 'template'), ('ident_fingers', 'image')]
_RETYPED: list[tuple[str, str, sa.types.TypeEngine, type[_Sealed]]] = [
    ('transactions', 'filename', sa.String(255), SealedText),
    ('transactions', 'errors', sa.JSON(), SealedJSON),
    ('transactions', 'booking', sa.JSON(), SealedJSON),
    ('responses', 'summary', sa.JSON(), SealedJSON),
    ('events', 'data', sa.JSON(), SealedJSON),
    ('cjis_subjects', 'name', sa.String(120), SealedText),
    ('cjis_subjects', 'dob', sa.Date(), SealedDate),
    ('cjis_subjects', 'pob', sa.String(4), SealedText),
    ('cjis_subjects', 'rapsheet', sa.JSON(), SealedJSON),
    ('ident_identities', 'name', sa.String(120), SealedText),
    ('ident_identities', 'dob', sa.Date(), SealedDate),
    ('ident_identities', 'country_of_birth', sa.String(4), SealedText),
    ('ident_identities', 'encounters', sa.JSON(), SealedJSON),
    ('persons', 'name', sa.String(120), SealedText),
    ('persons', 'dob', sa.Date(), SealedDate),
    ('persons', 'pob', sa.String(4), SealedText),
]
_PAGE = 500


def upgrade() -> None:
    op.create_table(
        'data_keys',
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column('master_id', sa.String(16), nullable=False),
        sa.Column('wrapped', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False))
    op.add_column('responses', sa.Column('finding', sa.String(20), nullable=True))
    _findings()
    bind = op.get_bind()
    sealer = sealer_of(bind.dialect)
    assert isinstance(sealer, Sealer)
    sealer.ensure_data_key(bind)
    for table, column in _IN_PLACE:
        _convert(table, column, column, sa.LargeBinary(), SealedBytes(f'{table}.{column}'))
    for table, column, plain, sealed in _RETYPED:
        _retype(table, column, plain, sealed(f'{table}.{column}'), sa.LargeBinary())


def downgrade() -> None:
    for table, column, plain, sealed in reversed(_RETYPED):
        _retype(table, column, sealed(f'{table}.{column}'), plain, plain)
    for table, column in _IN_PLACE:
        _convert(table, column, column, SealedBytes(f'{table}.{column}'), sa.LargeBinary())
    op.drop_column('responses', 'finding')
    op.drop_table('data_keys')


def _findings() -> None:
    """The word of each stored response that statistics read, from its summary (still plain)."""
    r = sa.table('responses', sa.column('id'), sa.column('kind'), sa.column('summary', sa.JSON),
                 sa.column('finding'))
    bind = op.get_bind()
    for row in bind.execute(sa.select(r.c.id, r.c.kind, r.c.summary)).all():
        bind.execute(r.update().where(r.c.id == row.id)
                     .values(finding=finding_of(ResponseKind(row.kind), row.summary or {})))


def _retype(table: str, column: str, read: sa.types.TypeEngine, write: sa.types.TypeEngine,
            stored: sa.types.TypeEngine) -> None:
    new = f'{column}__new'
    op.add_column(table, sa.Column(new, stored, nullable=True))
    _convert(table, column, new, read, write)
    op.execute(f'ALTER TABLE {table} DROP COLUMN "{column}"')
    op.execute(f'ALTER TABLE {table} RENAME COLUMN "{new}" TO "{column}"')


def _convert(table: str, source: str, target: str, read: sa.types.TypeEngine, write: sa.types.TypeEngine) -> None:
    """Copy ``source`` through ``read`` into ``target`` through ``write``, a page at a time."""
    keys = _KEYS[table]
    t = sa.table(table, *(sa.column(k) for k in keys), sa.column(source, read))
    out = sa.table(table, *(sa.column(k) for k in keys), sa.column(target, write))
    key = sa.tuple_(*(t.c[k] for k in keys))
    bind = op.get_bind()
    last = None
    while True:
        q = sa.select(*(t.c[k] for k in keys), t.c[source]).where(t.c[source].is_not(None))
        rows = bind.execute((q if last is None else q.where(key > sa.tuple_(*last)))
                            .order_by(*(t.c[k] for k in keys)).limit(_PAGE)).all()
        for r in rows:
            bind.execute(out.update().where(*(out.c[k] == r[i] for i, k in enumerate(keys)))
                         .values({target: r[-1]}))
        if len(rows) < _PAGE:
            return
        last = tuple(rows[-1][:len(keys)])
