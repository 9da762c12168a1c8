"""a notification's mail can be withdrawn: its recipient may no longer see its case

An officer deactivated, or moved to another agency, after a step was announced to them is not mailed what
that step carries (the deficiencies, the answer); the outbox marks such mail `withdrawn` instead of sending it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 04:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

BEFORE = "delivery IN ('pending', 'sent', 'failed', 'no_address')"
AFTER = "delivery IN ('pending', 'sent', 'failed', 'no_address', 'withdrawn')"


def upgrade() -> None:
    # SQLite changes a constraint by copying the table; nothing refers to notification rows, so it may.
    with op.batch_alter_table('notification') as batch:
        batch.drop_constraint('ck_notification_delivery', type_='check')
        batch.create_check_constraint('ck_notification_delivery', AFTER)


def downgrade() -> None:
    op.execute(sa.text("UPDATE notification SET delivery = 'failed', "
                       "last_error = COALESCE(last_error, 'withdrawn') WHERE delivery = 'withdrawn'"))
    with op.batch_alter_table('notification') as batch:
        batch.drop_constraint('ck_notification_delivery', type_='check')
        batch.create_check_constraint('ck_notification_delivery', BEFORE)
