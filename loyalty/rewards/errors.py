"""The errors of the rewards core: one base class, one subclass per kind of bad input.

Every error names the bad value in English and pt-BR. ``code`` is the stable machine code the
server's API and the agent's UI map to a message; the full list is in ``docs/rewards.md``.
"""

from __future__ import annotations

from enum import Enum

from loyalty.errors import LoyaltyError


class RewardsError(LoyaltyError):
    """Bad input to the points, cashback, voucher or raffle rules."""

    code = "rewards_error"


class InvalidId(RewardsError):
    """An entry, sale or origin id that is not in the documented format."""

    code = "invalid_id"


class InvalidEntry(RewardsError):
    """A ledger entry with a missing or wrong field; ``field`` names it."""

    code = "invalid_entry"

    def __init__(self, field: str, value: object, why: str, why_pt: str | None = None) -> None:
        self.field = field
        self.value = value
        super().__init__(
            f"invalid ledger entry field {field!r} = {value!r}: {why}",
            f"campo {field!r} do lançamento inválido ({value!r}): {why_pt or why}",
        )


class LedgerConflict(RewardsError):
    """Two different entries carry the same id: one of them was forged or corrupted."""

    code = "ledger_conflict"

    def __init__(self, entry_id: str) -> None:
        self.entry_id = entry_id
        super().__init__(
            f"two different ledger entries share the id {entry_id!r}",
            f"dois lançamentos diferentes com o mesmo id {entry_id!r}",
        )


class UnknownEarningKind(RewardsError):
    """A reward attributed to a rule kind the table does not list: never silently dropped."""

    code = "unknown_earning_kind"

    def __init__(self, kind: str) -> None:
        super().__init__(
            f"rule kind {kind!r} earns nothing known: add it to loyalty/rewards/currency.py",
            f"o tipo de regra {kind!r} não tem moeda: inclua-o em loyalty/rewards/currency.py",
        )
        self.kind = kind


class InvalidConfig(RewardsError):
    """A rewards setting out of range; the message names the key."""

    code = "invalid_config"


class InsufficientBalance(RewardsError):
    """A redemption above the available balance."""

    code = "insufficient_balance"

    def __init__(self, requested: object, available: object) -> None:
        self.requested = requested
        self.available = available
        super().__init__(
            f"cannot redeem {requested}: only {available} available",
            f"não é possível resgatar {requested}: saldo disponível {available}",
        )


class RedemptionError(RewardsError):
    """A redemption that breaks a rule other than the balance (fractions, above the amount due)."""

    code = "invalid_redemption"


class InvalidVoucherCode(RewardsError):
    """A typed or scanned voucher code that cannot be one of ours (typo, wrong check character)."""

    code = "invalid_voucher_code"


class VoucherRefusal(Enum):
    """Why a voucher cannot be used on this sale (stable API codes)."""

    UNKNOWN_CODE = "unknown_code"
    VOID = "void"
    NOT_YET_VALID = "not_yet_valid"
    EXPIRED = "expired"
    STORE_NOT_ALLOWED = "store_not_allowed"
    MEMBER_REQUIRED = "member_required"
    OTHER_MEMBER = "other_member"
    BELOW_MINIMUM = "below_minimum"
    ALREADY_USED = "already_used"
    NO_USES_LEFT = "no_uses_left"


_REFUSAL_TEXT: dict[VoucherRefusal, tuple[str, str]] = {
    VoucherRefusal.UNKNOWN_CODE: ("no voucher has this code", "cupom não encontrado"),
    VoucherRefusal.VOID: ("the voucher was cancelled", "o cupom foi cancelado"),
    VoucherRefusal.NOT_YET_VALID: ("the voucher is not valid yet", "o cupom ainda não vale"),
    VoucherRefusal.EXPIRED: ("the voucher has expired", "o cupom expirou"),
    VoucherRefusal.STORE_NOT_ALLOWED: (
        "the voucher is not valid in this store",
        "o cupom não vale nesta loja",
    ),
    VoucherRefusal.MEMBER_REQUIRED: (
        "the voucher belongs to a member: identify the member first",
        "o cupom é de um cliente: identifique o cliente antes",
    ),
    VoucherRefusal.OTHER_MEMBER: (
        "the voucher belongs to another member",
        "o cupom pertence a outro cliente",
    ),
    VoucherRefusal.BELOW_MINIMUM: (
        "the purchase is below the voucher's minimum",
        "a compra não atinge o valor mínimo do cupom",
    ),
    VoucherRefusal.ALREADY_USED: ("the voucher was already used", "o cupom já foi usado"),
    VoucherRefusal.NO_USES_LEFT: (
        "the voucher has no uses left",
        "o cupom não tem mais usos disponíveis",
    ),
}


class VoucherRefused(RewardsError):
    """A voucher that exists but may not be used on this sale; ``reason`` says why."""

    def __init__(self, code: str, reason: VoucherRefusal, detail: str = "") -> None:
        self.voucher_code = code
        self.reason = reason
        self.code = f"voucher_{reason.value}"
        en, pt = _REFUSAL_TEXT[reason]
        extra = f" ({detail})" if detail else ""
        super().__init__(f"voucher {code!r}: {en}{extra}", f"cupom {code!r}: {pt}{extra}")


class RaffleError(RewardsError):
    """A raffle campaign, block, ticket or Loteria Federal result that breaks the rules."""

    code = "raffle_error"


class RefundError(RewardsError):
    """A refund that cannot be applied (more than the sale, unknown sale)."""

    code = "invalid_refund"
