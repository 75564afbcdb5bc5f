"""The errors of the pricing package: a bad campaign file, basket, member or voucher.

Every message names where the problem is (the rule id or line number) and the field, in English
and pt-BR, e.g. ``rule 'r7': field 'percent': must be a number between 0 and 100, got 150``.
"""

from __future__ import annotations

from ..errors import LoyaltyError


class PricingError(LoyaltyError):
    """Bad input to the pricing engine.

    :param where_en: what holds the bad value, e.g. ``rule 'r7'`` or ``line 3``.
    :param where_pt: the same in pt-BR, e.g. ``regra 'r7'`` or ``linha 3``.
    :param field: the field's name, dotted for nested fields (``valid.hours``), or ``None``.
    :param problem_en: what is wrong with it, naming the bad value.
    :param problem_pt: the same in pt-BR.
    """

    code = "pricing_invalid"

    def __init__(
        self,
        where_en: str,
        where_pt: str,
        field: str | None,
        problem_en: str,
        problem_pt: str,
    ) -> None:
        self.where = where_en
        self.field = field
        self.problem_en = problem_en
        self.problem_pt = problem_pt
        if field is None:
            super().__init__(f"{where_en}: {problem_en}", f"{where_pt}: {problem_pt}")
        else:
            super().__init__(
                f"{where_en}: field '{field}': {problem_en}",
                f"{where_pt}: campo '{field}': {problem_pt}",
            )


class CampaignError(PricingError):
    """A campaign file (rule set) that does not follow the format."""

    code = "campaign_invalid"


class BasketError(PricingError):
    """A basket line, member context or voucher application that is not valid."""

    code = "basket_invalid"

    def at(self, where_en: str, where_pt: str) -> BasketError:
        """The same problem, said of a more precise place (``line 3`` rather than ``line``)."""
        return BasketError(where_en, where_pt, self.field, self.problem_en, self.problem_pt)
