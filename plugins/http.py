"""The ``http`` plugin: a loopback JSON API, so a POS in any language integrates with curl.

Routes (all JSON; the shared secret in the ``X-Tillclub-Secret`` header; an optional
``Idempotency-Key`` header makes a retried call return the first answer):

=======  ===================================  ======================================
method   path                                 body
=======  ===================================  ======================================
POST     /v1/sales/{sale}/identify            ``{"code": "..."}`` or ``{"code": null}``
POST     /v1/sales/{sale}/enrol               ``{"name", "consent_terms": true, "cpf", ...}``
PUT      /v1/sales/{sale}/basket              ``{"lines": [{"sku", "qty", "unit_price", ...}]}``
POST     /v1/sales/{sale}/vouchers            ``{"code": "..."}``
PUT      /v1/sales/{sale}/tenders/points      ``{"points": 500}``
PUT      /v1/sales/{sale}/tenders/cashback    ``{"amount": "5.00"}``
POST     /v1/sales/{sale}/finalise            —
DELETE   /v1/sales/{sale}                     — (cancel before finalise)
POST     /v1/sales/{sale}/refunds             ``{"refund_id", "amount", "reason"}``
GET      /v1/sales/{sale}/slip                —
GET      /v1/health                           — (no secret needed)
=======  ===================================  ======================================

The OpenAPI document is ``docs/pos-http-api.json``; the guide is ``docs/pos-integration.md``.
"""

from __future__ import annotations

import hmac
import logging
import threading
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.serving import BaseWSGIServer, make_server

from .dispatch import Dispatcher, error_answer
from .interface import LoyaltyPort, PosPlugin, ScanSource, SlipSource

log = logging.getLogger("tillclub.plugins.http")

MAX_BODY = 256 * 1024
_ROUTES: list[tuple[str, str, str]] = [
    ("POST", "/v1/sales/<sale>/identify", "identify"),
    ("POST", "/v1/sales/<sale>/enrol", "enrol"),
    ("PUT", "/v1/sales/<sale>/basket", "price"),
    ("POST", "/v1/sales/<sale>/vouchers", "apply_voucher"),
    ("PUT", "/v1/sales/<sale>/tenders/points", "apply_points"),
    ("PUT", "/v1/sales/<sale>/tenders/cashback", "apply_cashback"),
    ("POST", "/v1/sales/<sale>/finalise", "finalise"),
    ("DELETE", "/v1/sales/<sale>", "cancel"),
    ("POST", "/v1/sales/<sale>/refunds", "refund"),
    ("GET", "/v1/sales/<sale>/slip", "slip"),
]


def create_pos_app(dispatcher: Dispatcher, secret: str) -> Flask:
    """The WSGI app of the plugin (also usable under any WSGI server)."""
    if len(secret) < 16:
        raise ValueError("the http plugin's shared secret must be at least 16 characters")
    app = Flask("tillclub.pos_http")
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY

    def reply(answer: Mapping[str, Any]) -> Response:
        status = 200 if answer["ok"] else answer["error"]["status"]
        response = jsonify(answer)
        response.status_code = status
        return response

    @app.before_request
    def _check_secret() -> Response | None:
        if request.path == "/v1/health":
            return None
        given = request.headers.get("X-Tillclub-Secret", "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            answer = error_answer(
                "unauthorized",
                "Segredo do PDV ausente ou errado (cabeçalho X-Tillclub-Secret).",
                "Missing or wrong POS secret (X-Tillclub-Secret header).",
            )
            answer["error"]["status"] = 401
            return reply(answer)
        return None

    @app.get("/v1/health")
    def health() -> Response:
        # ``loyalty``: whether the till can identify members and give points right now
        # (docs/pos-integration.md, "Loyalty unavailable"); absent for ports that do not say.
        status = getattr(dispatcher.port, "loyalty_status", None)
        if callable(status):
            return jsonify({"ok": True, "loyalty": status()})
        return jsonify({"ok": True})

    def make_view(operation: str) -> Any:
        def view(sale: str) -> Response:
            body: Any = {}
            if request.method in ("POST", "PUT") and request.content_length:
                body = request.get_json(silent=True)
                if not isinstance(body, dict):
                    return reply(error_answer(
                        "malformed_request",
                        "O corpo deve ser um objeto JSON.",
                        "The body must be a JSON object.",
                    ))  # fmt: skip
            req = dict(body) | {"operation": operation, "sale_id": sale}
            key = request.headers.get("Idempotency-Key")
            if key:
                req["operation_id"] = key
            return reply(dispatcher.handle(req))

        view.__name__ = f"op_{operation}"
        return view

    for method, rule, operation in _ROUTES:
        app.add_url_rule(rule, view_func=make_view(operation), methods=[method])

    @app.errorhandler(404)
    @app.errorhandler(405)
    @app.errorhandler(413)
    def _http_error(exc: Any) -> Response:
        answer = error_answer(
            "malformed_request", f"Requisição inválida: {exc.name}.", f"Bad request: {exc.name}."
        )
        answer["error"]["status"] = exc.code
        return reply(answer)

    return app


class HttpPlugin(PosPlugin):
    """Serves the loopback JSON API in a background thread.

    Options: ``host`` (default ``127.0.0.1``; anything else must be set on purpose),
    ``port`` (default 8765; 0 picks a free one), ``secret`` (required, ≥ 16 characters).
    """

    name = "http"

    def __init__(
        self,
        port: LoyaltyPort,
        options: Mapping[str, Any],
        slip: SlipSource | None = None,
        scans: ScanSource | None = None,
    ) -> None:
        super().__init__(port, options, slip, scans)
        secret = self.options.get("secret")
        if not isinstance(secret, str):
            raise ValueError("the http plugin needs options.secret (a shared secret string)")
        self.app = create_pos_app(Dispatcher(port, slip, scans), secret)
        self.host = str(self.options.get("host", "127.0.0.1"))
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._server = make_server(
            self.host, int(self.options.get("port", 8765)), self.app, threaded=True
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="pos-http", daemon=True
        )
        self._thread.start()
        log.info("POS HTTP API listening", extra={"url": self.url})

    @property
    def url(self) -> str:
        if self._server is None:
            return "(not started)"
        return f"http://{self.host}:{self._server.server_port}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def describe(self) -> str:
        return f"http {self.url}"
