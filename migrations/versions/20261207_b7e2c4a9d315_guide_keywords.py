"""Guide keywords ("also searched as"): ``guide_entry.keywords_zh`` / ``keywords_en`` (the
words people type for a service: colloquial phrases, old names, abbreviations) and their
tokens in a new ``guide_search_doc.keywords`` column, ranked between title and body
(docs/guide/keywords.md).

* SQLite: the FTS5 table gains the column (title, keywords, body, pinyin), so the table
  and its three triggers are made again and the index rebuilt from guide_search_doc.
* PostgreSQL: the stored tsvector of the whole document is made again with weights
  title A, keywords B, body C, pinyin D, and a new stored, GIN-indexed tsvector of the
  title and keywords (``fulltext_tsv_strong``) serves the "strong match" stream.

Existing entries have no keywords yet, so their search rows need no new tokens: the
index is rebuilt from the rows as they are (``seed-demo`` then fills the demo entries'
keywords through the service layer, which rewrites their search rows).

Revision ID: b7e2c4a9d315
Revises: 3c9e5a71d0b4
Create Date: 2026-12-07 20:30:00

"""
import sqlalchemy as sa
from alembic import op


revision = 'b7e2c4a9d315'
down_revision = '3c9e5a71d0b4'
branch_labels = None
depends_on = None

TRIGGERS = ("guide_search_doc_ai", "guide_search_doc_ad", "guide_search_doc_au")


def _sqlite_fts(columns: tuple[str, ...]) -> None:
    """(Re)make the FTS5 table over ``columns`` of guide_search_doc, its triggers, and
    fill it from the rows already there."""
    cols = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    for trigger in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS guide_search_fts")
    op.execute(
        f"CREATE VIRTUAL TABLE guide_search_fts USING fts5({cols}, content='guide_search_doc', "
        "content_rowid='entry_id', tokenize='unicode61 remove_diacritics 2')"
    )
    op.execute(
        "CREATE TRIGGER guide_search_doc_ai AFTER INSERT ON guide_search_doc BEGIN "
        f"INSERT INTO guide_search_fts(rowid, {cols}) VALUES (new.entry_id, {new}); END"
    )
    op.execute(
        "CREATE TRIGGER guide_search_doc_ad AFTER DELETE ON guide_search_doc BEGIN "
        f"INSERT INTO guide_search_fts(guide_search_fts, rowid, {cols}) VALUES ('delete', old.entry_id, {old}); END"
    )
    op.execute(
        "CREATE TRIGGER guide_search_doc_au AFTER UPDATE ON guide_search_doc BEGIN "
        f"INSERT INTO guide_search_fts(guide_search_fts, rowid, {cols}) VALUES ('delete', old.entry_id, {old}); "
        f"INSERT INTO guide_search_fts(rowid, {cols}) VALUES (new.entry_id, {new}); END"
    )
    op.execute("INSERT INTO guide_search_fts(guide_search_fts) VALUES ('rebuild')")


def upgrade():
    dialect = op.get_bind().dialect.name
    with op.batch_alter_table('guide_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('keywords_zh', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('keywords_en', sa.Text(), server_default='', nullable=False))
    if dialect == "sqlite":
        for trigger in TRIGGERS:  # before the column is added: the triggers name the old columns
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    with op.batch_alter_table('guide_search_doc', schema=None) as batch_op:
        batch_op.add_column(sa.Column('keywords', sa.Text(), server_default='', nullable=False))
    if dialect == "sqlite":
        # The column order sets the bm25() weights' order in app/guide/queries.py.
        _sqlite_fts(("title", "keywords", "body", "pinyin"))
    elif dialect == "postgresql":
        # Column names must stay FULLTEXT_TSV's and STRONG_TSV's in app/guide/queries.py.
        op.execute("DROP INDEX IF EXISTS ix_guide_search_doc_fulltext")
        op.execute("ALTER TABLE guide_search_doc DROP COLUMN IF EXISTS fulltext_tsv")
        op.execute(
            "ALTER TABLE guide_search_doc ADD COLUMN fulltext_tsv tsvector GENERATED ALWAYS AS ("
            "setweight(to_tsvector('simple'::regconfig, title), 'A') || "
            "setweight(to_tsvector('simple'::regconfig, keywords), 'B') || "
            "setweight(to_tsvector('simple'::regconfig, body), 'C') || "
            "setweight(to_tsvector('simple'::regconfig, pinyin), 'D')) STORED"
        )
        op.execute("CREATE INDEX ix_guide_search_doc_fulltext ON guide_search_doc USING GIN (fulltext_tsv)")
        op.execute(
            "ALTER TABLE guide_search_doc ADD COLUMN fulltext_tsv_strong tsvector GENERATED ALWAYS AS ("
            "setweight(to_tsvector('simple'::regconfig, title), 'A') || "
            "setweight(to_tsvector('simple'::regconfig, keywords), 'B')) STORED"
        )
        op.execute("CREATE INDEX ix_guide_search_doc_fulltext_strong ON guide_search_doc USING GIN (fulltext_tsv_strong)")


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_guide_search_doc_fulltext_strong")
        op.execute("ALTER TABLE guide_search_doc DROP COLUMN IF EXISTS fulltext_tsv_strong")
        op.execute("DROP INDEX IF EXISTS ix_guide_search_doc_fulltext")
        op.execute("ALTER TABLE guide_search_doc DROP COLUMN IF EXISTS fulltext_tsv")
    elif dialect == "sqlite":
        for trigger in TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS guide_search_fts")
    if dialect == "sqlite":
        # SQLite's own DROP COLUMN (3.35+), not a batch copy: copying guide_entry means
        # dropping it, and with foreign keys on that cascades to its revisions, search
        # rows and requests.
        op.execute("ALTER TABLE guide_search_doc DROP COLUMN keywords")
        op.execute("ALTER TABLE guide_entry DROP COLUMN keywords_en")
        op.execute("ALTER TABLE guide_entry DROP COLUMN keywords_zh")
    else:
        op.drop_column('guide_search_doc', 'keywords')
        op.drop_column('guide_entry', 'keywords_en')
        op.drop_column('guide_entry', 'keywords_zh')
    if dialect == "sqlite":
        _sqlite_fts(("title", "body", "pinyin"))
    elif dialect == "postgresql":
        op.execute(
            "ALTER TABLE guide_search_doc ADD COLUMN fulltext_tsv tsvector GENERATED ALWAYS AS ("
            "setweight(to_tsvector('simple'::regconfig, title), 'A') || "
            "setweight(to_tsvector('simple'::regconfig, body), 'B') || "
            "setweight(to_tsvector('simple'::regconfig, pinyin), 'C')) STORED"
        )
        op.execute("CREATE INDEX ix_guide_search_doc_fulltext ON guide_search_doc USING GIN (fulltext_tsv)")
