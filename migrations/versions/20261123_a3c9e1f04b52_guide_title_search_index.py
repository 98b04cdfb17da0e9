"""Guide search: an index over the title tokens alone, so a search can take title
matches first without scanning every match (PostgreSQL: an expression GIN index;
SQLite's FTS5 table already filters by column).

Revision ID: a3c9e1f04b52
Revises: 7d8727671f34
Create Date: 2026-11-23 15:40:00

"""
from alembic import op


revision = 'a3c9e1f04b52'
down_revision = '7d8727671f34'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        # Replaced by a stored column in e5a1c3b7d902.
        op.execute(
            "CREATE INDEX ix_guide_search_doc_fulltext_title ON guide_search_doc "
            "USING GIN (to_tsvector('simple'::regconfig, title))"
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_guide_search_doc_fulltext_title")
