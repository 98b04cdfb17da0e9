"""Privacy: sensitive guide entries (``guide_entry.sensitive``) and the requester's
"do not list publicly" (``service_request.unlisted``).  Requests for a sensitive entry,
"something else" requests and opted-out requests are counted, never listed publicly.

The guide entries of the demo catalogue that are sensitive by nature (labour disputes,
legal aid and advice, court mediation, employees' rights, counselling, hardship aid) are
marked at once, so an existing site stops listing them on upgrade.

Revision ID: 0a21a9868722
Revises: 591e51078b74
Create Date: 2026-12-07 10:00:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0a21a9868722'
down_revision = '591e51078b74'
branch_labels = None
depends_on = None

SENSITIVE_SLUGS = (
    'labour-dispute-mediation', 'legal-aid', 'legal-clinic', 'court-mediation', 'workplace-rights',
    'mental-health', 'difficult-employee-aid',
)


def upgrade():
    with op.batch_alter_table('guide_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sensitive', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('service_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unlisted', sa.Boolean(), server_default=sa.false(), nullable=False))
    guide_entry = sa.table('guide_entry', sa.column('slug', sa.String), sa.column('sensitive', sa.Boolean))
    op.execute(guide_entry.update().where(guide_entry.c.slug.in_(SENSITIVE_SLUGS)).values(sensitive=True))


def downgrade():
    with op.batch_alter_table('service_request', schema=None) as batch_op:
        batch_op.drop_column('unlisted')
    with op.batch_alter_table('guide_entry', schema=None) as batch_op:
        batch_op.drop_column('sensitive')
