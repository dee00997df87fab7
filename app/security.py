"""What every response carries for safety, and whom the service believes about the caller's address.

- ProxyFix trusts ``SFO_TRUSTED_PROXIES`` proxies in front of the service (0 by default: the
  X-Forwarded-* headers are ignored, so nobody can claim another address to escape throttling).
- Security headers (flask-talisman): a Content-Security-Policy with no inline script or style (GOV.UK
  Frontend's one-line body script is allowed by its hash), no framing, nosniff, a Referrer-Policy,
  HSTS in production over HTTPS.
- ``Cache-Control: no-store`` on every response that does not set its own caching (pages, the API):
  signed-in pages and API answers hold personal data, which must not stay in shared or browser caches.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from flask import Flask
from flask_talisman import Talisman
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

_INLINE_SCRIPT = re.compile(r"<script[^>]*>(.*?)</script>", re.S)


def govuk_template_script_hashes() -> list[str]:
    """CSP hashes of the inline scripts in govuk-frontend-jinja's page template (one, setting js-enabled)."""
    import govuk_frontend_jinja

    template = Path(govuk_frontend_jinja.__file__).parent / "templates" / "template.html"
    scripts = _INLINE_SCRIPT.findall(template.read_text(encoding="utf-8"))
    return [f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'" for s in scripts]


def content_security_policy() -> dict[str, str | list[str]]:
    return {
        "default-src": "'self'",
        "script-src": ["'self'", *govuk_template_script_hashes()],
        # No inline styles either: bpmn-js styles its SVG through the CSSOM, which the policy allows
        # (the browser tests drive the editor and viewer and fail on any CSP violation).
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }


def register_security(app: Flask) -> None:
    proxies = int(app.config.get("SFO_TRUSTED_PROXIES") or 0)
    if proxies > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)  # type: ignore[method-assign]
    app.extensions["sfo.talisman"] = Talisman(
        app,
        force_https=False,  # TLS ends at the proxy or load balancer; HSTS tells browsers to stay on HTTPS
        strict_transport_security=app.config["SFO_ENV"] == "production",
        strict_transport_security_max_age=365 * 24 * 3600,
        strict_transport_security_include_subdomains=False,
        frame_options="DENY",
        content_security_policy=content_security_policy(),
        referrer_policy="same-origin",
        session_cookie_secure=bool(app.config["SESSION_COOKIE_SECURE"]),
        session_cookie_samesite=app.config["SESSION_COOKIE_SAMESITE"],
        feature_policy={},
        permissions_policy={"camera": "()", "microphone": "()", "geolocation": "()", "interest-cohort": "()"},
    )
    app.after_request(_no_store_unless_cacheable)


def _no_store_unless_cacheable(response: Response) -> Response:
    if "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"
    return response
