"""directory changes: the clinics each revision of the directory touched

Lets a worker update its search index for the few clinics a change touched instead of reading
the whole directory again.

Revision ID: 7e4b2c9d1f30
Revises: 5c1e0f7a9b2d
Create Date: 2026-12-01 19:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7e4b2c9d1f30'
down_revision = '5c1e0f7a9b2d'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('directory_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('clinic_id', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_directory_changes'))
    )
    with op.batch_alter_table('directory_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_directory_changes_revision'), ['revision'], unique=False)


def downgrade():
    with op.batch_alter_table('directory_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_directory_changes_revision'))
    op.drop_table('directory_changes')
