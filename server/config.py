"""Server configuration: defaults, then a TOML file, then ``TILLCLUB_SERVER_*`` variables.

Every key of every area on the app (the sync API, the head-office UI's ``ADMIN_*``, the member
portal's ``PORTAL_*``) is listed once, in ``DEFAULTS``, and documented in
``config/server.example.toml``, ``docs/admin-ui.md`` and ``docs/member-portal.md``. TOML
keys are lower case (``database_url``); Flask sees them upper case (``DATABASE_URL``). The
secrets (``secret_key``, ``cpf_key``, ``cpf_hash_secret``) have no default and must come from
the file or the environment, never from the repository.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from loyalty.bounds import Bounds
    from loyalty.rewards import TenderLimits

    from .services.till_grants import AdjustmentLimits

ENV_PREFIX = "TILLCLUB_SERVER_"
CONFIG_ENV = "TILLCLUB_SERVER_CONFIG"

DEFAULTS: dict[str, Any] = {
    "DATABASE_URL": "sqlite:///tillclub-server.db",
    "SECRET_KEY": None,
    "CPF_KEY": None,
    "CPF_HASH_SECRET": None,
    "QR_PRIVATE_KEY_PATH": None,
    "MAX_CONTENT_LENGTH": 8 * 1024 * 1024,
    "EVENTS_MAX_BATCH": 500,
    "CHANGES_DEFAULT_LIMIT": 500,
    "CHANGES_MAX_LIMIT": 5000,
    "REGISTRATION_CODE_TTL_HOURS": 72,
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_TERMINAL": "60/second;2000/minute",
    "RATELIMIT_REGISTER": "10/minute",
    "LOG_LEVEL": "INFO",
    "LOG_JSON": True,
    "SQL_ECHO": False,
    "FAILPOINT_PAUSE_BEFORE_COMMIT": 0.0,
    # Upper bounds on a pushed sale ([limits] table, the keys of the agents' [limits]:
    # loyalty.bounds.CONFIG_KEYS); a sale beyond them is rejected alone as out_of_bounds.
    "LIMITS": {},
    # What one terminal may adjust a balance by on its own ([till_adjustments] table:
    # max_points_per_entry, max_points_per_day, max_cashback_per_entry_brl,
    # max_cashback_per_day_brl; absent: 0). Beyond it a till's adjustment is held for head
    # office's approval (docs/sync-protocol.md, held entries); 0 holds every one.
    "TILL_ADJUSTMENTS": {},
    # The tills' tender rules, for re-checking pushed sales (as the agents' points.per_unit,
    # points.unit_value_brl and offline.max_redeem_per_sale_brl; "" : no cap checked).
    "POINTS_PER_UNIT": 100,
    "POINTS_UNIT_VALUE_BRL": "1.00",
    "MAX_REDEEM_PER_SALE_BRL": "50.00",
    # The chain's member card prefix (EAN-13, GS1's restricted 20-29): handed to tills at
    # registration and used for the cards the portal issues.
    "CARD_PREFIX": "29",
    # The old programme's card prefixes (a list of digit strings): imported cards starting
    # with one are kept as printed (docs/import.md); the agents list the same prefixes in
    # identification.legacy_card_prefixes to recognise them at the till.
    "CARD_LEGACY_PREFIXES": [],
    # The chain's time zone (IANA): a new store's zone unless one is given, and the zone in
    # which the campaign Agenda's days start and end (docs/admin-ui.md).
    "CHAIN_TIME_ZONE": "America/Sao_Paulo",
    # Cookies (server/cookies.py, docs/security.md): SameSite=Lax always; Secure if true, or
    # with "auto" when portal_base_url starts with https:// (the server says it is on HTTPS).
    "SESSION_COOKIE_SECURE": "auto",
    # Till clocks (server/services/ingest_clock.py, docs/sync-protocol.md): events dated this
    # many minutes past their receipt, or going back this much, and tills whose clock is off
    # by more, are listed on Sync issues.
    "CLOCK_SKEW_MINUTES": 10,
    # --- head-office web UI (docs/admin-ui.md) ---
    "ADMIN_SESSION_IDLE_MINUTES": 30,
    "ADMIN_SESSION_MAX_HOURS": 12,
    "ADMIN_LOCKOUT_THRESHOLD": 5,
    "ADMIN_LOCKOUT_MINUTES": 15,
    "ADMIN_LOGIN_RATE_LIMIT": "20/minute",  # login attempts per client address
    "ADMIN_PAGE_SIZE": 25,
    "ADMIN_POINT_VALUE": "0.01",  # BRL per point, for the liability in reports
    "ADMIN_GROSS_MARGIN": "0.25",  # share of net sales kept as margin, for value classes
    "ADMIN_SIMULATION_MAX_SALES": 50000,
    # --- member portal (docs/member-portal.md) ---
    # Sessions: a shopper stays signed in on their phone for this long (then signs in again).
    "PORTAL_SESSION_HOURS": 24 * 30,
    # Password-reset links are good once, for this many minutes.
    "PORTAL_RESET_TTL_MINUTES": 30,
    # Rate limits (Flask-Limiter syntax), per client address and per sign-in identifier.
    "PORTAL_RATELIMIT_SIGNIN": "10/minute;50/hour",
    "PORTAL_RATELIMIT_SIGNIN_PER_ID": "5/minute;20/hour",
    "PORTAL_RATELIMIT_RESET": "5/minute;20/hour",
    "PORTAL_RATELIMIT_SIGNUP": "10/minute;100/hour",
    # Outgoing mail (password resets).
    "PORTAL_SMTP_HOST": "127.0.0.1",
    "PORTAL_SMTP_PORT": 25,
    "PORTAL_SMTP_STARTTLS": False,
    "PORTAL_SMTP_USER": None,
    "PORTAL_SMTP_PASSWORD": None,
    "PORTAL_MAIL_FROM": "tillclub <no-reply@localhost>",
    # Absolute base of links in e-mails (https://clube.example.com); the request's host if unset.
    "PORTAL_BASE_URL": None,
    # Numbers for cards the portal issues (EAN-13 with CARD_PREFIX) start above this, a range
    # kept apart from pre-printed stock.
    "PORTAL_CARD_NUMBER_BASE": 9_000_000_000,
    # Digital card: how many QR tokens one fetch pre-mints, each valid 5 minutes, started
    # PORTAL_QR_STEP_SECONDS apart (12 x 4 min: the phone shows a valid code for ~49 minutes
    # without signal).
    "PORTAL_QR_TOKENS": 12,
    "PORTAL_QR_STEP_SECONDS": 240,
    # Version of the programme terms the shopper accepts at sign-up (kept in consent history).
    "PORTAL_TERMS_VERSION": "2026-01",
    # background jobs (server/jobs, docs/operations.md)
    "JOBS": {},  # per job: {"schedule": "cron fields" | "off", "batch_size": n}
    "JOBS_TIME_ZONE": "America/Sao_Paulo",
    "JOBS_STORAGE": "sqlite",  # sqlite (one shop) | redis (a chain, several workers)
    "JOBS_SQLITE_PATH": "",  # default: beside the SQLite database, <name>.jobs.db
    "JOBS_REDIS_URL": "redis://127.0.0.1:6379/0",
    "JOBS_QUEUE_NAME": "tillclub",
    "JOBS_WORKER_THREADS": 2,
    "JOBS_TICK_SECONDS": 60,
    "JOBS_LEASE_SECONDS": 120,
    "JOBS_MAX_ATTEMPTS": 5,
    "JOBS_RETRY_SECONDS": 60,
    "JOBS_EXTRA_MODULES": [],  # modules imported at start that register more jobs
    # Where the full exports of the admin UI's Exportar page are written (server/services/
    # exports, docs/export.md); default: beside the SQLite database, <name>.exports/.
    "EXPORTS_DIR": "",
    # The admin UI's Importar page: where uploaded files and their error files are kept (shared
    # by the web and the worker); default beside the SQLite database, <name>.imports/. And the
    # largest file it accepts, in MB (the app's MAX_CONTENT_LENGTH stays for everything else).
    "IMPORTS_DIR": "",
    "ADMIN_IMPORT_MAX_MB": 200,
    # LGPD retention (server/services/retention.py, docs/operations.md)
    "RETENTION_RESET_TOKEN_DAYS": 7,
    "RETENTION_PORTAL_SESSION_DAYS": 30,
    "RETENTION_REJECTED_EVENT_DAYS": 90,
    "RETENTION_ADMIN_LOGIN_DAYS": 30,
    # Days ahead the daily notice job lists expiring points and cashback (server/services/
    # expiry_notice.py), and the admin member page and the portal show "expira em".
    "EXPIRY_NOTICE_DAYS": 30,
}

SECRETS = ("SECRET_KEY", "CPF_KEY", "CPF_HASH_SECRET")


# Keys renamed since a release: the old name is still read (as the new one), so a deployed
# config file keeps working. The terminal's side is "registration" (shoppers enrol).
RENAMED = {
    "ENROLMENT_CODE_TTL_HOURS": "REGISTRATION_CODE_TTL_HOURS",
    "RATELIMIT_ENROL": "RATELIMIT_REGISTER",
}


def _known(key: str) -> bool:
    return key in DEFAULTS


class ConfigError(ValueError):
    """A missing or malformed configuration value; the message names the key."""


def _coerce(key: str, raw: str) -> Any:
    default = DEFAULTS.get(key)
    if isinstance(default, bool):
        if raw.lower() in ("1", "true", "yes", "on"):
            return True
        if raw.lower() in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{ENV_PREFIX}{key}: expected true/false, got {raw!r}")
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"{ENV_PREFIX}{key}: expected an integer, got {raw!r}") from None
    if isinstance(default, dict | list):
        # tables and lists (jobs, jobs_extra_modules) come from the environment as JSON
        try:
            value = json.loads(raw)
        except ValueError:
            raise ConfigError(f"{ENV_PREFIX}{key}: expected JSON, got {raw!r}") from None
        if not isinstance(value, type(default)):
            raise ConfigError(f"{ENV_PREFIX}{key}: expected a JSON {type(default).__name__}")
        return value
    if isinstance(default, float):
        try:
            return float(raw)
        except ValueError:
            raise ConfigError(f"{ENV_PREFIX}{key}: expected a number, got {raw!r}") from None
    return raw


def load_config(
    path: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Merge defaults, the TOML file at ``path`` (or ``$TILLCLUB_SERVER_CONFIG``) and the env.

    :raises ConfigError: unreadable file, bad TOML, unknown key, or a value of the wrong type.
    """
    env = os.environ if env is None else env
    config = dict(DEFAULTS)
    path = path or env.get(CONFIG_ENV)
    if path:
        try:
            with open(path, "rb") as fh:
                data = tomllib.load(fh)
        except OSError as exc:
            raise ConfigError(f"cannot read server config {str(path)!r}: {exc.strerror}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"server config {str(path)!r} is not valid TOML: {exc}") from None
        for key, value in data.items():
            upper = RENAMED.get(key.upper(), key.upper())
            if not _known(upper):
                raise ConfigError(f"unknown key {key!r} in server config {str(path)!r}")
            config[upper] = value
    for name, raw in env.items():
        if name.startswith(ENV_PREFIX) and name != CONFIG_ENV:
            key = RENAMED.get(name[len(ENV_PREFIX) :], name[len(ENV_PREFIX) :])
            if not _known(key):
                raise ConfigError(f"unknown environment variable {name}")
            config[key] = _coerce(key, raw)
    days = config["EXPIRY_NOTICE_DAYS"]
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 366:
        raise ConfigError(f"expiry_notice_days must be a whole number from 1 to 366, got {days!r}")
    return config


def check_secrets(config: Mapping[str, Any]) -> None:
    """Fail early, naming the key, when a secret is missing or too weak.

    :raises ConfigError: for a missing ``secret_key``, ``cpf_key`` or ``cpf_hash_secret``.
    """
    for key in SECRETS:
        if not config.get(key):
            raise ConfigError(
                f"missing secret {key.lower()!r}: set it in the config file or {ENV_PREFIX}{key} "
                "(generate a file with 'tillclub server init-config')"
            )
    decode_key(config["CPF_KEY"], "cpf_key", sizes=(32,))
    decode_key(config["CPF_HASH_SECRET"], "cpf_hash_secret", sizes=tuple(range(16, 129)))


def chain_time_zone(config: Mapping[str, Any]) -> str:
    """The chain's time zone (``chain_time_zone``), checked.

    :raises ConfigError: not an IANA time zone name, naming the key.
    """
    from .timezones import is_zone

    value = config.get("CHAIN_TIME_ZONE")
    if not is_zone(value):
        raise ConfigError(
            f"chain_time_zone: unknown time zone {value!r} (use an IANA name such as "
            '"America/Sao_Paulo")'
        )
    return str(value)


def sale_bounds(config: Mapping[str, Any]) -> Bounds:
    """The upper bounds a pushed sale must keep, from the ``[limits]`` table (the same keys as
    the agents' ``[limits]``; absent keys keep ``loyalty.bounds.DEFAULT_BOUNDS``). Set both to
    the same values: a sale the till accepted and the server refuses is parked on Sync issues.

    :raises ConfigError: not a table, an unknown key, or a value that is no positive bound.
    """
    import json

    from loyalty.bounds import Bounds

    raw = config.get("LIMITS") or {}
    if isinstance(raw, str):  # from the environment: a JSON object
        try:
            raw = json.loads(raw)
        except ValueError:
            raise ConfigError("limits: expected a JSON object of bounds") from None
    if not isinstance(raw, Mapping):
        raise ConfigError("limits: expected a table such as [limits] max_lines = 1000")
    try:
        return Bounds.from_config(dict(raw))
    except ValueError as exc:
        raise ConfigError(f"limits: {exc}") from None


def till_adjustment_limits(config: Mapping[str, Any]) -> AdjustmentLimits:
    """What one terminal may adjust a balance by on its own, from ``[till_adjustments]``.

    :raises ConfigError: not a table, an unknown key, or a value that is no amount ≥ 0.
    """
    from .services.till_grants import AdjustmentLimits

    raw = config.get("TILL_ADJUSTMENTS") or {}
    if not isinstance(raw, Mapping):
        raise ConfigError("till_adjustments: expected a table such as [till_adjustments]")
    try:
        return AdjustmentLimits.from_config(dict(raw))
    except ValueError as exc:
        raise ConfigError(f"till_adjustments: {exc}") from None


def tender_limits(config: Mapping[str, Any]) -> TenderLimits:
    """The tills' tender rules from ``points_per_unit``, ``points_unit_value_brl`` and
    ``max_redeem_per_sale_brl``, with which pushed sales' redemptions are re-checked.

    :raises ConfigError: a value that is not a positive whole number or a BRL amount.
    """
    from decimal import Decimal, InvalidOperation

    from loyalty.errors import LoyaltyError
    from loyalty.money import Money
    from loyalty.rewards import PointsConfig, TenderLimits

    def brl(key: str, value: object) -> Money:
        try:
            amount = Decimal(str(value))
            if not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01")):
                raise ValueError
            return Money(amount)
        except (InvalidOperation, ValueError, TypeError):
            raise ConfigError(f'{key.lower()}: expected a BRL amount such as "50.00"') from None

    per_unit = config["POINTS_PER_UNIT"]
    try:
        points = PointsConfig(
            per_unit, brl("POINTS_UNIT_VALUE_BRL", config["POINTS_UNIT_VALUE_BRL"])
        )
    except LoyaltyError:
        raise ConfigError(
            f"points_per_unit and points_unit_value_brl must be positive: {per_unit!r}"
        ) from None
    cap = config["MAX_REDEEM_PER_SALE_BRL"]
    return TenderLimits(points, None if cap in ("", None) else brl("MAX_REDEEM_PER_SALE_BRL", cap))


def decode_key(value: str, name: str, *, sizes: tuple[int, ...]) -> bytes:
    """Decode a base64 key, checking its length in bytes.

    :raises ConfigError: not base64, or the wrong length.
    """
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise ConfigError(f"{name} must be base64") from None
    if len(raw) not in sizes:
        raise ConfigError(
            f"{name} must decode to {sizes[0]}{'+' if len(sizes) > 1 else ''} bytes, got {len(raw)}"
        )
    return raw


def new_config_text(database_url: str) -> str:
    """A minimal config file with freshly generated secrets (for ``init-config``)."""

    def b64(n: int) -> str:
        return base64.b64encode(os.urandom(n)).decode("ascii")

    return (
        "# tillclub server config, generated; keep this file secret (chmod 600).\n"
        "# Every key is documented in config/server.example.toml.\n"
        f'database_url = "{database_url}"\n'
        f'secret_key = "{b64(32)}"\n'
        f'cpf_key = "{b64(32)}"\n'
        f'cpf_hash_secret = "{b64(32)}"\n'
    )


def write_new_config(path: Path, database_url: str) -> None:
    """Create ``path`` (mode 600) with new secrets; refuse to overwrite an existing file."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(new_config_text(database_url))
