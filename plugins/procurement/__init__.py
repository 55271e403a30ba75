"""Government procurement (政府采购): open tender and the non-tender methods, with sealed bids."""
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
