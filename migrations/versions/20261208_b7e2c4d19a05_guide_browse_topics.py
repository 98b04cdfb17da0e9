"""Guide browse topics: a 税务 (tax) category, and the demo catalogue's entries that fit
another topic better moved there (tax registration and tax incentives to ``tax``, lift
safety to ``fire`` = 安全与消防, residence registration to ``talent`` = 人才与落户).

Only the category keys' labels changed in code; the keys themselves are kept, so no other
stored value changes.  A row moves only while it still has the category the demo seed gave
it (an entry that staff recategorised is left as they set it), and its ``updated_at`` is
touched so the guide's page cache (keyed by the newest ``updated_at``) is rebuilt.

Revision ID: b7e2c4d19a05
Revises: b7e2c4a9d315
Create Date: 2026-12-08 10:00:00

"""
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op


revision = 'b7e2c4d19a05'
down_revision = 'b7e2c4a9d315'
branch_labels = None
depends_on = None

# slug: (the seed's old category, the new one)
MOVES = {
    'tax-registration': ('business', 'tax'),
    'tax-incentives': ('business', 'tax'),
    'special-equipment-lift': ('market', 'fire'),
    'residence-registration': ('police', 'talent'),
}

guide_entry = sa.table(
    'guide_entry',
    sa.column('slug', sa.String),
    sa.column('category', sa.String),
    sa.column('updated_at', sa.DateTime(timezone=True)),
)


def _move(direction: int) -> None:
    now = datetime.now(timezone.utc)
    for slug, pair in MOVES.items():
        old, new = pair[::direction]
        op.execute(
            guide_entry.update()
            .where(guide_entry.c.slug == slug, guide_entry.c.category == old)
            .values(category=new, updated_at=now)
        )


def upgrade():
    _move(1)


def downgrade():
    # Entries that staff put into "tax" themselves keep it: move them before going back.
    _move(-1)
