"""The sale flow: identify → price → vouchers and tenders → finalise → record, per terminal."""

from __future__ import annotations

from .errors import BadRequest as BadRequest
from .errors import MemberNotFound as MemberNotFound
from .errors import NoSuchSale as NoSuchSale
from .errors import SaleError as SaleError
from .errors import SaleStateError as SaleStateError
from .errors import TenderRefused as TenderRefused
from .errors import UnknownSku as UnknownSku
from .service import SaleService as SaleService
from .service import SaleSettings as SaleSettings
