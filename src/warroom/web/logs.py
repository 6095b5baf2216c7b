"""Server logging: uvicorn's configuration with API tokens redacted from access-log URLs."""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

from uvicorn.config import LOGGING_CONFIG

_TOKEN_PARAMETER = re.compile(r"([?&]token=)[^&\s]*")


class RedactTokens(logging.Filter):
    """Replaces ``token=…`` in a logged request path (calendar feeds carry tokens in the URL)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _TOKEN_PARAMETER.sub(r"\1[redacted]", a) if isinstance(a, str) else a
                for a in record.args
            )
        return True


def log_config() -> dict[str, Any]:
    """uvicorn's default logging with the access log passed through RedactTokens."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_tokens"] = {"()": RedactTokens}
    config["handlers"]["access"].setdefault("filters", []).append("redact_tokens")
    return config
