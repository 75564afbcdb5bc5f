"""Server side: settle the uses of a voucher that offline tills recorded, deterministically.

Uses are ranked by when the server received them (``received_at``, the server's clock), then
the sale's own timestamp, terminal id and sale id; the first ``max_uses`` stand and every later
one is a conflict. A till's clock never decides: ranked by the tills' timestamps, a till whose
clock is slow (3 h behind) would win every conflict it took part in. Uses without a receipt
time (the tills' own view, before the server has them) rank by the sale's timestamp.
Conflicts are reported to head office, never dropped: the sale was paid and stays paid
(usage rules never block a paid sale).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .errors import VoucherRefusal
from .vouchers import Voucher, VoucherUse


@dataclass(frozen=True)
class VoucherConflict:
    """A use past the voucher's limit: the report line for head office."""

    use: VoucherUse
    reason: VoucherRefusal
    winners: tuple[str, ...]  # sale ids of the uses that stand


@dataclass(frozen=True)
class Settlement:
    accepted: tuple[VoucherUse, ...]
    conflicts: tuple[VoucherConflict, ...]


def settle(voucher: Voucher, uses: Iterable[VoucherUse]) -> Settlement:
    """Which uses of ``voucher`` stand; the same answer for any order of ``uses`` in the list.

    .. versionchanged:: ranked by the server's receipt time first, no longer by the till's.
    """
    by_sale: dict[str, VoucherUse] = {}
    for u in uses:
        if u.voucher_id != voucher.voucher_id or u.restored:
            continue
        prior = by_sale.get(u.sale_id)
        if prior is None or _rank(u) < _rank(prior):
            by_sale[u.sale_id] = u
    ranked = sorted(by_sale.values(), key=_rank)
    limit = len(ranked) if voucher.max_uses is None else voucher.max_uses
    accepted = tuple(ranked[:limit])
    reason = VoucherRefusal.ALREADY_USED if voucher.single_use else VoucherRefusal.NO_USES_LEFT
    winners = tuple(u.sale_id for u in accepted)
    conflicts = tuple(VoucherConflict(u, reason, winners) for u in ranked[limit:])
    return Settlement(accepted, conflicts)


def _rank(u: VoucherUse) -> tuple[object, ...]:
    return (u.received_at or u.used_at, u.used_at, u.terminal_id, u.sale_id)
