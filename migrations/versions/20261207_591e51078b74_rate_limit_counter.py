"""Rate-limit counters kept in the database when no Redis is configured
(``rate_limit_counter``: one row per Flask-Limiter fixed-window key).

Revision ID: 591e51078b74
Revises: a6fc6bf5de67
Create Date: 2026-12-07 15:40:00

"""
import sqlalchemy as sa
from alembic import op


revision = '591e51078b74'
down_revision = 'a6fc6bf5de67'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'rate_limit_counter',
        sa.Column('key', sa.String(length=255), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.Column('expiry', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_rate_limit_counter')),
    )
    with op.batch_alter_table('rate_limit_counter', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rate_limit_counter_expiry'), ['expiry'], unique=False)


def downgrade():
    with op.batch_alter_table('rate_limit_counter', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rate_limit_counter_expiry'))
    op.drop_table('rate_limit_counter')
