"""a case's domain is stored lower case, and one's notifications are listed by an index

The scale probe (11,000 cases on PostgreSQL): every case page and every filing asked for the domain's other
cases with lower(domain_name), which no index serves — a read of every case, 13 ms at 11,000 and growing. Domains
are filed and corrected lower case (the form's x-normalize); those stored before that are made so here, and
the lookup compares the column itself. A person's notifications, newest first, walked the whole table
backwards filtering by person; (user_id, id) finds them.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 21:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(sa.text("UPDATE process_instance SET domain_name = lower(domain_name) "
                       "WHERE domain_name <> lower(domain_name)"))
    op.create_index('ix_notification_user_id_id', 'notification', ['user_id', 'id'])


def downgrade() -> None:
    op.drop_index('ix_notification_user_id_id', table_name='notification')  # (the domains stay lower case)
