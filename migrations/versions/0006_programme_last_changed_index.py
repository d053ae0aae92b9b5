"""index programme.last_changed (the matcher's catalogue stamp reads max(last_changed) before every match)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 06:45:00.000000
"""
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(op.f('ix_programme_last_changed'), 'programme', ['last_changed'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_programme_last_changed'), table_name='programme')
