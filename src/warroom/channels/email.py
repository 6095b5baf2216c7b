"""Email channel: SMTP with text and HTML parts, stable Message-IDs and per-incident threading."""

from __future__ import annotations

import hashlib
import html
import re
import smtplib
import ssl
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import formatdate

from warroom.channels.base import Destination, Message, SendResult
from warroom.channels.egress_types import Guard
from warroom.config import Settings

MSGID_DOMAIN = "warroom"
_SAFE_REF = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_ADDRESS = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+$")


def message_id(idempotency_key: str) -> str:
    """The Message-ID of a message: the same on every retry, different for another key."""
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
    return f"<{digest}@{MSGID_DOMAIN}>"


def thread_id(incident_ref: str) -> str:
    """The id every message of one incident refers to, so mail clients thread them together."""
    if _SAFE_REF.match(incident_ref):
        return f"<{incident_ref}@{MSGID_DOMAIN}>"
    return f"<incident-{hashlib.sha256(incident_ref.encode()).hexdigest()[:32]}@{MSGID_DOMAIN}>"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _html_from_text(text: str) -> str:
    body = html.escape(text).replace("\n", "<br>\n")
    style = "font-family:sans-serif"
    return f'<!DOCTYPE html>\n<html><body><div style="{style}">{body}</div></body></html>\n'


def build_email(message: Message, sender: str, recipient: str) -> EmailMessage:
    """The email for a message: text with an HTML alternative and threading headers."""
    email = EmailMessage()
    email["From"] = sender
    email["To"] = recipient
    email["Subject"] = _one_line(message.subject)
    email["Date"] = formatdate(localtime=False, usegmt=True)
    email["Message-ID"] = message_id(message.idempotency_key)
    root = thread_id(message.incident_ref)
    email["In-Reply-To"] = root
    email["References"] = root
    email["X-Warroom-Incident"] = _one_line(message.incident_ref)
    email["X-Warroom-Idempotency-Key"] = _one_line(message.idempotency_key)
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(message.text or message.subject)
    email.add_alternative(message.html or _html_from_text(message.text), subtype="html")
    return email


def _reply_result(code: int, what: str) -> SendResult:
    return SendResult(ok=False, retryable=400 <= code < 500, detail=f"SMTP {code}: {what}")


class EmailChannel:
    """Sends one email per message through the configured SMTP server."""

    type = "email"

    def __init__(
        self,
        settings: Settings,
        *,
        guard: Guard | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        # guard and clock are accepted for a uniform constructor; the SMTP host is operator-set.
        self._settings = settings

    def _connect(self) -> smtplib.SMTP:
        s = self._settings
        timeout = s.delivery_timeout
        if s.smtp_security == "tls":
            context = ssl.create_default_context()
            return smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, timeout=timeout, context=context)
        smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=timeout)
        if s.smtp_security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        return smtp

    def send(self, message: Message, destination: Destination) -> SendResult:
        """Send the message once to the destination address over SMTP."""
        s = self._settings
        if not s.smtp_host:
            return SendResult(ok=False, detail="email is not configured (WARROOM_SMTP_HOST)")
        recipient = destination.address.strip()
        if not _ADDRESS.match(recipient):
            return SendResult(ok=False, detail="not an email address")
        try:
            email = build_email(message, s.smtp_from, recipient)
        except ValueError:
            return SendResult(ok=False, detail="the message cannot be put into an email")
        try:
            with self._connect() as smtp:
                if s.smtp_username:
                    smtp.login(s.smtp_username, s.smtp_password)
                smtp.send_message(email, from_addr=s.smtp_from, to_addrs=[recipient])
        except smtplib.SMTPRecipientsRefused as exc:
            code = min((reply[0] for reply in exc.recipients.values()), default=550)
            return _reply_result(code, "recipient refused")
        except smtplib.SMTPAuthenticationError as exc:
            return SendResult(ok=False, detail=f"SMTP {exc.smtp_code}: authentication failed")
        except smtplib.SMTPResponseException as exc:
            return _reply_result(exc.smtp_code, type(exc).__name__)
        except smtplib.SMTPNotSupportedError:
            return SendResult(ok=False, detail="the SMTP server does not support STARTTLS or AUTH")
        except ssl.SSLCertVerificationError:
            return SendResult(ok=False, detail="the SMTP server's certificate is not trusted")
        except smtplib.SMTPServerDisconnected:
            return SendResult(ok=False, retryable=True, detail="SMTP server disconnected")
        except smtplib.SMTPException as exc:
            return SendResult(ok=False, detail=f"SMTP error: {type(exc).__name__}")
        except TimeoutError:
            return SendResult(ok=False, retryable=True, detail="timed out")
        except OSError as exc:
            return SendResult(
                ok=False, retryable=True, detail=f"connection failed: {type(exc).__name__}"
            )
        return SendResult(ok=True, detail="accepted by the SMTP server")
