"""Sessions: a form posted after a timeout is kept on the server session row, not in the cookie

Revision ID: c4d8e2f1a9b3
Revises: 5ff317af961b
Create Date: 2026-12-06 15:40:00

"""
from alembic import op
import sqlalchemy as sa
import app.timeutil


# revision identifiers, used by Alembic.
revision = 'c4d8e2f1a9b3'
down_revision = '5ff317af961b'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kept_post', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('kept_post_at', app.timeutil.UTCDateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.drop_column('kept_post_at')
        batch_op.drop_column('kept_post')
