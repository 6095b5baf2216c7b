"""Database engine and sessions, the declarative base and column types shared by all models."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from warroom.config import Settings

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base of every model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; all times must be timezone-aware")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


JSONDocument = JSON().with_variant(JSONB(), "postgresql")


def make_engine(settings: Settings) -> Engine:
    """An engine for the configured database, with SQLite set up for concurrent use."""
    url = settings.database_url
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        busy_timeout = settings.sqlite_busy_timeout_ms

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout)}")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        _serialize_sqlite_writes(engine, busy_timeout / 1000)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def _serialize_sqlite_writes(engine: Engine, timeout: float) -> None:
    """Queue this process's SQLite writers on a lock instead of SQLite's sleeping busy handler.

    SQLite allows one writer; contending threads otherwise poll with sleeps of up to 100 ms,
    which turns a few concurrent requests into seconds of latency. The lock is taken at a
    connection's first write and released when the connection goes back to the pool (after its
    commit or rollback). Other processes still meet SQLite's own lock and busy timeout.
    """
    lock = threading.Lock()

    @event.listens_for(engine, "before_cursor_execute")
    def _take_write_lock(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if conn.info.get("write_lock") or not statement.lstrip()[:7].upper().startswith(_WRITES):
            return
        conn.info["write_lock"] = lock.acquire(timeout=timeout)

    @event.listens_for(engine, "checkin")
    def _release_write_lock(dbapi_connection: Any, record: Any) -> None:
        if record.info.pop("write_lock", False):
            lock.release()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work is committed on success and rolled back on any error."""
    with factory() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
