"""The portal's forms (Flask-WTF: each carries the CSRF token).

Fields only: labels are written in the templates (translated there) and the rules live in
the services, which answer in both languages. The blueprint checks the CSRF token of every
POST before any view runs (``views.before_request``).
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField, TelField


class SignUpForm(FlaskForm):
    cpf = StringField()
    name = StringField()
    email = EmailField()
    phone = TelField()
    birth_date = StringField()
    card_number = StringField()
    password = PasswordField()
    password_confirm = PasswordField()
    consent_terms = BooleanField()
    consent_email = BooleanField()
    consent_sms = BooleanField()


class SignInForm(FlaskForm):
    identifier = StringField()
    password = PasswordField()


class ResetRequestForm(FlaskForm):
    email = EmailField()


class ResetForm(FlaskForm):
    password = PasswordField()
    password_confirm = PasswordField()


class ConsentForm(FlaskForm):
    marketing_email = BooleanField()
    marketing_sms = BooleanField()


class PasswordForm(FlaskForm):
    current = PasswordField()
    password = PasswordField()
    password_confirm = PasswordField()


class DeleteForm(FlaskForm):
    password = PasswordField()
    confirm = BooleanField()


class ActionForm(FlaskForm):
    """A button that changes something (activate an offer, sign out): just the CSRF token."""
