"""Settings: defaults < TOML file < WARROOM_* environment < explicit overrides."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest

from warroom.config import load_settings
from warroom.errors import ConfigError


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No WARROOM_* variables from the outer environment leak into these tests."""
    for name in list(os.environ):
        if name.startswith("WARROOM_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults():
    settings = load_settings()
    assert settings.database_url == "sqlite:///./warroom.db"
    assert (settings.host, settings.port) == ("127.0.0.1", 8080)
    assert settings.max_body_bytes == 1024 * 1024
    assert settings.log_level == "info"
    assert settings.base_url == "http://127.0.0.1:8080"
    assert settings.severity_scheme.ids == ["P1", "P2", "P3", "P4"]


def test_environment_variables(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("WARROOM_HOST", "0.0.0.0")
    monkeypatch.setenv("WARROOM_PORT", "9000")
    monkeypatch.setenv("WARROOM_PUBLIC_URL", "https://warroom.example.com/")
    monkeypatch.setenv("WARROOM_DATABASE_URL", "sqlite:////var/lib/warroom.db")
    monkeypatch.setenv("WARROOM_LOG_LEVEL", "debug")
    settings = load_settings()
    assert (settings.host, settings.port, settings.log_level) == ("0.0.0.0", 9000, "debug")
    assert settings.database_url == "sqlite:////var/lib/warroom.db"
    assert settings.base_url == "https://warroom.example.com"


def test_toml_file_given_as_argument(tmp_path: Path):
    config = write(tmp_path / "warroom.toml", 'port = 9100\nhost = "10.0.0.1"\n')
    settings = load_settings(config)
    assert (settings.host, settings.port) == ("10.0.0.1", 9100)
    assert settings.log_level == "info"


def test_toml_file_named_by_warroom_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("WARROOM_CONFIG", str(write(tmp_path / "env.toml", "port = 9200\n")))
    assert load_settings().port == 9200


def test_the_argument_beats_warroom_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("WARROOM_CONFIG", str(write(tmp_path / "env.toml", "port = 9200\n")))
    assert load_settings(write(tmp_path / "arg.toml", "port = 9300\n")).port == 9300


def test_environment_beats_file_and_overrides_beat_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    config = write(tmp_path / "warroom.toml", 'port = 9100\nlog_level = "warning"\n')
    monkeypatch.setenv("WARROOM_PORT", "9400")
    settings = load_settings(config)
    assert settings.port == 9400
    assert settings.log_level == "warning"
    assert load_settings(config, port=9500).port == 9500


def test_missing_file_is_a_config_error(tmp_path: Path):
    with pytest.raises(ConfigError, match=r"config file .*nope\.toml does not exist"):
        load_settings(tmp_path / "nope.toml")


def test_missing_file_named_by_warroom_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("WARROOM_CONFIG", str(tmp_path / "gone.toml"))
    with pytest.raises(ConfigError, match=r"gone\.toml does not exist"):
        load_settings()


@pytest.mark.parametrize("text", ["port = \n", "[unclosed\n", 'host = "a" "b"\n', "= 1\n"])
def test_invalid_toml_is_a_config_error(tmp_path: Path, text: str):
    with pytest.raises(ConfigError, match=r"bad\.toml is not valid TOML"):
        load_settings(write(tmp_path / "bad.toml", text))


def test_a_file_that_is_not_utf8_is_a_config_error(tmp_path: Path):
    path = tmp_path / "latin1.toml"
    path.write_bytes('log_level = "d\u00e9bug"\n'.encode("latin-1"))
    with pytest.raises(ConfigError, match="is not valid TOML"):
        load_settings(path)


@pytest.mark.parametrize(
    ("env", "value", "message"),
    [
        ("WARROOM_PORT", "0", "port: Input should be greater than or equal to 1"),
        ("WARROOM_PORT", "65536", "port: Input should be less than or equal to 65535"),
        ("WARROOM_PORT", "http", "port: Input should be a valid integer"),
        ("WARROOM_MAX_BODY_BYTES", "1024", "max_body_bytes"),
        ("WARROOM_DATABASE_URL", "mysql://db/warroom", "use sqlite:///PATH or postgresql"),
        ("WARROOM_DATABASE_URL", "warroom.db", "database_url"),
    ],
)
def test_invalid_environment_values_are_config_errors(
    monkeypatch: pytest.MonkeyPatch, env: str, value: str, message: str
):
    monkeypatch.setenv(env, value)
    with pytest.raises(ConfigError, match="invalid settings") as caught:
        load_settings()
    assert message in caught.value.detail


def test_invalid_file_values_are_config_errors(tmp_path: Path):
    with pytest.raises(ConfigError, match="port: Input should be greater than or equal to 1"):
        load_settings(write(tmp_path / "w.toml", "port = -1\n"))


def test_unknown_keys_in_the_file_are_refused(tmp_path: Path):
    with pytest.raises(ConfigError, match="colour: Extra inputs are not permitted"):
        load_settings(write(tmp_path / "w.toml", 'colour = "red"\n'))


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("postgresql://u:p@db:5432/warroom", "postgresql+psycopg://u:p@db:5432/warroom"),
        ("postgres://u@db/warroom", "postgresql+psycopg://u@db/warroom"),
        ("postgresql+psycopg://u@db/warroom", "postgresql+psycopg://u@db/warroom"),
        ("sqlite:///:memory:", "sqlite:///:memory:"),
    ],
)
def test_database_urls_use_the_psycopg_driver(given: str, stored: str):
    assert load_settings(database_url=given).database_url == stored


