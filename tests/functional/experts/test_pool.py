"""The expert pool: identity numbers, browsing, suspension, conflicts, CSV and XLSX import."""
import io

import pytest
from openpyxl import Workbook

from ..sealed import Parties
from .helpers import expert_body, id_number


@pytest.fixture
def parties(api, script):
    return Parties(api, script, bidders=1)


def test_admin_adds_an_expert_with_the_birth_date_from_the_id_number(api, parties):
    body = api.post("experts", expert_body(1, birth="19651203"), as_user="admin1", status=201).json
    assert body["birth_date"] == "1965-12-03" and body["status"] == "active"
    assert body["specialties"] == ["A0101"]


@pytest.mark.parametrize("number", [
    id_number()[:-1] + ("0" if id_number()[-1] != "0" else "1"),  # wrong check character
    "33010619701301001X",  # month 13
    id_number()[:17],  # 17 characters
])
def test_bad_identity_number_is_422(api, parties, number):
    response = api.post("experts", expert_body(1, id_number=number), as_user="admin1", status=422)
    assert response.json["error"]["details"][0]["rule"] == "expert.id_invalid"


def test_unknown_specialty_is_400(api, parties):
    api.post("experts", expert_body(1, specialties=["Z99"]), as_user="admin1", status=400)


@pytest.mark.parametrize("user", ["officer1", "bidder1"])
def test_only_admin_adds_experts(api, parties, user):
    api.post("experts", expert_body(1), as_user=user, status=403)


def test_browse_by_specialty_prefix_and_status(api, parties):
    api.post("experts", expert_body(1, specialties=["A0101"]), as_user="admin1", status=201)
    second = api.post("experts", expert_body(2, specialties=["B0101"]), as_user="admin1", status=201).json
    assert [e["name"] for e in api.get("experts?specialty=A01", as_user="inspector1").json["items"]] == ["专家001"]
    api.patch(f"experts/{second['id']}", {"status": "suspended", "suspended_until": "2027-01-01T00:00:00+08:00"},
              as_user="admin1")
    suspended = api.get("experts?status=suspended", as_user="admin1").json["items"]
    assert [e["id"] for e in suspended] == [second["id"]]
    assert suspended[0]["suspended_until"] == "2027-01-01T00:00:00+08:00"
    api.get("experts", as_user="officer1", status=403)


def test_expert_declares_its_own_conflicts_only(api, parties, script):
    from trading.services import accounts

    from ...conftest import PASSWORD

    first = api.post("experts", expert_body(1), as_user="admin1", status=201).json
    second = api.post("experts", expert_body(2), as_user="admin1", status=201).json
    with script() as request:
        accounts.create_user(request, username="exp1", password=PASSWORD, role="expert", expert_id=first["id"])
    api.login("exp1", PASSWORD)
    body = {"org_uscc": parties.owner.uscc, "reason": "曾在该单位任职"}
    api.post(f"experts/{first['id']}/conflicts", body, as_user="exp1", status=201)
    api.post(f"experts/{second['id']}/conflicts", body, as_user="exp1", status=403)
    api.post(f"experts/{second['id']}/conflicts", body, as_user="admin1", status=201)
    assert api.get(f"experts/{first['id']}", as_user="admin1").json["conflicts"][0]["org_uscc"] == parties.owner.uscc


def csv_file(rows):
    header = "name,id_number,phone,employer_name,employer_uscc,specialties,region_code,title\n"
    return (header + "".join(rows)).encode("utf-8")


def test_csv_import_reports_bad_rows_and_keeps_the_good_ones(api, parties):
    good1 = f"张三,{id_number(serial=11)},13800000011,甲设计院,,A0101;A0201,330100,高级工程师\n"
    bad_id = f"李四,{id_number(serial=12)[:-1]}Q,13800000012,乙设计院,,A0101,330100,工程师\n"
    bad_spec = f"王五,{id_number(serial=13)},13800000013,丙设计院,,Z9,330100,工程师\n"
    good2 = f"赵六,{id_number(serial=14)},13800000014,丁设计院,,B0101,330100,工程师\n"
    response = api.app.post("/api/v1/experts/import", upload_files=[("file", "experts.csv",
                                                                     csv_file([good1, bad_id, bad_spec, good2]))],
                            headers=api.headers("admin1")).json
    assert response["created"] == 2 and response["updated"] == 0
    assert [e["row"] for e in response["errors"]] == [2, 3]
    again = api.app.post("/api/v1/experts/import", upload_files=[("file", "experts.csv", csv_file([good1]))],
                         headers=api.headers("admin1")).json
    assert again == {"created": 0, "updated": 1, "errors": []}


def test_xlsx_import(api, parties):
    book = Workbook()
    sheet = book.active
    sheet.append(["name", "id_number", "phone", "employer_name", "employer_uscc", "specialties", "region_code", "title"])
    sheet.append(["钱七", id_number(serial=21), "13800000021", "戊公司", None, "C0101", "330100", "工程师"])
    sheet.append(["孙八", "not-a-number", "13800000022", "己公司", None, "C0101", "330100", "工程师"])
    data = io.BytesIO()
    book.save(data)
    response = api.app.post("/api/v1/experts/import", upload_files=[("file", "experts.xlsx", data.getvalue())],
                            headers=api.headers("admin1")).json
    assert response["created"] == 1 and [e["row"] for e in response["errors"]] == [2]


def test_import_without_the_needed_columns_is_400(api, parties):
    api.app.post("/api/v1/experts/import", upload_files=[("file", "x.csv", b"foo,bar\n1,2\n")],
                 headers=api.headers("admin1"), status=400)


def test_specialties_catalogue_is_hierarchical(api):
    items = {s["code"]: s for s in api.get("specialties").json["items"]}
    assert items["A0101"]["parent"] == "A01" and items["A01"]["parent"] == "A" and items["A"]["parent"] is None
