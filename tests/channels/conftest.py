"""Loopback fakes for channel tests: a real SMTP server and a scriptable HTTP receiver."""

from __future__ import annotations

import socket
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from warroom.channels.base import Message
from warroom.config import Settings


def free_port() -> int:
    """A TCP port on 127.0.0.1 nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def make_message(**changes: Any) -> Message:
    """A rendered message with sensible defaults."""
    values: dict[str, Any] = {
        "kind": "incident.triggered",
        "idempotency_key": "delivery-1",
        "incident_ref": "INC-42",
        "severity": "critical",
        "subject": "[SEV1] Checkout is down",
        "text": "Checkout returns 500 for every request.",
        "url": "https://warroom.example/incidents/INC-42",
    }
    values.update(changes)
    return Message(**values)


def make_settings(**changes: Any) -> Settings:
    """Settings for channel tests, with a short delivery timeout."""
    return Settings(**{"delivery_timeout": 3.0, **changes})


@dataclass
class SmtpHandler:
    """Stores accepted envelopes; answers chosen recipients or all DATA with a scripted reply."""

    envelopes: list[Envelope] = field(default_factory=list)
    rcpt_replies: dict[str, str] = field(default_factory=dict)
    data_reply: str | None = None

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        """Refuse scripted recipients, accept the others."""
        if address in self.rcpt_replies:
            return self.rcpt_replies[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        """Store the envelope unless a DATA reply is scripted."""
        if self.data_reply is not None:
            return self.data_reply
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    """A running loopback SMTP server."""

    port: int
    handler: SmtpHandler


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1."""
    handler = SmtpHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer(port=port, handler=handler)
    finally:
        controller.stop()


@dataclass
class Reply:
    """One scripted HTTP answer."""

    status: int = 200
    body: str = "ok"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Recorded:
    """One request the receiver got."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class _Server(ThreadingHTTPServer):
    # socketserver's default backlog of 5 drops concurrent connects; real receivers don't.
    request_queue_size = 128


class Receiver:
    """A loopback HTTP server answering from a script and recording every request."""

    def __init__(self) -> None:
        self.replies: deque[Reply] = deque()
        self.requests: list[Recorded] = []
        self.default = Reply()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                receiver.requests.append(Recorded(self.command, self.path, headers, body))
                reply = receiver.replies.popleft() if receiver.replies else receiver.default
                time.sleep(reply.delay)
                payload = reply.body.encode()
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("content-length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_POST = do_GET = _answer

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.block_on_close = False
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        """The receiver's base URL, without a trailing slash."""
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def script(self, *replies: Reply) -> None:
        """Answer the next requests with these replies, then with the default."""
        self.replies.extend(replies)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A running loopback HTTP receiver."""
    server = Receiver()
    server.thread.start()
    try:
        yield server
    finally:
        server.server.shutdown()
        server.server.server_close()
