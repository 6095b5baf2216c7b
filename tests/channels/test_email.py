"""Email channel against a real loopback SMTP server."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage

from tests.channels.conftest import SmtpServer, free_port, make_message, make_settings
from warroom.channels.base import Destination
from warroom.channels.email import EmailChannel, message_id

TO = Destination(type="email", address="oncall@example.com")


def _channel(port: int) -> EmailChannel:
    return EmailChannel(make_settings(smtp_host="127.0.0.1", smtp_port=port, smtp_security="none"))


def _received(server: SmtpServer, index: int = -1) -> EmailMessage:
    raw = server.handler.envelopes[index].original_content
    assert raw is not None
    parsed = message_from_bytes(raw, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_sends_text_and_html_with_threading_headers(smtp_server: SmtpServer) -> None:
    channel = _channel(smtp_server.port)

    first = channel.send(make_message(idempotency_key="k1"), TO)
    again = channel.send(make_message(idempotency_key="k1"), TO)
    other = channel.send(make_message(idempotency_key="k2", kind="incident.resolved"), TO)

    assert [first.ok, again.ok, other.ok] == [True, True, True], (first, again, other)
    one, two, three = (_received(smtp_server, i) for i in range(3))
    assert one["Message-ID"] == two["Message-ID"] == message_id("k1")
    assert three["Message-ID"] == message_id("k2") != one["Message-ID"]
    assert one["References"] == three["References"] == "<INC-42@warroom>"
    assert one["In-Reply-To"] == three["In-Reply-To"] == "<INC-42@warroom>"
    assert one["X-Warroom-Incident"] == "INC-42"
    assert one["X-Warroom-Idempotency-Key"] == "k1"
    assert one["Subject"] == "[SEV1] Checkout is down"
    assert smtp_server.handler.envelopes[0].rcpt_tos == ["oncall@example.com"]
    text = one.get_body(preferencelist=("plain",))
    html = one.get_body(preferencelist=("html",))
    assert text is not None
    assert "Checkout returns 500" in text.get_content()
    assert html is not None
    assert "Checkout returns 500" in html.get_content()


def test_uses_the_given_html(smtp_server: SmtpServer) -> None:
    result = _channel(smtp_server.port).send(make_message(html="<p>custom <b>html</b></p>"), TO)

    assert result.ok
    html = _received(smtp_server).get_body(preferencelist=("html",))
    assert html is not None
    assert "<b>html</b>" in html.get_content()


def test_server_down_is_retryable() -> None:
    result = _channel(free_port()).send(make_message(), TO)

    assert not result.ok
    assert result.retryable


def test_recipient_rejected_with_550_is_final(smtp_server: SmtpServer) -> None:
    smtp_server.handler.rcpt_replies[TO.address] = "550 5.1.1 No such user"

    result = _channel(smtp_server.port).send(make_message(), TO)

    assert not result.ok
    assert not result.retryable
    assert "550" in result.detail


def test_451_is_retryable(smtp_server: SmtpServer) -> None:
    smtp_server.handler.rcpt_replies[TO.address] = "451 4.7.1 Try again later"

    result = _channel(smtp_server.port).send(make_message(), TO)

    assert not result.ok
    assert result.retryable


def test_451_after_data_is_retryable(smtp_server: SmtpServer) -> None:
    smtp_server.handler.data_reply = "451 4.3.0 Temporary failure"

    result = _channel(smtp_server.port).send(make_message(), TO)

    assert not result.ok
    assert result.retryable


def test_not_configured_is_final() -> None:
    result = EmailChannel(make_settings(smtp_host="")).send(make_message(), TO)

    assert not result.ok
    assert not result.retryable
    assert result.detail == "email is not configured (WARROOM_SMTP_HOST)"


def test_bad_address_is_final(smtp_server: SmtpServer) -> None:
    bad = Destination(type="email", address="oncall@example.com\r\nBcc: x@evil.example")

    result = _channel(smtp_server.port).send(make_message(), bad)

    assert not result.ok
    assert not result.retryable
    assert smtp_server.handler.envelopes == []