def test_database_url_from_the_environment_is_rewritten_too(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("WARROOM_DATABASE_URL", "postgresql://postgres@127.0.0.1/x")
    assert load_settings().database_url == "postgresql+psycopg://postgres@127.0.0.1/x"


CUSTOM_SCHEME = """
[[severities]]
id = "SEV1"
name = "Emergency"
aliases = ["emergency", "red"]
ack_sla = "10m"
resolve_sla = "2h"
internal_update_every = "20m"
postmortem_required = true
postmortem_due = "3d"

[[severities]]
id = "SEV2"
name = "Routine"
aliases = ["routine"]
ack_sla = 3600
resolve_sla = "1d12h"
"""


def test_custom_severity_scheme_from_toml(tmp_path: Path):
    scheme = load_settings(write(tmp_path / "w.toml", CUSTOM_SCHEME)).severity_scheme
    assert scheme.ids == ["SEV1", "SEV2"]
    red, routine = scheme.resolve("RED"), scheme.resolve("routine")
    assert (red.id, red.name) == ("SEV1", "Emergency")
    assert red.ack_sla == timedelta(minutes=10)
    assert red.internal_update_every == timedelta(minutes=20)
    assert (red.postmortem_required, red.postmortem_due) == (True, timedelta(days=3))
    assert (routine.ack_sla, routine.resolve_sla) == (timedelta(hours=1), timedelta(hours=36))
    assert scheme.find("P1") is None
    assert scheme.assess(users_affected_pct=10).level.id == "SEV2"


def test_custom_scheme_with_colliding_aliases_is_refused(tmp_path: Path):
    text = CUSTOM_SCHEME.replace('aliases = ["routine"]', 'aliases = ["Red"]')
    with pytest.raises(ConfigError, match="'Red' names both SEV1 and SEV2"):
        load_settings(write(tmp_path / "w.toml", text))


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('ack_sla = "10m"', 'ack_sla = "soon"', "severities.0.ack_sla"),
        ('ack_sla = "10m"', 'ack_sla = "0s"', "must be longer than 0s"),
        ('ack_sla = "10m"', 'ack_sla = "99999999999d"', "too long"),
        ('id = "SEV1"', 'id = "sev one"', "severities.0.id"),
        ('ack_sla = "10m"', 'ack_sla = "10m"\npager = "loud"', "severities.0.pager"),
        ('resolve_sla = "1d12h"', "", "severities.1.resolve_sla: Field required"),
    ],
)
def test_invalid_severity_levels_are_config_errors(
    tmp_path: Path, old: str, new: str, message: str
):
    assert old in CUSTOM_SCHEME
    text = CUSTOM_SCHEME.replace(old, new)
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path / "w.toml", text))
    assert message in caught.value.detail


def test_an_empty_severity_scheme_is_refused(tmp_path: Path):
    with pytest.raises(ConfigError, match="at least one level"):
        load_settings(write(tmp_path / "w.toml", "severities = []\n"))
