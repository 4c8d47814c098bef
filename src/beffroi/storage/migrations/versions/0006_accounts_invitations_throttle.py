"""accounts: invitations, login throttling, personal tokens that expire

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 05:00:00
"""
import time

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

PERSONAL_TOKEN_DAYS = 90  # core.auth.PERSONAL_TOKEN_DEFAULT_DAYS when this was written


def upgrade() -> None:
    op.create_table('invitations',
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('communes', sa.Text(), nullable=True),
    sa.Column('invited_by', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.Column('expires_at', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'id'),
    sa.UniqueConstraint('tenant_id', 'user_id', name='uq_invitations_user')
    )
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.create_index('ix_invitations_user', ['user_id'], unique=False)
    op.create_table('login_throttle',
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('failures', sa.Integer(), server_default='0', nullable=False),
    sa.Column('blocked_until', sa.BigInteger(), nullable=True),
    sa.Column('audited_until', sa.BigInteger(), nullable=True),
    sa.Column('last_attempt_at', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    with op.batch_alter_table('login_throttle', schema=None) as batch_op:
        batch_op.create_index('ix_login_throttle_last', ['last_attempt_at'], unique=False)
    with op.batch_alter_table('tokens', schema=None) as batch_op:
        batch_op.create_index('ix_tokens_user', ['user_id'], unique=False)
    # Personal tokens used to live forever: they now expire, the existing ones after the
    # default lifetime counted from the upgrade, so that no script stops without warning.
    tokens = sa.table('tokens', sa.column('kind', sa.String), sa.column('expires_at',
                                                                         sa.BigInteger))
    op.execute(tokens.update().where(tokens.c.kind == 'personal', tokens.c.expires_at.is_(None))
               .values(expires_at=time.time_ns() // 1_000_000 + PERSONAL_TOKEN_DAYS * 86_400_000))


def downgrade() -> None:
    with op.batch_alter_table('tokens', schema=None) as batch_op:
        batch_op.drop_index('ix_tokens_user')
    with op.batch_alter_table('login_throttle', schema=None) as batch_op:
        batch_op.drop_index('ix_login_throttle_last')
    op.drop_table('login_throttle')
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_index('ix_invitations_user')
    op.drop_table('invitations')
