"""End of Treatment Summaries: record when and how the copy was sent to the GP

The app sends nothing to GPs: the team does, and a nurse records it, so the patient is told only
what is true. Existing summaries have no record (nothing was ever recorded as sent).

Revision ID: e5a7b9c1d3f2
Revises: c4d8e2f1a9b3
Create Date: 2026-12-06 15:40:00

"""
from alembic import op
import sqlalchemy as sa

import app.timeutil  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = 'e5a7b9c1d3f2'
down_revision = 'c4d8e2f1a9b3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('end_of_treatment_summaries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('gp_copy_sent_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('gp_copy_method', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('gp_copy_recorded_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('gp_copy_recorded_at', app.timeutil.UTCDateTime(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_end_of_treatment_summaries_gp_copy_recorded_by_id_users'),
                                    'users', ['gp_copy_recorded_by_id'], ['id'])


def downgrade():
    with op.batch_alter_table('end_of_treatment_summaries', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_end_of_treatment_summaries_gp_copy_recorded_by_id_users'), type_='foreignkey')
        batch_op.drop_column('gp_copy_recorded_at')
        batch_op.drop_column('gp_copy_recorded_by_id')
        batch_op.drop_column('gp_copy_method')
        batch_op.drop_column('gp_copy_sent_on')
