"""The tillclub central server: Flask application factory.

``create_app(test_config=None)`` reads the configuration (defaults, TOML file, environment;
or ``test_config`` on top of the defaults in tests), checks the secrets, and wires each
resource with its own ``init_app``: logging, database, errors, job schedules, CPF cipher,
campaign cache and the API blueprints, then the head-office UI (``/admin``) and the member
portal (``/portal``).
"""

from __future__ import annotations

import base64
import time
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, g, request

from .config import (
    DEFAULTS,
    chain_time_zone,
    check_secrets,
    load_config,
    sale_bounds,
    tender_limits,
    till_adjustment_limits,
)


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the server app.

    :param test_config: settings applied over the defaults instead of reading the config file
        and environment (tests).
    :raises server.config.ConfigError: a missing secret or a malformed setting, naming the key.
    """
    from . import api, cookies, db, errors, jobs, limits
    from . import logging as server_logging
    from .security import CpfCipher
    from .services.reprice import CampaignCache

    config = dict(DEFAULTS) | dict(test_config) if test_config is not None else load_config()
    check_secrets(config)
    chain_time_zone(config)  # a bad chain_time_zone stops the start, naming the key
    app = Flask(__name__, static_folder=None)
    app.config.update(config)
    app.json.sort_keys = False  # type: ignore[attr-defined]

    server_logging.init_app(app)
    cookies.init_app(app)  # a bad session_cookie_secure stops the start, naming the key
    db.init_app(app)
    errors.init_app(app)
    jobs.init_app(app)  # a broken [jobs.*] schedule stops the start here, naming the key
    app.extensions["tillclub.cpf"] = CpfCipher(
        base64.b64decode(config["CPF_KEY"]), base64.b64decode(config["CPF_HASH_SECRET"])
    )
    app.extensions["tillclub.campaigns"] = CampaignCache()
    app.extensions["tillclub.tenders"] = tender_limits(config)
    app.extensions["tillclub.bounds"] = sale_bounds(config)
    app.extensions["tillclub.till_adjustments"] = till_adjustment_limits(config)
    limits.init_app(app)
    api.init_app(app)
    from . import admin, portal

    admin.init_app(app)
    portal.init_app(app)
    _access_log(app)
    return app


# URL parts that are secrets: a password-reset link's token is a live credential until used.
SECRET_VIEW_ARGS = ("token",)


def _logged_path() -> str:
    """The request path with every secret URL part replaced by its name in brackets."""
    path = request.path
    for name in SECRET_VIEW_ARGS:
        value = (request.view_args or {}).get(name)
        if isinstance(value, str) and value:
            path = path.replace(value, f"[{name}]")
    return path


def _access_log(app: Flask) -> None:
    import logging

    log = logging.getLogger("tillclub.server.access")

    @app.before_request
    def _start() -> None:
        g.tillclub_started = time.perf_counter()

    @app.after_request
    def _done(response: Response) -> Response:
        started = g.get("tillclub_started")
        who = g.get("terminal")
        log.info(
            "request",
            extra={
                "method": request.method,
                "path": _logged_path(),  # never the query string, body or a token
                "route": request.url_rule.rule if request.url_rule is not None else None,
                "status": response.status_code,
                "ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
                "terminal_id": who.terminal_id if who else None,
            },
        )
        return response
