"""Expert pages: the pool (add, suspend, import), the expert's invitations, the officer's draws, the inspector's view."""
import re
from datetime import timedelta

from sqlalchemy import select
from webtest import TestApp

from experts.models import Expert, Invitation
from trading.demo import full_uscc

from ...conftest import PASSWORD
from ..sealed import (
    Parties,
    at,
    create_and_publish,
    register_and_pay,
    set_clock,
    submit_bid,
    tendering_body,
)
from ..test_pages import csrf_of
from .helpers import (
    add_experts,
    draw_body,
    expert_body,
    id_number,
    project_past_deadline,
)


def log_in(api, username):
    """A browser of its own, logged in through the /login form."""
    client = TestApp(api.app.app, extra_environ=api.app.extra_environ)
    form = client.get("/login")
    client.post("/login", {"username": username, "password": PASSWORD, "csrf_token": csrf_of(form)}, status=303)
    return client


def post_form(client, url, fields, status=303, upload_files=None, page=None):
    page = page or client.get(url)
    params = [("csrf_token", csrf_of(page))]
    for name, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            params.append((name, item))
    return client.post(url, params=params, upload_files=upload_files, status=status)


def field_error(page, field_id):
    """The error shown at a field: its message, tied to the input by aria-describedby."""
    match = re.search(rf'<p class="field-error" id="{re.escape(field_id)}-error">(.*?)</p>', page.text, re.DOTALL)
    assert match, f"no error at {field_id}"
    assert re.search(rf'id="{re.escape(field_id)}"[^>]*aria-invalid="true"', page.text)
    return re.sub(r"<[^>]+>", "", match.group(1))


def flashes(page):
    return re.findall(r'<p class="flash" role="status">(.*?)</p>', page.text)


def expert_fields(index, **over):
    body = expert_body(index, **over)
    return {**{k: v for k, v in body.items() if k != "specialties"}, "specialties": list(body["specialties"])}


# --- the pool -------------------------------------------------------------------------------------------


def test_admin_adds_an_expert_after_a_bad_identity_number_then_suspends_it(api, parties, dbsession):
    admin = log_in(api, "admin1")
    form = admin.get("/admin/experts/new")
    assert "A0101 Building construction" in form.text
    bad = expert_fields(1, id_number="330106197001010010")
    page = post_form(admin, "/admin/experts/new", bad, status=422, page=form)
    assert "not valid" in field_error(page, "f-id_number")
    assert 'value="专家001"' in page.text  # what was typed stays
    assert "expert.id_invalid" in page.text

    good = expert_fields(1)
    response = post_form(admin, "/admin/experts/new", good, page=page)
    detail = response.follow()
    assert "专家001 is added to the pool." in flashes(detail)
    expert = dbsession.execute(select(Expert).where(Expert.id_number == good["id_number"])).scalar_one()
    assert expert.specialty_codes == ["A0101"] and expert.status == "active"

    # the same number again is refused at the field
    again = post_form(admin, "/admin/experts/new", good, status=409)
    assert "already in the pool" in field_error(again, "f-id_number")

    url = f"/admin/experts/{expert.id}"
    refused = post_form(admin, url, {"action": "suspend", "suspended_until": "2026-12-31T17:00", "suspension_reason": ""},
                        status=400)
    assert field_error(refused, "s-reason")
    response = post_form(admin, url, {"action": "suspend", "suspended_until": "2026-12-31T17:00",
                                      "suspension_reason": "年度考核不合格"}, page=refused)
    page = response.follow()
    assert "suspended until 2026-12-31 17:00" in flashes(page)[0]
    dbsession.expire_all()
    expert = dbsession.get(Expert, expert.id)
    assert expert.status == "suspended" and expert.suspension_reason == "年度考核不合格"
    assert expert.suspended_until == at(31, 17)  # Beijing time as entered
    assert 'value="2026-12-31T17:00"' in page.text

    post_form(admin, url, {"action": "reinstate"}).follow()
    dbsession.expire_all()
    assert dbsession.get(Expert, expert.id).status == "active"


