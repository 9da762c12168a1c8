"""a notification's mail lease names the sender that holds it

A sender renews its lease on a message just before handing it to the SMTP server and records the outcome
only while it still holds it, so a slow server can no longer let a second sender take the same message over
and send it again.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 07:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('notification', recreate='never') as batch:
        batch.add_column(sa.Column('lease_owner', sa.String(length=80), nullable=True))


def downgrade() -> None:
    # SQLite 3.35+ drops a column in place; copying the table would break the rows that refer to it.
    with op.batch_alter_table('notification', recreate='never') as batch:
        batch.drop_column('lease_owner')
