"""Open-access re-entry: requests to be seen, and the dated history of each one's status

Revision ID: 3bdb7891b9ea
Revises: 4a81248ef18b
Create Date: 2026-12-06 16:02:36.754320

"""
from alembic import op
import sqlalchemy as sa

import app.timeutil  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = '3bdb7891b9ea'
down_revision = '4a81248ef18b'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('reentry_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('worry', sa.Text(), nullable=False),
    sa.Column('contact_method', sa.Enum('phone', 'message', name='contactmethod', native_enum=False, length=16), nullable=False),
    sa.Column('contact_time', sa.Enum('any', 'morning', 'afternoon', name='contacttime', native_enum=False, length=16), nullable=False),
    sa.Column('contact_phone', sa.String(length=40), nullable=True),
    sa.Column('status', sa.Enum('sent', 'seen', 'will_call', 'appointment_booked', 'closed', name='requeststatus', native_enum=False, length=24), nullable=False),
    sa.Column('created_at', app.timeutil.UTCDateTime(), nullable=False),
    sa.Column('due_at', app.timeutil.UTCDateTime(), nullable=False),
    sa.Column('seen_by_id', sa.Integer(), nullable=True),
    sa.Column('appointment_at', app.timeutil.UTCDateTime(), nullable=True),
    sa.Column('appointment_place', sa.String(length=200), nullable=True),
    sa.Column('outcome', sa.Enum('phoned', 'advice_given', 'appointment_booked', 'test_arranged', 'referred', 'care_plan_agreed', 'no_action_needed', name='outcome', native_enum=False, length=32), nullable=True),
    sa.Column('outcome_note', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patient_profiles.id'], name=op.f('fk_reentry_requests_patient_id_patient_profiles')),
    sa.ForeignKeyConstraint(['seen_by_id'], ['users.id'], name=op.f('fk_reentry_requests_seen_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reentry_requests'))
    )
    with op.batch_alter_table('reentry_requests', schema=None) as batch_op:
        batch_op.create_index('ix_reentry_requests_patient', ['patient_id', 'created_at'], unique=False)

    op.create_table('reentry_status_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('sent', 'seen', 'will_call', 'appointment_booked', 'closed', name='requeststatus', native_enum=False, length=24), nullable=False),
    sa.Column('changed_at', app.timeutil.UTCDateTime(), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['changed_by_id'], ['users.id'], name=op.f('fk_reentry_status_changes_changed_by_id_users')),
    sa.ForeignKeyConstraint(['request_id'], ['reentry_requests.id'], name=op.f('fk_reentry_status_changes_request_id_reentry_requests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reentry_status_changes'))
    )
    with op.batch_alter_table('reentry_status_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reentry_status_changes_request_id'), ['request_id'], unique=False)



def downgrade():
    with op.batch_alter_table('reentry_status_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reentry_status_changes_request_id'))

    op.drop_table('reentry_status_changes')
    with op.batch_alter_table('reentry_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_reentry_requests_patient')

    op.drop_table('reentry_requests')
