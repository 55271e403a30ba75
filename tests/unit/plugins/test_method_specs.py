"""The method specs the four sector plugins declare: codes, params schemas, lot fields and legal numbers."""
import copy
import json

import pluggy
import pytest
from jsonschema import Draft202012Validator
from pyramid.i18n import TranslationString

import plugins.equity
import plugins.land
import plugins.procurement
import plugins.tendering
from trading import hookspecs
from trading.legal_limits import legal
from trading.methods import AUCTION, SEALED, SEALED_TIMELINE, MethodRegistry, build_registry

MODULES = {
    "tendering": plugins.tendering,
    "procurement": plugins.procurement,
    "land": plugins.land,
    "equity": plugins.equity,
}

CODES = {
    "tendering": ["tendering.open", "tendering.invited"],
    "procurement": [
        "procurement.open",
        "procurement.competitive_negotiation",
        "procurement.competitive_consultation",
        "procurement.inquiry",
        "procurement.single_source",
    ],
    "land": ["land.listing", "land.auction"],
    "equity": ["equity.transfer"],
}

LEGAL = legal()  # the legal values: an app without ggzy.rules.* settings
SPECS = {spec.code: spec for module in MODULES.values() for spec in module.ggzy_methods(limits=LEGAL)}
SEALED_CODES = CODES["tendering"] + CODES["procurement"]
AUCTION_CODES = CODES["land"] + CODES["equity"]

CRITERIA = [
    {"code": "technical", "name": "Technical proposal", "max": 40, "kind": "technical"},
    {"code": "business", "name": "Business terms", "max": 29.7, "kind": "business"},
    {"code": "price", "name": "Price", "max": 30.3, "kind": "price"},
]

# one valid params object per method, using most of what the method accepts
VALID_PARAMS = {
    "tendering.open": {
        "decrypt_minutes": 45,
        "evaluation": "scoring",
        "criteria": CRITERIA,
        "price_formula": "deviation",
        "benchmark_discount": 0.02,
        "points_above": 1,
        "points_below": 0.5,
    },
    "tendering.invited": {"invitees": ["org-1", "org-2", "org-3"], "evaluation": "lowest_price"},
    "procurement.open": {"category": "goods", "evaluation": "scoring", "criteria": CRITERIA, "sme_deduction": 0.1},
    "procurement.competitive_negotiation": {"category": "services", "decrypt_minutes": 30},
    "procurement.competitive_consultation": {"category": "services", "criteria": CRITERIA, "sme_deduction": 0.15},
    "procurement.inquiry": {"category": "goods", "evaluation": "lowest_price"},
    "procurement.single_source": {"category": "works", "supplier_org_id": "org-9"},
    "land.listing": {"countdown_seconds": 300},
    "land.auction": {},
    "equity.transfer": {"appraisal": "12500000.00", "approval_ref": "SASAC [2026] 12", "countdown_seconds": 120},
}


def validator(code):
    return Draft202012Validator(SPECS[code].params)


def is_valid(code, params):
    return validator(code).is_valid(params)


def with_changes(code, drop=(), **changes):
    params = copy.deepcopy(VALID_PARAMS[code])
    for key in drop:
        params.pop(key, None)
    params.update(changes)
    return params


# codes, kinds and names


@pytest.mark.parametrize("sector", sorted(MODULES))
def test_each_plugin_provides_exactly_its_method_codes(sector):
    specs = MODULES[sector].ggzy_methods(limits=LEGAL)
    assert [spec.code for spec in specs] == CODES[sector]
    assert {spec.sector for spec in specs} == {sector}


def test_sealed_and_auction_kinds_follow_the_api_table():
    assert {code for code, spec in SPECS.items() if spec.kind == SEALED} == set(SEALED_CODES)
    assert {code for code, spec in SPECS.items() if spec.kind == AUCTION} == set(AUCTION_CODES)


def test_method_names_are_translation_strings_of_the_ggzy_domain():
    for spec in SPECS.values():
        assert isinstance(spec.name, TranslationString)
        assert spec.name.domain == "ggzy"
        assert str(spec.name).isascii()  # the English msgid; Chinese comes from the catalog


