"""Equity (产权交易): transfer of state-owned property rights by disclosure and online bidding."""
from decimal import ROUND_CEILING, Decimal

from trading import timeline_rules as rules
from trading.errors import RuleViolation
from trading.hookspecs import hookimpl
from trading.i18n import _, money
from trading.legal_limits import Limit
from trading.methods import SCHEMA_DIALECT, AUCTION, MethodSpec, money_schema

SECTOR = "equity"
TIMELINE = ("disclosure_until", "auction_at")
METHODS = ("equity.transfer",)

# the legal numbers of equity transfers: each is the setting ggzy.rules.<name>, the legal value its default and floor
LIMITS = (
    Limit("equity.disclosure_working_days", 20, "working days", "S32",
          description="Disclosure (the announcement to disclosure_until), at least."),
    Limit("equity.approval_share", Decimal("0.9"), "of the appraisal", "国资委 120号文 Art 21",
          description="A start price below this fraction of params.appraisal needs params.approval_ref."),
    Limit("equity.publicity_working_days", 5, "working days", "S32",
          description="The result announcement stays published, at least."),
)


def _params(limits):
    share = rules.plain(limits["equity.approval_share"] * 100) + "%"
    return {
        "$schema": SCHEMA_DIALECT,
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "appraisal": money_schema(f"Appraised value of the property; a start price below {share} of it needs approval."),
            "approval_ref": {
                "type": "string",
                "minLength": 1,
                "maxLength": 200,
                "description": f"Reference of the approval for a start price below {share} of the appraisal.",
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
def ggzy_legal_limits():
    return list(LIMITS)


@hookimpl
def ggzy_methods(limits):
    return [
        MethodSpec(
            code="equity.transfer",
            sector=SECTOR,
            # TRANSLATORS: 产权转让
            name=_("Property rights transfer"),
            kind=AUCTION,
            timeline=TIMELINE,
            required_timeline=TIMELINE,
            params=_params(limits),
            publicity=(limits["equity.publicity_working_days"], "working_days"),  # the result announcement (S32)
            min_bids=0,
            committee_min=0,
            lot_fields=_lot_fields(),
        )
    ]


@hookimpl
def ggzy_check_rules(project, now, calendar, amendment, limits):
    """The disclosure period and the listing price of a property transfer (RULES.md "equity.transfer"), at ``limits``."""
    if project.method not in METHODS:
        return []
    timeline = project.timeline
    violations = rules.check_order(
        project, now, amendment, pairs=(("disclosure_until", "auction_at"),),
    )
    violations += rules.at_least(
        "timeline.disclosure_short", rules.announced_at(project, now, amendment), timeline.get("disclosure_until"),
        limits["equity.disclosure_working_days"],
        _("The transfer must be disclosed for at least ${minimum} working days before disclosure ends "
          "(now ${actual})."),
        source="S32", policy="S32", unit=rules.WORKING_DAYS, calendar=calendar, field="disclosure_until",
    )
    violations += rules.check_auction_lots(
        project.lots, required=("start_price", "increment", "deposit"), positive=("start_price", "increment"),
        source="S32", policy="S32",
    )
    violations += _check_price_against_appraisal(project, limits["equity.approval_share"])
    return violations + rules.deadline_warnings(project, calendar, amendment)


def _check_price_against_appraisal(project, share):
    appraisal = rules.number(project.params.get("appraisal"))
    approval = project.params.get("approval_ref")
    if appraisal is None or (isinstance(approval, str) and approval.strip()):
        return []
    floor = appraisal * share
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
              mapping={"lot": lot.number, "share": rules.plain(share * 100) + "%", "price": money(lot.start_price),
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
