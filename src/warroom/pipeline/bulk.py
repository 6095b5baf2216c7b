"""Multi-row INSERTs for the ingest batch: one statement however many rows, on either database."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Integer, insert, text
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator, TypeEngine

from warroom.db import Base

_PG_ARRAY_TYPES: tuple[tuple[type[TypeEngine[Any]], str], ...] = (
    (Boolean, "boolean"),
    (Integer, "bigint"),
    (DateTime, "timestamptz"),
    (JSON, "jsonb"),
)


def insert_rows(session: Session, model: type[Base], rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (all with the same keys) into ``model``'s table in one statement."""
    if not rows:
        return
    if session.get_bind().dialect.name != "postgresql":
        session.execute(insert(model), list(rows))
        return
    table = model.__table__
    # SQLAlchemy's multi-VALUES form binds rows x columns parameters, and psycopg spends most of
    # a big batch converting them; unnest() binds one array per column instead.
    names = list(rows[0])
    casts = []
    params: dict[str, Any] = {}
    for index, name in enumerate(names):
        kind = _array_type(table.c[name].type)
        values = [row[name] for row in rows]
        if kind == "jsonb":
            values = [None if v is None else json.dumps(v) for v in values]
            casts.append(f"CAST(CAST(:p{index} AS text[]) AS jsonb[])")
        else:
            casts.append(f"CAST(:p{index} AS {kind}[])")
        params[f"p{index}"] = values
    columns = ", ".join(f'"{name}"' for name in names)
    statement = (
        f'INSERT INTO "{model.__tablename__}" ({columns}) SELECT * FROM unnest({", ".join(casts)})'
    )
    session.execute(text(statement), params)


def allocate_ids(session: Session, model: type[Base], count: int) -> list[int]:
    """``count`` new primary keys for ``model`` (from its sequence on PostgreSQL), in order."""
    if session.get_bind().dialect.name != "postgresql":
        raise ValueError("ids are allocated ahead only on PostgreSQL")
    query = text(
        f"SELECT nextval(pg_get_serial_sequence('{model.__tablename__}', 'id')) "
        "FROM generate_series(1, :count) ORDER BY 1"
    )
    return [int(i) for i in session.scalars(query, {"count": count})]


def _array_type(column_type: TypeEngine[Any]) -> str:
    if isinstance(column_type, TypeDecorator):
        column_type = column_type.impl_instance
    for sql_type, name in _PG_ARRAY_TYPES:
        if isinstance(column_type, sql_type):
            return name
    return "text"
