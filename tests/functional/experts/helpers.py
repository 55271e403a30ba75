"""Helpers for the expert tests: valid identity numbers, a small pool, a project past its bid deadline."""
from stdnum.cn import ric

from trading.demo import full_uscc

from ..sealed import Parties, at, create_and_publish, iso, register_and_pay, set_clock, submit_bid, tendering_body


def id_number(birth="19700101", serial=1, region="330106"):
    body = f"{region}{birth}{serial:03d}"
    return body + ric.calc_check_digit(body + "0")


def expert_body(index, specialties=("A0101",), employer_uscc=None, birth="19700101", **over):
    body = {"name": f"专家{index:03d}", "id_number": id_number(birth, index), "phone": f"1380000{index:04d}",
            "employer_name": f"设计院{index}", "employer_uscc": employer_uscc or full_uscc(f"91330100MA2E{index:05d}"),
            "specialties": list(specialties), "region_code": "330100", "title": "高级工程师"}
    body.update(over)
    return body


def add_experts(api, count, start=1, **kw):
    return [api.post("experts", expert_body(start + i, **kw), as_user="admin1", status=201).json
            for i in range(count)]


def project_past_deadline(api, script, body_of=tendering_body, bidders=3, **over):
    parties = Parties(api, script, bidders=bidders)
    project = create_and_publish(api, body_of(parties, **over))
    for username, _org in parties.bidders:
        register_and_pay(api, project, username)
        submit_bid(api, project, username, "900000.00")
    set_clock(api, at(21, 10))
    return parties, project


def draw_body(requirements=(("A0101", 5),), alternates=2, owner_representatives=0, evaluation_day=23, lot_id=None):
    body = {"requirements": [{"specialty": s, "count": c} for s, c in requirements], "alternates": alternates,
            "owner_representatives": owner_representatives, "evaluation_at": iso(at(evaluation_day, 9))}
    if lot_id:
        body["lot_id"] = lot_id
    return body
