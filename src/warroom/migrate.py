"""Schema migrations with Alembic: apply them, read the current revision, refuse stale databases."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from warroom.alerts import models as _alert_models  # noqa: F401 - registers tables
from warroom.comms import models as _comms_models  # noqa: F401 - registers tables
from warroom.db import Base
from warroom.errors import DatabaseNotReady
from warroom.escalation import models as _escalation_models  # noqa: F401 - registers tables
from warroom.incidents import models as _incident_models  # noqa: F401 - registers tables
from warroom.notifications import models as _notification_models  # noqa: F401 - registers tables
from warroom.oncall import models as _oncall_models  # noqa: F401 - registers tables
from warroom.postmortems import models as _postmortem_models  # noqa: F401 - registers tables
from warroom.runbooks import models as _runbook_models  # noqa: F401 - registers tables
from warroom.services import models as _service_models  # noqa: F401 - registers tables
from warroom.statuspage import models as _statuspage_models  # noqa: F401 - registers tables
from warroom.users import models as _user_models  # noqa: F401 - registers tables

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
metadata = Base.metadata


def alembic_config(engine: Engine) -> Config:
    """An Alembic config that runs against ``engine``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("file_template", "%%(year)d-%%(month).2d-%%(day).2d_%%(slug)s")
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to ``revision``."""
    command.upgrade(alembic_config(engine), revision)


def head_revision() -> str | None:
    """The newest migration this code knows."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(config).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None when it was never migrated."""
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError as exc:
        raise DatabaseNotReady(f"cannot reach the database: {_first_line(exc)}") from exc


def ensure_current(engine: Engine) -> None:
    """Raise DatabaseNotReady, naming the command to run, unless the schema is at head."""
    current = current_revision(engine)
    head = head_revision()
    if current == head:
        return
    if current is None:
        raise DatabaseNotReady(
            "the database has no warroom schema yet; run `warroom db upgrade` first"
        )
    raise DatabaseNotReady(
        f"the database schema is at {current} but this warroom needs {head}; "
        "run `warroom db upgrade` first"
    )


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
