"""Migrations create exactly the models' schema; serve and readyz refuse stale databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from warroom.config import load_settings
from warroom.db import make_engine
from warroom.errors import DatabaseNotReady
from warroom.migrate import current_revision, ensure_current, head_revision, metadata, upgrade
from warroom.web.app import create_app


def test_migrations_match_the_models(engine: Engine):
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []
    assert current_revision(engine) == head_revision()


def test_migration_file_names_follow_the_date_slug_convention():
    versions = Path(__file__).parents[1] / "src/warroom/migrations/versions"
    names = sorted(p.name for p in versions.glob("*.py"))
    assert names
    assert all(len(n) > 11 and n[4] == "-" and n[7] == "-" and n[10] == "_" for n in names)


def test_unmigrated_database_is_refused_with_the_command_to_run(tmp_path: Path):
    engine = make_engine(load_settings(database_url=f"sqlite:///{tmp_path}/empty.db"))
    with pytest.raises(DatabaseNotReady, match="warroom db upgrade"):
        ensure_current(engine)
    upgrade(engine)
    ensure_current(engine)
    upgrade(engine)  # idempotent
    assert current_revision(engine) == head_revision()


def test_readyz_reports_an_unmigrated_database_and_healthz_stays_up(tmp_path: Path):
    settings = load_settings(database_url=f"sqlite:///{tmp_path}/empty.db")
    engine = make_engine(settings)
    with TestClient(create_app(settings, engine=engine)) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        response = client.get("/readyz")
        assert response.status_code == 503
        assert "warroom db upgrade" in response.json()["detail"]
        upgrade(engine)
        assert client.get("/readyz").json() == {"status": "ready", "revision": head_revision()}


def test_readyz_on_a_migrated_database(client: TestClient):
    assert client.get("/readyz").status_code == 200


def test_unreachable_database_is_503_not_500(tmp_path: Path):
    settings = load_settings(database_url="postgresql+psycopg://nobody@127.0.0.1:1/none")
    with TestClient(create_app(settings)) as client:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert "cannot reach the database" in response.json()["detail"]
        declared = client.get("/api/v1/incidents", headers={"Authorization": "Bearer wr_anything"})
        assert declared.status_code == 503
        assert declared.headers["retry-after"] == "5"
