"""Tendering (招标投标): open and invited tendering under the Bidding Law, with sealed bids."""
from decimal import Decimal

from trading import timeline_rules as rules
from trading.errors import RuleViolation
from trading.hookspecs import hookimpl
from trading.i18n import _
from trading.legal_limits import CEILING, Limit
from trading.methods import (
    SCHEMA_DIALECT,
    SEALED,
    SEALED_TIMELINE,
    MethodSpec,
    criteria_schema,
    decrypt_minutes_schema,
    money_schema,
)

SECTOR = "tendering"
METHODS = ("tendering.open", "tendering.invited")
# questions_until is optional: it defaults to bid_deadline
REQUIRED_TIMELINE = ("docs_from", "docs_until", "bid_deadline")
EVALUATIONS = ("lowest_price", "scoring")

# the legal numbers of tendering: each is the setting ggzy.rules.<name>, the legal value its default and floor
LIMITS = (
    Limit("tendering.bid_period_days", 20, "days", "TBL Art 24",
          description="From docs_from to bid_deadline, at least."),
    Limit("tendering.docs_period_days", 5, "days", "Reg Art 16",
          description="Tender documents on offer (docs_from to docs_until), at least."),
    Limit("tendering.amendment_notice_days", 15, "days", "Reg Art 21, TBL Art 23",
          description="A later amendment moves bid_deadline to at least this many days after it."),
    Limit("tendering.deposit_share", Decimal("0.02"), "of the budget", "Reg Art 26", CEILING,
          description="The deposit (bid bond) of a lot, at most this fraction of its budget."),
    Limit("tendering.min_invitees", 3, "organisations", "TBL Art 17",
          description="Invited tendering names at least this many invitees."),
    Limit("tendering.min_bids", 3, "bids", "TBL Art 28, Reg Art 44",
          description="Fewer bids at the deadline: the lot is not opened and fails."),
    Limit("tendering.committee_min", 5, "members", "TBL Art 37",
          description="Evaluation committee, at least."),
    Limit("tendering.publicity_days", 3, "days", "Reg Art 54",
          description="Candidate publicity, at least."),
)


def _params(extra_properties, extra_required=()):
    properties = {
        "decrypt_minutes": decrypt_minutes_schema(),
        "evaluation": {
            "enum": list(EVALUATIONS),
            "default": "lowest_price",
            "description": "Evaluation method: lowest_price (lowest evaluated bid price) or scoring (comprehensive scoring).",
        },
        "criteria": criteria_schema(),
        "price_formula": {
            "enum": ["lowest", "deviation"],
            "default": "lowest",
            "description": (
                "Price score formula under scoring: lowest (max x lowest price / price) "
                "or deviation (from the discounted mean of the qualified prices)."
            ),
        },
        "benchmark_discount": {
            "type": "number",
            "minimum": 0,
            "maximum": 0.2,
            "default": 0,
            "description": "Deviation formula: fraction taken off the mean price to give the benchmark (0.02 means 2%).",
        },
        "points_above": {
            "type": "number",
            "minimum": 0,
            "maximum": 10,
            "description": "Deviation formula: points deducted per percentage point above the benchmark.",
        },
        "points_below": {
            "type": "number",
            "minimum": 0,
            "maximum": 10,
            "description": "Deviation formula: points deducted per percentage point below the benchmark.",
        },
    }
    properties.update(extra_properties)
    return {
        "$schema": SCHEMA_DIALECT,
        "type": "object",
        "additionalProperties": False,
        "properties": properties,
        "required": list(extra_required),
        "allOf": [
            {
                "if": {"properties": {"evaluation": {"const": "scoring"}}, "required": ["evaluation"]},
                "then": {"required": ["criteria"]},
            },
            {
                "if": {"properties": {"price_formula": {"const": "deviation"}}, "required": ["price_formula"]},
                "then": {"required": ["points_above", "points_below"]},
            },
        ],
    }


def _lot_fields(limits):
    share = rules.plain(limits["tendering.deposit_share"] * 100)
    return {
        "properties": {
            "budget": money_schema("Maximum bid limit of the lot; an opened price above it fails qualification."),
            "deposit": money_schema(f"Bid bond, at most {share}% of the budget."),
        },
        "required": ["budget"],
    }


