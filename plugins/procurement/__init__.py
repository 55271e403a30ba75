"""Government procurement (政府采购): open tender and the non-tender methods, with sealed bids."""
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

SECTOR = "procurement"
# questions_until is optional: it defaults to bid_deadline
REQUIRED_TIMELINE = ("docs_from", "docs_until", "bid_deadline")
LOWEST_PRICE = ("lowest_price",)
SCORING = ("scoring",)
BOTH = ("lowest_price", "scoring")

OPEN = "procurement.open"
NEGOTIATION = "procurement.competitive_negotiation"
CONSULTATION = "procurement.competitive_consultation"
INQUIRY = "procurement.inquiry"
SINGLE_SOURCE = "procurement.single_source"
METHODS = (OPEN, NEGOTIATION, CONSULTATION, INQUIRY, SINGLE_SOURCE)
DEFAULT_EVALUATION = {OPEN: "lowest_price", CONSULTATION: "scoring"}

# the legal numbers of procurement: each is the setting ggzy.rules.<name>, the legal value its default and
# floor (a ceiling for a maximum, which a stricter centre lowers)
LIMITS = (
    Limit("procurement.bid_period_days", 20, "days", "GPL Art 35",
          description="Open tender: from docs_from to bid_deadline, at least."),
    Limit("procurement.docs_period_working_days", 5, "working days", "O87 Art 18",
          description="Open tender: documents on offer, at least."),
    Limit("procurement.amendment_notice_days", 15, "days", "O87 Art 27",
          description="Open tender: a later amendment moves bid_deadline to at least this many days after it."),
    Limit("procurement.deposit_share", Decimal("0.02"), "of the budget", "GPL Reg Art 33", CEILING,
          description="The deposit of a lot, at most this fraction of its budget."),
    Limit("procurement.min_bids", 3, "bids", "O87 Art 41, O74 Art 33, C214 Art 21",
          description="Open tender, negotiation, consultation, inquiry: fewer bids at the deadline, the lot fails."),
    Limit("procurement.committee_min", 5, "members", "O87 Art 47",
          description="Open tender: evaluation committee, at least."),
    Limit("procurement.large_committee_min", 7, "members", "O87 Art 47",
          description="Open tender: committee of a lot budgeted at large_budget or more, at least."),
    Limit("procurement.large_budget", Decimal("10000000.00"), "yuan", "O87 Art 47", CEILING,
          description="Open tender: from this budget the larger committee is needed."),
    Limit("procurement.panel_min", 3, "members", "O74 Art 7, C214 Art 14",
          description="Negotiation, consultation, inquiry, single source: panel, at least."),
    Limit("procurement.response_period_working_days", 3, "working days", "O74 Art 29, 45",
          description="Negotiation and inquiry: from docs_from to bid_deadline, at least."),
    Limit("procurement.consultation_response_days", 10, "days", "C214 Art 10",
          description="Consultation: from docs_from to bid_deadline, at least."),
    Limit("procurement.consultation_docs_period_working_days", 5, "working days", "C214 Art 10",
          description="Consultation: documents on offer, at least."),
    Limit("procurement.single_source_publicity_working_days", 5, "working days", "GPL Reg Art 38",
          description="Single source: publicity from the announcement to docs_from, at least."),
    Limit("procurement.open_price_weight_goods", 30, "points", "O87 Art 55",
          description="Open tender, scoring, goods: the price criterion's maximum, at least."),
    Limit("procurement.open_price_weight_services", 10, "points", "O87 Art 55",
          description="Open tender, scoring, services: the price criterion's maximum, at least."),
    Limit("procurement.consultation_price_weight_goods_min", 30, "points", "C214 Art 24",
          description="Consultation, goods: the price criterion's maximum, at least."),
    Limit("procurement.consultation_price_weight_goods_max", 60, "points", "C214 Art 24", CEILING,
          description="Consultation, goods: the price criterion's maximum, at most."),
    Limit("procurement.consultation_price_weight_services_min", 10, "points", "C214 Art 24",
          description="Consultation, services: the price criterion's maximum, at least."),
    Limit("procurement.consultation_price_weight_services_max", 30, "points", "C214 Art 24", CEILING,
          description="Consultation, services: the price criterion's maximum, at most."),
    Limit("procurement.publicity_working_days", 1, "working days", "O87 Art 69",
          description="Result publicity, at least."),
)