def test_admin_edits_details_and_declares_a_conflict(api, parties, dbsession):
    expert = add_experts(api, 1)[0]
    admin = log_in(api, "admin1")
    url = f"/admin/experts/{expert['id']}"
    page = post_form(admin, url, {"action": "edit", "name": "专家甲", "phone": "13900000000", "title": "教授",
                                  "employer_name": "某大学", "employer_uscc": "not a code", "region_code": "330100",
                                  "specialties": []}, status=400)
    assert field_error(page, "e-specialties")
    page = post_form(admin, url, {"action": "edit", "name": "专家甲", "phone": "13900000000", "title": "教授",
                                  "employer_name": "某大学", "employer_uscc": "not a code", "region_code": "330100",
                                  "specialties": ["A0101", "C0301"]}, status=422, page=page)
    assert "not valid" in field_error(page, "e-employer_uscc")
    post_form(admin, url, {"action": "edit", "name": "专家甲", "phone": "13900000000", "title": "教授",
                           "employer_name": "某大学", "employer_uscc": "", "region_code": "330100",
                           "specialties": ["A0101", "C0301"]}, page=page)
    dbsession.expire_all()
    row = dbsession.get(Expert, expert["id"])
    assert (row.name, row.specialty_codes, row.employer_uscc) == ("专家甲", ["A0101", "C0301"], None)

    uscc = full_uscc("91330100MA2X00009")
    page = post_form(admin, url, {"action": "conflict", "org_uscc": uscc, "reason": "配偶任职"}).follow()
    assert uscc in page.text and "配偶任职" in page.text


def rows_of(page):
    return re.findall(r'href="/admin/experts/(?!new"|import")[^"/]+">([^<]+)</a>', page.text)


def test_pool_search_filters_and_pages(api, parties):
    add_experts(api, 3, specialties=["A0101"])
    add_experts(api, 2, start=10, specialties=["B0101"], employer_name="信息中心")
    admin = log_in(api, "admin1")
    page = admin.get("/admin/experts?specialty=A01")
    assert len(rows_of(page)) == 3
    page = admin.get("/admin/experts", {"q": "信息中心"})
    assert rows_of(page) == ["专家010", "专家011"]
    page = admin.get("/admin/experts?status=suspended")
    assert "No expert matches." in page.text
    admin.get("/admin/experts?cursor=garbage", status=200)
    # a person's name is 姓名 and a professional title 职称, not a project's 名称
    zh = admin.get("/admin/experts", headers={"Accept-Language": "zh-CN"})
    headers = re.findall(r'<th scope="col">([^<]+)</th>', zh.text)
    assert headers[:4] == ["姓名", "专业", "工作单位", "职称"] and "名称" not in headers, headers


def test_pool_pages_by_name_with_a_next_link(api, parties, monkeypatch):
    from experts import pages

    monkeypatch.setattr(pages, "PAGE_SIZE", 2)
    add_experts(api, 5)
    admin = log_in(api, "admin1")
    names = []
    page = admin.get("/admin/experts")
    while True:
        names += rows_of(page)
        found = re.search(r'href="([^"]+)" rel="next"', page.text)
        if not found:
            break
        page = admin.get(found.group(1).replace("&amp;", "&"))
    assert names == [f"专家{i:03d}" for i in range(1, 6)]


def test_admin_imports_a_csv_with_a_bad_row(api, parties, dbsession):
    admin = log_in(api, "admin1")
    template = admin.get("/admin/experts/import?download=template")
    assert template.content_type == "text/csv"
    header = template.body.decode("utf-8-sig").strip()
    rows = [header,
            f"导入甲,{id_number(serial=201)},13800000201,设计院,,A0101;A0104,330100,工程师",
            "导入乙,110101199013011234,,,,A0101,,",  # no 13th month
            f"导入丙,{id_number(serial=203)},,,,B0101,,"]
    data = ("\n".join(rows) + "\n").encode("utf-8")
    page = post_form(admin, "/admin/experts/import", {}, status=200,
                     upload_files=[("file", "experts.csv", data)])
    assert "2 created, 0 updated, 1 rows refused" in page.text
    table = re.search(r'<table class="data stack row-errors">.*?</table>', page.text, re.DOTALL).group(0)
    assert re.search(r">\s*2\s*</td>", table) and "110101199013011234" in table
    names = set(dbsession.execute(select(Expert.name).where(Expert.name.like("导入%"))).scalars())
    assert names == {"导入甲", "导入丙"}

    # all good: the pool with a flash
    again = post_form(admin, "/admin/experts/import", {}, upload_files=[("file", "experts.csv", data.replace(
        b"\xe5\xaf\xbc\xe5\x85\xa5\xe4\xb9\x99,110101199013011234", "导入乙,".encode() +
        id_number(serial=202).encode("ascii")))])
    assert "1 created, 2 updated, 0 rows refused" in flashes(again.follow())[0]


