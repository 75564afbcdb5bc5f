"""Server configuration: defaults, then a TOML file, then ``TILLCLUB_SERVER_*`` variables.

Every key is listed in ``DEFAULTS`` (and documented in ``config/server.example.toml``). TOML
keys are lower case (``database_url``); Flask sees them upper case (``DATABASE_URL``). The
secrets (``secret_key``, ``cpf_key``, ``cpf_hash_secret``) have no default and must come from
the file or the environment, never from the repository.
"""

from __future__ import annotations

import base64
import binascii
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

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
    "ENROLMENT_CODE_TTL_HOURS": 72,
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_TERMINAL": "60/second;2000/minute",
    "RATELIMIT_ENROL": "10/minute",
    "LOG_LEVEL": "INFO",
    "LOG_JSON": True,
    "SQL_ECHO": False,
    "FAILPOINT_PAUSE_BEFORE_COMMIT": 0.0,
    # Days ahead the daily notice job lists expiring points and cashback (server/services/
    # expiry_notice.py), and the admin member page and the portal show "expira em".
    "EXPIRY_NOTICE_DAYS": 30,
}

SECRETS = ("SECRET_KEY", "CPF_KEY", "CPF_HASH_SECRET")
# Areas mounted on the same app keep their own keys under these prefixes (their defaults are
# applied by their init_app); values from the environment reach them as strings.
AREA_PREFIXES = ("ADMIN_", "PORTAL_")


def _known(key: str) -> bool:
    return key in DEFAULTS or key.startswith(AREA_PREFIXES)


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
            upper = key.upper()
            if not _known(upper):
                raise ConfigError(f"unknown key {key!r} in server config {str(path)!r}")
            config[upper] = value
    for name, raw in env.items():
        if name.startswith(ENV_PREFIX) and name != CONFIG_ENV:
            key = name[len(ENV_PREFIX) :]
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