def _price_weights(method, limits):
    """(minimum, maximum) points of the price criterion by category; works have no floor (O87 Art 55, C214 Art 24)."""
    if method == OPEN:
        return {"goods": (limits["procurement.open_price_weight_goods"], None),
                "services": (limits["procurement.open_price_weight_services"], None)}
    return {"goods": (limits["procurement.consultation_price_weight_goods_min"],
                      limits["procurement.consultation_price_weight_goods_max"]),
            "services": (limits["procurement.consultation_price_weight_services_min"],
                         limits["procurement.consultation_price_weight_services_max"])}


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


def _lot_fields(limits):
    share = rules.plain(limits["procurement.deposit_share"] * 100)
    return {
        "properties": {
            "budget": money_schema("Procurement budget of the lot; an opened price above it fails qualification."),
            "deposit": money_schema(f"Bid bond, at most {share}% of the budget."),
        },
        "required": ["budget"],
    }


def _spec(code, name, params, min_bids, committee_min, limits):
    return MethodSpec(
        code=code,
        sector=SECTOR,
        name=name,
        kind=SEALED,
        timeline=SEALED_TIMELINE,
        required_timeline=REQUIRED_TIMELINE,
        params=params,
        publicity=(limits["procurement.publicity_working_days"], "working_days"),
        min_bids=min_bids,
        committee_min=committee_min,
        lot_fields=_lot_fields(limits),
    )


@hookimpl
def ggzy_legal_limits():
    return list(LIMITS)


@hookimpl
def ggzy_methods(limits):
    minimum, panel = limits["procurement.min_bids"], limits["procurement.panel_min"]
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
            min_bids=minimum,  # O87 Art 41
            committee_min=limits["procurement.committee_min"],  # O87 Art 47 (more from a large budget: a rule)
            limits=limits,
        ),
        _spec(
            "procurement.competitive_negotiation",
            # TRANSLATORS: 竞争性谈判
            _("Competitive negotiation"),
            _params(LOWEST_PRICE),
            min_bids=minimum,  # O74 Art 33
            committee_min=panel,  # O74 Art 7
            limits=limits,
        ),
        _spec(
            "procurement.competitive_consultation",
            # TRANSLATORS: 竞争性磋商
            _("Competitive consultation"),
            _params(SCORING),
            min_bids=minimum,  # C214 Art 21
            committee_min=panel,  # C214 Art 14
            limits=limits,
        ),
        _spec(
            "procurement.inquiry",
            # TRANSLATORS: 询价
            _("Request for quotations"),
            _params(LOWEST_PRICE),
            min_bids=minimum,  # O74 Art 45
            committee_min=panel,  # O74 Art 7
            limits=limits,
        ),
        _spec(
            "procurement.single_source",
            # TRANSLATORS: 单一来源
            _("Single-source procurement"),
            _params(LOWEST_PRICE, supplier, ["supplier_org_id"]),
            min_bids=1,  # GPL Reg Art 38: one named supplier
            committee_min=panel,  # O74 Art 7
            limits=limits,
        ),
    ]


