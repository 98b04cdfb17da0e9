"""Intake: the Open311 token is its own random value (``service_request.public_token``),
and a filed form remembers which session sent it (``service_request.submitter_hash``).

Requests filed through Open311 before this revision keep the token their client was given
(it was the form's key): it still resolves, and as no session is recorded for them, a web
form posted with it never shows their access code.

Revision ID: a6fc6bf5de67
Revises: f1507366a0d6
Create Date: 2026-12-07 15:30:00

"""
import sqlalchemy as sa
from alembic import op


revision = 'a6fc6bf5de67'
down_revision = 'f1507366a0d6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('service_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('submitter_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('public_token', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_service_request_public_token'), ['public_token'])
    op.execute("UPDATE service_request SET public_token = submission_key WHERE source = 'open311'")


def downgrade():
    with op.batch_alter_table('service_request', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_service_request_public_token'), type_='unique')
        batch_op.drop_column('public_token')
        batch_op.drop_column('submitter_hash')
