"""The issue's example document, and a snapshot of every row to prove nothing was written."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from warroom.change import Change
from warroom.configcode.apply import Plan, apply
from warroom.migrate import metadata
from warroom.severity import DEFAULT_SCHEME

EXAMPLE = """\
users:
  - {handle: alice, name: Alice Doe, email: alice@example.com, time_zone: Europe/Berlin}
  - {handle: bob, name: Bob Roe, email: bob@example.com, time_zone: Europe/Berlin}
  - {handle: carol, name: Carol Poe, email: carol@example.com}
schedules:
  - name: payments-primary
    time_zone: Europe/Berlin
    rotations: [{name: weekly, length: 1w, handoff: "2026-11-02T09:00", users: [alice, bob]}]
escalation_policies:
  - name: payments
    repeat: 1
    steps:
      - {after: 0s, targets: [{schedule: payments-primary}]}
      - {after: 15m, targets: [{user: bob}]}
stakeholders:
  - {severity: P1, after: 60m, notify: [{user: carol}]}
services:
  - {name: checkout-api, escalation_policy: payments}
"""

Snapshot = dict[str, list[tuple[Any, ...]]]


def snapshot(engine: Engine) -> Snapshot:
    """Every row of every table, as plain tuples."""
    with engine.connect() as connection:
        return {
            table.name: sorted(
                (tuple(repr(v) for v in row) for row in connection.execute(select(table))),
            )
            for table in metadata.sorted_tables
        }


ApplyText = Callable[..., Plan]


@pytest.fixture
def apply_text(session: Session, change: Change) -> ApplyText:
    """Apply a document through the service and commit, as the CLI and API do."""

    def run(document: str, *, dry_run: bool = False) -> Plan:
        plan = apply(
            session, change=change, scheme=DEFAULT_SCHEME, document=document, dry_run=dry_run
        )
        session.commit()
        return plan

    return run
