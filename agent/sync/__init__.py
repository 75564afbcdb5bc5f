"""The sync client: outbox pusher and changes puller, with backoff and a per-request deadline."""

from __future__ import annotations

from .backoff import Backoff as Backoff
from .client import SyncClient as SyncClient
from .client import SyncFailed as SyncFailed
from .client import register as register
from .worker import SyncState as SyncState
from .worker import SyncWorker as SyncWorker
