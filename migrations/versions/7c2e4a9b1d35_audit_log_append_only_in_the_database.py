"""audit_events: append-only refused by the database (triggers), erasure by a permit row

Revision ID: 7c2e4a9b1d35
Revises: d3f7a1c9e2b4
Create Date: 2026-12-07 11:05:00

The triggers' SQL is copied here as it is made now (app/models.py AUDIT_LOG_TRIGGERS makes the
same for a schema made from the models): a migration keeps what it did when the app changes.
NOTE for later migrations: on SQLite, batch_alter_table('audit_events') copies the table and
drops its triggers; such a migration must make them again.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7c2e4a9b1d35'
down_revision = 'd3f7a1c9e2b4'
branch_labels = None
depends_on = None

REFUSAL = "audit events can be added, never changed or removed"
TRIGGERS = {
    "sqlite": [
        f"""CREATE TRIGGER audit_events_not_{what}d BEFORE {what.upper()} ON audit_events
        WHEN NOT EXISTS (SELECT 1 FROM audit_erasure_permits)
        BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"""
        for what in ("update", "delete")
    ],
    "postgresql": [
        f"""CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM audit_erasure_permits) THEN
                RAISE EXCEPTION '{REFUSAL}';
            END IF;
            IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
            RETURN NEW;
        END $$""",
        "CREATE TRIGGER audit_events_not_changed BEFORE UPDATE OR DELETE ON audit_events "
        "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()",
        "CREATE TRIGGER audit_events_not_truncated BEFORE TRUNCATE ON audit_events "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()",
    ],
}
DROPS = {
    "sqlite": ["DROP TRIGGER audit_events_not_updated", "DROP TRIGGER audit_events_not_deleted"],
    "postgresql": ["DROP TRIGGER audit_events_not_changed ON audit_events",
                   "DROP TRIGGER audit_events_not_truncated ON audit_events",
                   "DROP FUNCTION audit_events_append_only()"],
}


def upgrade():
    op.create_table('audit_erasure_permits',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('why', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_erasure_permits'))
    )
    for statement in TRIGGERS.get(op.get_bind().dialect.name, []):
        op.execute(statement)


def downgrade():
    for statement in DROPS.get(op.get_bind().dialect.name, []):
        op.execute(statement)
    op.drop_table('audit_erasure_permits')
