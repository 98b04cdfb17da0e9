"""Wish moderation: when (and by whom) a moderator opened a wish's own page,
``wish.opened_at`` and ``wish.opened_by_id``; bulk approval skips a flagged wish until
then (docs/council/at-a-glance.md).

Revision ID: b7d2e4f9a1c3
Revises: b7e2c4d19a05
Create Date: 2026-12-08 10:00:00

"""
import sqlalchemy as sa
from alembic import op


revision = 'b7d2e4f9a1c3'
down_revision = 'b7e2c4d19a05'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('wish', schema=None) as batch_op:
        batch_op.add_column(sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('opened_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_wish_opened_by_id_user'), 'user', ['opened_by_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('wish', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_wish_opened_by_id_user'), type_='foreignkey')
        batch_op.drop_column('opened_by_id')
        batch_op.drop_column('opened_at')
