"""The cache SQLite file: server data (members, cards, rules, vouchers, ledger, products),
rebuildable."""

from __future__ import annotations

from .db import connect_cache as connect_cache
from .db import connect_reader as connect_reader
from .lookups import CachedMember as CachedMember
from .lookups import CachedOffer as CachedOffer
from .lookups import CachedProduct as CachedProduct
from .lookups import CacheLookups as CacheLookups
from .rules import Rules as Rules
from .writer import apply_changes as apply_changes
from .writer import cursor_of as cursor_of
from .writer import read_meta as read_meta
