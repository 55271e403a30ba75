"""GET /methods lists every method code of API.md with its kind, timeline and params schema."""
import jsonschema

EXPECTED = {
    "tendering.open": ("tendering", "sealed"),
    "tendering.invited": ("tendering", "sealed"),
    "procurement.open": ("procurement", "sealed"),
    "procurement.competitive_negotiation": ("procurement", "sealed"),
    "procurement.competitive_consultation": ("procurement", "sealed"),
    "procurement.inquiry": ("procurement", "sealed"),
    "procurement.single_source": ("procurement", "sealed"),
    "land.listing": ("land", "auction"),
    "land.auction": ("land", "auction"),
    "equity.transfer": ("equity", "auction"),
}

TIMELINES = {
    "sealed": ["docs_from", "docs_until", "bid_deadline", "questions_until"],
    "land.listing": ["listing_from", "listing_until"],
    "land.auction": ["registration_until", "auction_at"],
    "equity.transfer": ["disclosure_until", "auction_at"],
}


def test_every_method_of_the_contract_is_listed(api):
    body = api.get("methods").json
    assert body["next_cursor"] is None
    listed = {m["code"]: (m["sector"], m["kind"]) for m in body["items"]}
    assert listed == EXPECTED


def test_timelines_follow_the_method_kind(api):
    for method in api.get("methods").json["items"]:
        expected = TIMELINES["sealed"] if method["kind"] == "sealed" else TIMELINES[method["code"]]
        assert method["timeline"] == expected, method["code"]


def test_params_are_json_schemas(api):
    for method in api.get("methods").json["items"]:
        jsonschema.Draft202012Validator.check_schema(method["params"])
        assert method["params"]["type"] == "object"


def test_method_names_follow_the_language(api):
    en = {m["code"]: m["name"] for m in api.get("methods", lang="en").json["items"]}
    zh = {m["code"]: m["name"] for m in api.get("methods", lang="zh-CN").json["items"]}
    assert en["tendering.open"] == "Open tendering"
    assert zh["tendering.open"] != en["tendering.open"]
