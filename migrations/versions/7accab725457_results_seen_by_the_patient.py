"""Results: when the person first saw each one (a result with the team's comment is on their
home page's "To do now" until then)

Revision ID: 7accab725457
Revises: ca75a41ec3f0
Create Date: 2026-12-06 18:50:00.000000

"""
from alembic import op
import sqlalchemy as sa

import app.timeutil  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = '7accab725457'
down_revision = 'ca75a41ec3f0'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('test_results', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seen_by_patient_at', app.timeutil.UTCDateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('test_results', schema=None) as batch_op:
        batch_op.drop_column('seen_by_patient_at')
