"""Tendering (招标投标): open and invited tendering under the Bidding Law, with sealed bids."""
from trading import timeline_rules as rules
from trading.errors import RuleViolation
from trading.hookspecs import hookimpl
from trading.i18n import _
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

MIN_BIDS = 3  # TBL Art 28, Reg Art 44
BID_PERIOD_DAYS = 20  # TBL Art 24
DOCS_PERIOD_DAYS = 5  # Reg Art 16
AMENDMENT_NOTICE_DAYS = 15  # Reg Art 21, TBL Art 23
MIN_INVITEES = 3  # TBL Art 17
COMMITTEE_MIN = 5  # TBL Art 37
PUBLICITY = (3, "days")  # Reg Art 54


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


def _lot_fields():
    return {
        "properties": {
            "budget": money_schema("Maximum bid limit of the lot; an opened price above it fails qualification."),
            "deposit": money_schema("Bid bond, at most 2% of the budget."),
        },
        "required": ["budget"],
    }


def _spec(code, name, params):
    return MethodSpec(
        code=code,
        sector=SECTOR,
        name=name,
        kind=SEALED,
        timeline=SEALED_TIMELINE,
        required_timeline=REQUIRED_TIMELINE,
        params=params,
        publicity=PUBLICITY,
        min_bids=MIN_BIDS,
        committee_min=COMMITTEE_MIN,
        lot_fields=_lot_fields(),
    )


@hookimpl
def ggzy_methods():
    invitees = {
        "type": "array",
        "uniqueItems": True,
        "items": {"type": "string", "minLength": 1},
        "description": "Ids of the invited organisations; at least 3 are needed to publish.",
    }
    return [
        _spec(
            "tendering.open",
            # TRANSLATORS: 公开招标
            _("Open tendering"),
            _params({}),
        ),
        _spec(
            "tendering.invited",
            # TRANSLATORS: 邀请招标
            _("Invited tendering"),
            _params({"invitees": invitees}, ["invitees"]),
        ),
    ]


@hookimpl
def ggzy_check_rules(project, now, calendar, amendment):
    """The timeline, deposit, invitation and scoring rules of tendering (RULES.md "tendering.*")."""
    if project.method not in METHODS:
        return []
    timeline = project.timeline
    violations = rules.check_sealed_order(project, now, amendment)
    violations += rules.at_least(
        "timeline.bid_period_short", timeline.get("docs_from"), timeline.get("bid_deadline"), BID_PERIOD_DAYS,
        _("The bid deadline must be at least ${minimum} days after the documents are first offered (now ${actual})."),
        source="TBL Art 24", policy="TBL", field="bid_deadline",
    )
    violations += rules.at_least(
        "timeline.docs_period_short", timeline.get("docs_from"), timeline.get("docs_until"), DOCS_PERIOD_DAYS,
        _("The tender documents must be on offer for at least ${minimum} days (now ${actual})."),
        source="Reg Art 16", policy="Reg", field="docs_until",
    )
    violations += rules.check_amendment_notice(
        project, amendment, source="Reg Art 21, TBL Art 23", policy="Reg", minimum=AMENDMENT_NOTICE_DAYS,
    )
    violations += rules.check_deposits(project.lots, source="Reg Art 26", policy="Reg")
    if project.method == "tendering.invited":
        violations += _check_invitees(project.params)
    if project.params.get("evaluation", "lowest_price") == "scoring":
        criteria_violations, _price_max = rules.check_criteria(project.params, source="Reg Art 49", policy="Reg")
        violations += criteria_violations
    return violations + rules.deadline_warnings(project, calendar, amendment)


def _check_invitees(params):
    invitees = {org for org in params.get("invitees") or [] if isinstance(org, str) and org.strip()}
    if len(invitees) >= MIN_INVITEES:
        return []
    return [RuleViolation(
        "invited.too_few",
        _("Invited tendering must invite at least ${minimum} organisations (now ${actual}).",
          mapping={"minimum": MIN_INVITEES, "actual": len(invitees)}),
        source="TBL Art 17", policy="TBL", field="invitees", minimum=MIN_INVITEES, actual=len(invitees),
    )]


@hookimpl
def ggzy_committee_minimum(project, lot):
    """Tendering committees: at least five (TBL Art 37)."""
    if not project.method.startswith(SECTOR + "."):
        return None
    return COMMITTEE_MIN


# imported here, after the method specs, because this hook was appended; the arithmetic is in its own module
from . import ranking


@hookimpl
def ggzy_rank(lot, bids, scores):
    """Rank an evaluated tendering lot: lowest price, or scoring with the `lowest` or `deviation` formula."""
    project = getattr(lot, "project", None)
    if getattr(project, "method", None) not in METHODS:
        return None
    return ranking.rank(project.params or {}, bids, scores)
