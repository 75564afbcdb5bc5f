"""Which importer reads which kind of file."""

from __future__ import annotations

from .kinds import KindImporter
from .report import Kind


def importer_for(kind: Kind) -> KindImporter:
    from .balances import BalancesImporter
    from .cards import CardsImporter
    from .members import MembersImporter
    from .sales import SalesImporter

    table: dict[Kind, KindImporter] = {
        Kind.MEMBERS: MembersImporter(),
        Kind.CARDS: CardsImporter(),
        Kind.BALANCES: BalancesImporter(),
        Kind.SALES: SalesImporter(),
    }
    return table[kind]
