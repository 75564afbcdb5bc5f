"""Rewards and the ledger: points, cashback, raffle numbers, vouchers, tiers, expiry, refunds.

Pure domain code (DESIGN.md): no SQL, no clock, no randomness. Time, ids and random bytes are
passed in; the server and the agent persist what these functions return. See docs/rewards.md
and docs/raffle.md.
"""

from __future__ import annotations

from .balances import Balances as Balances
from .balances import balance as balance
from .cashback import CashbackConfig as CashbackConfig
from .cashback import mature_due as mature_due
from .cashback import max_cashback_redeemable as max_cashback_redeemable
from .cashback import redeem_cashback as redeem_cashback
from .earning import RuleReward as RuleReward
from .earning import SaleEarnings as SaleEarnings
from .earning import sale_earn_entries as sale_earn_entries
from .errors import InsufficientBalance as InsufficientBalance
from .errors import InvalidEntry as InvalidEntry
from .errors import InvalidId as InvalidId
from .errors import InvalidVoucherCode as InvalidVoucherCode
from .errors import LedgerConflict as LedgerConflict
from .errors import RaffleError as RaffleError
from .errors import RedemptionError as RedemptionError
from .errors import RefundError as RefundError
from .errors import RewardsError as RewardsError
from .errors import VoucherRefusal as VoucherRefusal
from .errors import VoucherRefused as VoucherRefused
from .expiry import expire_due as expire_due
from .ids import EntryIds as EntryIds
from .ids import make_entry_id as make_entry_id
from .ids import make_sale_id as make_sale_id
from .ids import parse_entry_id as parse_entry_id
from .ids import parse_sale_id as parse_sale_id
from .ledger import Currency as Currency
from .ledger import EntryKind as EntryKind
from .ledger import LedgerEntry as LedgerEntry
from .limits import LimitScope as LimitScope
from .limits import LimitUnit as LimitUnit
from .limits import RuleUse as RuleUse
from .limits import UsageLimit as UsageLimit
from .limits import find_overruns as find_overruns
from .limits import headroom as headroom
from .offline_caps import OfflineAllowance as OfflineAllowance
from .offline_caps import OfflineCaps as OfflineCaps
from .offline_caps import offline_redeemable as offline_redeemable
from .points import PointsConfig as PointsConfig
from .points import max_points_redeemable as max_points_redeemable
from .points import redeem_points as redeem_points
from .raffle import BlockState as BlockState
from .raffle import DrawRegulation as DrawRegulation
from .raffle import NumberBlock as NumberBlock
from .raffle import RaffleCampaign as RaffleCampaign
from .raffle import RaffleTicket as RaffleTicket
from .raffle import assign_owed as assign_owed
from .raffle import issue_tickets as issue_tickets
from .raffle import reserve_block as reserve_block
from .raffle_draw import FederalResult as FederalResult
from .raffle_draw import winner as winner
from .raffle_draw import winners as winners
from .refunds import RefundState as RefundState
from .refunds import SaleRecord as SaleRecord
from .refunds import refund_sale as refund_sale
from .tiers import Spend as Spend
from .tiers import Tier as Tier
from .tiers import TierConfig as TierConfig
from .tiers import after_sale as after_sale
from .tiers import review as review
from .voucher_codes import make_voucher_code as make_voucher_code
from .voucher_codes import normalize_code as normalize_code
from .voucher_issue import NextPurchaseRule as NextPurchaseRule
from .voucher_issue import VoucherTemplate as VoucherTemplate
from .voucher_issue import issue_vouchers as issue_vouchers
from .voucher_issue import next_purchase_coupon as next_purchase_coupon
from .voucher_settlement import settle as settle
from .vouchers import Voucher as Voucher
from .vouchers import VoucherUse as VoucherUse
from .vouchers import redeem_voucher as redeem_voucher
