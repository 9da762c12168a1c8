"""a case can be found by what its request says: letter number, subject, contact officer, signatory

The start form names these fields (`x-search`); a case keeps their values, lower-cased, in `search_text`,
set at filing and when the request is corrected. Cases filed before this revision have none until their
request is next corrected; they are still found by number, domain and agency.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 07:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('process_instance', recreate='never') as batch:
        batch.add_column(sa.Column('search_text', sa.Text(), nullable=True))


def downgrade() -> None:
    # SQLite 3.35+ drops a column in place; copying the table would break the rows that refer to it.
    with op.batch_alter_table('process_instance', recreate='never') as batch:
        batch.drop_column('search_text')
