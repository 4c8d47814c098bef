"""alerting and notifications

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 14:38:55.470771
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('alert_events',
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('alert_id', sa.BigInteger(), nullable=False),
    sa.Column('at', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('details', sa.Text(), server_default='{}', nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'id')
    )
    with op.batch_alter_table('alert_events', schema=None) as batch_op:
        batch_op.create_index('ix_alert_events_alert', ['tenant_id', 'alert_id'], unique=False)

    op.create_table('alert_rule_states',
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('rule_id', sa.BigInteger(), nullable=False),
    sa.Column('stream_id', sa.BigInteger(), nullable=False),
    sa.Column('pending_since', sa.BigInteger(), nullable=True),
    sa.Column('active', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('recent', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('tenant_id', 'rule_id', 'stream_id')
    )
    with op.batch_alter_table('alert_rule_states', schema=None) as batch_op:
        batch_op.create_index('ix_alert_rule_states_stream', ['tenant_id', 'stream_id'],
                              unique=False)
    op.create_table('alert_rules',
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('stream_id', sa.BigInteger(), nullable=True),
    sa.Column('metric', sa.String(length=120), nullable=True),
    sa.Column('asset_kind', sa.String(length=120), nullable=True),
    sa.Column('commune_insee', sa.String(length=5), nullable=True),
    sa.Column('params', sa.Text(), nullable=False),
    sa.Column('severity', sa.String(length=10), nullable=False),
    sa.Column('enabled', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('renotify_after_s', sa.Integer(), server_default='3600', nullable=False),
    sa.Column('created_by', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'id')
    )
    with op.batch_alter_table('alert_rules', schema=None) as batch_op:
        batch_op.create_index('ix_alert_rules_metric', ['tenant_id', 'metric'], unique=False)
        batch_op.create_index('ix_alert_rules_stream', ['tenant_id', 'stream_id'], unique=False)

    op.create_table('alerts',
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('key', sa.String(length=300), nullable=False),
    sa.Column('rule_id', sa.BigInteger(), nullable=True),
    sa.Column('detector', sa.String(length=120), nullable=True),
    sa.Column('asset_id', sa.BigInteger(), nullable=True),
    sa.Column('stream_id', sa.BigInteger(), nullable=True),
    sa.Column('commune_insee', sa.String(length=5), nullable=True),
    sa.Column('domain', sa.String(length=60), nullable=True),
    sa.Column('severity', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('details', sa.Text(), nullable=False),
    sa.Column('opened_at', sa.BigInteger(), nullable=False),
    sa.Column('last_triggered_at', sa.BigInteger(), nullable=False),
    sa.Column('trigger_count', sa.Integer(), server_default='1', nullable=False),
    sa.Column('acknowledged_at', sa.BigInteger(), nullable=True),
    sa.Column('acknowledged_by', sa.BigInteger(), nullable=True),
    sa.Column('resolved_at', sa.BigInteger(), nullable=True),
    sa.Column('resolved_by', sa.BigInteger(), nullable=True),
    sa.Column('last_notified_at', sa.BigInteger(), nullable=True),
    sa.Column('escalated_at', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('tenant_id', 'id')
    )
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.create_index('ix_alerts_key', ['tenant_id', 'key', 'status'], unique=False)
        batch_op.create_index('ix_alerts_status', ['tenant_id', 'status', 'severity'], unique=False)

    op.create_table('detector_runs',
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('detector', sa.String(length=120), nullable=False),
    sa.Column('last_run_at', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('findings', sa.Integer(), server_default='0', nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('tenant_id', 'detector')
    )
    op.create_table('job_leases',
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('holder', sa.String(length=120), nullable=True),
    sa.Column('expires_at', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('last_run_at', sa.BigInteger(), nullable=True),
    sa.Column('cursor', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('notifications',
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('alert_id', sa.BigInteger(), nullable=True),
    sa.Column('user_id', sa.BigInteger(), nullable=True),
    sa.Column('webhook_id', sa.BigInteger(), nullable=True),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('target', sa.String(length=1000), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('next_attempt_at', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.Column('sent_at', sa.BigInteger(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('tenant_id', 'id')
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_alert', ['tenant_id', 'alert_id'], unique=False)
        batch_op.create_index('ix_notifications_due', ['status', 'next_attempt_at'], unique=False)

    op.create_table('oncall_weeks',
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('week_start', sa.String(length=10), nullable=False),
    sa.Column('primary_user_id', sa.BigInteger(), nullable=False),
    sa.Column('secondary_user_id', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('tenant_id', 'week_start')
    )
    op.create_table('subscriptions',
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('domains', sa.Text(), nullable=True),
    sa.Column('communes', sa.Text(), nullable=True),
    sa.Column('min_severity', sa.String(length=10), nullable=False),
    sa.Column('channel', sa.String(length=10), server_default='email', nullable=False),
    sa.Column('digest', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'id')
    )
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.create_index('ix_subscriptions_user', ['tenant_id', 'user_id'], unique=False)

    op.create_table('webhooks',
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('url', sa.String(length=1000), nullable=False),
    sa.Column('secret', sa.String(length=200), nullable=False),
    sa.Column('domains', sa.Text(), nullable=True),
    sa.Column('min_severity', sa.String(length=10), nullable=False),
    sa.Column('enabled', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'id')
    )



def downgrade() -> None:

    op.drop_table('webhooks')
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.drop_index('ix_subscriptions_user')

    op.drop_table('subscriptions')
    op.drop_table('oncall_weeks')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_due')
        batch_op.drop_index('ix_notifications_alert')

    op.drop_table('notifications')
    op.drop_table('job_leases')
    op.drop_table('detector_runs')
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_index('ix_alerts_status')
        batch_op.drop_index('ix_alerts_key')

    op.drop_table('alerts')
    with op.batch_alter_table('alert_rules', schema=None) as batch_op:
        batch_op.drop_index('ix_alert_rules_stream')
        batch_op.drop_index('ix_alert_rules_metric')

    op.drop_table('alert_rules')
    with op.batch_alter_table('alert_rule_states', schema=None) as batch_op:
        batch_op.drop_index('ix_alert_rule_states_stream')
    op.drop_table('alert_rule_states')
    with op.batch_alter_table('alert_events', schema=None) as batch_op:
        batch_op.drop_index('ix_alert_events_alert')

    op.drop_table('alert_events')

