"""Government procurement (政府采购): open tender and the non-tender methods, with sealed bids."""
from decimal import Decimal

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

SECTOR = "procurement"
# questions_until is optional: it defaults to bid_deadline
REQUIRED_TIMELINE = ("docs_from", "docs_until", "bid_deadline")
LOWEST_PRICE = ("lowest_price",)
SCORING = ("scoring",)
BOTH = ("lowest_price", "scoring")

PUBLICITY = (1, "working_days")  # O87 Art 69

OPEN = "procurement.open"
NEGOTIATION = "procurement.competitive_negotiation"
CONSULTATION = "procurement.competitive_consultation"
INQUIRY = "procurement.inquiry"
SINGLE_SOURCE = "procurement.single_source"
METHODS = (OPEN, NEGOTIATION, CONSULTATION, INQUIRY, SINGLE_SOURCE)
DEFAULT_EVALUATION = {OPEN: "lowest_price", CONSULTATION: "scoring"}

BID_PERIOD_DAYS = 20  # GPL Art 35
DOCS_PERIOD_WORKING_DAYS = 5  # O87 Art 18, C214 Art 10
AMENDMENT_NOTICE_DAYS = 15  # O87 Art 27
RESPONSE_PERIOD_WORKING_DAYS = 3  # O74 Art 29, 45
CONSULTATION_RESPONSE_DAYS = 10  # C214 Art 10
SINGLE_SOURCE_PUBLICITY_WORKING_DAYS = 5  # GPL Reg Art 38

# (minimum, maximum) points of the price criterion by category; works have no floor
OPEN_PRICE_WEIGHT = {"goods": (30, None), "services": (10, None)}  # O87 Art 55
CONSULTATION_PRICE_WEIGHT = {"goods": (30, 60), "services": (10, 30)}  # C214 Art 24
# the small and micro enterprise price deduction, a fraction (SME Art 9 as changed by 财库〔2022〕19号)
SME_DEDUCTION = {
    "goods": (Decimal("0.10"), Decimal("0.20")),
    "services": (Decimal("0.10"), Decimal("0.20")),
    "works": (Decimal("0.03"), Decimal("0.05")),
}


def _params(evaluations, extra_properties=None, extra_required=()):
    properties = {
        "category": {
            "enum": ["goods", "services", "works"],
            "description": "What is procured: goods, services or works.",
        },
        "decrypt_minutes": decrypt_minutes_schema(),
        "evaluation": {
            "enum": list(evaluations),
            "default": evaluations[0],
            "description": "Evaluation method: lowest_price (lowest evaluated price) or scoring (comprehensive scoring).",
        },
        "criteria": criteria_schema(),
        "sme_deduction": {
            "type": "number",
            "minimum": 0,
            "maximum": 1,
            "description": (
                "Price deduction for small and micro enterprises, as a fraction "
                "(0.10 to 0.20 for goods and services, 0.03 to 0.05 for works)."
            ),
        },
    }
    properties.update(extra_properties or {})
    required = ["category", *extra_required]
    schema = {
        "$schema": SCHEMA_DIALECT,
        "type": "object",
        "additionalProperties": False,
        "properties": properties,
        "required": required,
    }
    if evaluations == SCORING:
        required.append("criteria")
    elif "scoring" in evaluations:
        schema["allOf"] = [
            {
                "if": {"properties": {"evaluation": {"const": "scoring"}}, "required": ["evaluation"]},
                "then": {"required": ["criteria"]},
            }
        ]
    return schema


def _lot_fields():
    return {
        "properties": {
            "budget": money_schema("Procurement budget of the lot; an opened price above it fails qualification."),
            "deposit": money_schema("Bid bond, at most 2% of the budget."),
        },
        "required": ["budget"],
    }


def _spec(code, name, params, min_bids, committee_min):
    return MethodSpec(
        code=code,
        sector=SECTOR,
        name=name,
        kind=SEALED,
        timeline=SEALED_TIMELINE,
        required_timeline=REQUIRED_TIMELINE,
        params=params,
        publicity=PUBLICITY,
        min_bids=min_bids,
        committee_min=committee_min,
        lot_fields=_lot_fields(),
    )


