"""Check a basket against the synced product catalogue and fill what the POS left out.

A chain that syncs its catalogue gets unknown or inactive SKUs refused at the till (the
cashier sees which line); a chain that does not (no product cached at all) prices the POS's
lines as they come. Category and brand the POS sent win over the catalogue's: the POS knows
its shelf; the catalogue only fills blanks. Names go to the quote and the loyalty slip.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from loyalty.pricing import BasketLine

from ..cache import CacheLookups
from ..cache.integrity import CacheDamaged
from .errors import UnknownSku


@dataclass(frozen=True)
class CheckedBasket:
    lines: tuple[BasketLine, ...]
    names: tuple[str | None, ...]  # per line: the catalogue's name, None when not synced


def check_basket(lookups: CacheLookups, lines: Sequence[BasketLine]) -> CheckedBasket:
    """``lines`` completed from the catalogue, with their names.

    :raises UnknownSku: naming the first line (1-based) whose SKU is unknown or inactive,
        when the cache holds a catalogue.
    """
    if not lookups.has_catalogue():
        return CheckedBasket(tuple(lines), (None,) * len(lines))
    out: list[BasketLine] = []
    names: list[str | None] = []
    for number, line in enumerate(lines, start=1):
        try:
            product = lookups.product_by_sku(line.sku)
        except CacheDamaged:  # the cache is being rebuilt: price the lines as the POS sent them
            return CheckedBasket(tuple(lines), (None,) * len(lines))
        if product is None or not product.active:
            raise UnknownSku(number, line.sku, inactive=product is not None)
        category = line.category or product.category
        brand = line.brand or product.brand
        if (category, brand) != (line.category, line.brand):
            line = replace(line, category=category, brand=brand)
        out.append(line)
        names.append(product.name)
    return CheckedBasket(tuple(out), tuple(names))
