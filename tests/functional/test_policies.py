"""The policies library (API.md "Policies and regulations"): its initial content, search, reading and adding."""
import pytest
from sqlalchemy import func, select

from trading.models import AuditEvent, Policy
from trading.policies import LIBRARY
from trading.reference import LOADERS
from trading.services.policies import load_policies

CITED_CODES = {"TBL", "Reg", "GPL", "GPLReg", "O87", "O74", "C214", "SME", "E20", "L39", "S32", "X198", "X26", "SASAC120"}


def new_policy(**over):
    body = {
        "title": "关于进一步规范公共资源交易活动的通知", "issuer": "某市公共资源交易管理委员会",
        "number": "某公管〔2026〕1号", "issued_on": "2026-03-15", "sector": "general",
        "body": "要求全部交易项目进入平台在线办理，并公开交易全过程信息。",
    }
    body.update(over)
    return body


@pytest.fixture
def library(script):
    with script() as request:
        return load_policies(request)


def test_library_holds_every_law_rules_md_cites():
    assert {entry["code"] for entry in LIBRARY} == CITED_CODES
    assert len(LIBRARY) == len(CITED_CODES)
    for entry in LIBRARY:
        assert entry["title"] and entry["issuer"] and entry["issued_on"] and entry["body"], entry["code"]
        assert entry["sector"] in {"tendering", "procurement", "land", "equity", "general"}


def test_the_loader_is_registered_for_initdb():
    assert load_policies in LOADERS


def test_initial_library_loads_once_with_one_audit_event_per_policy(script, dbsession):
    with script() as request:
        first = load_policies(request)
    with script() as request:
        second = load_policies(request)
    assert set(first) == CITED_CODES
    assert second == []
    codes = dbsession.execute(select(Policy.code)).scalars().all()
    assert sorted(codes) == sorted(CITED_CODES)
    loads = dbsession.execute(select(func.count()).where(AuditEvent.action == "policy.load")).scalar_one()
    assert loads == len(CITED_CODES)


def test_loader_adds_only_the_missing_codes(script, dbsession):
    with script() as request:
        load_policies(request)
    dbsession.delete(dbsession.execute(select(Policy).where(Policy.code == "L39")).scalar_one())
    dbsession.commit()
    with script() as request:
        assert load_policies(request) == ["L39"]


def test_anyone_lists_the_library_newest_first_with_summaries(api, library):
    items = api.get("policies").json["items"]
    assert {item["code"] for item in items} == CITED_CODES
    dates = [item["issued_on"] for item in items]
    assert dates == sorted(dates, reverse=True)
    assert items[0]["code"] == "X26"
    tbl = next(item for item in items if item["code"] == "TBL")
    assert set(tbl) == {"id", "code", "title", "issuer", "number", "issued_on", "sector", "summary"}
    assert tbl["title"] == "中华人民共和国招标投标法"
    assert tbl["number"] == "中华人民共和国主席令第21号"
    assert all(len(item["summary"]) <= 200 for item in items)


def test_list_pages_with_a_cursor_without_losing_or_repeating_policies(api, library):
    seen = []
    response = api.get("policies?limit=4").json
    seen += response["items"]
    while response["next_cursor"]:
        response = api.get(f"policies?limit=4&cursor={response['next_cursor']}").json
        seen += response["items"]
    assert [item["code"] for item in seen] == [item["code"] for item in api.get("policies").json["items"]]
    assert len({item["id"] for item in seen}) == len(CITED_CODES)


def test_a_forged_cursor_is_400(api, library):
    from trading.api.pagination import encode_cursor

    for cursor in ("not-a-cursor", encode_cursor(["yesterday", "x"]), encode_cursor(["2020-01-01", 5])):
        response = api.get(f"policies?cursor={cursor}", status=400)
        assert response.json["error"]["details"][0]["field"] == "cursor"


def test_search_by_chinese_keyword_matches_title_or_body(api, library):
    codes = {item["code"] for item in api.get("policies", params={"q": "政府采购"}).json["items"]}
    assert {"GPL", "GPLReg", "O87", "O74", "C214", "SME", "X198"} <= codes
    assert "TBL" not in codes and "L39" not in codes


def test_search_matches_document_number_and_issuer(api, library):
    by_number = api.get("policies", params={"q": "财库〔2014〕214号"}).json["items"]
    assert [item["code"] for item in by_number] == ["C214"]
    by_issuer = {item["code"] for item in api.get("policies", params={"q": "国土资源部"}).json["items"]}
    assert "L39" in by_issuer


