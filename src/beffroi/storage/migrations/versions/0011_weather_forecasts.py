"""risks: daily weather forecasts of the weather stations

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-12 10:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('weather_forecasts',
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('asset_id', sa.BigInteger(), nullable=False),
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('tmin_c', sa.Float(), nullable=True),
    sa.Column('tmax_c', sa.Float(), nullable=True),
    sa.Column('temp_c', sa.Float(), nullable=True),
    sa.Column('rh_pct', sa.Float(), nullable=True),
    sa.Column('wind_kmh', sa.Float(), nullable=True),
    sa.Column('rain_mm', sa.Float(), nullable=True),
    sa.Column('issued_at', sa.BigInteger(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=True),
    sa.Column('imported_by', sa.BigInteger(), nullable=True),
    sa.Column('imported_at', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'asset_id', 'day')
    )


def downgrade() -> None:
    op.drop_table('weather_forecasts')
