"""Land (土地使用权出让): listing and auction of state-owned construction land use rights."""
from trading import timeline_rules as rules
from trading.hookspecs import hookimpl
from trading.i18n import _
from trading.legal_limits import Limit
from trading.methods import SCHEMA_DIALECT, AUCTION, MethodSpec, money_schema

SECTOR = "land"
PUBLICITY = (0, "days")  # the transaction confirmation is issued at once (L39)
LISTING = "land.listing"
AUCTION_METHOD = "land.auction"
METHODS = (LISTING, AUCTION_METHOD)
LOT_AMOUNTS = ("start_price", "increment", "reserve_price", "deposit")

# the legal numbers of land sales: each is the setting ggzy.rules.<name>, the legal value its default and floor
LIMITS = (
    Limit("land.announcement_days", 20, "days", "L39",
          description="The announcement comes at least this many days before listing_from or auction_at."),
    Limit("land.listing_working_days", 10, "working days", "L39 Art 17",
          description="Listing period (listing_from to listing_until), at least (the 2002 rule, the stricter reading)."),
)


def _params():
    return {
        "$schema": SCHEMA_DIALECT,
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "countdown_seconds": {
                "type": "integer",
                "minimum": 30,
                "maximum": 3600,
                "default": 300,
                "description": "Length of a live auction round: each accepted bid restarts it, in seconds.",
            },
        },
        "required": [],
    }


def _lot_fields():
    return {
        "properties": {
            "start_price": money_schema("Starting price: the first quote or bid must reach it."),
            "increment": money_schema("Bid increment: each later quote or bid is at least the highest plus it."),
            "reserve_price": money_schema("Secret reserve price the winning amount must reach."),
            "deposit": money_schema("Deposit a bidder pays before quoting or bidding."),
        },
        "required": ["start_price", "increment", "reserve_price", "deposit"],
    }


def _spec(code, name, timeline):
    return MethodSpec(
        code=code,
        sector=SECTOR,
        name=name,
        kind=AUCTION,
        timeline=timeline,
        required_timeline=timeline,
        params=_params(),
        publicity=PUBLICITY,
        min_bids=0,
        committee_min=0,
        lot_fields=_lot_fields(),
    )


@hookimpl
def ggzy_legal_limits():
    return list(LIMITS)


@hookimpl
def ggzy_methods(limits):
    return [
        _spec(
            "land.listing",
            # TRANSLATORS: 挂牌出让
            _("Listing of land use rights"),
            ("listing_from", "listing_until"),
        ),
        _spec(
            "land.auction",
            # TRANSLATORS: 拍卖出让
            _("Auction of land use rights"),
            ("registration_until", "auction_at"),
        ),
    ]


@hookimpl
def ggzy_check_rules(project, now, calendar, amendment, limits):
    """The announcement and listing periods and the lot amounts of land sales (RULES.md "land.*"), at ``limits``."""
    if project.method not in METHODS:
        return []
    timeline = project.timeline
    announced = rules.announced_at(project, now, amendment)
    if project.method == LISTING:
        violations = rules.check_order(
            project, now, amendment, pairs=(("listing_from", "listing_until"),),
        )
        violations += rules.at_least(
            "timeline.announcement_short", announced, timeline.get("listing_from"),
            limits["land.announcement_days"],
            _("The land listing must be announced at least ${minimum} days before the listing starts (now ${actual})."),
            source="L39", policy="L39", field="listing_from",
        )
        violations += rules.at_least(
            "timeline.listing_period_short", timeline.get("listing_from"), timeline.get("listing_until"),
            limits["land.listing_working_days"],
            _("The listing must stay open for at least ${minimum} working days (now ${actual})."),
            source="L39 Art 17", policy="L39", unit=rules.WORKING_DAYS, calendar=calendar, field="listing_until",
        )
    else:
        violations = rules.check_order(
            project, now, amendment, pairs=(("registration_until", "auction_at"),),
        )
        violations += rules.at_least(
            "timeline.announcement_short", announced, timeline.get("auction_at"),
            limits["land.announcement_days"],
            _("The land auction must be announced at least ${minimum} days before the auction (now ${actual})."),
            source="L39", policy="L39", field="auction_at",
        )
    violations += rules.check_auction_lots(
        project.lots, required=LOT_AMOUNTS, positive=("start_price", "increment"), source="L39", policy="L39",
    )
    return violations + rules.deadline_warnings(project, calendar, amendment)


@hookimpl
def ggzy_auction_policy(lot):
    """The listing or auction policy of a land lot; None for other methods."""
    from .auction import POLICIES

    project = getattr(lot, "project", None)
    return POLICIES.get(getattr(project, "method", None))