def _spec(code, name, params, limits):
    return MethodSpec(
        code=code,
        sector=SECTOR,
        name=name,
        kind=SEALED,
        timeline=SEALED_TIMELINE,
        required_timeline=REQUIRED_TIMELINE,
        params=params,
        publicity=(limits["tendering.publicity_days"], "days"),
        min_bids=limits["tendering.min_bids"],
        committee_min=limits["tendering.committee_min"],
        lot_fields=_lot_fields(limits),
    )


@hookimpl
def ggzy_legal_limits():
    return list(LIMITS)


@hookimpl
def ggzy_methods(limits):
    invitees = {
        "type": "array",
        "uniqueItems": True,
        "items": {"type": "string", "minLength": 1},
        "description": f"Ids of the invited organisations; at least {limits['tendering.min_invitees']} are needed "
                       "to publish.",
    }
    return [
        _spec(
            "tendering.open",
            # TRANSLATORS: 公开招标
            _("Open tendering"),
            _params({}),
            limits,
        ),
        _spec(
            "tendering.invited",
            # TRANSLATORS: 邀请招标
            _("Invited tendering"),
            _params({"invitees": invitees}, ["invitees"]),
            limits,
        ),
    ]


@hookimpl
def ggzy_check_rules(project, now, calendar, amendment, limits):
    """The timeline, deposit, invitation and scoring rules of tendering (RULES.md "tendering.*"), at ``limits``."""
    if project.method not in METHODS:
        return []
    timeline = project.timeline
    violations = rules.check_sealed_order(project, now, amendment)
    violations += rules.at_least(
        "timeline.bid_period_short", timeline.get("docs_from"), timeline.get("bid_deadline"),
        limits["tendering.bid_period_days"],
        _("The bid deadline must be at least ${minimum} days after the documents are first offered (now ${actual})."),
        source="TBL Art 24", policy="TBL", field="bid_deadline",
    )
    violations += rules.at_least(
        "timeline.docs_period_short", timeline.get("docs_from"), timeline.get("docs_until"),
        limits["tendering.docs_period_days"],
        _("The tender documents must be on offer for at least ${minimum} days (now ${actual})."),
        source="Reg Art 16", policy="Reg", field="docs_until",
    )
    violations += rules.check_amendment_notice(
        project, amendment, source="Reg Art 21, TBL Art 23", policy="Reg",
        minimum=limits["tendering.amendment_notice_days"],
    )
    violations += rules.check_deposits(project.lots, source="Reg Art 26", policy="Reg",
                                       share=limits["tendering.deposit_share"])
    if project.method == "tendering.invited":
        violations += _check_invitees(project.params, limits["tendering.min_invitees"])
    if project.params.get("evaluation", "lowest_price") == "scoring":
        criteria_violations, _price_max = rules.check_criteria(project.params, source="Reg Art 49", policy="Reg")
        violations += criteria_violations
    return violations + rules.deadline_warnings(project, calendar, amendment)


def _check_invitees(params, minimum):
    invitees = {org for org in params.get("invitees") or [] if isinstance(org, str) and org.strip()}
    if len(invitees) >= minimum:
        return []
    return [RuleViolation(
        "invited.too_few",
        _("Invited tendering must invite at least ${minimum} organisations (now ${actual}).",
          mapping={"minimum": minimum, "actual": len(invitees)}),
        source="TBL Art 17", policy="TBL", field="invitees", minimum=minimum, actual=len(invitees),
    )]


@hookimpl
def ggzy_committee_minimum(project, lot, limits):
    """Tendering committees: at least five (TBL Art 37), or the stricter ``tendering.committee_min``."""
    if not project.method.startswith(SECTOR + "."):
        return None
    return limits["tendering.committee_min"]


# imported here, after the method specs, because this hook was appended; the arithmetic is in its own module
from . import ranking


@hookimpl
def ggzy_rank(lot, bids, scores):
    """Rank an evaluated tendering lot: lowest price, or scoring with the `lowest` or `deviation` formula."""
    project = getattr(lot, "project", None)
    if getattr(project, "method", None) not in METHODS:
        return None
    return ranking.rank(project.params or {}, bids, scores)
