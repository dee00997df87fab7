"""A real SMTP server for tests (aiosmtpd) on a free port of 127.0.0.1: records what it receives, or
answers every sender with a temporary refusal."""

from __future__ import annotations

import email
import logging
import socket
import threading
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: Message


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class SmtpTestServer:
    refuse: bool = False
    received: list[Received] = field(default_factory=list)
    connections: int = 0  # sessions that greeted the server (EHLO or HELO)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> int:
        # aiosmtpd logs every SMTP command at INFO; those are the test server's lines, not the service's.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        port = free_port()
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=port)
        self._controller.start()
        return port

    def stop(self) -> None:
        self._controller.stop()

    def greeted(self) -> None:
        with self._lock:
            self.connections += 1

    def record(self, item: Received) -> None:
        with self._lock:
            self.received.append(item)


class _Handler:
    """aiosmtpd's handler hooks: count sessions, refuse senders when asked, keep each message."""

    def __init__(self, server: SmtpTestServer):
        self.server = server

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        self.server.greeted()
        session.host_name = hostname
        return responses

    async def handle_HELO(self, server: Any, session: Any, envelope: Any, hostname: str) -> str:
        self.server.greeted()
        session.host_name = hostname
        return f"250 {server.hostname}"

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        if self.server.refuse:
            return "451 4.3.0 Try again later"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.original_content or envelope.content
        self.server.record(Received(envelope.mail_from, list(envelope.rcpt_tos), email.message_from_bytes(content)))
        return "250 OK queued"