def test_import_without_a_file_or_with_a_bad_header_says_so_at_the_field(api, parties):
    admin = log_in(api, "admin1")
    page = post_form(admin, "/admin/experts/import", {}, status=400)
    assert field_error(page, "f-file")
    page = post_form(admin, "/admin/experts/import", {}, status=400,
                     upload_files=[("file", "x.csv", b"who,what\n1,2\n")])
    assert "id_number" in field_error(page, "f-file")


# --- invitations ----------------------------------------------------------------------------------------


def two_projects(api, script):
    """Two projects of one owner past their bid deadline, with the parties logged in."""
    parties = Parties(api, script)
    projects = [create_and_publish(api, tendering_body(parties, title=f"项目{i}")) for i in (1, 2)]
    for project in projects:
        for username, _org in parties.bidders:
            register_and_pay(api, project, username)
            submit_bid(api, project, username, "900000.00")
    set_clock(api, at(21, 10))
    return parties, projects


def expert_user(script, expert_id, username="expert-a"):
    from trading.services import accounts

    with script() as request:
        accounts.create_user(request, username=username, password=PASSWORD, role="expert", expert_id=expert_id)
    return username


def test_expert_accepts_one_invitation_and_declines_another(api, script, dbsession):
    _parties, projects = two_projects(api, script)
    experts = add_experts(api, 5)
    for project in projects:
        draw = api.post(f"projects/{project['id']}/expert-draws", draw_body(alternates=0), as_user="officer1").json
        api.post(f"expert-draws/{draw['id']}/run", as_user="officer1", status=200)
    client = log_in(api, expert_user(script, experts[0]["id"]))
    page = client.get("/expert")
    assert page.text.count('class="pending"') == 2
    assert "项目1" in page.text and "项目2" in page.text
    assert "00:30:00" in page.text  # the time left, by the server's clock
    assert 'data-server-now="' in page.text
    links = re.findall(r'href="(/expert/invitations/[^"]+)"', page.text)
    assert len(links) == 2

    first, second = links
    response = post_form(client, first, {"action": "accept"})
    assert "You accepted the invitation" in flashes(response.follow())[0]
    page = post_form(client, second, {"action": "decline", "reason": ""}, status=400)
    assert field_error(page, "f-reason")
    post_form(client, second, {"action": "decline", "reason": "出差在外"}, page=page)

    statuses = {i.project_id: i.status for i in dbsession.execute(
        select(Invitation).where(Invitation.expert_id == experts[0]["id"])).scalars()}
    assert statuses == {projects[0]["id"]: "accepted", projects[1]["id"]: "declined"}
    page = client.get("/expert")
    assert 'class="pending"' not in page.text and "accepted" in page.text and "declined" in page.text

    # a stale page: the invitation is closed now, and the page says so with a 409
    closed = post_form(client, second, {"action": "accept"}, status=409, page=client.get(first))
    assert "This invitation is closed" in closed.text and "Its status: Declined." in closed.text


def test_an_expired_invitation_is_refused_clearly(api, script):
    _parties, project = project_past_deadline(api, script)
    experts = add_experts(api, 5)
    draw = api.post(f"projects/{project['id']}/expert-draws", draw_body(alternates=0), as_user="officer1").json
    api.post(f"expert-draws/{draw['id']}/run", as_user="officer1", status=200)
    client = log_in(api, expert_user(script, experts[0]["id"]))
    link = re.search(r'href="(/expert/invitations/[^"]+)"', client.get("/expert").text).group(1)
    form = client.get(link)
    assert "Accept the invitation" in form.text
    set_clock(api, at(21, 10, 31))
    page = post_form(client, link, {"action": "accept"}, status=409, page=form)
    assert "invitation.closed" in page.text and "Its status: Expired." in page.text
    assert "Accept the invitation" not in page.text


def test_an_expert_user_without_an_expert_sees_an_explanation(api, script):
    from trading.services import accounts

    with script() as request:
        accounts.create_user(request, username="lonely", password=PASSWORD, role="expert")
    client = log_in(api, "lonely")
    page = client.get("/expert", status=200)
    assert "not linked to an expert of the pool" in page.text
    assert "not linked" in client.get("/expert/invitations/nothing", status=200).text


# --- draws ------------------------------------------------------------------------------------------------


def draw_fields(requirements=(("A0101", "5"),), owners="0", alternates="2", evaluation="2026-12-23T09:00", lot_id=""):
    fields = {"action": "create", "lot_id": lot_id, "owner_representatives": owners, "alternates": alternates,
              "evaluation_at": evaluation}
    for index, (specialty, count) in enumerate(requirements):
        fields[f"requirements[{index}].specialty"] = specialty
        fields[f"requirements[{index}].count"] = count
    return fields


