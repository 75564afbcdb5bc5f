"""The agent's one TOML config file: a pydantic model, validated on start.

A broken file stops the agent with a :class:`ConfigError` naming the key, its line in the file
and what is wrong (``server.timeout_seconds (line 12): Input should be greater than 0``).
Every key is documented in ``config/agent.example.toml``. Secrets never live here: the terminal
credential and the CPF hash secret are files the config points to.
"""

from __future__ import annotations

import re
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from loyalty.bounds import Bounds
from loyalty.errors import LoyaltyError

_ID = r"^[A-Za-z0-9_-]{1,32}$"


class ConfigError(LoyaltyError):
    """The config file cannot be used; the message names the key, the line and the problem."""

    code = "agent_config"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServerSettings(_Section):
    url: str = Field(pattern=r"^https?://[^\s/]+")
    credential_file: Path
    timeout_seconds: float = Field(default=10, gt=0, le=300)
    sync_interval_seconds: float = Field(default=15, gt=0, le=3600)
    max_backoff_seconds: float = Field(default=300, gt=0, le=86400)
    push_batch: int = Field(default=200, ge=1, le=500)
    pull_page: int = Field(default=500, ge=1, le=5000)
    first_sync_snapshot: bool = True
    snapshot_timeout_seconds: float = Field(default=600, gt=0)
    # `agent status` warns when the till's clock differs from the server's by more than this
    # (measured from the server's Date header at every sync).
    clock_skew_warning_seconds: float = Field(default=120, gt=0, le=86400)


class TerminalSettings(_Section):
    store: str = Field(pattern=_ID)
    # The store's name as printed on slips; the store id when empty.
    store_name: str = Field(default="", max_length=60)
    terminal: str | None = Field(default=None, pattern=_ID)
    timezone: str = "America/Sao_Paulo"

    @property
    def store_label(self) -> str:
        return self.store_name or self.store

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value


class StorageSettings(_Section):
    cache_path: Path
    journal_path: Path
    # Events the server acknowledged stay in the journal this many days, so a server restored
    # from an older backup gets them pushed again (docs/sync-protocol.md, "Epochs"); 0: none.
    keep_acknowledged_days: int = Field(default=30, ge=0, le=3650)


class IdentificationSettings(_Section):
    card_prefix: str = Field(default="29", pattern=r"^2[0-9]$")
    # The previous programme's card prefixes the chain declares (the server's
    # card_legacy_prefixes): those cards, imported at head office, identify their members here.
    legacy_card_prefixes: list[Annotated[str, Field(pattern=r"^[0-9A-Za-z]{1,16}$")]] = Field(
        default_factory=list
    )
    qr_public_key: Path | None = None
    qr_clock_skew_seconds: int = Field(default=90, ge=0, le=3600)
    cpf_hash_secret_file: Path | None = None


class OfflineSettings(_Section):
    max_redeem_per_sale_brl: Decimal = Field(default=Decimal("50.00"), ge=0)
    max_redeem_per_member_day_brl: Decimal = Field(default=Decimal("100.00"), ge=0)
    queue_age_warning_hours: float = Field(default=24, gt=0)


class LimitsSettings(_Section):
    """Upper bounds on what the POS may send (``loyalty.bounds``); beyond: 422 out_of_bounds."""

    max_unit_price_brl: Decimal = Field(default=Decimal("1000000.00"), gt=0)
    max_quantity: Decimal = Field(default=Decimal("100000"), gt=0)
    max_line_amount_brl: Decimal = Field(default=Decimal("10000000.00"), gt=0)
    max_sale_total_brl: Decimal = Field(default=Decimal("10000000.00"), gt=0)
    max_lines: int = Field(default=1000, ge=1, le=100000)

    @property
    def bounds(self) -> Bounds:
        return Bounds(
            unit_price=self.max_unit_price_brl,
            quantity=self.max_quantity,
            line_amount=self.max_line_amount_brl,
            sale_total=self.max_sale_total_brl,
            lines=self.max_lines,
        )


