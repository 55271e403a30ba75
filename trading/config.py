"""Wires the application: the core in a fixed order, commit, then the built-in and sector plugins."""
import logging

from pyramid.config import Configurator

from . import legal_limits, methods, plugins, settings as settings_module

log = logging.getLogger(__name__)


def configure(settings=None, extra_plugins=()):
    checked = settings_module.read(settings or {})
    checked.setdefault("jinja2.i18n.domain", "ggzy")
    checked.setdefault("jinja2.directories", "trading:templates")
    checked.setdefault("jinja2.filters", "money = trading.i18n.money\nlocal = trading.i18n.local_text\nkind_label = trading.i18n.kind_label")
    checked.setdefault("jinja2.autoescape", "true")
    config = Configurator(settings=checked)
    config.registry["plugin_manager"] = pm = plugins.make_plugin_manager(extra_plugins)
    # the legal numbers (RULES.md): each plugin declares its own, the ggzy.rules.* settings may make them stricter
    config.registry["legal_limits"] = limits = settings_module.read_limits(checked, legal_limits.table(pm))
    config.registry["methods"] = methods.build_registry(pm, limits)

    # the core, in order
    config.include("pyramid_jinja2")
    config.add_translation_dirs("trading:locale")
    config.set_locale_negotiator("trading.i18n.negotiate_locale")
    config.include(".clock")
    config.include(".models")
    config.include(".storage")
    config.include(".notifier")
    config.include(".security")
    config.include(".routes")
    config.include(".tweens")
    config.include(".headers")
    config.include(".bid_memo")
    config.include(".api")
    config.include(".pages")
    config.add_static_view("static", "trading:static", cache_max_age=3600)
    config.commit()

    # built-in and sector plugins add their own routes and views
    pm.hook.ggzy_includeme(config=config)
    config.commit()

    if checked["ggzy.scheduler"] == "inprocess" and not checked.get("ggzy.testing"):
        from .scheduler import Scheduler

        config.registry["scheduler"] = Scheduler(config.registry)
    return config
