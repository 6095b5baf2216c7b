"""Alembic environment: runs migrations on the engine handed over by warroom.migrate."""

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext

from warroom.db import UTCDateTime
from warroom.migrate import metadata

engine = context.config.attributes["engine"]


def render_item(kind: str, item: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Render warroom's column types as plain SQLAlchemy ones: migrations never import app code."""
    if kind == "type" and isinstance(item, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if kind == "type" and getattr(item, "_variant_mapping", None):
        autogen_context.imports.add("from sqlalchemy.dialects import postgresql")
        return 'sa.JSON().with_variant(postgresql.JSONB(), "postgresql")'
    return False


with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        render_item=render_item,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