@hookimpl
def ggzy_check_rules(project, now, calendar, amendment, limits):
    """The timeline, deposit and evaluation rules of government procurement (RULES.md "procurement.*"), at ``limits``."""
    if project.method not in METHODS:
        return []
    method, timeline = project.method, project.timeline
    docs_from, docs_until, deadline = (timeline.get(name) for name in ("docs_from", "docs_until", "bid_deadline"))
    violations = rules.check_sealed_order(project, now, amendment)
    if method == OPEN:
        violations += rules.at_least(
            "timeline.bid_period_short", docs_from, deadline, limits["procurement.bid_period_days"],
            _("The bid deadline must be at least ${minimum} days after the procurement documents are first "
              "offered (now ${actual})."),
            source="GPL Art 35", policy="GPL", field="bid_deadline",
        )
        violations += rules.at_least(
            "timeline.docs_period_short", docs_from, docs_until, limits["procurement.docs_period_working_days"],
            _("The procurement documents must be on offer for at least ${minimum} working days (now ${actual})."),
            source="O87 Art 18", policy="O87", unit=rules.WORKING_DAYS, calendar=calendar, field="docs_until",
        )
        violations += rules.check_amendment_notice(
            project, amendment, source="O87 Art 27", policy="O87", minimum=limits["procurement.amendment_notice_days"],
        )
    elif method in (NEGOTIATION, INQUIRY):
        violations += rules.at_least(
            "timeline.response_period_short", docs_from, deadline,
            limits["procurement.response_period_working_days"],
            _("Suppliers must have at least ${minimum} working days from the documents being offered to the "
              "response deadline (now ${actual})."),
            source="O74 Art 29, 45", policy="O74", unit=rules.WORKING_DAYS, calendar=calendar, field="bid_deadline",
        )
    elif method == CONSULTATION:
        violations += rules.at_least(
            "timeline.response_period_short", docs_from, deadline, limits["procurement.consultation_response_days"],
            _("Suppliers must have at least ${minimum} days from the consultation documents being offered to the "
              "response deadline (now ${actual})."),
            source="C214 Art 10", policy="C214", field="bid_deadline",
        )
        violations += rules.at_least(
            "timeline.docs_period_short", docs_from, docs_until,
            limits["procurement.consultation_docs_period_working_days"],
            _("The consultation documents must be on offer for at least ${minimum} working days (now ${actual})."),
            source="C214 Art 10", policy="C214", unit=rules.WORKING_DAYS, calendar=calendar, field="docs_until",
        )
    elif method == SINGLE_SOURCE:
        violations += rules.at_least(
            "timeline.announcement_short", rules.announced_at(project, now, amendment), docs_from,
            limits["procurement.single_source_publicity_working_days"],
            _("A single-source purchase must be made public at least ${minimum} working days before the documents "
              "are offered (now ${actual})."),
            source="GPL Reg Art 38", policy="GPLReg", unit=rules.WORKING_DAYS, calendar=calendar, field="docs_from",
        )
        violations += _check_supplier(project.params)
    violations += rules.check_deposits(project.lots, source="GPL Reg Art 33", policy="GPLReg",
                                       share=limits["procurement.deposit_share"])
    violations += _check_evaluation(method, project.params, limits)
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


def _check_evaluation(method, params, limits):
    """Scoring: criteria adding up to 100, one price criterion, and its weight by method and category."""
    if params.get("evaluation", DEFAULT_EVALUATION.get(method, "lowest_price")) != "scoring":
        return []
    if method == OPEN:
        source, policy, messages = "O87 Art 55", "O87", PRICE_WEIGHT_FLOOR
    elif method == CONSULTATION:
        source, policy, messages = "C214 Art 24", "C214", PRICE_WEIGHT_RANGE
    else:
        return []
    violations, price_max = rules.check_criteria(params, source=source, policy=policy)
    bounds = _price_weights(method, limits).get(params.get("category"))
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


@hookimpl
def ggzy_committee_minimum(project, lot, limits):
    """Open tender: five, or seven from a budget of 10,000,000.00 (O87 Art 47); the other methods three (O74 Art 7, C214 Art 14).

    Each number is the effective one of ``limits`` (the legal value unless a centre made it stricter).
    """
    if not project.method.startswith(SECTOR + "."):
        return None
    if project.method != "procurement.open":
        return limits["procurement.panel_min"]
    budgets = [lot.budget] if lot is not None else [each.budget for each in project.lots]
    large = limits["procurement.large_budget"]
    if any(budget is not None and budget >= large for budget in budgets):
        return limits["procurement.large_committee_min"]
    return limits["procurement.committee_min"]


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
