"""status page

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-25 11:30:00.000000
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "status_component",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("is_group", sa.Boolean(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("showcase", sa.Boolean(), nullable=False),
        sa.Column("only_show_if_degraded", sa.Boolean(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("services", _json(), nullable=False),
        sa.Column("follow_incidents", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["status_component.id"],
            name=op.f("fk_status_component_group_id_status_component"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_component")),
        sa.UniqueConstraint("public_id", name=op.f("uq_status_component_public_id")),
    )
    with op.batch_alter_table("status_component", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_status_component_group_id"), ["group_id"], unique=False
        )

    op.create_table(
        "status_subscriber",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("address", sa.String(length=2000), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("component_ids", _json(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confirmation_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_subscriber")),
        sa.UniqueConstraint("kind", "address", name=op.f("uq_status_subscriber_kind")),
        sa.UniqueConstraint("token", name=op.f("uq_status_subscriber_token")),
    )

    op.create_table(
        "status_component_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("component_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("old_status", sa.String(length=32), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("notify_pending", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["component_id"],
            ["status_component.id"],
            name=op.f("fk_status_component_change_component_id_status_component"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_component_change")),
    )
    with op.batch_alter_table("status_component_change", schema=None) as batch_op:
        batch_op.create_index(
            "ix_status_component_change_component_id_at", ["component_id", "at"], unique=False
        )
        batch_op.create_index(
            "ix_status_component_change_notify_pending", ["notify_pending"], unique=False
        )

    op.create_table(
        "status_incident",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=12), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("impact", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("monitoring_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("scheduled_for", sa.DateTime(timezone=True), nullable=True),
        sa.Column("scheduled_until", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incident.id"],
            name=op.f("fk_status_incident_incident_id_incident"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_incident")),
        sa.UniqueConstraint("incident_id", name=op.f("uq_status_incident_incident_id")),
        sa.UniqueConstraint("public_id", name=op.f("uq_status_incident_public_id")),
    )
    with op.batch_alter_table("status_incident", schema=None) as batch_op:
        batch_op.create_index("ix_status_incident_kind_status", ["kind", "status"], unique=False)

    op.create_table(
        "status_incident_component",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("component_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["component_id"],
            ["status_component.id"],
            name=op.f("fk_status_incident_component_component_id_status_component"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["status_incident.id"],
            name=op.f("fk_status_incident_component_incident_id_status_incident"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "incident_id", "component_id", name=op.f("pk_status_incident_component")
        ),
    )

    op.create_table(
        "status_incident_update",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=12), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("display_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("affected_components", _json(), nullable=False),
        sa.Column("deliver_notifications", sa.Boolean(), nullable=False),
        sa.Column("notify_pending", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["status_incident.id"],
            name=op.f("fk_status_incident_update_incident_id_status_incident"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_incident_update")),
        sa.UniqueConstraint("public_id", name=op.f("uq_status_incident_update_public_id")),
    )
    with op.batch_alter_table("status_incident_update", schema=None) as batch_op:
        batch_op.create_index(
            "ix_status_incident_update_incident_id", ["incident_id"], unique=False
        )
        batch_op.create_index(
            "ix_status_incident_update_notify_pending", ["notify_pending"], unique=False
        )


def downgrade() -> None:
    op.drop_table("status_incident_update")
    op.drop_table("status_incident_component")
    op.drop_table("status_incident")
    op.drop_table("status_component_change")
    op.drop_table("status_subscriber")
    op.drop_table("status_component")
