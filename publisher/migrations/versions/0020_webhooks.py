"""webhooks: subscribers, and the outbox a trigger on events fills in the transaction that wrote the event

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

# One outbox row per event and active subscriber that wants its action (``actions`` holds ",a,b,"), written by the
# database itself: whichever code path appends the event (the dispatcher's bulk inserts, the ORM, a later one),
# the row comes with it or not at all.
_SQLITE = """
CREATE TRIGGER webhook_outbox AFTER INSERT ON events
BEGIN
  INSERT INTO webhook_deliveries (subscriber_id, event_id, state, attempts, next_at, created_at)
  SELECT s.id, NEW.id, 'queued', 0, NEW.at, NEW.at FROM webhook_subscribers AS s
  WHERE s.active AND instr(s.actions, ',' || NEW.action || ',') > 0;
END
"""
# PostgreSQL: once per statement over its new rows (the dispatcher appends events a batch at a time). "OR REPLACE":
# a restore drops the tables of a newer schema, not this function, before migrating an older backup up again
_POSTGRESQL = (
    """
CREATE OR REPLACE FUNCTION webhook_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO webhook_deliveries (subscriber_id, event_id, state, attempts, next_at, created_at)
  SELECT s.id, e.id, 'queued', 0, e.at, e.at FROM new_events AS e
  JOIN webhook_subscribers AS s ON s.active AND position(',' || e.action || ',' IN s.actions) > 0;
  RETURN NULL;
END
$$
""",
    """
CREATE TRIGGER webhook_outbox AFTER INSERT ON events REFERENCING NEW TABLE AS new_events
FOR EACH STATEMENT EXECUTE FUNCTION webhook_outbox()
""",
)


def upgrade() -> None:
    with op.batch_alter_table("events") as table:
        table.add_column(sa.Column("coverage_id", sa.Integer(), nullable=True))
    op.create_table(
        "webhook_subscribers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(length=100), nullable=False, unique=True),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("secret_sealed", sa.Text(), nullable=False),
        sa.Column("actions", sa.String(length=1000), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("paused_reason", sa.Text(), nullable=True),
        sa.Column("paused_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "subscriber_id",
            sa.Integer(),
            sa.ForeignKey("webhook_subscribers.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("event_id", sa.Integer(), sa.ForeignKey("events.id"), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_owner", sa.String(length=200), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("subscriber_id", "event_id", name="uq_webhook_deliveries_event"),
    )
    op.create_index("ix_webhook_deliveries_due", "webhook_deliveries", ["state", "next_at"])
    if op.get_bind().dialect.name == "sqlite":
        op.execute(_SQLITE)
    else:
        for statement in _POSTGRESQL:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS webhook_outbox")
    else:
        op.execute("DROP TRIGGER IF EXISTS webhook_outbox ON events")
        op.execute("DROP FUNCTION IF EXISTS webhook_outbox()")
    op.drop_index("ix_webhook_deliveries_due", table_name="webhook_deliveries")
    op.drop_table("webhook_deliveries")
    op.drop_table("webhook_subscribers")
    with op.batch_alter_table("events") as table:
        table.drop_column("coverage_id")
