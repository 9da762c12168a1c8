"""logins are rows: logging out ends one, a login lasts a working day, failing names wait

The security probe of session 13 copied a session cookie, logged out, and the copy still opened every page, with
no end: a login lived only in the signed cookie. Each login is now a row the cookie names (by a token whose
hash is stored), removed by logging out and ending after 12 hours. And 30 wrong passwords in 5 seconds were
all answered: a name tried 5 times in a row from one address now waits there, 1 minute and doubling, at most 15
(per address, so that a guesser elsewhere cannot keep the officer out at their desk).

Logins made before this migration end with it (their cookies name no row): everyone logs in once more.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 14:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'login_session',
        sa.Column('id', sa.String(length=64), primary_key=True),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('user_account.id', ondelete='CASCADE'), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index('ix_login_session_user_id', 'login_session', ['user_id'])
    op.create_table(
        'login_attempt',
        sa.Column('key', sa.String(length=160), primary_key=True),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('last_failed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('blocked_until', sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index('ix_login_attempt_last_failed_at', 'login_attempt', ['last_failed_at'])


def downgrade() -> None:
    op.drop_index('ix_login_attempt_last_failed_at', table_name='login_attempt')
    op.drop_table('login_attempt')
    op.drop_index('ix_login_session_user_id', table_name='login_session')
    op.drop_table('login_session')
