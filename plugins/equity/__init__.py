"""Equity (产权交易): transfer of state-owned property rights by disclosure and online bidding."""
from trading.hookspecs import hookimpl
from trading.i18n import _
from trading.methods import SCHEMA_DIALECT, AUCTION, MethodSpec, money_schema

SECTOR = "equity"
TIMELINE = ("disclosure_until", "auction_at")
PUBLICITY = (5, "working_days")  # the result announcement (S32)


def _params():
    return {
        "$schema": SCHEMA_DIALECT,
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "appraisal": money_schema("Appraised value of the property; a start price below 90% of it needs approval."),
            "approval_ref": {
                "type": "string",
                "minLength": 1,
                "maxLength": 200,
                "description": "Reference of the approval for a start price below 90% of the appraisal.",
            },
            "countdown_seconds": {
                "type": "integer",
                "minimum": 30,
                "maximum": 3600,
                "default": 300,
                "description": "Length of a live bidding round: each accepted bid restarts it, in seconds.",
            },
        },
        "required": ["appraisal"],
    }


def _lot_fields():
    return {
        "properties": {
            "start_price": money_schema("Listing price: the agreement price, and the floor of the first bid."),
            "increment": money_schema("Bid increment: every bid is a whole multiple of it above the price before."),
            "deposit": money_schema("Deposit a transferee pays to qualify."),
            "reserve_price": money_schema("Secret reserve price the winning amount must reach."),
        },
        "required": ["start_price", "increment", "deposit"],
    }


@hookimpl
def ggzy_methods():
    return [
        MethodSpec(
            code="equity.transfer",
            sector=SECTOR,
            # TRANSLATORS: 产权转让
            name=_("Property rights transfer"),
            kind=AUCTION,
            timeline=TIMELINE,
            required_timeline=TIMELINE,
            params=_params(),
            publicity=PUBLICITY,
            min_bids=0,
            committee_min=0,
            lot_fields=_lot_fields(),
        )
    ]
