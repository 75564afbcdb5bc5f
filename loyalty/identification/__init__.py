"""Member identification codes: printed cards, phone QR tokens and typed CPFs. Pure, offline."""

from __future__ import annotations

from .code128 import card_code128 as card_code128
from .code128 import parse_card_code128 as parse_card_code128
from .cpf import cpf_hash as cpf_hash
from .cpf import is_valid_cpf as is_valid_cpf
from .cpf import mask_cpf as mask_cpf
from .cpf import normalize_cpf as normalize_cpf
from .ean import DEFAULT_CARD_PREFIX as DEFAULT_CARD_PREFIX
from .ean import card_number as card_number
from .ean import mask_card as mask_card
from .ean import parse_card_ean as parse_card_ean
from .errors import IdentificationError as IdentificationError
from .errors import Reason as Reason
from .qr import QrToken as QrToken
from .qr import load_private_key as load_private_key
from .qr import load_public_key as load_public_key
from .qr import mint_qr as mint_qr
from .qr import verify_qr as verify_qr
from .scan import CardRead as CardRead
from .scan import CpfRead as CpfRead
from .scan import Identification as Identification
from .scan import IdentificationConfig as IdentificationConfig
from .scan import QrRead as QrRead
from .scan import clean_read as clean_read
from .scan import identify as identify
