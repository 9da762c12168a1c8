"""a request its agency withdrew is `withdrawn`, not `cancelled`

An agency that withdraws its own request (a duplicate, a dispute settled between the agencies) and a process
owner who cancels a case ended the case alike, as `cancelled`: the agency's list called its own withdrawal
"Dibatalkan", and a report could not tell the two apart. The history always said which (`case_withdrawn`);
the cases it names take the new status.

On SQLite the constraint changes by copying the table, with foreign keys off meanwhile (migrations/env.py).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 20:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

BEFORE = "status IN ('running', 'completed', 'cancelled')"
AFTER = "status IN ('running', 'completed', 'cancelled', 'withdrawn')"


def upgrade() -> None:
    with op.batch_alter_table('process_instance') as batch:
        batch.drop_constraint('ck_instance_status', type_='check')
        batch.create_check_constraint('ck_instance_status', AFTER)
    op.execute(sa.text("UPDATE process_instance SET status = 'withdrawn' WHERE status = 'cancelled' AND id IN "
                       "(SELECT instance_id FROM history_event WHERE event = 'case_withdrawn')"))


def downgrade() -> None:
    op.execute(sa.text("UPDATE process_instance SET status = 'cancelled' WHERE status = 'withdrawn'"))
    with op.batch_alter_table('process_instance') as batch:
        batch.drop_constraint('ck_instance_status', type_='check')
        batch.create_check_constraint('ck_instance_status', BEFORE)
