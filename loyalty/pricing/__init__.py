"""Basket pricing: the campaign file format, the rule index and the evaluator.

Pure code (stdlib only), run identically at the till and at the server. Build a rule set once
with :func:`compile_rules` and price baskets with :func:`price`.
"""

from __future__ import annotations

from .basket import BasketLine as BasketLine
from .basket import MemberContext as MemberContext
from .basket import parse_basket as parse_basket
from .basket import parse_member as parse_member
from .campaign_export import campaign_to_json as campaign_to_json
from .campaign_file import CampaignFile as CampaignFile
from .campaign_file import parse_campaign as parse_campaign
from .engine import price as price
from .errors import BasketError as BasketError
from .errors import CampaignError as CampaignError
from .errors import PricingError as PricingError
from .index import RuleSet as RuleSet
from .index import compile_rules as compile_rules
from .json_io import result_to_json as result_to_json
from .offers import offer_rule as offer_rule
from .offers import personal_ruleset as personal_ruleset
from .result import CouponOutcome as CouponOutcome
from .result import Explanation as Explanation
from .result import LineResult as LineResult
from .result import PricingResult as PricingResult
from .result import RewardDetail as RewardDetail
from .result import Rewards as Rewards
from .rules import Rule as Rule
from .rules import RuleKind as RuleKind
from .rules import Stage as Stage
from .voucher import VoucherApplication as VoucherApplication
