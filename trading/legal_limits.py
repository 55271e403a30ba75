"""The legal numbers of RULES.md as settings: the law's value is each one's default and its floor (or ceiling).

RULES.md: "Each number is a setting or method parameter with the legal value
as its default and floor, so a stricter centre can raise it, never lower it."
A minimum period, count or share (``FLOOR``) may be raised; a maximum such as
the 2% deposit cap (``CEILING``) may be lowered. Each entry is the setting
``ggzy.rules.<name>``; the core declares its own entries here and each plugin
contributes the entries of the rules it owns through ``ggzy_legal_limits``.
``trading.settings.read_limits`` checks the values at start-up and the app
keeps the effective ones in ``registry["legal_limits"]``; the hooks that check
rules receive them as their ``limits`` argument.
"""
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

FLOOR = "floor"  # a minimum: a stricter centre raises it
CEILING = "ceiling"  # a maximum: a stricter centre lowers it
PREFIX = "ggzy.rules."


@dataclass(frozen=True)
class Limit:
    """One legal number: ``name`` is the setting without its ``ggzy.rules.`` prefix."""

    name: str
    value: object  # int, or Decimal for shares and amounts
    unit: str
    source: str
    bound: str = FLOOR
    description: str = ""

    @property
    def setting(self):
        return PREFIX + self.name


# the core's own rules (RULES.md "Sealed methods, common to all")
CORE = (
    Limit("core.contract_days", 30, "days", "TBL Art 46, O87 Art 71", CEILING,
          "The contract is signed within this many days of the award notice, else contract.late."),
    Limit("core.max_candidates", 3, "candidates", "Reg Art 53", CEILING,
          "At most this many ranked candidates are published."),
)


class Limits(Mapping):
    """The effective value of every legal number, keyed by name (``limits["tendering.bid_period_days"]``)."""

    def __init__(self, table, values=None):
        self.table = {limit.name: limit for limit in table}
        self._values = {name: limit.value for name, limit in self.table.items()}
        self._values.update(values or {})

    def __getitem__(self, name):
        return self._values[name]

    def __iter__(self):
        return iter(self._values)

    def __len__(self):
        return len(self._values)

    def __repr__(self):
        changed = {name: value for name, value in self._values.items() if value != self.table[name].value}
        return f"Limits({len(self)} legal numbers, raised: {changed})"


def table(pm):
    """The core's entries and every plugin's, in a stable order; a name declared twice stops the start."""
    entries = list(CORE)
    for contributed in pm.hook.ggzy_legal_limits():
        entries.extend(contributed or ())
    seen = set()
    for limit in entries:
        if limit.name in seen:
            raise ValueError(f"the legal limit {limit.name} is declared twice")
        if limit.bound not in (FLOOR, CEILING) or not isinstance(limit.value, (int, Decimal)):
            raise ValueError(f"the legal limit {limit.name} needs an int or Decimal value and a floor or ceiling")
        seen.add(limit.name)
    return sorted(entries, key=lambda limit: limit.name)


def legal(pm=None):
    """The legal values themselves, the effective limits of an app without ``ggzy.rules.*`` settings."""
    if pm is None:
        from .plugins import make_plugin_manager

        pm = make_plugin_manager()
    return Limits(table(pm))