def test_all_plugins_register_together_without_a_duplicate_code():
    pm = pluggy.PluginManager("ggzy")
    pm.add_hookspecs(hookspecs)
    for name, module in MODULES.items():
        pm.register(module, name=name)
    registry = build_registry(pm)
    assert isinstance(registry, MethodRegistry)
    assert sorted(spec.code for spec in registry) == sorted(SPECS)


def test_every_spec_serialises_for_the_methods_listing():
    for spec in SPECS.values():
        body = json.loads(json.dumps(spec.as_json(str), ensure_ascii=False))
        assert body["code"] == spec.code
        assert body["params"] == spec.params


# timelines, publicity and the legal minimums


def test_sealed_methods_use_the_sealed_timeline_with_questions_until_optional():
    for code in SEALED_CODES:
        assert SPECS[code].timeline == SEALED_TIMELINE
        assert SPECS[code].required_timeline == ("docs_from", "docs_until", "bid_deadline")


@pytest.mark.parametrize(
    "code, timeline",
    [
        ("land.listing", ("listing_from", "listing_until")),
        ("land.auction", ("registration_until", "auction_at")),
        ("equity.transfer", ("disclosure_until", "auction_at")),
    ],
)
def test_auction_methods_use_their_own_timeline_all_required(code, timeline):
    assert SPECS[code].timeline == timeline
    assert SPECS[code].required_timeline == timeline


@pytest.mark.parametrize(
    "code, min_bids, committee_min",
    [
        ("tendering.open", 3, 5),
        ("tendering.invited", 3, 5),
        ("procurement.open", 3, 5),
        ("procurement.competitive_negotiation", 3, 3),
        ("procurement.competitive_consultation", 3, 3),
        ("procurement.inquiry", 3, 3),
        ("procurement.single_source", 1, 3),
        ("land.listing", 0, 0),
        ("land.auction", 0, 0),
        ("equity.transfer", 0, 0),
    ],
)
def test_minimum_bids_and_committee_size_match_the_rules(code, min_bids, committee_min):
    assert SPECS[code].min_bids == min_bids
    assert SPECS[code].committee_min == committee_min


@pytest.mark.parametrize(
    "code, publicity",
    [
        ("tendering.open", (3, "days")),
        ("tendering.invited", (3, "days")),
        *[(code, (1, "working_days")) for code in CODES["procurement"]],
        ("land.listing", (0, "days")),
        ("land.auction", (0, "days")),
        ("equity.transfer", (5, "working_days")),
    ],
)
def test_publicity_period_matches_the_rules(code, publicity):
    assert SPECS[code].publicity == publicity


# the params schemas


@pytest.mark.parametrize("code", sorted(SPECS))
def test_params_schema_is_a_valid_closed_draft_2020_12_object_schema(code):
    schema = SPECS[code].params
    Draft202012Validator.check_schema(schema)
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) <= set(schema["properties"])
    for name, prop in schema["properties"].items():
        assert prop.get("description"), f"{code}: {name} has no description"


@pytest.mark.parametrize("code", sorted(SPECS))
def test_a_typical_params_object_is_accepted(code):
    errors = [error.message for error in validator(code).iter_errors(VALID_PARAMS[code])]
    assert errors == []


@pytest.mark.parametrize("code", sorted(SPECS))
def test_unknown_params_are_refused(code):
    assert not is_valid(code, with_changes(code, surprise=1))


@pytest.mark.parametrize("code", CODES["procurement"])
def test_procurement_requires_a_category(code):
    assert not is_valid(code, with_changes(code, drop=["category"]))


@pytest.mark.parametrize("category", ["food", "Goods", "", None, 1])
def test_procurement_refuses_a_category_other_than_goods_services_works(category):
    assert not is_valid("procurement.open", with_changes("procurement.open", category=category))


@pytest.mark.parametrize("code", ["tendering.open", "tendering.invited", "procurement.open"])
def test_scoring_without_criteria_is_refused(code):
    params = with_changes(code, drop=["criteria"], evaluation="scoring")
    assert not is_valid(code, params)
    assert is_valid(code, with_changes(code, drop=["criteria"], evaluation="lowest_price"))


def test_evaluation_defaults_to_lowest_price_so_criteria_are_then_optional():
    assert is_valid("tendering.open", {})
    assert is_valid("procurement.open", {"category": "goods"})


