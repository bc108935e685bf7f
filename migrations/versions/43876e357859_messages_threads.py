"""Messages: a thread per re-entry request or queue item, and its messages with when each was read

Revision ID: 43876e357859
Revises: f968365dba14
Create Date: 2026-12-06 16:22:24.076081

"""
from alembic import op
import sqlalchemy as sa

import app.timeutil  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = '43876e357859'
down_revision = 'f968365dba14'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('message_threads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('about', sa.String(length=80), nullable=False),
    sa.Column('queue_item_id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('created_at', app.timeutil.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patient_profiles.id'], name=op.f('fk_message_threads_patient_id_patient_profiles')),
    sa.ForeignKeyConstraint(['queue_item_id'], ['queue_items.id'], name=op.f('fk_message_threads_queue_item_id_queue_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_threads')),
    sa.UniqueConstraint('about', name=op.f('uq_message_threads_about'))
    )
    with op.batch_alter_table('message_threads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_message_threads_patient_id'), ['patient_id'], unique=False)

    op.create_table('messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('thread_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('from_patient', sa.Boolean(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('sent_at', app.timeutil.UTCDateTime(), nullable=False),
    sa.Column('read_at', app.timeutil.UTCDateTime(), nullable=True),
    sa.Column('raised_item_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_messages_author_id_users')),
    sa.ForeignKeyConstraint(['raised_item_id'], ['queue_items.id'], name=op.f('fk_messages_raised_item_id_queue_items')),
    sa.ForeignKeyConstraint(['thread_id'], ['message_threads.id'], name=op.f('fk_messages_thread_id_message_threads')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_messages'))
    )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index('ix_messages_thread_unread', ['thread_id', 'from_patient', 'read_at'], unique=False)



def downgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_thread_unread')

    op.drop_table('messages')
    with op.batch_alter_table('message_threads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_message_threads_patient_id'))

    op.drop_table('message_threads')
