"""Remote monitoring: a key worker's people in a team by name, as an index, so the list filtered
by key worker reads its page in order instead of sorting the team

Revision ID: 583fa8c8798c
Revises: 7accab725457
Create Date: 2026-12-06 18:45:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '583fa8c8798c'
down_revision = '7accab725457'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('patient_profiles', schema=None) as batch_op:
        batch_op.create_index('ix_patient_profiles_team_key_worker_name',
                              ['team_id', 'key_worker_id', 'family_name', 'given_name', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('patient_profiles', schema=None) as batch_op:
        batch_op.drop_index('ix_patient_profiles_team_key_worker_name')