@hookimpl
def ggzy_methods():
    supplier = {
        "supplier_org_id": {
            "type": "string",
            "minLength": 1,
            "description": "Id of the one organisation the purchase is negotiated with.",
        }
    }
    return [
        _spec(
            "procurement.open",
            # TRANSLATORS: 公开招标(政府采购)
            _("Open tender (government procurement)"),
            _params(BOTH),
            min_bids=3,  # O87 Art 41
            committee_min=5,  # O87 Art 47 (7 from a budget of 10,000,000.00: a rule)
        ),
        _spec(
            "procurement.competitive_negotiation",
            # TRANSLATORS: 竞争性谈判
            _("Competitive negotiation"),
            _params(LOWEST_PRICE),
            min_bids=3,  # O74 Art 33
            committee_min=3,  # O74 Art 7
        ),
        _spec(
            "procurement.competitive_consultation",
            # TRANSLATORS: 竞争性磋商
            _("Competitive consultation"),
            _params(SCORING),
            min_bids=3,  # C214 Art 21
            committee_min=3,  # C214 Art 14
        ),
        _spec(
            "procurement.inquiry",
            # TRANSLATORS: 询价
            _("Request for quotations"),
            _params(LOWEST_PRICE),
            min_bids=3,  # O74 Art 45
            committee_min=3,  # O74 Art 7
        ),
        _spec(
            "procurement.single_source",
            # TRANSLATORS: 单一来源
            _("Single-source procurement"),
            _params(LOWEST_PRICE, supplier, ["supplier_org_id"]),
            min_bids=1,  # GPL Reg Art 38: one named supplier
            committee_min=3,  # O74 Art 7
        ),
    ]


@hookimpl
def ggzy_check_rules(project, now, calendar, amendment):
    """The timeline, deposit and evaluation rules of government procurement (RULES.md "procurement.*")."""
    if project.method not in METHODS:
        return []
    method, timeline = project.method, project.timeline
    docs_from, docs_until, deadline = (timeline.get(name) for name in ("docs_from", "docs_until", "bid_deadline"))
    violations = rules.check_sealed_order(project, now, amendment)
    if method == OPEN:
        violations += rules.at_least(
            "timeline.bid_period_short", docs_from, deadline, BID_PERIOD_DAYS,
            _("The bid deadline must be at least ${minimum} days after the procurement documents are first "
              "offered (now ${actual})."),
            source="GPL Art 35", policy="GPL", field="bid_deadline",
        )
        violations += rules.at_least(
            "timeline.docs_period_short", docs_from, docs_until, DOCS_PERIOD_WORKING_DAYS,
            _("The procurement documents must be on offer for at least ${minimum} working days (now ${actual})."),
            source="O87 Art 18", policy="O87", unit=rules.WORKING_DAYS, calendar=calendar, field="docs_until",
        )
        violations += rules.check_amendment_notice(
            project, amendment, source="O87 Art 27", policy="O87", minimum=AMENDMENT_NOTICE_DAYS,
        )
    elif method in (NEGOTIATION, INQUIRY):
        violations += rules.at_least(
            "timeline.response_period_short", docs_from, deadline, RESPONSE_PERIOD_WORKING_DAYS,
            _("Suppliers must have at least ${minimum} working days from the documents being offered to the "
              "response deadline (now ${actual})."),
            source="O74 Art 29, 45", policy="O74", unit=rules.WORKING_DAYS, calendar=calendar, field="bid_deadline",
        )
    elif method == CONSULTATION:
        violations += rules.at_least(
            "timeline.response_period_short", docs_from, deadline, CONSULTATION_RESPONSE_DAYS,
            _("Suppliers must have at least ${minimum} days from the consultation documents being offered to the "
              "response deadline (now ${actual})."),
            source="C214 Art 10", policy="C214", field="bid_deadline",
        )
        violations += rules.at_least(
            "timeline.docs_period_short", docs_from, docs_until, DOCS_PERIOD_WORKING_DAYS,
            _("The consultation documents must be on offer for at least ${minimum} working days (now ${actual})."),
            source="C214 Art 10", policy="C214", unit=rules.WORKING_DAYS, calendar=calendar, field="docs_until",
        )
    elif method == SINGLE_SOURCE:
        violations += rules.at_least(
            "timeline.announcement_short", rules.announced_at(project, now, amendment), docs_from,
            SINGLE_SOURCE_PUBLICITY_WORKING_DAYS,
            _("A single-source purchase must be made public at least ${minimum} working days before the documents "
              "are offered (now ${actual})."),
            source="GPL Reg Art 38", policy="GPLReg", unit=rules.WORKING_DAYS, calendar=calendar, field="docs_from",
        )
        violations += _check_supplier(project.params)
    violations += rules.check_deposits(project.lots, source="GPL Reg Art 33", policy="GPLReg")
    violations += _check_evaluation(method, project.params)
    violations += _check_sme_deduction(project.params)
    return violations + rules.deadline_warnings(project, calendar, amendment)


