"""The per-terminal sale state machine, as a plain Python API for the POS plugins.

States per POS sale id: *open* (identified and/or priced) → *recorded* (finalised), or gone
(cancelled); a shopper may also join the club on a sale (:meth:`SaleService.enrol`). Every
call is idempotent by the POS's ids: identifying or pricing again replaces what was there; a
tender call sets the tender (it does not add); finalising a sale already recorded returns the
first answer, read back from the journal, even after a restart; an enrolment retried on the
same sale returns the first one.

Nothing here touches the network (DESIGN.md invariant 3): members, rules, vouchers and
balances come from the cache; the sale, its ledger entries and its outbox events go to the
journal in one durable transaction before :meth:`SaleService.finalise` answers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from loyalty.bounds import check_length
from loyalty.errors import LoyaltyError
from loyalty.identification import Identification
from loyalty.l10n import format_brl
from loyalty.money import Money
from loyalty.pricing import (
    BasketLine,
    MemberContext,
    VoucherApplication,
    price,
)
from loyalty.rewards import (
    Currency,
    LedgerEntry,
    Voucher,
    VoucherUse,
    balance,
    normalize_code,
    redeem_voucher,
)
from loyalty.rewards.offline_caps import CapReason

from ..cache import CachedMember, CachedOffer, CacheLookups, Rules
from ..journal import Counters, Journal, Write
from . import build, limits
from .enrol import prepare as prepare_enrolment
from .errors import BadRequest, CouponRefused, NoSuchSale, SaleStateError, TenderRefused
from .ledger import LedgerMemo
from .lookup import find_member
from .product_check import check_basket
from .raffle import RaffleSource
from .record import sale_write
from .refund import refund_sale_write
from .state import OpenSale, SaleSettings
from .tenders import allowance
from .wording import cap_reason

Clock = Callable[[], datetime]
Recorded = Callable[[dict[str, Any]], None]


class SaleService:
    """The sale flow of one terminal. Thread-safe: one lock around each call.

    :param clock: the till's clock (timezone-aware).
    :param on_recorded: called after a sale is durably recorded (e.g. queue its slip); its
        failures are logged by the caller, never undo the sale.
    """

    def __init__(
        self,
        settings: SaleSettings,
        lookups: CacheLookups,
        rules: Rules,
        journal: Journal,
        clock: Clock,
        on_recorded: Recorded | None = None,
    ) -> None:
        self.s = settings
        self.lookups = lookups
        self.rules = rules
        self.journal = journal
        self.clock = clock
        self.on_recorded = on_recorded
        self.zone = ZoneInfo(settings.timezone)
        self.open: dict[str, OpenSale] = {}
        self.lock = threading.RLock()
        self.ledger = LedgerMemo(lookups.entries_for_member, journal.entries_for_member)

    def loyalty_status(self) -> dict[str, Any]:
        """Whether this till can identify members and give points now (the POS API's
        ``/v1/health``): ``unavailable`` while a damaged cache is rebuilt from the server;
        sales go on anonymously meanwhile."""
        damaged = self.lookups.health.damaged
        if damaged is None:
            return {"available": True, "code": None, "message": None, "message_en": None}
        return {
            "available": False,
            "code": "loyalty_unavailable",
            "message": "Fidelidade indisponível: dados locais sendo refeitos a partir do "
            "servidor. Venda sem identificação do cliente (sem pontos).",
            "message_en": "Loyalty unavailable: the till's local data is being rebuilt from "
            "the server. Sell without identifying the shopper (no points).",
        }

    # -- identify ------------------------------------------------------------------------

    def identify(self, pos_id: str, raw: str | Identification | None) -> dict[str, Any]:
        """Identify the shopper from a scan or a typed CPF; ``None`` for an anonymous sale.

        ``raw`` may also be a read the agent's own scanner already identified.

        :raises IdentificationError: garbage, a wrong check digit, a forged or expired QR.
        :raises MemberNotFound: a valid code that is no member here, or a blocked card.
        """
        with self.lock:
            sale = self._sale(pos_id, create=True)
            if raw is None:
                member, card = None, None
            else:
                member, card = find_member(
                    raw, self.s, self.lookups, self.clock(), self.journal.members
                )
            return self._identified(sale, member, card)

    def _identified(
        self, sale: OpenSale, member: CachedMember | None, card: str | None
    ) -> dict[str, Any]:
        sale.member, sale.card = member, card
        sale.points, sale.cashback = 0, Money.zero()
        if sale.basket:
            self._reprice(sale)
        if member is None:
            return {"pos_sale_id": sale.pos_id, "member": None}
        return {
            "pos_sale_id": sale.pos_id,
            "member": {"id": member.member_id, "name": member.name},
            "balance": self._balance_view(member.member_id),
        }

    # -- enrol ---------------------------------------------------------------------------

    def enrol(self, pos_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
        """A shopper joins the club at the till (offline too) and is identified on ``pos_id``.

        ``data``: name, consent_terms (must be true), consent_marketing, cpf, phone, email,
        birth_date, card_number (a pre-printed card handed over); see :mod:`agent.sale.enrol`.
        The enrolment is on disk before the answer; an open (or new) sale is identified with
        the new member so it earns; a sale already recorded is left as it is
        (``identified: false``). A retry (same ``pos_id``, same CPF or card) returns the first
        enrolment. :raises EnrolmentRefused, IdentificationError, BadRequest: nothing changed.
        """
        with self.lock, self.journal.lock:
            with self.journal.transaction() as tx:
                done = prepare_enrolment(
                    self.s,
                    self.lookups,
                    self.journal.members,
                    tx.counters,
                    self.clock(),
                    pos_id,
                    data,
                )
                if done.write is not None:
                    tx.record(done.write)
            answer = {"pos_sale_id": pos_id} | done.answer
            if pos_id not in self.open and self.journal.sale_answer(pos_id) is not None:
                return answer | {
                    "identified": False,
                    "member": {"id": done.member.member_id, "name": done.member.name},
                    "balance": self._balance_view(done.member.member_id),
                }
            sale = self._sale(pos_id, create=True)
            return answer | {"identified": True} | self._identified(sale, done.member, done.card)

    # -- price ---------------------------------------------------------------------------

    def price(
        self,
        pos_id: str,
        lines: Sequence[Mapping[str, Any]] | Sequence[BasketLine],
        coupons: Sequence[str] = (),
    ) -> dict[str, Any]:
        """Price the basket (replacing any earlier one); tenders are cleared, vouchers and
        coupons kept.

        :param coupons: rule coupon codes presented now, added to the sale's earlier ones.
        :raises BasketError: naming the line and field (a negative quantity, a bad price, …).
        :raises UnknownSku: a line whose SKU the synced catalogue lacks (or has inactive); the
            open sale keeps its previous basket.
        :raises CouponRefused: a code that fires no rule here; the sale is left as it was.
        """
        with self.lock:
            checked = check_basket(self.lookups, self._basket(lines))
            created = pos_id not in self.open
            sale = self._sale(pos_id, create=True)
            before = (sale.basket, sale.names, sale.points, sale.cashback)
            sale.basket, sale.names = checked.lines, checked.names
            sale.points, sale.cashback = 0, Money.zero()
            try:
                return self._with_coupons(sale, coupons)
            except CouponRefused:
                if created:
                    self.open.pop(pos_id, None)
                else:
                    sale.basket, sale.names, sale.points, sale.cashback = before
                    self._reprice(sale)
                raise

    def _with_coupons(self, sale: OpenSale, coupons: Sequence[str]) -> dict[str, Any]:
        """Re-price with ``coupons`` added; a new code that fires no rule is refused and the
        sale's coupons stay as they were (the caller restores the rest)."""
        new = [c.strip().upper() for c in coupons if c.strip().upper() not in sale.coupons]
        if not new:
            return self._reprice(sale)
        previous = sale.coupons
        sale.coupons = (*previous, *dict.fromkeys(new))
        answer = self._reprice(sale)
        assert sale.result is not None
        for outcome in sale.result.coupons:
            if outcome.code in new and outcome.reason in ("unknown", "not_live"):
                sale.coupons = previous
                raise CouponRefused(outcome.code, outcome.reason)
        return answer

    def _basket(self, lines: Sequence[Any]) -> tuple[BasketLine, ...]:
        if not lines:
            raise BadRequest(
                "a sale needs at least one line", "a venda precisa de ao menos um item"
            )
        if all(isinstance(x, BasketLine) for x in lines):
            parsed = tuple(lines)
            limits.check_basket(parsed, self.s.bounds)
            return parsed
        return limits.parse_lines(lines, self.s.bounds)

    def _reprice(self, sale: OpenSale) -> dict[str, Any]:
        sale.at = self.clock()
        offers = self.lookups.offers_for_member(sale.member.member_id) if sale.member else []
        sale.context = self._context(sale.member, offers)
        apps = [VoucherApplication(**v.pricing_fields()) for v in sale.vouchers]  # type: ignore[arg-type]
        chain = self.rules.ruleset_at(sale.at)  # the campaigns live now, by the till's clock
        sale.result = price(
            chain,
            sale.basket,
            sale.context,
            self.s.store_id,
            sale.at,
            vouchers=apps,
            coupons=sale.coupons,
            personal=self.rules.personal([o.data for o in offers], chain),
        )
        return self._quote(sale)

    def _context(
        self, member: CachedMember | None, offers: Sequence[CachedOffer]
    ) -> MemberContext | None:
        if member is None:
            return None
        return MemberContext(
            id=member.member_id,
            tier=member.tier,
            segments=frozenset(member.segments),
            activated_offers=frozenset(o.offer_id for o in offers if o.activated),
        )

    def _quote(self, sale: OpenSale) -> dict[str, Any]:
        """The quote for the sale as it stands; built once, reused by finalise (a copy)."""
        assert sale.result is not None
        key = (sale.result, sale.points, sale.cashback, sale.names)
        memo = sale.quote
        if memo is None or any(a is not b for a, b in zip(memo[0], key, strict=True)):
            value = self.s.points.value_of(sale.points) if sale.points else Money.zero()
            quote = {"pos_sale_id": sale.pos_id} | build.quote(
                sale.result, sale.points, value, sale.cashback, sale.names
            )
            sale.quote = memo = (key, quote)
        return dict(memo[1])

    # -- tenders -------------------------------------------------------------------------

    def apply_voucher(self, pos_id: str, code: str) -> dict[str, Any]:
        """Use a voucher on the sale (again: no change).

        :raises InvalidVoucherCode: a typo; :raises VoucherRefused: with the reason.
        """
        with self.lock:
            sale = self._priced(pos_id)
            coupon = code.strip().upper() if isinstance(code, str) else ""
            if coupon in sale.coupons:
                return self._quote(sale)
            try:
                canonical = normalize_code(code)
                found = self.lookups.voucher_by_code(canonical)
            except LoyaltyError:
                if coupon not in self._rule_coupons(sale):
                    raise
                found = None
            if found is None and coupon in self._rule_coupons(sale):
                # A campaign rule's coupon (ACUCAR20), not an issued voucher: it fires the rule.
                return self._coupon_on_priced(sale, coupon)
            if any(v.code == canonical for v in sale.vouchers):
                return self._quote(sale)
            voucher, accepted = found if found is not None else (None, [])
            uses = self._voucher_uses(voucher, accepted) if voucher is not None else []
            assert sale.result is not None
            assert sale.at is not None
            redeem_voucher(
                voucher,
                code=canonical,
                sale_id=f"pending:{pos_id}",
                store_id=self.s.store_id,
                terminal_id=self.s.terminal_id,
                at=sale.at,
                member_id=sale.member.member_id if sale.member else None,
                subtotal=sale.result.subtotal,
                uses=uses,
            )
            assert voucher is not None
            sale.vouchers.append(voucher)
            sale.points, sale.cashback = 0, Money.zero()
            return self._reprice(sale)

    def _rule_coupons(self, sale: OpenSale) -> set[str]:
        chain = self.rules.ruleset_at(sale.at or self.clock())  # the coupons live now
        codes = set(chain.by_coupon)
        if sale.member is not None:
            offers = self.lookups.offers_for_member(sale.member.member_id)
            personal = self.rules.personal([o.data for o in offers], chain)
            if personal is not None:
                codes |= set(personal.by_coupon)
        return codes

    def _coupon_on_priced(self, sale: OpenSale, coupon: str) -> dict[str, Any]:
        before = (sale.points, sale.cashback)
        sale.points, sale.cashback = 0, Money.zero()
        try:
            return self._with_coupons(sale, [coupon])
        except CouponRefused:
            sale.points, sale.cashback = before
            self._reprice(sale)
            raise

    def _voucher_uses(self, voucher: Voucher, accepted: list[str]) -> list[VoucherUse]:
        at = self.clock()
        local = self.journal.voucher_uses(voucher.voucher_id)
        # A use refunded here counts no more, even while the cache still lists it as accepted
        # (the server learns of the refund, and the feed drops the sale, only after a push).
        restored = {u.sale_id for u in local if u.restored}
        uses = [
            VoucherUse(voucher.voucher_id, sid, "", "", at, restored=sid in restored)
            for sid in accepted
        ]
        for u in local:
            if u.sale_id not in accepted:
                uses.append(
                    VoucherUse(
                        voucher.voucher_id,
                        u.sale_id,
                        self.s.store_id,
                        self.s.terminal_id,
                        datetime.fromisoformat(u.used_at),
                        u.member_id,
                        restored=u.restored,
                    )
                )
        return uses

    def apply_points(self, pos_id: str, points: int) -> dict[str, Any]:
        """Pay part of the sale with ``points`` (0 removes the tender), within the caps.

        :raises TenderRefused: no member, or beyond balance, the caps or the amount due.
        """
        with self.lock:
            sale = self._priced(pos_id)
            if isinstance(points, bool) or not isinstance(points, int) or points < 0:
                raise BadRequest(
                    f"points must be a whole number >= 0: {points!r}",
                    f"pontos devem ser um inteiro >= 0: {points!r}",
                )
            if points:
                due = self._due(sale, points=0, cashback=sale.cashback)
                allowed = self._allowance(sale, Currency.POINTS, due)
                if points > allowed[0]:
                    en, pt = cap_reason(allowed[1])
                    raise TenderRefused(
                        f"at most {int(allowed[0])} points may be redeemed now ({en})",
                        f"no máximo {int(allowed[0])} pontos podem ser resgatados agora ({pt})",
                    )
            sale.points = points
            return self._quote(sale)

    def apply_cashback(self, pos_id: str, amount: Decimal | str) -> dict[str, Any]:
        """Pay part of the sale with matured cashback (``0`` removes the tender).

        :raises TenderRefused: no member, or beyond balance, the caps or the amount due.
        """
        with self.lock:
            sale = self._priced(pos_id)
            try:
                value = Money(Decimal(amount) if isinstance(amount, str) else amount)
            except (InvalidOperation, TypeError):
                raise BadRequest(
                    f"cashback amount must be a decimal such as '5.00': {amount!r}",
                    f"valor de cashback deve ser decimal como '5.00': {amount!r}",
                ) from None
            if value.amount < 0 or value.amount != value.amount.quantize(Decimal("0.01")):
                raise BadRequest(
                    f"cashback amount must be >= 0 in whole cents: {amount!r}",
                    f"valor de cashback deve ser >= 0 em centavos: {amount!r}",
                )
            if value.amount:
                due = self._due(sale, points=sale.points, cashback=Money.zero())
                allowed = self._allowance(sale, Currency.CASHBACK, due)
                if value.amount > allowed[0]:
                    en, pt = cap_reason(allowed[1])
                    most = format_brl(Money(allowed[0]))
                    raise TenderRefused(
                        f"at most {most} of cashback may be redeemed now ({en})",
                        f"no máximo {most} de cashback agora ({pt})",
                    )
            sale.cashback = value
            return self._quote(sale)

    def _due(self, sale: OpenSale, *, points: int, cashback: Money) -> Money:
        assert sale.result is not None
        value = self.s.points.value_of(points) if points else Money.zero()
        return sale.result.total - value - cashback

    def _allowance(
        self, sale: OpenSale, currency: Currency, due: Money
    ) -> tuple[Decimal, CapReason]:
        if sale.member is None:
            raise TenderRefused(
                "identify the member before redeeming", "identifique o cliente antes de resgatar"
            )
        server, local = self._entries(sale.member.member_id)
        return allowance(self.s, sale, currency, due, server, local, self.clock(), self.zone)

    def _entries(self, member_id: str) -> tuple[list[LedgerEntry], list[LedgerEntry]]:
        """The server's entries (cache) and this till's entries the cache does not hold yet."""
        return self.ledger.entries(member_id)

    def _balance_view(
        self, member_id: str, entries: Sequence[LedgerEntry] | None = None
    ) -> dict[str, Any]:
        if entries is None:
            server, local = self._entries(member_id)
            entries = server + local
        at = self.clock()
        points = balance(entries, Currency.POINTS, at)
        cash = balance(entries, Currency.CASHBACK, at)
        return {
            "points": int(points.available),
            "cashback": f"{cash.available.quantize(Decimal('0.01')):f}",
            "cashback_pending": f"{cash.pending.quantize(Decimal('0.01')):f}",
        }

    # -- finalise, cancel, refund ----------------------------------------------------------

    def finalise(self, pos_id: str) -> dict[str, Any]:
        """The POS confirmed payment: record the sale durably, then answer.

        Re-sending returns the first answer. :raises NoSuchSale: never priced here.
        """
        with self.lock, self.journal.lock:
            done = self.journal.sale_answer(pos_id)
            if done is not None:
                self.open.pop(pos_id, None)
                return done
            sale = self._priced(pos_id)
            with self.journal.transaction() as tx:
                answer, write = self._sale_write(sale, tx.counters)
                tx.record(write)
            self.ledger.add_local(write.entries)
            self.open.pop(pos_id, None)
        if self.on_recorded is not None:
            extra = {"member_name": sale.member.name, "card": sale.card} if sale.member else {}
            self.on_recorded(answer | extra)
        return answer

    def _sale_write(self, sale: OpenSale, counters: Counters) -> tuple[dict[str, Any], Write]:
        ledger: list[LedgerEntry] = []
        if sale.member is not None:
            server, local = self._entries(sale.member.member_id)
            ledger = server + local
        return sale_write(
            self.s,
            counters,
            sale,
            ledger,
            self._quote(sale),
            self._balance_view,
            RaffleSource(self.lookups.conn, self.s.terminal_id),
        )

    def cancel(self, pos_id: str) -> dict[str, Any]:
        """Drop an open sale: nothing was written, nothing is. Unknown ids are fine (retries).

        :raises SaleStateError: the sale was already recorded (refund it instead).
        """
        with self.lock:
            if self.journal.sale_answer(pos_id) is not None:
                raise SaleStateError(
                    f"sale {pos_id!r} is already recorded: refund it instead of cancelling",
                    f"venda {pos_id!r} já registrada: faça uma devolução em vez de cancelar",
                )
            self.open.pop(pos_id, None)
            return {"pos_sale_id": pos_id, "status": "cancelled"}

    def refund(
        self, pos_refund_id: str, pos_sale_id: str, amount: Decimal | str, reason: str | None = None
    ) -> dict[str, Any]:
        """Refund ``amount`` of a sale recorded at this till: a new event reversing rewards.

        Re-sending the same ``pos_refund_id`` returns the first answer.
        :raises SaleStateError: unknown sale; :raises RefundError: beyond what is left.
        """
        check_length("reason", reason, "refund_reason", "motivo")
        with self.lock, self.journal.lock:
            done = self.journal.refund_answer(pos_refund_id)
            if done is not None:
                return done
            with self.journal.transaction() as tx:
                answer, write = refund_sale_write(
                    self.journal,
                    self.s.store_id,
                    self.s.terminal_id,
                    self.clock(),
                    pos_refund_id,
                    pos_sale_id,
                    amount,
                    reason,
                )
                tx.record(write)
            self.ledger.add_local(write.entries)
            return answer

    # -- helpers -------------------------------------------------------------------------

    def _sale(self, pos_id: str, *, create: bool) -> OpenSale:
        if not isinstance(pos_id, str) or not pos_id.strip() or len(pos_id) > 100:
            raise BadRequest(
                f"POS sale id must be 1-100 characters: {pos_id!r}",
                f"id da venda no PDV deve ter 1-100 caracteres: {pos_id!r}",
            )
        sale = self.open.get(pos_id)
        if sale is None:
            if self.journal.sale_answer(pos_id) is not None:
                raise SaleStateError(
                    f"sale {pos_id!r} is already recorded", f"venda {pos_id!r} já registrada"
                )
            if not create:
                raise NoSuchSale(pos_id)
            sale = self.open[pos_id] = OpenSale(pos_id)
        return sale

    def _priced(self, pos_id: str) -> OpenSale:
        sale = self._sale(pos_id, create=False)
        if sale.result is None:
            raise SaleStateError(
                f"sale {pos_id!r} has no basket yet: price it first",
                f"venda {pos_id!r} sem itens: registre os itens primeiro",
            )
        return sale


__all__ = ["LoyaltyError", "SaleService", "SaleSettings"]
