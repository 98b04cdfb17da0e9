"""Emergency routing: ``guide_entry.emergency`` (the kind of emergency a service is about:
fire, police, medical, lift, fraud; "" for none) and ``service_request.urgent`` (the
requester ticked "this is urgent").

The demo catalogue's emergency services are marked at once, so an existing site shows
"call first" on their pages on upgrade.

Revision ID: 3c9e5a71d0b4
Revises: 3644d58971df
Create Date: 2026-12-07 16:30:00

"""
import sqlalchemy as sa
from alembic import op


revision = '3c9e5a71d0b4'
down_revision = '3644d58971df'
branch_labels = None
depends_on = None

EMERGENCY = {
    'fire-hazard-report': 'fire', 'special-equipment-lift': 'lift', 'anti-fraud-report': 'fraud',
    'security-guidance': 'police', 'aed-first-aid': 'medical',
}


def upgrade():
    with op.batch_alter_table('guide_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('emergency', sa.String(length=12), server_default='', nullable=False))
    with op.batch_alter_table('service_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('urgent', sa.Boolean(), server_default=sa.false(), nullable=False))
    guide_entry = sa.table('guide_entry', sa.column('slug', sa.String), sa.column('emergency', sa.String))
    for slug, kind in EMERGENCY.items():
        op.execute(guide_entry.update().where(guide_entry.c.slug == slug).values(emergency=kind))


def downgrade():
    with op.batch_alter_table('service_request', schema=None) as batch_op:
        batch_op.drop_column('urgent')
    with op.batch_alter_table('guide_entry', schema=None) as batch_op:
        batch_op.drop_column('emergency')
