"""an API token says when it was last used and what uses it, and may end by itself

A token lived until revoked, and its owner could not tell a token a system still uses from one forgotten on a
laptop: the account page now shows when each was last used (to the nearest few minutes), and a new token may
be given an end (`--days` on the CLI; the page offers 90 days, a year or no end) and a label saying what uses
it (the walk-through: "#1, #2" told an officer nothing). Tokens made before keep no end and no label, and show
"never used" until their next use.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 20:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('api_token', sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('api_token', sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('api_token', sa.Column('label', sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('api_token') as batch:
        batch.drop_column('label')
        batch.drop_column('last_used_at')
        batch.drop_column('expires_at')
