"""a user has a full name, shown where people read who did what

Pages said "Diambil oleh layanan2" and "diajukan oleh pemohon": usernames are logins, not people. A user
may now have a full name (optional: accounts made before keep showing their username until an
administrator adds it).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 08:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('user_account', recreate='never') as batch:
        batch.add_column(sa.Column('full_name', sa.String(length=200), nullable=True))


def downgrade() -> None:
    # SQLite 3.35+ drops a column in place; copying user_account would break the rows that refer to it.
    with op.batch_alter_table('user_account', recreate='never') as batch:
        batch.drop_column('full_name')
