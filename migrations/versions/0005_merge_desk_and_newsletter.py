"""merge desk and newsletter

Revision ID: 0005
Revises: 0003, 0004
Create Date: 2026-11-24 05:15:15.164224
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0005'
down_revision = ('0003', '0004')
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
