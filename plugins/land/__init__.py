"""Land (土地使用权出让): listing and auction of state-owned construction land use rights."""
from trading.hookspecs import hookimpl
from trading.i18n import _
from trading.methods import SCHEMA_DIALECT, AUCTION, MethodSpec, money_schema

SECTOR = "land"
PUBLICITY = (0, "days")  # the transaction confirmation is issued at once (L39)


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
def ggzy_methods():
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
