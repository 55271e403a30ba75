"""The auction policy contract: what a sector plugin decides about an auction lot (ggzy_auction_policy)."""
from decimal import Decimal

from .errors import Conflict
from .i18n import _, money

DEFAULT_COUNTDOWN = 300
AMOUNT_PATTERN = r"^[0-9]{1,16}(\.[0-9]{1,2})?$"  # a quote's or a bid's amount as the API takes it: a string


class AuctionPolicy:
    """How a lot moves between phases and which amounts are acceptable; the engine does the rest.

    A plugin subclasses it per method. ``deadlines`` names the clock's
    transitions; ``on_deadline`` decides each with the engine's operations
    (``go_live``, ``award``, ``fail``, ``set_phase``).
    """

    method = None

    def deadlines(self, timeline):
        """{deadline name: instant} the engine schedules when the project is published."""
        return {}

    def phase_before_live(self, timeline, now):
        """registration | listing | waiting, while the lot is neither live nor ended."""
        return "registration"

    def registration_closes(self, timeline):
        return None

    def countdown(self, params):
        return int((params or {}).get("countdown_seconds") or DEFAULT_COUNTDOWN)

    def check_quote(self, lot, state, amount):
        """A listing quote: the first at least the start price, each later one at least current + increment."""
        minimum = lot.start_price if state.current is None else state.current + lot.increment
        if amount < minimum:
            raise Conflict("quote.too_low", _("The quote must be at least ${minimum}.", mapping={"minimum": money(minimum)}),
                           details=[{"minimum": money(minimum)}])

    def check_live_bid(self, lot, state, amount):
        """A live bid: the first at least the start price, each later one at least current + increment."""
        minimum = lot.start_price if state.current is None else state.current + lot.increment
        if amount < minimum:
            raise Conflict("auction.too_low", _("The bid must be at least ${minimum}.", mapping={"minimum": money(minimum)}),
                           details=[{"minimum": money(minimum)}])

    def on_deadline(self, name, engine):
        """Apply the transition ``name`` through ``engine``; return a short text of what happened."""
        raise NotImplementedError(name)


def whole_multiple(amount, base, increment, at_least):
    """Whether amount = base + k × increment for a whole k ≥ at_least (equity bidding)."""
    if increment is None or increment <= 0:
        return False
    steps = (Decimal(amount) - Decimal(base)) / Decimal(increment)
    return steps == steps.to_integral_value() and steps >= at_least