def test_officer_creates_and_runs_a_draw_and_sees_counts_but_not_names(api, script, dbsession):
    parties, project = project_past_deadline(api, script)
    owner_uscc = parties.owner.uscc
    experts = add_experts(api, 7)
    excluded = api.post("experts", expert_body(50, employer_uscc=owner_uscc), as_user="admin1", status=201).json
    officer = log_in(api, "officer1")
    url = f"/officer/projects/{project['id']}/draws"
    page = officer.get(url)
    assert "No draw yet." in page.text and "Commit the draw" in page.text

    page = post_form(officer, url, draw_fields((("A0101", "4"),)), status=422, page=page)
    assert "draw.composition" in page.text and "at least 5 members" in page.text
    assert 'value="4"' in page.text  # the form keeps what was entered

    # a row added without JavaScript, then removed
    fields = draw_fields((("A0101", "5"),))
    added = post_form(officer, url, {**fields, "_add": "requirements"}, status=200, page=page)
    assert 'name="requirements[1].specialty"' in added.text
    removed = post_form(officer, url, {**fields, "requirements[1].specialty": "", "requirements[1].count": "",
                                       "_remove": "requirements[1]"}, status=200, page=added)
    assert 'name="requirements[1].specialty"' not in removed.text

    response = post_form(officer, url, fields, page=removed)
    page = response.follow()
    assert "The draw is committed" in flashes(page)[0]
    draw_id = re.search(r'name="draw_id" value="([^"]+)"', page.text).group(1)

    response = post_form(officer, url, {"action": "run", "draw_id": draw_id}, page=page)
    assert response.location.endswith(f"/draws/{draw_id}")
    page = response.follow()
    assert "5 experts are invited" in flashes(page)[0]
    assert re.search(r'<dd class="count-pending">5</dd>', page.text)
    assert re.search(r'<dd class="count-required">5</dd>', page.text)
    for expert in experts + [excluded]:
        assert expert["name"] not in page.text
    assert "stay sealed from officers" in page.text
    assert "Verified" not in page.text and "record.pdf" not in page.text
    # the run is done: no second run
    assert "Run the draw" not in officer.get(url).text


def test_draw_too_early_and_too_few_experts_are_shown(api, script):
    from ..sealed import Parties as Who

    parties = Who(api, script)
    early = create_and_publish(api, tendering_body(parties))
    officer = log_in(api, "officer1")
    url = f"/officer/projects/{early['id']}/draws"
    page = officer.get(url)
    assert "only after the bid deadline" in page.text
    page = post_form(officer, url, draw_fields(), status=409, page=page)
    assert "draw.too_early" in page.text and "after the bid deadline" in page.text

    for username, _org in parties.bidders:
        register_and_pay(api, early, username)
        submit_bid(api, early, username, "900000.00")
    set_clock(api, at(21, 10))
    add_experts(api, 3)
    page = post_form(officer, url, draw_fields(), page=officer.get(url)).follow()
    draw_id = re.search(r'name="draw_id" value="([^"]+)"', page.text).group(1)
    page = post_form(officer, url, {"action": "run", "draw_id": draw_id}, status=422, page=page)
    table = re.search(r'<table class="data insufficient">.*?</table>', page.text, re.DOTALL).group(0)
    cells = re.findall(r'<td class="num">(\d+)</td>', table)
    assert cells == ["5", "3"] and "A0101" in table
    # the same refusal from the draw's own page
    page = post_form(officer, f"/draws/{draw_id}", {"action": "run"}, status=422)
    assert "draw.insufficient_experts" in page.text


def test_inspector_sees_names_exclusions_and_the_verification(api, script):
    parties, project = project_past_deadline(api, script)
    add_experts(api, 7)
    owner_man = api.post("experts", expert_body(50, employer_uscc=parties.owner.uscc), as_user="admin1",
                         status=201).json
    draw = api.post(f"projects/{project['id']}/expert-draws", draw_body(alternates=2), as_user="officer1").json
    api.post(f"expert-draws/{draw['id']}/run", as_user="officer1", status=200)
    record = api.get(f"expert-draws/{draw['id']}", as_user="inspector1").json
    inspector = log_in(api, "inspector1")
    page = inspector.get(f"/draws/{draw['id']}")
    for person in record["members"] + record["alternates"]:
        assert person["name"] in page.text
    assert owner_man["name"] in page.text and "Works for the owner" in page.text and "employer_owner" in page.text
    assert "✓" in page.text and "Verified" in page.text
    assert f"/api/v1/expert-draws/{draw['id']}/record.pdf" in page.text
    for name in ("commitment", "nonce", "eligible_hash", "head", "seed"):
        assert record[name] in page.text
    assert "Run the draw" not in page.text
    # the list of draws reads too, without the form
    listing = inspector.get(f"/officer/projects/{project['id']}/draws")
    assert "Commit a new draw" not in listing.text and f"/draws/{draw['id']}" in listing.text
    # the record PDF answers the same session
    assert inspector.get(f"/api/v1/expert-draws/{draw['id']}/record.pdf").body.startswith(b"%PDF")

    # the member's history, linked from the draw
    member = record["members"][0]
    records = inspector.get(f"/experts/{member['expert_id']}/records?draw={draw['id']}")
    assert "Invited" in records.text and project["title"] in records.text
    assert f'href="/projects/{project["id"]}"' in records.text and f'href="/draws/{draw["id"]}"' in records.text


