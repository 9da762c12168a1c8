"""a filing can be named, so that sending it again files nothing

A client whose request timed out and an officer who clicked "Ajukan" twice each filed the same request
twice (the crash and race probe). The API's `Idempotency-Key` header and the page form's own key are kept
with the case, with a hash of what the filing said (a key sent again with another request is refused);
one case per key and filer. Cases filed before have none.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 11:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('process_instance', recreate='never') as batch:
        batch.add_column(sa.Column('filing_key', sa.String(length=200), nullable=True))
        batch.add_column(sa.Column('filing_hash', sa.String(length=64), nullable=True))
    op.create_index('uq_instance_filing_key', 'process_instance', ['started_by', 'filing_key'], unique=True)


def downgrade() -> None:
    op.drop_index('uq_instance_filing_key', table_name='process_instance')
    # SQLite 3.35+ drops a column in place; copying the table would break the rows that refer to it.
    with op.batch_alter_table('process_instance', recreate='never') as batch:
        batch.drop_column('filing_hash')
        batch.drop_column('filing_key')
