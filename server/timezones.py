"""IANA time zone names as head office types them: the check, and Brazil's zones to suggest.

A store's zone (``stores.timezone``) and the chain's (``chain_time_zone``) are IANA names such
as ``America/Manaus``; anything ``zoneinfo`` cannot load is refused where it is typed (the
store form, ``add-store --timezone``, the config at start), never at a sale.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# Brazil's zones (IANA), offered as suggestions in the store form.
BRAZIL_ZONES = (
    "America/Sao_Paulo",
    "America/Manaus",
    "America/Cuiaba",
    "America/Campo_Grande",
    "America/Porto_Velho",
    "America/Boa_Vista",
    "America/Rio_Branco",
    "America/Eirunepe",
    "America/Belem",
    "America/Fortaleza",
    "America/Recife",
    "America/Maceio",
    "America/Bahia",
    "America/Araguaina",
    "America/Santarem",
    "America/Noronha",
)


def is_zone(name: object) -> bool:
    """Whether ``name`` is a time zone ``zoneinfo`` can load (``"America/Manaus"``: yes)."""
    if not isinstance(name, str) or not name or name != name.strip() or len(name) > 64:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True
