"""The agents' sync API (``/api/v1``) and the health probes, one blueprint module per area."""

from __future__ import annotations

from flask import Flask

from . import changes, events, health, openapi, telemetry, terminals


def init_app(app: Flask) -> None:
    for module in (health, terminals, changes, events, openapi):
        app.register_blueprint(module.bp)
    telemetry.init_app(app)
