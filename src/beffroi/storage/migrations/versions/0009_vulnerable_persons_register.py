"""vulnerable-persons register: referents, persons, contacts, call follow-ups

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-10 09:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('register_referents',
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('granted_by', sa.BigInteger(), nullable=True),
    sa.Column('granted_at', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'user_id')
    )
    op.create_table('register_persons',
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('commune_insee', sa.String(length=5), nullable=False),
    sa.Column('last_name', sa.String(length=100), nullable=False),
    sa.Column('first_name', sa.String(length=100), nullable=False),
    sa.Column('birth_date', sa.String(length=10), nullable=True),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('phones', sa.Text(), nullable=False),
    sa.Column('needs', sa.Text(), nullable=False),
    sa.Column('lives_alone', sa.Boolean(), nullable=False),
    sa.Column('doctor', sa.String(length=200), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('enrolled_by', sa.String(length=20), nullable=False),
    sa.Column('requester', sa.String(length=200), nullable=True),
    sa.Column('request_date', sa.String(length=10), nullable=False),
    sa.Column('consent_version', sa.String(length=20), nullable=False),
    sa.Column('recorded_by', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sa.BigInteger(), nullable=False),
    sa.Column('confirmed_at', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'id')
    )
    op.create_index('ix_register_persons_confirmed', 'register_persons',
                    ['tenant_id', 'confirmed_at'], unique=False)
    op.create_table('register_contacts',
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('person_id', sa.BigInteger(), nullable=False),
    sa.Column('position', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('relation', sa.String(length=20), nullable=False),
    sa.Column('phone', sa.String(length=30), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'person_id', 'position')
    )
    op.create_table('register_calls',
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('person_id', sa.BigInteger(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('at', sa.BigInteger(), nullable=False),
    sa.Column('by_user_id', sa.BigInteger(), nullable=True),
    sa.Column('note', sa.String(length=1000), nullable=True),
    sa.PrimaryKeyConstraint('tenant_id', 'id')
    )
    op.create_index('ix_register_calls_person', 'register_calls',
                    ['tenant_id', 'person_id', 'at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_register_calls_person', table_name='register_calls')
    op.drop_table('register_calls')
    op.drop_table('register_contacts')
    op.drop_index('ix_register_persons_confirmed', table_name='register_persons')
    op.drop_table('register_persons')
    op.drop_table('register_referents')
