"""Tokens in feed URLs never reach the access log."""

from __future__ import annotations

import logging
import logging.config

from warroom.web.logs import RedactTokens, log_config


def test_token_parameters_are_redacted_from_access_log_records():
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/api/v1/schedules/p/shifts.ics?token=wr_secret&x=1", "1.1", 200),
        None,
    )
    assert RedactTokens().filter(record)
    message = record.getMessage()
    assert "wr_secret" not in message
    assert "?token=[redacted]&x=1" in message


def test_the_server_log_config_applies_the_filter():
    config = log_config()
    assert "redact_tokens" in config["handlers"]["access"]["filters"]
    logging.config.dictConfig(config)
    handler = next(h for h in logging.getLogger("uvicorn.access").handlers)
    assert any(isinstance(f, RedactTokens) for f in handler.filters)
