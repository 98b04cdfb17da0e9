"""Guide search on PostgreSQL: the title's tsvector stored (a generated column with its
own GIN index) instead of an expression index, so ranking and re-checking title matches
read it rather than computing to_tsvector(title) again for every matching row.  SQLite's
FTS5 table is unchanged.

Revision ID: e5a1c3b7d902
Revises: d2a7f4c9e611
Create Date: 2026-11-30 10:05:00

"""
from alembic import op


revision = 'e5a1c3b7d902'
down_revision = 'd2a7f4c9e611'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        # The column's name must stay TITLE_TSV's in app/guide/queries.py.
        op.execute(
            "ALTER TABLE guide_search_doc ADD COLUMN fulltext_tsv_title tsvector "
            "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, title)) STORED"
        )
        op.execute("CREATE INDEX ix_guide_search_doc_fulltext_title_tsv ON guide_search_doc USING GIN (fulltext_tsv_title)")
        op.execute("DROP INDEX IF EXISTS ix_guide_search_doc_fulltext_title")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE INDEX ix_guide_search_doc_fulltext_title ON guide_search_doc "
            "USING GIN (to_tsvector('simple'::regconfig, title))"
        )
        op.execute("DROP INDEX IF EXISTS ix_guide_search_doc_fulltext_title_tsv")
        op.execute("ALTER TABLE guide_search_doc DROP COLUMN IF EXISTS fulltext_tsv_title")
