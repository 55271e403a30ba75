"""Builds the plugin manager: the built-in plugins first, then the sector plugins' entry points."""
import importlib

import pluggy

from . import hookspecs

# the core's own transitions, then the built-in capabilities, which register like the sectors
# so that the core never imports them
CORE_PLUGINS = ("trading.services.opening", "trading.services.award", "trading.services.auction", "trading.bid_memo")
DEFAULT_PLUGINS = ("experts", "monitoring")
ENTRY_POINT_GROUP = "ggzy.plugins"


def make_plugin_manager(extra=()):
    pm = pluggy.PluginManager("ggzy")
    pm.add_hookspecs(hookspecs)
    for name in CORE_PLUGINS + DEFAULT_PLUGINS:
        pm.register(importlib.import_module(name), name=name)
    pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    for plugin in extra:
        pm.register(plugin)
    pm.check_pending()
    return pm


def get_plugin_manager(registry):
    return registry["plugin_manager"]
