"""Settings from ``WARROOM_*`` environment variables and an optional TOML file; built once."""

from __future__ import annotations

import hashlib
import os
import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from warroom.durations import Duration
from warroom.errors import ConfigError
from warroom.notifications.egress import EgressGuard
from warroom.severity import DEFAULT_LEVELS, SeverityLevel, SeverityScheme


class Settings(BaseSettings):
    """Everything configurable; environment variables win over the config file."""

    model_config = SettingsConfigDict(env_prefix="WARROOM_", extra="forbid")

    database_url: str = "sqlite:///./warroom.db"
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    public_url: str = Field(
        default="", description="Base URL people use to reach warroom, for links in messages"
    )
    max_body_bytes: int = Field(default=1024 * 1024, ge=512 * 1024)
    sqlite_busy_timeout_ms: int = Field(default=5000, ge=0)
    log_level: str = "info"
    engine_interval: float = Field(
        default=1.0, gt=0, le=3600, description="seconds between engine cycles"
    )
    resolve_quiet_period: Duration = Field(
        default=timedelta(minutes=15),
        description="how long an incident whose alerts all resolved stays quiet before resolving",
    )
    ingest_rate_limit_per_minute: int = Field(
        default=0, ge=0, description="events a minute each integration may send; 0 = unlimited"
    )
    sns_cert_dir: str | None = Field(
        default=None, description="directory of SNS signing certificates (PEM) for air-gapped use"
    )
    smtp_host: str = Field(default="", description="SMTP server for email; empty = no email")
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_security: str = Field(
        default="starttls", pattern="^(starttls|tls|none)$", description="starttls, tls or none"
    )
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_from: str = Field(default="warroom@localhost", description="From address of emails")
    slack_bot_token: str = Field(default="", description="bot token for chat.postMessage")
    slack_api_url: str = Field(
        default="https://slack.com/api/", description="Slack Web API base URL"
    )
    slack_signing_secret: str = Field(
        default="", description="Slack app signing secret; turns on the message buttons"
    )
    egress_allow: str = Field(
        default="",
        description="comma-separated addresses or CIDRs outgoing messages may reach although "
        "private, loopback or link-local",
    )
    template_dir: str | None = Field(
        default=None, description="directory of Jinja2 templates overriding the message wording"
    )
    comms_slack_channel: str = Field(
        default="",
        pattern=r"^(|#[a-z0-9][a-z0-9._-]{0,79}|[CG][A-Z0-9]{6,20})$",
        description="Slack channel (id such as C0123ABCD, or #name) that internal status updates "
        "are posted to; empty = none",
    )
    delivery_max_attempts: int = Field(
        default=5, ge=1, le=20, description="attempts per contact method before falling over"
    )
    delivery_timeout: float = Field(
        default=10.0, gt=0, le=120, description="seconds one send attempt may take"
    )
    delivery_concurrency: int = Field(default=32, ge=1, le=1000)
    delivery_rate_per_minute: int = Field(
        default=10,
        ge=0,
        description="messages a minute per contact method, the rest bundled; 0 = no limit",
    )
    severities: list[SeverityLevel] = Field(default_factory=lambda: list(DEFAULT_LEVELS))
    status_page_name: str = Field(
        default="warroom", min_length=1, max_length=200, description="public status page title"
    )
    status_page_url: str = Field(
        default="", description="public URL of the status page; empty = public_url + /status"
    )
    status_page_time_zone: str = Field(
        default="UTC", description="IANA time zone the status page shows times and days in"
    )
    status_page_id: str = Field(
        default="",
        pattern=r"^[a-z0-9]{0,32}$",
        description="stable page id in the Statuspage JSON; empty = derived from the page URL",
    )

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        for plain in ("postgres://", "postgresql://"):
            if value.startswith(plain):
                return "postgresql+psycopg://" + value[len(plain) :]
        if not value.startswith(("sqlite://", "postgresql+psycopg://")):
            raise ValueError("use sqlite:///PATH or postgresql+psycopg://USER@HOST/DB")
        return value

    @field_validator("egress_allow")
    @classmethod
    def _egress_allow(cls, value: str) -> str:
        EgressGuard.from_setting(value)
        return value

    @field_validator("status_page_time_zone")
    @classmethod
    def _time_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {value!r}; e.g. Europe/Berlin") from None
        return value

    @property
    def status_page_public_url(self) -> str:
        """Where the public status page is reached, without a trailing slash."""
        return (self.status_page_url or f"{self.base_url}/status").rstrip("/")

    @property
    def status_page_page_id(self) -> str:
        """The page id in Statuspage JSON: configured, else stable for the page URL."""
        digest = hashlib.sha256(self.status_page_public_url.encode()).hexdigest()
        return self.status_page_id or digest[:12]

    @property
    def egress_guard(self) -> EgressGuard:
        """The guard outgoing messages pass, with this allow list."""
        return EgressGuard.from_setting(self.egress_allow)

    @property
    def severity_scheme(self) -> SeverityScheme:
        """The configured severity scheme."""
        return SeverityScheme(self.severities)

    @property
    def base_url(self) -> str:
        """Where warroom is reached, without a trailing slash."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Build settings: defaults < TOML file (``--config``/WARROOM_CONFIG) < env < overrides."""
    named = config_file or (
        Path(os.environ["WARROOM_CONFIG"]) if os.environ.get("WARROOM_CONFIG") else None
    )
    if named is not None and not named.is_file():
        raise ConfigError(f"config file {named} does not exist")

    class _FileSettings(Settings):
        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
            if named is not None:
                sources.append(TomlConfigSettingsSource(settings_cls, toml_file=named))
            return tuple(sources)

    try:
        settings = _FileSettings(**overrides)
        settings.severity_scheme  # noqa: B018 - validates the scheme as a whole
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {named} is not valid TOML: {exc}") from exc
    except OSError as exc:
        raise ConfigError(f"config file {named} cannot be read: {exc}") from exc
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigError(f"invalid settings: {problems}") from exc
    return settings
