"""Scanner adapters at the edge of the agent: serial scanners, keyboard wedges, the framer."""

from __future__ import annotations

from .errors import DeviceError as DeviceError
from .errors import ScannerConfigError as ScannerConfigError
from .framing import Frame as Frame
from .framing import Framer as Framer
from .framing import Suffix as Suffix
from .reads import Accepted as Accepted
from .reads import Rejected as Rejected
from .reads import ScanResult as ScanResult
from .reads import ScanSource as ScanSource
from .reads import interpret as interpret
from .serial_scanner import ScannerConfig as ScannerConfig
from .serial_scanner import ScannerStatus as ScannerStatus
from .serial_scanner import SerialScanner as SerialScanner
from .wedge import WedgeConfig as WedgeConfig
from .wedge import classify_keys as classify_keys
from .wedge import read_wedge as read_wedge