# --- who may see what ---------------------------------------------------------------------------------------


def page_urls(project_id="p", draw_id="d", expert_id="e"):
    return ["/admin/experts", "/admin/experts/new", "/admin/experts/import", f"/admin/experts/{expert_id}",
            f"/experts/{expert_id}/records", "/expert", "/expert/invitations/i",
            f"/officer/projects/{project_id}/draws", f"/draws/{draw_id}"]


def test_a_bidder_is_refused_every_expert_page(api, script):
    _parties, project = project_past_deadline(api, script)
    expert = add_experts(api, 1)[0]
    draw = api.post(f"projects/{project['id']}/expert-draws", draw_body(), as_user="officer1").json
    bidder = log_in(api, "bidder1")
    for url in page_urls(project["id"], draw["id"], expert["id"]):
        page = bidder.get(url, status=403)
        assert page.content_type == "text/html", url
    csrf = csrf_of(bidder.get("/"))
    bidder.post(f"/officer/projects/{project['id']}/draws", {"csrf_token": csrf, "action": "create"}, status=403)


def test_anonymous_visitors_are_sent_to_the_login(api):
    for url in page_urls():
        response = api.app.get(url, status=302)
        assert "/login?next=" in response.location, url


def test_pages_render_in_chinese(api, parties, registry):
    expert = add_experts(api, 1)[0]
    admin = log_in(api, "admin1")
    admin.set_cookie("_LOCALE_", "zh_CN")
    for url in ("/admin/experts", "/admin/experts/new", "/admin/experts/import", f"/admin/experts/{expert['id']}",
                f"/experts/{expert['id']}/records"):
        page = admin.get(url)
        assert '<html lang="zh-CN">' in page.text


def test_records_page_by_page_newest_first(api, script, monkeypatch):
    from experts import pages

    monkeypatch.setattr(pages, "PAGE_SIZE", 1)
    _parties, project = project_past_deadline(api, script)
    add_experts(api, 5)
    draw = api.post(f"projects/{project['id']}/expert-draws", draw_body(alternates=0), as_user="officer1").json
    api.post(f"expert-draws/{draw['id']}/run", as_user="officer1", status=200)
    member = api.get(f"expert-draws/{draw['id']}", as_user="admin1").json["members"][0]["expert_id"]
    client = log_in(api, expert_user(script, member))
    set_clock(api, at(21, 10, 5))
    link = re.search(r'href="(/expert/invitations/[^"]+)"', client.get("/expert").text).group(1)
    post_form(client, link, {"action": "accept"})
    admin = log_in(api, "admin1")
    page = admin.get(f"/experts/{member}/records")
    events = []
    while True:
        events += re.findall(r'<span class="status status-(\w+)">', page.text)[1:]  # the first is the expert's
        found = re.search(r'href="([^"]+)" rel="next"', page.text)
        if not found:
            break
        page = admin.get(found.group(1).replace("&amp;", "&"))
    assert events == ["accepted", "invited"]


def test_time_left_is_counted_from_the_server_clock(api, script):
    _parties, project = project_past_deadline(api, script)
    experts = add_experts(api, 5)
    draw = api.post(f"projects/{project['id']}/expert-draws", draw_body(alternates=0), as_user="officer1").json
    api.post(f"expert-draws/{draw['id']}/run", as_user="officer1", status=200)
    client = log_in(api, expert_user(script, experts[1]["id"], username="expert-b"))
    set_clock(api, at(21, 10) + timedelta(minutes=17, seconds=30))
    page = client.get("/expert")
    assert "00:12:30" in page.text
    assert "2026-12-21 10:17" in page.text
