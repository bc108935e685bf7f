"""Re-entry: the symptom log entries a person attached to their request

Revision ID: 03097fdc4dea
Revises: 8f264cd54834
Create Date: 2026-12-06 16:37:47.116759

"""
from alembic import op
import sqlalchemy as sa

import app.timeutil  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = '03097fdc4dea'
down_revision = '8f264cd54834'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('reentry_request_symptoms',
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['symptom_entries.id'], name=op.f('fk_reentry_request_symptoms_entry_id_symptom_entries')),
    sa.ForeignKeyConstraint(['request_id'], ['reentry_requests.id'], name=op.f('fk_reentry_request_symptoms_request_id_reentry_requests')),
    sa.PrimaryKeyConstraint('request_id', 'entry_id', name=op.f('pk_reentry_request_symptoms'))
    )


def downgrade():
    op.drop_table('reentry_request_symptoms')
