"""a case's outcome and a document's title, kept as the forms said them

The case list shows how each finished case ended without reading any workflow, and a document says what it
is (the title of the upload field that received it) without the pages knowing the shipped forms' names.
Cases and documents from before this revision get the titles the shipped forms gave them then.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 03:00:00
"""
import json

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

# The shipped forms as of revision 0003, for what was stored before the titles were.
DOCUMENT_TITLES = {'letter': 'Surat permohonan bertanda tangan (PDF)', 'evidence': 'Bukti pendukung',
                   'answer_letter': 'Surat jawaban (PDF)'}
SENT_WITH_A_CORRECTION = {'letter': 'Surat permohonan pengganti (PDF)', 'evidence': 'Bukti pendukung tambahan'}
OUTCOMES = {'pengalihan': ('Pengalihan domain', 'granted'),
            'penonaktifan_sementara': ('Penonaktifan sementara', 'granted'),
            'penghapusan': ('Penghapusan/pencabutan', 'granted'),
            'ditolak': ('Permohonan ditolak', 'not-granted'),
            'tidak_dilaksanakan': ('Tidak dapat dilaksanakan PANDI', 'not-granted')}


def upgrade() -> None:
    with op.batch_alter_table('process_instance') as batch:
        batch.add_column(sa.Column('outcome', sa.String(length=100), nullable=True))
        batch.add_column(sa.Column('outcome_title', sa.String(length=300), nullable=True))
        batch.add_column(sa.Column('outcome_tone', sa.String(length=20), nullable=True))
    with op.batch_alter_table('document') as batch:
        batch.add_column(sa.Column('title', sa.String(length=200), nullable=True))
    bind = op.get_bind()
    for field, title in SENT_WITH_A_CORRECTION.items():  # the only step before 0004 whose form took these
        bind.execute(sa.text("UPDATE document SET title = :title WHERE field = :field AND task_id IS NOT NULL "
                             "AND title IS NULL"), {"title": title, "field": field})
    for field, title in DOCUMENT_TITLES.items():
        bind.execute(sa.text("UPDATE document SET title = :title WHERE field = :field AND title IS NULL"),
                     {"title": title, "field": field})
    answers = bind.execute(sa.text(
        "SELECT instance_id, detail FROM history_event WHERE event = 'task_completed' "
        "AND element_id = 'Task_JawabPemohon' ORDER BY id")).all()
    for instance_id, detail in answers:  # the last answer of a case is its outcome
        if isinstance(detail, str):
            detail = json.loads(detail)
        value = ((detail or {}).get('applicant_answer') or {}).get('outcome')
        if value in OUTCOMES:
            title, tone = OUTCOMES[value]
            bind.execute(sa.text("UPDATE process_instance SET outcome = :value, outcome_title = :title, "
                                 "outcome_tone = :tone WHERE id = :id"),
                         {"value": value, "title": title, "tone": tone, "id": instance_id})


def downgrade() -> None:
    # ALTER TABLE … DROP COLUMN (SQLite 3.35+): a batch copy would drop process_instance, which the rows of
    # other tables refer to, and SQLite's foreign keys refuse that.
    with op.batch_alter_table('document', recreate='never') as batch:
        batch.drop_column('title')
    with op.batch_alter_table('process_instance', recreate='never') as batch:
        batch.drop_column('outcome_tone')
        batch.drop_column('outcome_title')
        batch.drop_column('outcome')
