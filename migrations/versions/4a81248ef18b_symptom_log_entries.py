"""Symptom log: the person's entries, and each entry as it was before a correction

A correction keeps what the team may already have read (symptom_entry_versions); an entry
names the queue item it raised or was merged into.

Revision ID: 4a81248ef18b
Revises: 716c04502439
Create Date: 2026-12-06 16:01:00.832327

"""
from alembic import op
import sqlalchemy as sa

import app.timeutil  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = '4a81248ef18b'
down_revision = '716c04502439'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('symptom_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('symptom_id', sa.String(length=60), nullable=True),
    sa.Column('symptom_text', sa.String(length=300), nullable=False),
    sa.Column('own_words', sa.String(length=300), nullable=True),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=False),
    sa.Column('new_or_worse', sa.Boolean(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('logged_at', app.timeutil.UTCDateTime(), nullable=False),
    sa.Column('logged_on', sa.Date(), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('rule', sa.String(length=40), nullable=False),
    sa.Column('rules_version', sa.String(length=32), nullable=False),
    sa.Column('queue_item_id', sa.Integer(), nullable=True),
    sa.Column('removed_at', app.timeutil.UTCDateTime(), nullable=True),
    sa.Column('updated_at', app.timeutil.UTCDateTime(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patient_profiles.id'], name=op.f('fk_symptom_entries_patient_id_patient_profiles')),
    sa.ForeignKeyConstraint(['queue_item_id'], ['queue_items.id'], name=op.f('fk_symptom_entries_queue_item_id_queue_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_symptom_entries'))
    )
    with op.batch_alter_table('symptom_entries', schema=None) as batch_op:
        batch_op.create_index('ix_symptom_entries_patient', ['patient_id', 'removed_at', 'logged_at'], unique=False)

    op.create_table('symptom_entry_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('symptom_id', sa.String(length=60), nullable=True),
    sa.Column('symptom_text', sa.String(length=300), nullable=False),
    sa.Column('own_words', sa.String(length=300), nullable=True),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=False),
    sa.Column('new_or_worse', sa.Boolean(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('saved_at', app.timeutil.UTCDateTime(), nullable=False),
    sa.Column('replaced_at', app.timeutil.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['symptom_entries.id'], name=op.f('fk_symptom_entry_versions_entry_id_symptom_entries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_symptom_entry_versions')),
    sa.UniqueConstraint('entry_id', 'version', name='uq_symptom_entry_versions_entry_version')
    )


def downgrade():
    op.drop_table('symptom_entry_versions')
    with op.batch_alter_table('symptom_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_symptom_entries_patient')

    op.drop_table('symptom_entries')
