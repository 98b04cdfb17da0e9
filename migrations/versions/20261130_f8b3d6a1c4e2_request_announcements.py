"""Intake: new-request mails queued by the sender, not rendered by the filing request
(``service_request.announced_at`` and a partial index over the requests still waiting).

Revision ID: f8b3d6a1c4e2
Revises: e5a1c3b7d902
Create Date: 2026-11-30 17:00:00

"""
import sqlalchemy as sa
from alembic import op


revision = 'f8b3d6a1c4e2'
down_revision = 'e5a1c3b7d902'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('service_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('announced_at', sa.DateTime(timezone=True), nullable=True))
    # Requests filed before this revision had their mails queued when they were filed.
    op.execute("UPDATE service_request SET announced_at = created_at")
    op.create_index('ix_service_request_unannounced', 'service_request', ['id'], unique=False,
                    sqlite_where=sa.text('announced_at IS NULL'), postgresql_where=sa.text('announced_at IS NULL'))


def downgrade():
    op.drop_index('ix_service_request_unannounced', table_name='service_request',
                  sqlite_where=sa.text('announced_at IS NULL'), postgresql_where=sa.text('announced_at IS NULL'))
    with op.batch_alter_table('service_request', schema=None) as batch_op:
        batch_op.drop_column('announced_at')
