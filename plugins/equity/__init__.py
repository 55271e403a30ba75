"""Equity (产权交易): transfer of state-owned property rights by disclosure and online bidding."""
from decimal import ROUND_CEILING, Decimal

from trading import timeline_rules as rules
from trading.errors import RuleViolation
from trading.hookspecs import hookimpl
from trading.i18n import _, money
from trading.methods import SCHEMA_DIALECT, AUCTION, MethodSpec, money_schema

SECTOR = "equity"
TIMELINE = ("disclosure_until", "auction_at")
PUBLICITY = (5, "working_days")  # the result announcement (S32)
METHODS = ("equity.transfer",)

DISCLOSURE_WORKING_DAYS = 20  # S32
APPROVAL_SHARE = Decimal("0.9")  # 国资委 120号文 Art 21: below 90% of the appraisal needs approval


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


@hookimpl
def ggzy_check_rules(project, now, calendar, amendment):
    """The disclosure period and the listing price of a property transfer (RULES.md "equity.transfer")."""
    if project.method not in METHODS:
        return []
    timeline = project.timeline
    violations = rules.check_order(
        project, now, amendment, pairs=(("disclosure_until", "auction_at"),),
    )
    violations += rules.at_least(
        "timeline.disclosure_short", rules.announced_at(project, now, amendment), timeline.get("disclosure_until"),
        DISCLOSURE_WORKING_DAYS,
        _("The transfer must be disclosed for at least ${minimum} working days before disclosure ends "
          "(now ${actual})."),
        source="S32", policy="S32", unit=rules.WORKING_DAYS, calendar=calendar, field="disclosure_until",
    )
    violations += rules.check_auction_lots(
        project.lots, required=("start_price", "increment", "deposit"), positive=("start_price", "increment"),
        source="S32", policy="S32",
    )
    violations += _check_price_against_appraisal(project)
    return violations + rules.deadline_warnings(project, calendar, amendment)


def _check_price_against_appraisal(project):
    appraisal = rules.number(project.params.get("appraisal"))
    approval = project.params.get("approval_ref")
    if appraisal is None or (isinstance(approval, str) and approval.strip()):
        return []
    floor = appraisal * APPROVAL_SHARE
    # the least start price that needs no approval, in whole cents
    least = money(floor.quantize(Decimal("0.01"), rounding=ROUND_CEILING))
    violations = []
    for lot in project.lots:
        if lot.start_price is None or Decimal(lot.start_price) >= floor:
            continue
        violations.append(RuleViolation(
            "equity.price_below_appraisal",
            _("Lot ${lot}: the start price ${price} is below ${share} of the appraisal ${appraisal} (${floor}); "
              "give the approval reference (approval_ref) or raise the price.",
              mapping={"lot": lot.number, "share": "90%", "price": money(lot.start_price),
                       "appraisal": money(appraisal), "floor": least}),
            source="国资委 120号文 Art 21", policy="SASAC120", lot=lot.number, lot_id=lot.id,
            field="approval_ref", minimum=least, actual=money(lot.start_price),
        ))
    return violations


@hookimpl
def ggzy_auction_policy(lot):
    """The transfer policy of an equity lot; None for other methods."""
    from .auction import POLICIES

    project = getattr(lot, "project", None)
    return POLICIES.get(getattr(project, "method", None))
