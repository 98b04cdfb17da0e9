"""Wish wall: supports and reports count per person (network tallies), reporters' record,
and the time reports hid a wish.

Revision ID: f1507366a0d6
Revises: f8b3d6a1c4e2
Create Date: 2026-12-07 15:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f1507366a0d6'
down_revision = 'f8b3d6a1c4e2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('wish_network_tally',
    sa.Column('wish_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('network', sa.String(length=64), nullable=False),
    sa.Column('period', sa.String(length=10), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['wish_id'], ['wish.id'], name=op.f('fk_wish_network_tally_wish_id_wish'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('wish_id', 'kind', 'network', 'period', name=op.f('pk_wish_network_tally'))
    )
    op.create_table('wish_reporter',
    sa.Column('person', sa.String(length=64), nullable=False),
    sa.Column('upheld', sa.Integer(), nullable=False),
    sa.Column('dismissed', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('person', name=op.f('pk_wish_reporter'))
    )
    with op.batch_alter_table('wish', schema=None) as batch_op:
        batch_op.add_column(sa.Column('auto_hidden_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('wish', schema=None) as batch_op:
        batch_op.drop_column('auto_hidden_at')
    op.drop_table('wish_reporter')
    op.drop_table('wish_network_tally')
