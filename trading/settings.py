"""Reads and checks every setting of the platform in one place."""
import ipaddress
import os
from decimal import Decimal, InvalidOperation


class SettingsError(ValueError):
    """A setting has a value the platform cannot start with."""

    def __init__(self, name, message):
        super().__init__(f"setting {name}: {message}")
        self.name = name


def _text(value):
    return value if value is None else str(value).strip()


def _choice(*choices):
    def parse(name, value):
        if value not in choices:
            raise SettingsError(name, f"must be one of {', '.join(choices)}, not {value!r}")
        return value
    return parse


def _int(low=None, high=None):
    def parse(name, value):
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise SettingsError(name, f"must be a whole number, not {value!r}") from None
        if low is not None and number < low:
            raise SettingsError(name, f"must be at least {low}, not {number}")
        if high is not None and number > high:
            raise SettingsError(name, f"must be at most {high}, not {number}")
        return number
    return parse


def _bool(name, value):
    if isinstance(value, bool):
        return value
    lowered = str(value).lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise SettingsError(name, f"must be true or false, not {value!r}")


def _networks(name, value):
    networks = []
    for part in (value or "").replace(",", " ").split():
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise SettingsError(name, f"{part!r} is not an IP address or CIDR") from None
    return tuple(networks)


def _nonempty(name, value):
    if not value:
        raise SettingsError(name, "must not be empty")
    return value


def _from_environment(name, value):
    """``env:NAME`` takes the value from the environment variable NAME."""
    if isinstance(value, str) and value.startswith("env:"):
        variable = value[4:]
        value = os.environ.get(variable)
        if not value:
            raise SettingsError(name, f"the environment variable {variable} is not set")
    return value


def _database_url(name, value):
    if not value:
        raise SettingsError(name, "must name the database (for example sqlite:///var/ggzy.sqlite)")
    if value.startswith("postgresql://") or value.startswith("postgres://"):
        # psycopg 3 is the driver the platform ships with.
        value = "postgresql+psycopg://" + value.split("://", 1)[1]
    if not (value.startswith("sqlite") or value.startswith("postgresql")):
        raise SettingsError(name, "only SQLite and PostgreSQL are supported")
    return value


# name -> (default, parser); the defaults are those of the shipped development.ini
SPEC = {
    "sqlalchemy.url": (None, _database_url),
    "ggzy.storage_dir": ("var/files", _nonempty),
    "ggzy.clock": ("system", _choice("system", "manual")),
    "ggzy.scheduler": ("inprocess", _choice("inprocess", "off")),
    "ggzy.sweep_interval_seconds": ("30", _int(1, 3600)),
    # how often the scheduler looks for a due deadline (one indexed query): auctions end to the second
    "ggzy.tick_seconds": ("1", _int(1, 60)),
    "ggzy.trusted_proxies": ("", _networks),
    "ggzy.bank_secret": ("development-bank-secret", _nonempty),
    "ggzy.session_secret": ("development-session-secret-change-me", _nonempty),
    "ggzy.secure_cookies": ("false", _bool),
    # Strict-Transport-Security on every response: only where the site is served over TLS
    "ggzy.hsts": ("false", _bool),
    "ggzy.default_locale": ("zh_CN", _choice("zh_CN", "en")),
    "ggzy.upload_max_bytes": ("104857600", _int(1)),
    "ggzy.invitation_minutes": ("30", _int(1, 24 * 60)),
    "ggzy.token_hours": ("12", _int(1, 24 * 365)),
    # how long an app process answers a live bid below a minimum it has just refused from memory (trading/bid_memo.py)
    "ggzy.bid_refusal_memo_ms": ("1000", _int(0, 10_000)),
    "ggzy.login_max_failures": ("5", _int(1, 100)),
    "ggzy.login_lock_minutes": ("15", _int(1, 24 * 60)),
    # argon2id for passwords: the OWASP minimum by default (19 MiB, 2 passes, 1 lane)
    "ggzy.password_time_cost": ("2", _int(1, 20)),
    "ggzy.password_memory_kib": ("19456", _int(8, 4 * 1024 * 1024)),
    "ggzy.password_parallelism": ("1", _int(1, 16)),
    # argon2id for the sealing key of a bid (DESIGN.md "Sealed bids")
    "ggzy.seal_time_cost": ("2", _int(1, 20)),
    "ggzy.seal_memory_kib": ("19456", _int(8, 4 * 1024 * 1024)),
    "ggzy.seal_parallelism": ("1", _int(1, 16)),
    "ggzy.expert_max_same_owner": ("2", _int(1, 100)),
    "ggzy.alert_red_days": ("3", _int(1, 365)),
    "ggzy.alert_yellow_days": ("7", _int(1, 365)),
}


class Settings(dict):
    """The checked settings, keyed by their ini names."""


def read(raw):
    """Return the checked settings; raise SettingsError naming the first bad one."""
    settings = Settings(raw)
    for name, (default, parse) in SPEC.items():
        value = _text(raw.get(name))
        if value is None:
            value = default
        settings[name] = parse(name, _from_environment(name, value))
    return settings


def _legal_value(limit, raw):
    """One ``ggzy.rules.*`` value: a number of the limit's kind, not below its floor nor above its ceiling."""
    from .legal_limits import FLOOR

    name, legal = limit.setting, limit.value
    text = str(raw).strip()
    try:
        value = Decimal(text) if isinstance(legal, Decimal) else int(text)
    except (ValueError, InvalidOperation):
        kind = "a decimal number" if isinstance(legal, Decimal) else "a whole number"
        raise SettingsError(name, f"must be {kind} of {limit.unit}, not {text!r}") from None
    if isinstance(value, Decimal) and not value.is_finite():
        raise SettingsError(name, f"must be a decimal number of {limit.unit}, not {text!r}")
    if limit.bound == FLOOR and value < legal:
        raise SettingsError(name, f"must be at least {legal} {limit.unit}, the legal minimum ({limit.source}); "
                                  f"a centre may raise it, never lower it, not {text}")
    if limit.bound != FLOOR and value > legal:
        raise SettingsError(name, f"must be at most {legal} {limit.unit}, the legal maximum ({limit.source}); "
                                  f"a centre may lower it, never raise it, not {text}")
    if value <= 0:
        raise SettingsError(name, f"must be more than 0 {limit.unit}, not {text}")
    return value


def read_limits(settings, table):
    """The effective legal numbers (a ``legal_limits.Limits``) from the ``ggzy.rules.*`` settings.

    A missing or empty setting keeps the legal value. A value on the wrong side
    of the law, or a ``ggzy.rules.*`` name that is no legal limit (a typo would
    otherwise leave the legal value silently in force), stops the start naming
    the setting. The checked values are written back into ``settings``.
    """
    from .legal_limits import PREFIX, Limits

    by_setting = {limit.setting: limit for limit in table}
    for name in sorted(settings):
        if name.startswith(PREFIX) and name not in by_setting:
            raise SettingsError(name, "is not a legal limit the platform knows (see the operator's guide)")
    values = {}
    for setting, limit in by_setting.items():
        raw = _from_environment(setting, _text(settings.get(setting)))
        if raw is not None and raw != "":
            values[limit.name] = _legal_value(limit, raw)
        settings[setting] = values.get(limit.name, limit.value)
    return Limits(table, values)
