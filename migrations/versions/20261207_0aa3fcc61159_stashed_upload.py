"""Intake: files of a form sent back with an error are kept for a while
(``stashed_upload``, one row per file in UPLOAD_FOLDER/stash/), bound to the form's
submission key and the session that sent it (app/intake/stash.py).

Revision ID: 0aa3fcc61159
Revises: 0a21a9868722
Create Date: 2026-12-07 16:20:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0aa3fcc61159'
down_revision = '0a21a9868722'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'stashed_upload',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('submission_key', sa.String(length=64), nullable=False),
        sa.Column('owner_hash', sa.String(length=64), nullable=False),
        sa.Column('stash_name', sa.String(length=80), nullable=False),
        sa.Column('original_name', sa.String(length=160), nullable=False),
        sa.Column('content_type', sa.String(length=100), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('pixels', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_stashed_upload')),
        sa.UniqueConstraint('stash_name', name=op.f('uq_stashed_upload_stash_name')),
    )
    with op.batch_alter_table('stashed_upload', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stashed_upload_submission_key'), ['submission_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_stashed_upload_created_at'), ['created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('stashed_upload', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stashed_upload_created_at'))
        batch_op.drop_index(batch_op.f('ix_stashed_upload_submission_key'))
    op.drop_table('stashed_upload')
