"""The member portal (issue 11): shoppers join, show their digital card, follow their points
and cashback, activate offers, see vouchers and raffles, and exercise their LGPD rights.

Mobile first, pt-BR by default with English on request. Mounted under ``/portal`` by
:func:`init_app`; its tables live in ``server.models.portal``.
"""

from __future__ import annotations

from flask import Flask

from ..models import portal as _models  # noqa: F401  (registers the portal tables on Base)


def init_app(app: Flask) -> None:
    """Register the portal blueprint on ``app`` (after ``create_app``, whose config holds the
    ``PORTAL_*`` defaults)."""
    from .blueprint import bp, register

    if bp.name in app.blueprints:  # create_app already did it
        return
    register(app)
