"""Outgoing e-mail over SMTP (password-reset links), configured by ``PORTAL_SMTP_*``."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from flask import Flask

from .settings import setting


def send_mail(app: Flask, to: str, subject: str, body: str) -> None:
    """Send a plain-text message; the caller decides what a failure means.

    :raises OSError: the server is unreachable; ``smtplib.SMTPException`` if it refuses.
    """
    msg = EmailMessage()
    msg["From"] = setting("PORTAL_MAIL_FROM", app)
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content(body)
    host, port = setting("PORTAL_SMTP_HOST", app), int(setting("PORTAL_SMTP_PORT", app))
    with smtplib.SMTP(host, port, timeout=10) as smtp:
        if setting("PORTAL_SMTP_STARTTLS", app):
            smtp.starttls()
        user = setting("PORTAL_SMTP_USER", app)
        if user:
            smtp.login(user, setting("PORTAL_SMTP_PASSWORD", app) or "")
        smtp.send_message(msg)
