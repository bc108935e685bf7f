"""End of Treatment Summaries: at most one current summary per patient

Two saves racing each other used to leave two rows marked current. This heals any such patient
first (the highest version stays current, as the version list already shows it as the newest),
then lets the database itself refuse a second current row.

Revision ID: b7e1c2d4f5a6
Revises: a3ee06438320
Create Date: 2026-12-06 15:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7e1c2d4f5a6'
down_revision = 'a3ee06438320'
branch_labels = None
depends_on = None

summaries = sa.table(
    'end_of_treatment_summaries',
    sa.column('id', sa.Integer), sa.column('patient_id', sa.Integer),
    sa.column('version', sa.Integer), sa.column('is_current', sa.Boolean),
)


def upgrade():
    newer = summaries.alias('newer')
    op.execute(
        summaries.update()
        .where(summaries.c.is_current.is_(True))
        .where(sa.exists().where(
            newer.c.patient_id == summaries.c.patient_id,
            newer.c.is_current.is_(True),
            newer.c.version > summaries.c.version,
        ))
        .values(is_current=False)
    )
    with op.batch_alter_table('end_of_treatment_summaries', schema=None) as batch_op:
        batch_op.create_index(
            'uq_eots_one_current_per_patient', ['patient_id'], unique=True,
            sqlite_where=sa.text('is_current'), postgresql_where=sa.text('is_current'),
        )


def downgrade():
    with op.batch_alter_table('end_of_treatment_summaries', schema=None) as batch_op:
        batch_op.drop_index('uq_eots_one_current_per_patient',
                            sqlite_where=sa.text('is_current'), postgresql_where=sa.text('is_current'))
