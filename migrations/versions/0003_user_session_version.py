"""user session version: logins end when an account is deactivated, not only when its password changes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 03:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('user_account') as batch:
        batch.add_column(sa.Column('session_version', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    # ALTER TABLE … DROP COLUMN (SQLite 3.35+): a batch copy would drop user_account, which the rows of other
    # tables refer to, and SQLite's foreign keys refuse that.
    with op.batch_alter_table('user_account', recreate='never') as batch:
        batch.drop_column('session_version')