def test_consultation_always_scores_so_it_always_needs_criteria():
    code = "procurement.competitive_consultation"
    assert not is_valid(code, with_changes(code, drop=["criteria"]))
    assert not is_valid(code, with_changes(code, evaluation="lowest_price"))
    assert is_valid(code, with_changes(code, evaluation="scoring"))


@pytest.mark.parametrize(
    "code", ["procurement.competitive_negotiation", "procurement.inquiry", "procurement.single_source"]
)
def test_negotiation_inquiry_and_single_source_evaluate_by_lowest_price_only(code):
    assert is_valid(code, with_changes(code, evaluation="lowest_price"))
    assert not is_valid(code, with_changes(code, evaluation="scoring", criteria=CRITERIA))


@pytest.mark.parametrize(
    "criterion",
    [
        {"code": "Price", "name": "Price", "max": 30, "kind": "price"},
        {"code": "x" * 33, "name": "Price", "max": 30, "kind": "price"},
        {"code": "price", "name": "", "max": 30, "kind": "price"},
        {"code": "price", "name": "n" * 101, "max": 30, "kind": "price"},
        {"code": "price", "name": "Price", "max": 0, "kind": "price"},
        {"code": "price", "name": "Price", "max": 100.5, "kind": "price"},
        {"code": "price", "name": "Price", "max": "30", "kind": "price"},
        {"code": "price", "name": "Price", "max": 30, "kind": "quality"},
        {"code": "price", "name": "Price", "max": 30},
        {"code": "price", "name": "Price", "max": 30, "kind": "price", "weight": 1},
    ],
)
def test_a_malformed_criterion_is_refused(criterion):
    assert not is_valid("tendering.open", with_changes("tendering.open", criteria=[criterion]))


def test_criteria_maxima_with_two_decimals_are_accepted():
    criteria = [
        {"code": "a", "name": "A", "max": 33.33, "kind": "technical"},
        {"code": "b", "name": "B", "max": 2.3, "kind": "business"},
        {"code": "c", "name": "C", "max": 64.37, "kind": "price"},
    ]
    assert is_valid("tendering.open", with_changes("tendering.open", criteria=criteria))


def test_criteria_list_is_between_1_and_50_entries():
    one = CRITERIA[0]
    many = [dict(one, code=f"c{i}") for i in range(51)]
    assert not is_valid("tendering.open", with_changes("tendering.open", criteria=[]))
    assert not is_valid("tendering.open", with_changes("tendering.open", criteria=many))
    assert is_valid("tendering.open", with_changes("tendering.open", criteria=many[:50]))


@pytest.mark.parametrize("code", SEALED_CODES)
@pytest.mark.parametrize("minutes, ok", [(5, True), (240, True), (4, False), (241, False), (30.5, False), ("30", False)])
def test_decryption_window_is_a_whole_number_of_minutes_from_5_to_240(code, minutes, ok):
    assert is_valid(code, with_changes(code, decrypt_minutes=minutes)) is ok


def test_deviation_formula_needs_points_above_and_below():
    code = "tendering.open"
    assert not is_valid(code, with_changes(code, drop=["points_above"]))
    assert not is_valid(code, with_changes(code, drop=["points_below"]))
    assert is_valid(code, with_changes(code, drop=["points_above", "points_below"], price_formula="lowest"))


@pytest.mark.parametrize(
    "changes",
    [
        {"price_formula": "average"},
        {"benchmark_discount": 0.25},
        {"benchmark_discount": -0.01},
        {"points_above": 10.5},
        {"points_below": -1},
        {"benchmark_discount": "0.02"},
    ],
)
def test_tendering_price_formula_settings_out_of_range_are_refused(changes):
    assert not is_valid("tendering.open", with_changes("tendering.open", **changes))


def test_invited_tendering_requires_an_invitee_list_but_counts_it_only_at_publish():
    code = "tendering.invited"
    assert not is_valid(code, with_changes(code, drop=["invitees"]))
    assert not is_valid(code, with_changes(code, invitees=["org-1", "org-1"]))
    assert not is_valid(code, with_changes(code, invitees=[1, 2, 3]))
    assert not is_valid(code, with_changes(code, invitees="org-1"))
    # fewer than 3 is the 422 rule invited.too_few, not a malformed request
    assert is_valid(code, with_changes(code, invitees=["org-1"]))