def _check_supplier(params):
    supplier = params.get("supplier_org_id")
    if isinstance(supplier, str) and supplier.strip():
        return []
    return [RuleViolation(
        "single_source.supplier_required",
        _("A single-source purchase names its one supplier (supplier_org_id)."),
        source="GPL Reg Art 38", policy="GPLReg", field="supplier_org_id",
    )]


PRICE_WEIGHT_FLOOR = {
    "goods": _("In an open tender for goods the price criterion must be worth at least ${minimum} points "
               "(now ${actual})."),
    "services": _("In an open tender for services the price criterion must be worth at least ${minimum} points "
                  "(now ${actual})."),
}
PRICE_WEIGHT_RANGE = {
    "goods": _("In a consultation for goods the price criterion must be worth ${minimum} to ${maximum} points "
               "(now ${actual})."),
    "services": _("In a consultation for services the price criterion must be worth ${minimum} to ${maximum} "
                  "points (now ${actual})."),
}


def _check_evaluation(method, params):
    """Scoring: criteria adding up to 100, one price criterion, and its weight by method and category."""
    if params.get("evaluation", DEFAULT_EVALUATION.get(method, "lowest_price")) != "scoring":
        return []
    if method == OPEN:
        source, policy, weights, messages = "O87 Art 55", "O87", OPEN_PRICE_WEIGHT, PRICE_WEIGHT_FLOOR
    elif method == CONSULTATION:
        source, policy, weights, messages = "C214 Art 24", "C214", CONSULTATION_PRICE_WEIGHT, PRICE_WEIGHT_RANGE
    else:
        return []
    violations, price_max = rules.check_criteria(params, source=source, policy=policy)
    bounds = weights.get(params.get("category"))
    if price_max is None or bounds is None:
        return violations
    minimum, maximum = bounds
    if price_max < minimum or (maximum is not None and price_max > maximum):
        category = params["category"]
        template = messages[category]
        extra = {"maximum": maximum} if maximum is not None else {}
        violations.append(RuleViolation(
            "evaluation.price_weight",
            _(template, mapping={"minimum": minimum, "maximum": maximum, "actual": rules.plain(price_max)}),
            source=source, policy=policy, field="criteria", category=category,
            minimum=minimum, actual=rules.json_number(price_max), **extra,
        ))
    return violations


def _check_sme_deduction(params):
    if "sme_deduction" not in params or params["sme_deduction"] is None:
        return []
    bounds = SME_DEDUCTION.get(params.get("category"))
    deduction = rules.number(params["sme_deduction"])
    if bounds is None:
        return []
    minimum, maximum = bounds
    if deduction is not None and minimum <= deduction <= maximum:
        return []
    if params["category"] == "works":
        message = _("For works the SME price deduction (sme_deduction) must be from ${minimum} to ${maximum} "
                    "(now ${actual}).")
    else:
        message = _("For goods and services the SME price deduction (sme_deduction) must be from ${minimum} to "
                    "${maximum} (now ${actual}).")
    actual = rules.plain(deduction) if deduction is not None else str(params["sme_deduction"])
    return [RuleViolation(
        "evaluation.sme_deduction",
        _(message, mapping={"minimum": str(minimum), "maximum": str(maximum), "actual": actual}),
        source="SME Art 9", policy="SME", field="sme_deduction", category=params["category"],
        minimum=float(minimum), maximum=float(maximum),
        actual=rules.json_number(deduction) if deduction is not None else params["sme_deduction"],
    )]


LARGE_BUDGET = Decimal("10000000.00")  # O87 Art 47: seven members from this budget


@hookimpl
def ggzy_committee_minimum(project, lot):
    """Open tender: five, or seven from a budget of 10,000,000.00 (O87 Art 47); the other methods three (O74 Art 7, C214 Art 14)."""
    if not project.method.startswith(SECTOR + "."):
        return None
    if project.method != "procurement.open":
        return 3
    budgets = [lot.budget] if lot is not None else [each.budget for each in project.lots]
    if any(budget is not None and budget >= LARGE_BUDGET for budget in budgets):
        return 7
    return 5


# imported here, after the method specs, because this hook was appended; the arithmetic is in its own module
from . import ranking


@hookimpl
def ggzy_rank(lot, bids, scores):
    """Rank an evaluated procurement lot on evaluated prices (after the SME deduction): lowest price or scoring."""
    project = getattr(lot, "project", None)
    if getattr(project, "method", None) not in METHODS:
        return None
    method, params = project.method, project.params or {}
    evaluation = params.get("evaluation", DEFAULT_EVALUATION.get(method, "lowest_price"))
    return ranking.rank(evaluation, params, bids, scores)
