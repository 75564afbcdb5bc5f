"""Find a POS plugin by name: the built-ins, then the ``tillclub.pos_plugins`` entry points.

A third party ships a plugin as a package declaring, in its ``pyproject.toml``::

    [project.entry-points."tillclub.pos_plugins"]
    mypos = "mypos_tillclub:MyPosPlugin"

and the agent's config says ``[pos] plugin = "mypos"``.
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points

from .interface import PosPlugin

GROUP = "tillclub.pos_plugins"
BUILTIN = {
    "http": "plugins.http:HttpPlugin",
    "filedrop": "plugins.filedrop:FiledropPlugin",
    "simulated": "plugins.simulated:SimulatedPlugin",
}


class PluginNotFound(LookupError):
    """No plugin of that name, or it cannot run here."""


def available() -> list[str]:
    """Names of every plugin that can be configured."""
    return sorted(set(BUILTIN) | {ep.name for ep in entry_points(group=GROUP)})


def load_plugin(name: str) -> type[PosPlugin]:
    """The plugin class called ``name``.

    :raises PluginNotFound: unknown name, an entry point that is no ``PosPlugin``, or a plugin
        whose ``is_usable()`` says its dependencies are missing.
    """
    target = BUILTIN.get(name)
    if target is None:
        matches = [ep for ep in entry_points(group=GROUP) if ep.name == name]
        if not matches:
            raise PluginNotFound(
                f"unknown POS plugin {name!r}; available: {', '.join(available())}"
            )
        loaded = matches[0].load()
    else:
        module, _, attr = target.partition(":")
        loaded = getattr(importlib.import_module(module), attr)
    if not (isinstance(loaded, type) and issubclass(loaded, PosPlugin)):
        raise PluginNotFound(f"POS plugin {name!r} is not a PosPlugin subclass: {loaded!r}")
    if not loaded.is_usable():
        raise PluginNotFound(f"POS plugin {name!r} cannot run here (missing dependencies)")
    return loaded
