"""A local stand-in for the GOV.UK Notify API, on a free port of 127.0.0.1, for the tests.

It answers the requests the service makes as the Notify API documents them: POST /v2/notifications/email,
GET /v2/notifications/<id> and GET /v2/notifications?reference=...&older_than=..., each checking the
client's JSON Web Token (HS256, ``iss`` the service id, ``iat`` within 30 seconds) with the client
library's own checker. It gives Notify's documented errors: 400 ``BadRequestError`` "Template not found",
400 ``ValidationError`` "email_address Not a valid email address", 400 "Missing personalisation", 403
``AuthError``, 404 ``NoResultFound``, 429 ``RateLimitError``. Tests can make it answer 429 for a while,
answer late (after the client has given up), and set a notification's status.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from notifications_python_client.authentication import decode_jwt_token, get_token_issuer
from notifications_python_client.errors import TokenError

SERVICE_ID = "5a1e5f1a-7c3b-4f6e-9d2a-3b8c1d0e4f21"
SECRET = "0b9d7e3c-2a4f-4c1e-8f6d-9e7a5b3c1d20"
API_KEY = f"sfo_test-{SERVICE_ID}-{SECRET}"
PLACEHOLDER = re.compile(r"\(\(([^)]+)\)\)")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass
class Template:
    subject: str
    body: str

    def placeholders(self) -> set[str]:
        return set(PLACEHOLDER.findall(self.subject + self.body))

    def render(self, values: dict[str, Any]) -> tuple[str, str]:
        fill = lambda text: PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), text)  # noqa: E731
        return fill(self.subject), fill(self.body)


@dataclass
class NotifyTestServer:
    templates: dict[str, Template] = field(default_factory=dict)
    notifications: list[dict[str, Any]] = field(default_factory=list)  # newest last
    requests: list[tuple[str, str]] = field(default_factory=list)  # (method, path) of every request
    rate_limited: int = 0  # answer this many requests with 429 before serving again
    slow_sends: int = 0  # take this many emails but answer each only after ``slow_seconds``
    slow_seconds: float = 1.0
    page_size: int = 250
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> str:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.notify = self  # type: ignore[attr-defined]
        threading.Thread(target=self._server.serve_forever, args=(0.05,), name="notify-api", daemon=True).start()
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def add_template(self, subject: str, body: str) -> str:
        template_id = str(uuid.uuid4())
        self.templates[template_id] = Template(subject, body)
        return template_id

    def sent_to(self, address: str) -> list[dict[str, Any]]:
        return [n for n in self.notifications if n["email_address"] == address]

    def set_status(self, notify_id: str, status: str) -> None:
        with self._lock:
            next(n for n in self.notifications if n["id"] == notify_id)["status"] = status

    # The API ---------------------------------------------------------------------------------------

    def send_email(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        template = self.templates.get(str(body.get("template_id")))
        if template is None:
            return _error(400, "BadRequestError", "Template not found")
        address = str(body.get("email_address") or "")
        if not EMAIL.match(address):
            return _error(400, "ValidationError", "email_address Not a valid email address")
        values = body.get("personalisation") or {}
        missing = sorted(template.placeholders() - set(values))
        if missing:
            return _error(400, "BadRequestError", f"Missing personalisation: {', '.join(missing)}")
        subject, text = template.render(values)
        notification = {
            "id": str(uuid.uuid4()),
            "reference": body.get("reference"),
            "email_address": address,
            "phone_number": None,
            "type": "email",
            "status": "created",
            "template": {"id": body["template_id"], "version": 1, "uri": f"/v2/template/{body['template_id']}"},
            "subject": subject,
            "body": text,
            "personalisation": values,
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime()),
        }
        with self._lock:
            self.notifications.append(notification)
        answer = {
            "id": notification["id"],
            "reference": notification["reference"],
            "content": {"subject": subject, "body": text, "from_email": "sfo.reviews@notifications.service.gov.uk"},
            "uri": f"/v2/notifications/{notification['id']}",
            "template": notification["template"],
        }
        return 201, answer

    def get_one(self, notify_id: str) -> tuple[int, dict[str, Any]]:
        for notification in self.notifications:
            if notification["id"] == notify_id:
                return 200, _public(notification)
        return _error(404, "NoResultFound", "No result found")

    def get_all(self, query: dict[str, list[str]], base: str) -> tuple[int, dict[str, Any]]:
        reference = (query.get("reference") or [None])[0]
        older_than = (query.get("older_than") or [None])[0]
        newest_first = [n for n in reversed(self.notifications) if reference is None or n["reference"] == reference]
        if older_than:
            ids = [n["id"] for n in newest_first]
            newest_first = newest_first[ids.index(older_than) + 1 :] if older_than in ids else []
        page = newest_first[: self.page_size]
        links = {"current": f"{base}/v2/notifications"}
        if page:  # as Notify does: a next link after every page that is not empty
            links["next"] = f"{base}/v2/notifications?older_than={page[-1]['id']}"
        return 200, {"notifications": [_public(n) for n in page], "links": links}


def _public(notification: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in notification.items() if k != "personalisation"}


def _error(status: int, error: str, message: str) -> tuple[int, dict[str, Any]]:
    return status, {"status_code": status, "errors": [{"error": error, "message": message}]}


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _authorised(self) -> bool:
        header = self.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ")
        try:
            if not header.startswith("Bearer ") or get_token_issuer(token) != SERVICE_ID:
                raise TokenError("Invalid token: service id")
            decode_jwt_token(token, SECRET)
        except TokenError as problem:
            self._answer(*_error(403, "AuthError", problem.message))
            return False
        return True

    def _start(self) -> NotifyTestServer | None:
        notify: NotifyTestServer = self.server.notify  # type: ignore[attr-defined]
        with notify._lock:
            notify.requests.append((self.command, self.path))
        if not self._authorised():
            return None
        with notify._lock:
            limited = notify.rate_limited > 0
            notify.rate_limited -= limited
        if limited:
            message = "Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds"
            self._answer(*_error(429, "RateLimitError", message))
            return None
        return notify

    def do_POST(self) -> None:
        notify = self._start()
        if notify is None:
            return
        if self.path != "/v2/notifications/email":
            self._answer(*_error(404, "NotFound", "Not found"))
            return
        try:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
        except ValueError:
            self._answer(*_error(400, "BadRequestError", "Invalid JSON supplied in POST data"))
            return
        status, answer = notify.send_email(body)
        with notify._lock:
            slow = status == 201 and notify.slow_sends > 0
            notify.slow_sends -= slow
        if slow:
            time.sleep(notify.slow_seconds)  # Notify took it, but the client has stopped waiting
        self._answer(status, answer)

    def do_GET(self) -> None:
        notify = self._start()
        if notify is None:
            return
        parts = urlsplit(self.path)
        base = f"http://{self.headers.get('Host')}"
        if parts.path == "/v2/notifications":
            self._answer(*notify.get_all(parse_qs(parts.query), base))
        elif parts.path.startswith("/v2/notifications/"):
            self._answer(*notify.get_one(parts.path.rsplit("/", 1)[1]))
        else:
            self._answer(*_error(404, "NotFound", "Not found"))