class PointsSettings(_Section):
    per_unit: int = Field(default=100, gt=0)
    unit_value_brl: Decimal = Field(default=Decimal("1.00"), gt=0)
    expiry_months: int | None = Field(default=12, gt=0)


class CashbackSettings(_Section):
    maturation_days: int = Field(default=30, ge=0)
    expiry_days: int | None = Field(default=90, gt=0)
    max_share: Decimal | None = Field(default=None, gt=0, le=1)


class PrinterSettings(_Section):
    enabled: bool = False
    language: Literal["pt-BR", "en"] = "pt-BR"
    connector: dict[str, Any] = Field(default_factory=dict)
    profile: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _target(self) -> PrinterSettings:
        if self.enabled:
            from agent.printing.worker import PrinterTarget

            try:
                PrinterTarget.from_mapping({"connector": self.connector, "profile": self.profile})
            except LoyaltyError as exc:
                raise ValueError(exc.message_en) from None
        return self


class ScannerSettings(_Section):
    model_config = ConfigDict(extra="allow", frozen=True)
    url: str = ""

    @model_validator(mode="after")
    def _scanner(self) -> ScannerSettings:
        if self.url:
            from agent.devices.serial_scanner import ScannerConfig

            try:
                ScannerConfig.from_mapping(self.model_dump())
            except LoyaltyError as exc:
                raise ValueError(exc.message_en) from None
        return self


class PosSettings(_Section):
    plugin: str = "simulated"
    # Passed to the plugin as is: http takes host/port/secret, filedrop takes folder/poll_ms/...
    options: dict[str, Any] = Field(default_factory=dict)


class StatusSettings(_Section):
    local_api_port: int = Field(default=0, ge=0, le=65535)


class AgentConfig(_Section):
    server: ServerSettings
    terminal: TerminalSettings
    storage: StorageSettings
    identification: IdentificationSettings = IdentificationSettings()
    offline: OfflineSettings = OfflineSettings()
    limits: LimitsSettings = LimitsSettings()
    points: PointsSettings = PointsSettings()
    cashback: CashbackSettings = CashbackSettings()
    printer: PrinterSettings = PrinterSettings()
    scanner: ScannerSettings = ScannerSettings()
    pos: PosSettings = PosSettings()
    status: StatusSettings = StatusSettings()


def load_config(path: str | Path) -> AgentConfig:
    """Read and validate the agent's TOML file.

    :raises ConfigError: unreadable file, bad TOML (with its line), an unknown key, a missing
        key or a bad value, naming the key and its line.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            f"cannot read agent config {str(path)!r}: {exc.strerror}",
            f"não foi possível ler a configuração {str(path)!r}: {exc.strerror}",
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{path}: not valid TOML: {exc}", f"{path}: TOML inválido: {exc}"
        ) from None
    try:
        return AgentConfig.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(part) for part in err["loc"])
        line = _line_of(text, [str(p) for p in err["loc"]])
        where = f" (line {line})" if line else ""
        onde = f" (linha {line})" if line else ""
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        elif err["type"] == "missing":
            msg = "is required"
        raise ConfigError(f"{path}: {key}{where}: {msg}", f"{path}: {key}{onde}: {msg}") from None


def _line_of(text: str, loc: list[str]) -> int | None:
    """The line where ``loc`` (section, key) is set, or its section starts; ``None`` if absent."""
    section: list[str] = []
    best: int | None = None
    header = re.compile(r"^\s*\[([^\]]+)\]\s*(#.*)?$")
    for number, raw in enumerate(text.splitlines(), start=1):
        m = header.match(raw)
        if m:
            section = [part.strip() for part in m.group(1).split(".")]
            if section == loc[: len(section)] and best is None:
                best = number
            continue
        key = (
            raw.split("=", 1)[0].strip() if "=" in raw and not raw.lstrip().startswith("#") else ""
        )
        if key and section + [key] == loc[: len(section) + 1] and len(section) + 1 >= len(loc):
            return number
    return best
