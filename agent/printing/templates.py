"""Render a template from ``printer_templates/`` (data, not code) with plain-dict data.

A template is a JSON file: the data paths it ``requires``, its ``strings`` in pt-BR and
English, and a list of ``blocks`` whose text fields are Jinja2 expressions run in a sandbox
with ``StrictUndefined`` (a missing value is an error, never a blank on the slip). Block types:
``text``, ``pair``, ``rule``, ``barcode``, ``qr``, ``feed``, and the control blocks ``if``
(``test`` expression) and ``each`` (``items`` expression, ``as`` name). Filters: ``money``
(``R$ 1.234,56`` via ``loyalty.l10n.format_brl``), ``points``, ``date``, ``datetime``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import StrictUndefined, UndefinedError
from jinja2 import TemplateError as JinjaError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from loyalty.l10n import format_brl
from loyalty.money import Money

from .document import QR, Barcode, Block, Document, Feed, Pair, Rule, Text
from .errors import TemplateError
from .template_schema import LANGS as LANGS
from .template_schema import check_template

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "printer_templates"
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
# A run this long in member data is an unmasked CPF or card number: never print it.
_UNMASKED = re.compile(r"\d{7,}")


def normalize_lang(lang: str) -> str:
    """``pt``, ``pt_BR``, ``pt-br`` → ``pt-BR``; ``en``, ``en-US`` → ``en``."""
    low = lang.strip().lower().replace("_", "-")
    if low.startswith("pt"):
        return "pt-BR"
    if low.startswith("en"):
        return "en"
    raise TemplateError(
        f"language must be pt-BR or en; got {lang!r}",
        f"idioma deve ser pt-BR ou en; recebido {lang!r}",
    )


def available(directory: Path = TEMPLATES_DIR) -> list[str]:
    """Names of the templates in ``directory``."""
    return sorted(p.stem for p in directory.glob("*.json"))


def load(name: str, directory: Path = TEMPLATES_DIR) -> dict[str, Any]:
    """The parsed template ``name``.

    :raises TemplateError: for an unknown name or a file that is not a template.
    """
    if not _NAME.match(name) or not (directory / f"{name}.json").is_file():
        raise TemplateError(
            f"no printer template {name!r}; known: {', '.join(available(directory))}",
            f"modelo de impressão {name!r} não existe; há: {', '.join(available(directory))}",
        )
    return _load_file(directory / f"{name}.json")


@cache
def _load_file(path: Path) -> dict[str, Any]:
    try:
        spec: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise TemplateError(
            f"cannot read template {path}: {exc}", f"não foi possível ler o modelo {path}: {exc}"
        ) from exc
    check_template(spec, path.name)
    return spec


def render_template(
    name: str,
    data: Mapping[str, Any],
    lang: str = "pt-BR",
    directory: Path = TEMPLATES_DIR,
) -> Document:
    """The document for template ``name`` filled with ``data``.

    :param data: plain dicts (see ``printer_templates/README.md``); member fields masked.
    :param lang: ``pt-BR`` (default) or ``en``.
    :raises TemplateError: naming the missing data path, the unmasked member field or the
        broken expression.
    """
    spec = load(name, directory)
    lang = normalize_lang(lang)
    for path in spec["requires"]:
        if _lookup(data, path) is None:
            raise TemplateError(
                f"template {name!r} needs data {path!r}",
                f"modelo {name!r} precisa do dado {path!r}",
            )
    member = data.get("member")
    if isinstance(member, Mapping):
        for key, value in member.items():
            if isinstance(value, str) and _UNMASKED.search(value):
                raise TemplateError(
                    f"member.{key} looks unmasked; mask CPF and card numbers before printing",
                    f"member.{key} parece sem máscara; mascare CPF e cartão antes de imprimir",
                )
    context = {**data, "s": spec["strings"][lang], "lang": lang}
    try:
        blocks = _blocks(spec["blocks"], context, lang)
    except UndefinedError as exc:
        raise TemplateError(
            f"template {name!r}: missing data: {exc.message}",
            f"modelo {name!r}: dado ausente: {exc.message}",
        ) from exc
    except JinjaError as exc:
        raise TemplateError(f"template {name!r}: {exc}", f"modelo {name!r}: {exc}") from exc
    return Document(tuple(blocks), cut=bool(spec.get("cut", True)))


def _lookup(data: Mapping[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _blocks(specs: list[dict[str, Any]], ctx: dict[str, Any], lang: str) -> list[Block]:
    out: list[Block] = []
    for spec in specs:
        kind = spec.get("type")
        if kind == "if":
            if _expr(spec["test"], ctx, lang):
                out += _blocks(spec["blocks"], ctx, lang)
            elif "else" in spec:
                out += _blocks(spec["else"], ctx, lang)
        elif kind == "each":
            for item in _expr(spec["items"], ctx, lang) or ():
                out += _blocks(spec["blocks"], {**ctx, spec.get("as", "item"): item}, lang)
        elif kind == "text":
            out.append(
                Text(
                    _str(spec["text"], ctx, lang),
                    spec.get("align", "left"),
                    spec.get("bold", False),
                    spec.get("underline", False),
                    spec.get("size", "normal"),
                )
            )
        elif kind == "pair":
            left, right = spec["pair"]
            out.append(Pair(_str(left, ctx, lang), _str(right, ctx, lang), spec.get("bold", False)))
        elif kind == "rule":
            out.append(Rule(spec.get("char", "-")))
        elif kind == "barcode":
            out.append(Barcode(_str(spec["data"], ctx, lang), spec.get("symbology", "CODE128")))
        elif kind == "qr":
            out.append(QR(_str(spec["data"], ctx, lang), int(spec.get("size", 6))))
        elif kind == "feed":
            out.append(Feed(int(spec.get("lines", 1))))
        else:
            raise TemplateError(
                f"unknown block type {kind!r}", f"tipo de bloco {kind!r} desconhecido"
            )
    return out


def _str(source: str, ctx: dict[str, Any], lang: str) -> str:
    return str(_compiled(source, lang).render(ctx))


def _expr(source: str, ctx: dict[str, Any], lang: str) -> Any:
    return _compiled_expr(source, lang)(**ctx)


@cache
def _compiled(source: str, lang: str) -> Any:
    return _env(lang).from_string(source)


@cache
def _compiled_expr(source: str, lang: str) -> Any:
    return _env(lang).compile_expression(source, undefined_to_none=False)


@cache
def _env(lang: str) -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
    env.filters["money"] = money
    env.filters["points"] = lambda v: points(v, lang)
    env.filters["date"] = lambda v: format_date(v, lang)
    env.filters["datetime"] = lambda v: format_datetime(v, lang)
    return env


def to_money(value: Any) -> Money:
    """Money from ``Money``, ``Decimal``, ``int`` or a plain string ``"12.34"``; never float."""
    if isinstance(value, Money):
        return value
    if isinstance(value, float):
        raise TemplateError(
            f"money must not be a float: {value!r}", f"valor não pode ser float: {value!r}"
        )
    try:
        return Money(Decimal(str(value)))
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise TemplateError(
            f"not an amount of money: {value!r}", f"valor inválido: {value!r}"
        ) from exc


def money(value: Any) -> str:
    return format_brl(to_money(value))


def points(value: Any, lang: str) -> str:
    """Whole points grouped as people read them: ``1.234`` (pt-BR), ``1,234`` (en)."""
    grouped = f"{int(value):,}"
    return grouped.replace(",", ".") if lang == "pt-BR" else grouped


def _as_datetime(value: Any) -> datetime | date:
    if isinstance(value, datetime | date):
        return value
    try:
        text = str(value)
        return (
            datetime.fromisoformat(text) if "T" in text or " " in text else date.fromisoformat(text)
        )
    except ValueError as exc:
        raise TemplateError(f"not a date: {value!r}", f"data inválida: {value!r}") from exc


def format_date(value: Any, lang: str) -> str:
    when = _as_datetime(value)
    return when.strftime("%d/%m/%Y" if lang == "pt-BR" else "%Y-%m-%d")


def format_datetime(value: Any, lang: str) -> str:
    when = _as_datetime(value)
    return when.strftime("%d/%m/%Y %H:%M" if lang == "pt-BR" else "%Y-%m-%d %H:%M")
