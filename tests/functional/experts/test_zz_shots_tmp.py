"""TEMPORARY: save the expert pages as HTML for screenshots (deleted after use)."""
import os
import re

from .test_pages import (add_experts, at, draw_body, draw_fields, expert_body, expert_fields, expert_user, log_in,
                         post_form, project_past_deadline, set_clock)

OUT = "/tmp/xp-shots"


def save(name, page):
    os.makedirs(OUT, exist_ok=True)
    html = page.text.replace('href="/static/', 'href="file:///work/main/trading/static/').replace(
        'src="/static/', 'src="file:///work/main/trading/static/')
    with open(f"{OUT}/{name}.html", "w") as f:
        f.write(html)


def test_shots(api, script, backend):
    if backend != "sqlite":
        return
    parties, project = project_past_deadline(api, script)
    experts = add_experts(api, 9)
    add_experts(api, 3, start=20, specialties=["A0104", "C0301"], employer_name="浙江省建筑设计研究院有限公司")
    owner_man = api.post("experts", expert_body(50, employer_uscc=parties.owner.uscc), as_user="admin1").json
    admin = log_in(api, "admin1")
    save("pool", admin.get("/admin/experts"))
    form = admin.get("/admin/experts/new")
    save("new", form)
    save("new-error", post_form(admin, "/admin/experts/new", expert_fields(1, id_number="330106197001010010", specialties=[]), status=400, page=form))
    save("new-error-id", post_form(admin, "/admin/experts/new", expert_fields(1, id_number="330106197001010010"), status=422, page=form))
    url = f"/admin/experts/{experts[8]['id']}"
    post_form(admin, url, {"action": "suspend", "suspended_until": "2026-12-31T17:00", "suspension_reason": "年度考核不合格"})
    post_form(admin, url, {"action": "conflict", "org_uscc": parties.owner.uscc, "reason": "配偶任职"})
    save("detail", admin.get(url))
    save("detail-error", post_form(admin, url, {"action": "conflict", "org_uscc": "123", "reason": ""}, status=400))
    data = ("name,id_number,phone,employer_name,employer_uscc,specialties,region_code,title\n"
            "导入甲,330106197001012013,,,,A0101,,\n导入乙,110101199013011234,,,,A0101,,\n导入丙,330106197001010010,,,,X99,,\n").encode()
    save("import-result", post_form(admin, "/admin/experts/import", {}, status=200, upload_files=[("file", "experts.csv", data)]))
    save("import", admin.get("/admin/experts/import"))
    officer = log_in(api, "officer1")
    durl = f"/officer/projects/{project['id']}/draws"
    save("draws-empty", officer.get(durl))
    save("draws-composition", post_form(officer, durl, draw_fields((("A0101", "4"), ("A0104", "2"))), status=422))
    page = post_form(officer, durl, draw_fields((("A0101", "5"),))).follow()
    big = post_form(officer, durl, draw_fields((("A0101", "21"),), owners="0")).follow()
    ids = re.findall(r'name="draw_id" value="([^"]+)"', big.text)
    ids.sort(key=lambda i: api.get(f"expert-draws/{i}", as_user="officer1").json["counts"]["required"])
    save("draws-insufficient", post_form(officer, durl, {"action": "run", "draw_id": ids[1]}, status=422, page=big))
    draw_page = post_form(officer, durl, {"action": "run", "draw_id": ids[0]}, page=big).follow()
    save("draw-officer", draw_page)
    save("draws-list", officer.get(durl))
    inspector = log_in(api, "inspector1")
    save("draw-inspector", inspector.get(f"/draws/{ids[0]}"))
    record = api.get(f"expert-draws/{ids[0]}", as_user="inspector1").json
    member = record["members"][0]["expert_id"]
    client = log_in(api, expert_user(script, member))
    save("invitations", client.get("/expert"))
    link = re.search(r'href="(/expert/invitations/[^"]+)"', client.get("/expert").text).group(1)
    save("invitation", client.get(link))
    save("invitation-error", post_form(client, link, {"action": "decline", "reason": ""}, status=400))
    post_form(client, link, {"action": "decline", "reason": "出差在外，无法按时参加"})
    save("invitations-after", client.get("/expert"))
    save("invitation-closed", post_form(client, link, {"action": "accept"}, status=409, page=client.get("/expert")))
    save("records", inspector.get(f"/experts/{member}/records?draw={ids[0]}"))
    save("draw-inspector-after", inspector.get(f"/draws/{ids[0]}"))
    admin.set_cookie("_LOCALE_", "zh_CN")
    save("zh-pool", admin.get("/admin/experts"))
    save("zh-detail", admin.get(url))
    inspector.set_cookie("_LOCALE_", "zh_CN")
    save("zh-draw-inspector", inspector.get(f"/draws/{ids[0]}"))
    client.set_cookie("_LOCALE_", "zh_CN")
    save("zh-invitations", client.get("/expert"))
