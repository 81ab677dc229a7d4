"""report delivery: the job record of an emailed report

Revision ID: 33413431217b
Revises: 8a09893906c3
Create Date: 2026-11-25 17:00:11.646699

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '33413431217b'
down_revision = '8a09893906c3'
branch_labels = None
depends_on = None

OLD_STATUSES = ('awaiting_confirmation', 'queued', 'making', 'sent', 'failed')
NEW_STATUSES = OLD_STATUSES + ('expired',)


def _status_check(statuses):
    return "status IN (" + ", ".join(f"'{status}'" for status in statuses) + ")"


def upgrade():
    with op.batch_alter_table('report_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('confirmation_sent_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('confirm_by', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('claim_token', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_report_requests_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_report_requests_status'), ['status'], unique=False)
        batch_op.drop_constraint(batch_op.f('ck_report_requests_reportstatus'), type_='check')
        batch_op.create_check_constraint('reportstatus', _status_check(NEW_STATUSES))
    # Requests made before this revision had no confirmation deadline: their creation time is one.
    op.execute("UPDATE report_requests SET confirm_by = created_at WHERE confirm_by IS NULL")
    with op.batch_alter_table('report_requests', schema=None) as batch_op:
        batch_op.alter_column('confirm_by', existing_type=sa.DateTime(timezone=True), nullable=False)


def downgrade():
    op.execute("DELETE FROM report_requests WHERE status = 'expired'")
    with op.batch_alter_table('report_requests', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_report_requests_reportstatus'), type_='check')
        batch_op.create_check_constraint('reportstatus', _status_check(OLD_STATUSES))
        batch_op.drop_index(batch_op.f('ix_report_requests_status'))
        batch_op.drop_index(batch_op.f('ix_report_requests_expires_at'))
        batch_op.drop_column('next_attempt_at')
        batch_op.drop_column('claim_token')
        batch_op.drop_column('claimed_at')
        batch_op.drop_column('confirm_by')
        batch_op.drop_column('confirmation_sent_at')
