"""users: a team's nurses by name without reading its patients (flat with volume)

Revision ID: d3f7a1c9e2b4
Revises: 583fa8c8798c
Create Date: 2026-12-06 19:40:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'd3f7a1c9e2b4'
down_revision = '583fa8c8798c'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index('ix_users_team_role_name', ['team_id', 'role', 'display_name'], unique=False)


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index('ix_users_team_role_name')
