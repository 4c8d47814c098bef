"""risks: population alerts (templates, channels, deliveries) and the crisis log

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 15:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('risk_alert_templates',
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('risk', sa.String(length=20), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'risk')
    )
    op.create_table('risk_alert_channels',
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('emails', sa.Text(), server_default='[]', nullable=False),
    sa.Column('phones', sa.Text(), server_default='[]', nullable=False),
    sa.Column('sms_url', sa.String(length=1000), nullable=True),
    sa.Column('sms_secret', sa.String(length=200), nullable=True),
    sa.Column('updated_at', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id')
    )
    op.create_table('population_alerts',
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('risk', sa.String(length=20), nullable=False),
    sa.Column('level', sa.String(length=10), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('communes', sa.Text(), nullable=False),
    sa.Column('zones', sa.Text(), server_default='[]', nullable=False),
    sa.Column('channels', sa.Text(), nullable=False),
    sa.Column('banner_until', sa.BigInteger(), nullable=True),
    sa.Column('created_by', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'id')
    )
    op.create_table('population_alert_deliveries',
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('alert_id', sa.BigInteger(), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('recipient', sa.String(length=1000), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('next_attempt_at', sa.BigInteger(), nullable=True),
    sa.Column('sent_at', sa.BigInteger(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('tenant_id', 'id')
    )
    with op.batch_alter_table('population_alert_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_population_alert_deliveries_alert',
                              ['tenant_id', 'alert_id'], unique=False)
        batch_op.create_index('ix_population_alert_deliveries_due',
                              ['status', 'next_attempt_at'], unique=False)
    op.create_table('crisis_logs',
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('risk', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('opened_at', sa.BigInteger(), nullable=False),
    sa.Column('opened_by', sa.BigInteger(), nullable=True),
    sa.Column('closed_at', sa.BigInteger(), nullable=True),
    sa.Column('closed_by', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('tenant_id', 'id')
    )
    op.create_table('crisis_log_entries',
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('log_id', sa.BigInteger(), nullable=False),
    sa.Column('at', sa.BigInteger(), nullable=False),
    sa.Column('recorded_at', sa.BigInteger(), nullable=False),
    sa.Column('author_id', sa.BigInteger(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('corrects_id', sa.BigInteger(), nullable=True),
    sa.Column('links', sa.Text(), server_default='{}', nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'id')
    )
    with op.batch_alter_table('crisis_log_entries', schema=None) as batch_op:
        batch_op.create_index('ix_crisis_log_entries_log', ['tenant_id', 'log_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('crisis_log_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_crisis_log_entries_log')
    op.drop_table('crisis_log_entries')
    op.drop_table('crisis_logs')
    with op.batch_alter_table('population_alert_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_population_alert_deliveries_due')
        batch_op.drop_index('ix_population_alert_deliveries_alert')
    op.drop_table('population_alert_deliveries')
    op.drop_table('population_alerts')
    op.drop_table('risk_alert_channels')
    op.drop_table('risk_alert_templates')