def test_open_tendering_takes_no_invitees():
    assert not is_valid("tendering.open", with_changes("tendering.open", invitees=["org-1", "org-2", "org-3"]))


def test_single_source_requires_the_named_supplier():
    code = "procurement.single_source"
    assert not is_valid(code, with_changes(code, drop=["supplier_org_id"]))
    assert not is_valid(code, with_changes(code, supplier_org_id=""))
    assert not is_valid("procurement.open", with_changes("procurement.open", supplier_org_id="org-9"))


@pytest.mark.parametrize("fraction, ok", [(0.04, True), (0.3, True), (0, True), (1, True), (1.2, False), (-0.1, False)])
def test_sme_deduction_is_a_fraction_whose_legal_ranges_are_rules_not_schema(fraction, ok):
    assert is_valid("procurement.open", with_changes("procurement.open", sme_deduction=fraction)) is ok


@pytest.mark.parametrize("code", AUCTION_CODES)
@pytest.mark.parametrize("seconds, ok", [(10, False), (29, False), (30, True), (3600, True), (3601, False), ("300", False)])
def test_auction_countdown_is_30_to_3600_seconds(code, seconds, ok):
    assert is_valid(code, with_changes(code, countdown_seconds=seconds)) is ok


def test_land_countdown_of_10_seconds_is_refused():
    assert not is_valid("land.listing", {"countdown_seconds": 10})


def test_equity_requires_the_appraisal_as_a_money_string():
    code = "equity.transfer"
    assert not is_valid(code, with_changes(code, drop=["appraisal"]))
    assert not is_valid(code, with_changes(code, appraisal=12500000))
    assert not is_valid(code, with_changes(code, appraisal="12,500,000.00"))
    assert not is_valid(code, with_changes(code, appraisal="1.234"))
    assert is_valid(code, with_changes(code, appraisal="12500000"))


def test_equity_approval_reference_is_at_most_200_characters():
    code = "equity.transfer"
    assert is_valid(code, with_changes(code, approval_ref="r" * 200))
    assert not is_valid(code, with_changes(code, approval_ref="r" * 201))
    assert is_valid(code, with_changes(code, drop=["approval_ref"]))


# lot fields


def lot_validator(code):
    return Draft202012Validator({"type": "object", **SPECS[code].lot_fields})


@pytest.mark.parametrize("code", sorted(SPECS))
def test_lot_fields_are_a_valid_schema_fragment_of_money_strings(code):
    fields = SPECS[code].lot_fields
    Draft202012Validator.check_schema({"type": "object", **fields})
    assert set(fields["required"]) <= set(fields["properties"])
    for prop in fields["properties"].values():
        assert prop["type"] == "string" and prop["description"]


@pytest.mark.parametrize(
    "code, required",
    [
        *[(code, ["budget"]) for code in SEALED_CODES],
        ("land.listing", ["start_price", "increment", "reserve_price", "deposit"]),
        ("land.auction", ["start_price", "increment", "reserve_price", "deposit"]),
        ("equity.transfer", ["start_price", "increment", "deposit"]),
    ],
)
def test_each_method_requires_its_lot_fields(code, required):
    fields = SPECS[code].lot_fields
    assert sorted(fields["required"]) == sorted(required)


def test_sealed_lot_deposit_is_optional_and_equity_reserve_price_is_optional():
    assert "deposit" in SPECS["tendering.open"].lot_fields["properties"]
    assert "reserve_price" in SPECS["equity.transfer"].lot_fields["properties"]
    assert lot_validator("tendering.open").is_valid({"budget": "1250000.00"})
    assert not lot_validator("tendering.open").is_valid({"budget": 1250000})
    assert lot_validator("equity.transfer").is_valid(
        {"start_price": "1000000.00", "increment": "10000.00", "deposit": "100000.00"}
    )
    assert not lot_validator("land.listing").is_valid(
        {"start_price": "1000000.00", "increment": "10000.00", "deposit": "100000.00"}
    )
