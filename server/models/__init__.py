"""The server's SQLAlchemy models, one module per area, re-exported here.

Importing this package registers every table on ``Base.metadata`` (Alembic autogenerate and
the tests' ``create_all`` rely on that).
"""

from __future__ import annotations

from ..db import Base as Base
from .admin import AdminLoginState as AdminLoginState
from .admin import AdminSession as AdminSession
from .admin import AdminUser as AdminUser
from .admin import AdminUserStore as AdminUserStore
from .admin import AuditLog as AuditLog
from .admin import Role as Role
from .campaigns import Campaign as Campaign
from .campaigns import CampaignDraft as CampaignDraft
from .campaigns import CampaignSimulation as CampaignSimulation
from .campaigns import MemberOffer as MemberOffer
from .campaigns import OfferActivation as OfferActivation
from .catalog import Category as Category
from .catalog import Product as Product
from .chain import ChainSetting as ChainSetting
from .chain import Store as Store
from .chain import Terminal as Terminal
from .chain import TerminalReport as TerminalReport
from .chain import TerminalStatus as TerminalStatus
from .epochs import EpochRepush as EpochRepush
from .epochs import ServerEpoch as ServerEpoch
from .imports import ImportKey as ImportKey
from .imports import ImportRun as ImportRun
from .ledger import AdminIdCounter as AdminIdCounter
from .ledger import HeldEntry as HeldEntry
from .ledger import LedgerEntryRow as LedgerEntryRow
from .ledger import RefundReversal as RefundReversal
from .ledger_jobs import ExpiryNotice as ExpiryNotice
from .ledger_jobs import JobCursor as JobCursor
from .ledger_jobs import LedgerDue as LedgerDue
from .members import Card as Card
from .members import CardStatus as CardStatus
from .members import Member as Member
from .raffle import RaffleCampaign as RaffleCampaign
from .raffle import RaffleNumberBlock as RaffleNumberBlock
from .raffle import RaffleTicketRow as RaffleTicketRow
from .raffle import RaffleVoid as RaffleVoid
from .raffle import TicketStatus as TicketStatus
from .sales import Refund as Refund
from .sales import RepriceStatus as RepriceStatus
from .sales import Sale as Sale
from .sales import SaleAppliedRule as SaleAppliedRule
from .sales import SaleLine as SaleLine
from .segments import MemberSegment as MemberSegment
from .sync import AppliedEvent as AppliedEvent
from .sync import ChangeCounter as ChangeCounter
from .sync import ChangeTracked as ChangeTracked
from .sync import RejectedEvent as RejectedEvent
from .till_issues import TillIssue as TillIssue
from .vouchers import Voucher as Voucher
from .vouchers import VoucherBatch as VoucherBatch
from .vouchers import VoucherConflict as VoucherConflict
from .vouchers import VoucherUseRow as VoucherUseRow


def load_all() -> None:
    """Import every model module in this package (other areas add their own), so that
    ``Base.metadata`` holds every table: Alembic autogenerate and the migration test need it."""
    import importlib
    import pkgutil

    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")
