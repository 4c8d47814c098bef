"""integration counters and device gateway

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 14:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('integrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('events', sa.BigInteger(), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('rejected', sa.BigInteger(), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('last_error', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('last_error_at', sa.BigInteger(), nullable=True))
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_gateway', sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.drop_column('last_gateway')
    with op.batch_alter_table('integrations', schema=None) as batch_op:
        batch_op.drop_column('last_error_at')
        batch_op.drop_column('last_error')
        batch_op.drop_column('rejected')
        batch_op.drop_column('events')
