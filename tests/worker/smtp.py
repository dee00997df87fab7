"""A tiny SMTP server on 127.0.0.1 for tests: records what it receives, or refuses every sender."""

from __future__ import annotations

import email
import socketserver
import threading
from dataclasses import dataclass, field
from email.message import Message


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: Message


@dataclass
class FakeSmtpServer:
    refuse: bool = False
    received: list[Received] = field(default_factory=list)
    connections: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> int:
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Session)
        self._server.daemon_threads = True
        self._server.fake = self  # type: ignore[attr-defined]
        serve = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="fake-smtp", daemon=True)
        serve.start()
        return int(self._server.server_address[1])

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def record(self, item: Received) -> None:
        with self._lock:
            self.received.append(item)


def _address(argument: str) -> str:
    return argument[argument.index("<") + 1 : argument.rindex(">")]


class _Session(socketserver.StreamRequestHandler):
    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        fake: FakeSmtpServer = self.server.fake  # type: ignore[attr-defined]
        with fake._lock:
            fake.connections += 1
        self.reply("220 fake.test ESMTP")
        sender, recipients = "", []
        while line := self.rfile.readline():
            verb, _, argument = line.decode().strip().partition(" ")
            verb = verb.upper()
            if verb in ("EHLO", "HELO", "NOOP"):
                self.reply("250 fake.test")
            elif verb == "MAIL" and fake.refuse:
                self.reply("451 4.3.0 Try again later")
            elif verb == "MAIL":
                sender, recipients = _address(argument), []
                self.reply("250 OK")
            elif verb == "RCPT":
                recipients.append(_address(argument))
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                fake.record(Received(sender, recipients, email.message_from_bytes(self._read_data())))
                self.reply("250 OK queued")
            elif verb == "RSET":
                sender, recipients = "", []
                self.reply("250 OK")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("502 Command not implemented")

    def _read_data(self) -> bytes:
        lines = []
        while (line := self.rfile.readline()) not in (b".\r\n", b""):
            lines.append(line[1:] if line.startswith(b"..") else line)
        return b"".join(lines)
