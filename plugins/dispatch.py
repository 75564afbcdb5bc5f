"""One request format for every transport: validate, call the port, answer or explain.

A request is ``{"operation": ..., "sale_id": ..., "operation_id": ..., ...arguments}``;
``identify`` takes ``"code"`` (what the POS read; ``null`` for an anonymous sale) or
``"source": "scanner"`` (the read of the scanner wired to the agent); ``enrol`` takes the
shopper's fields (``name``, ``consent_terms``, ``cpf``, ``card_number``, …) at the top level
(they go to the port as they are, without the transport's keys). The
answer is ``{"ok": true, "result": {...}}`` or ``{"ok": false, "error": {"code", "message",
"message_en", "status"}}``, with an HTTP-like ``status`` the HTTP plugin uses as is.
A repeated ``operation_id`` gets the first answer without calling the port again, so a POS
that retries after a timeout never applies a voucher or a tender twice.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from loyalty.errors import LoyaltyError

from .interface import Answer, LoyaltyPort, ScanSource, SlipSource

log = logging.getLogger("tillclub.plugins")

OPERATIONS = (
    "identify", "enrol", "price", "apply_voucher", "apply_points", "apply_cashback",
    "finalise", "cancel", "refund", "slip",
)  # fmt: skip
# Keys of a request that belong to the transport, not to an operation's arguments.
_ENVELOPE = frozenset({"operation", "sale_id", "operation_id", "request_id"})

# Error code -> HTTP status. Unlisted LoyaltyError codes are 422: well-formed, not acceptable.
_STATUS = {
    "bad_request": 400,
    "malformed_request": 400,
    "unknown_operation": 404,
    "no_such_sale": 404,
    "member_not_found": 404,
    "sale_state": 409,
    "loyalty_unavailable": 503,  # the till's cache is being rebuilt: sell without the club
    "disk_full": 507,  # the till's disk is full: nothing was recorded
    "internal": 500,
}


class RequestError(LoyaltyError):
    """A request the dispatcher cannot even pass on: missing or mistyped fields."""

    code = "malformed_request"


def error_answer(code: str, message_pt: str, message_en: str) -> Answer:
    return {
        "ok": False,
        "error": {
            "code": code,
            "message": message_pt,
            "message_en": message_en,
            "status": _STATUS.get(code, 422),
        },
    }


class Dispatcher:
    """Turns request dicts into port calls. Thread-safe.

    :param remember: how many operation ids to remember for retries.
    """

    def __init__(
        self,
        port: LoyaltyPort,
        slip: SlipSource | None = None,
        scans: ScanSource | None = None,
        remember: int = 2048,
    ) -> None:
        self.port = port
        self.slip = slip
        self.scans = scans
        self._answers: OrderedDict[str, Answer] = OrderedDict()
        self._remember = remember
        self._lock = threading.Lock()

    def handle(self, request: Mapping[str, Any]) -> Answer:
        """Answer one request; never raises for anything the POS sent."""
        op_id = request.get("operation_id") if isinstance(request, Mapping) else None
        if op_id is not None and not (isinstance(op_id, str) and 0 < len(op_id) <= 100):
            return _refuse(RequestError(
                f"operation_id must be a string of 1-100 characters: {op_id!r}",
                f"operation_id deve ter 1-100 caracteres: {op_id!r}",
            ))  # fmt: skip
        key = f"{request.get('operation')}:{op_id}" if op_id else None
        if key is not None:
            with self._lock:
                if key in self._answers:
                    return self._answers[key]
        answer = self._answer(request)
        if key is not None and answer["ok"]:
            with self._lock:
                self._answers[key] = answer
                while len(self._answers) > self._remember:
                    self._answers.popitem(last=False)
        return answer

    def _answer(self, request: Mapping[str, Any]) -> Answer:
        try:
            call = self._call_for(request)
            return {"ok": True, "result": call()}
        except LoyaltyError as exc:
            return _refuse(exc)
        except Exception:
            # The POS gets a plain answer; the traceback goes to the agent's log only.
            log.exception("plugin request failed", extra={"operation": request.get("operation")})
            return error_answer(
                "internal",
                "Erro interno do fidelidade; a venda pode seguir sem o clube.",
                "Internal loyalty error; the sale can go on without loyalty.",
            )

    def _call_for(self, r: Mapping[str, Any]) -> Callable[[], Any]:
        if not isinstance(r, Mapping):
            raise RequestError(
                "a request must be a JSON object", "a requisição deve ser um objeto JSON"
            )
        op = r.get("operation")
        if op not in OPERATIONS:
            raise _unknown(op)
        sale = _text(r, "sale_id")
        port = self.port
        if op == "identify" and r.get("source") == "scanner":
            scans = self.scans
            if scans is None:
                raise RequestError(
                    "this till has no scanner wired to the agent: send the code instead",
                    "este caixa não tem leitor ligado ao fidelidade: envie o código",
                )
            return lambda: port.identify(sale, scans())
        if op == "identify":
            code = r.get("code")
            if code is not None and not isinstance(code, str):
                raise _field("code", code, "a string or null")
            return lambda: port.identify(sale, code)
        if op == "enrol":
            # Checked by the port, whose messages never echo a CPF or a card number.
            data = {k: v for k, v in r.items() if k not in _ENVELOPE}
            return lambda: port.enrol(sale, data)
        if op == "price":
            lines = r.get("lines")
            if not isinstance(lines, list):
                raise _field("lines", lines, "a list of basket lines")
            coupons = _coupons(r)
            if coupons:
                return lambda: port.price(sale, lines, coupons)
            return lambda: port.price(sale, lines)
        if op == "apply_voucher":
            voucher = _text(r, "code")
            return lambda: port.apply_voucher(sale, voucher)
        if op == "apply_points":
            points = r.get("points")
            if isinstance(points, bool) or not isinstance(points, int) or points < 0:
                raise _field("points", points, "a whole number of points, 0 or more")
            return lambda: port.apply_points(sale, points)
        if op == "apply_cashback":
            amount = _amount(r, "amount")
            return lambda: port.apply_cashback(sale, amount)
        if op == "finalise":
            return lambda: port.finalise(sale)
        if op == "cancel":
            return lambda: port.cancel(sale)
        if op == "refund":
            refund_id, amount = _text(r, "refund_id"), _amount(r, "amount")
            reason = r.get("reason")
            if reason is not None and not isinstance(reason, str):
                raise _field("reason", reason, "a string")
            return lambda: port.refund(refund_id, sale, amount, reason)
        return lambda: self._slip(sale)

    def _slip(self, sale: str) -> Answer:
        text = self.slip(sale) if self.slip else None
        if text is None:
            raise RequestError(
                f"no slip for sale {sale!r}: it is not recorded at this till",
                f"sem comprovante para a venda {sale!r}: não registrada neste caixa",
            )
        return {"pos_sale_id": sale, "text": text}


def _refuse(exc: LoyaltyError) -> Answer:
    return error_answer(exc.code, exc.message_pt, exc.message_en)


def _unknown(op: object) -> RequestError:
    err = RequestError(
        f"unknown operation {op!r}; one of: {', '.join(OPERATIONS)}",
        f"operação desconhecida {op!r}; use uma de: {', '.join(OPERATIONS)}",
    )
    err.code = "unknown_operation"
    return err


def _field(name: str, value: object, want: str) -> RequestError:
    shown = repr(value)[:60]
    return RequestError(
        f"field {name!r} must be {want}, got {shown}",
        f"campo {name!r} inválido ({shown})",
    )


def _text(r: Mapping[str, Any], name: str) -> str:
    value = r.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > 100:
        raise _field(name, value, "a string of 1-100 characters")
    return value


def _coupons(r: Mapping[str, Any]) -> list[str]:
    """``coupon`` (one code or null) and ``coupons`` (a list) of a price call, as one list."""
    out: list[str] = []
    one = r.get("coupon")
    if one is not None:
        out.append(_text(r, "coupon"))
    many = r.get("coupons")
    if many is not None:
        if not isinstance(many, list) or len(many) > 20:
            raise _field("coupons", many, "a list of at most 20 coupon codes")
        for code in many:
            out.append(_text({"coupons": code}, "coupons"))
    return out


def _amount(r: Mapping[str, Any], name: str) -> str:
    # Amounts travel as strings ("12.50"): a JSON float has already lost the cents.
    value = r.get(name)
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _field(name, value, 'a decimal string such as "12.50"')
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise _field(name, value, 'a decimal string such as "12.50"') from None
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01")):
        raise _field(name, value, "a non-negative amount in whole cents")
    return f"{amount:f}"
