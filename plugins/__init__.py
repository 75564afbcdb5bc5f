"""POS plugins: the interface the POS side talks to, and the plugins shipped with tillclub.

Each plugin is one module exporting one :class:`PosPlugin` subclass; the agent finds them by
name (:func:`load_plugin`), including third-party plugins declared as entry points.
"""

from __future__ import annotations

from .interface import LoyaltyPort as LoyaltyPort
from .interface import PosPlugin as PosPlugin
from .registry import available as available
from .registry import load_plugin as load_plugin

__all__ = ["LoyaltyPort", "PosPlugin", "available", "load_plugin"]
