"""a step's announcements are found by their step

Every completion in an announced lane settles the announcements of its step, and every step that goes away
settles its own (`SETTLE_ANNOUNCEMENTS`, by `task_id`); cancelling a case finds whom to tell by the same
column. Without an index each of those read the whole notification table, which is never pruned, while the
case was held (found by the code review of session 13: 31 ms against 0.03 ms at 200,000 notifications).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 14:00:00
"""
from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_notification_task', 'notification', ['task_id'])


def downgrade() -> None:
    op.drop_index('ix_notification_task', table_name='notification')
