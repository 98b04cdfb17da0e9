"""One outbox for e-mail and SMS: outbox_mail.channel (mail | sms).

Revision ID: 3644d58971df
Revises: 0aa3fcc61159
Create Date: 2026-12-07 16:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3644d58971df'
down_revision = '0aa3fcc61159'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_mail', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=8), server_default='mail', nullable=False))


def downgrade():
    with op.batch_alter_table('outbox_mail', schema=None) as batch_op:
        batch_op.drop_column('channel')