def test_search_is_case_insensitive(api, library, logged_in):
    logged_in.post("policies", new_policy(title="Measures on E-Tendering Platforms"), as_user="admin", status=201)
    titles = [item["title"] for item in api.get("policies", params={"q": "e-TENDERING"}).json["items"]]
    assert titles == ["Measures on E-Tendering Platforms"]


def test_search_takes_percent_and_underscore_literally(api, library, logged_in):
    logged_in.post("policies", new_policy(title="保证金不超过2%的规定"), as_user="admin", status=201)
    assert [item["title"] for item in api.get("policies", params={"q": "2%"}).json["items"]] == ["保证金不超过2%的规定"]
    assert [item["title"] for item in api.get("policies", params={"q": "%"}).json["items"]] == ["保证金不超过2%的规定"]
    assert api.get("policies", params={"q": "_"}).json["items"] == []


def test_filter_by_sector(api, library):
    items = api.get("policies", params={"sector": "equity"}).json["items"]
    assert {item["code"] for item in items} == {"S32", "SASAC120"}
    land = api.get("policies", params={"sector": "land", "q": "挂牌"}).json["items"]
    assert [item["code"] for item in land] == ["L39"]


def test_unknown_sector_filter_is_400(api):
    response = api.get("policies", params={"sector": "mining"}, status=400)
    assert response.json["error"]["details"][0]["field"] == "sector"


def test_fetch_by_code_returns_the_full_body(api, library):
    policy = api.get("policies/GPLReg").json
    assert policy["title"] == "中华人民共和国政府采购法实施条例"
    assert policy["number"] == "中华人民共和国国务院令第658号"
    assert policy["issued_on"] == "2015-01-30"
    assert "第三十三条" in policy["body"] and len(policy["body"]) > 100
    assert api.get(f"policies/{policy['id']}").json == policy


def test_unknown_policy_is_404(api, library):
    response = api.get("policies/NOPE", status=404)
    assert response.json["error"]["code"] == "not_found"
    api.get("policies/" + "f" * 40, status=404)


def test_admin_adds_a_policy_and_it_is_audited(logged_in, users, dbsession):
    response = logged_in.post("policies", new_policy(), as_user="admin", status=201)
    policy = response.json
    assert policy["code"] is None
    assert policy["issued_on"] == "2026-03-15"
    assert policy["body"] == new_policy()["body"]
    assert logged_in.get(f"policies/{policy['id']}").json["title"] == new_policy()["title"]
    found = logged_in.get("policies", params={"q": "公管〔2026〕1号"}).json["items"]
    assert [item["id"] for item in found] == [policy["id"]]
    event = dbsession.execute(select(AuditEvent).where(AuditEvent.action == "policy.create")).scalar_one()
    assert (event.object_type, event.object_id, event.actor_id) == ("policy", policy["id"], users["admin"].id)


def test_number_is_optional(logged_in):
    body = new_policy()
    del body["number"]
    assert logged_in.post("policies", body, as_user="admin", status=201).json["number"] is None


@pytest.mark.parametrize("role", ["officer", "bidder", "expert", "inspector"])
def test_only_admins_add_policies(logged_in, role):
    response = logged_in.post("policies", new_policy(), as_user=role, status=403)
    assert response.json["error"]["code"] == "auth.forbidden"


def test_anonymous_add_is_401(api):
    response = api.post("policies", new_policy(), status=401)
    assert response.json["error"]["code"] == "auth.required"


@pytest.mark.parametrize("issued_on", ["2026-02-30", "2026-13-01", "15/03/2026", "20260315", "2025-02-29", "", 20260315])
def test_bad_date_is_400_naming_issued_on(logged_in, issued_on):
    response = logged_in.post("policies", new_policy(issued_on=issued_on), as_user="admin", status=400)
    error = response.json["error"]
    assert error["code"] == "request.invalid"
    assert [detail["field"] for detail in error["details"]] == ["issued_on"]


def test_leap_day_is_a_good_date(logged_in):
    assert logged_in.post("policies", new_policy(issued_on="2024-02-29"), as_user="admin", status=201).json["issued_on"] == "2024-02-29"


def test_bad_date_is_400_even_for_a_non_admin(logged_in):
    logged_in.post("policies", new_policy(issued_on="2026-02-30"), as_user="bidder", status=400)


@pytest.mark.parametrize("field", ["title", "issuer", "issued_on", "sector", "body"])
def test_missing_field_is_400(logged_in, field):
    body = new_policy()
    del body[field]
    response = logged_in.post("policies", body, as_user="admin", status=400)
    assert response.json["error"]["details"][0]["field"] == field


def test_unknown_sector_is_400(logged_in):
    response = logged_in.post("policies", new_policy(sector="mining"), as_user="admin", status=400)
    assert response.json["error"]["details"][0]["field"] == "sector"
