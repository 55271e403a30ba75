"""Officer and administrator pages: projects from the method's spec, publish, amend, documents, answers, the opening
hall, the working-day calendar; and who may reach them."""
import re

import pytest
from webtest import Upload

from ..conftest import PASSWORD
from .sealed import (
    Parties,
    at,
    create_and_publish,
    register_and_pay,
    submit_bid,
    tendering_body,
)
from .test_pages import csrf_of


@pytest.fixture
def parties(api, script):
    return Parties(api, script)


def login_page(api, username):
    form = api.app.get("/login")
    api.app.post("/login", {"username": username, "password": PASSWORD, "csrf_token": csrf_of(form)}, status=303)


def field_error(page, field_id):
    """The text of a field's error message (the element the field's aria-describedby names)."""
    match = re.search(rf'<p class="field-error" id="{re.escape(field_id)}-error">(.*?)</p>', page.text, re.DOTALL)
    if match is None:
        return None
    text = re.sub(r'<span class="visually-hidden">[^<]*</span>', "", match.group(1))  # the "Error:" for screen readers
    return re.sub(r"<[^>]+>", "", text).strip()


def new_form(api, method="tendering.open"):
    chooser = api.app.get("/officer/projects/new")
    choose = chooser.forms["method-form"]
    choose["method"] = method
    page = choose.submit()
    return page, page.forms["project-form"]


def fill_tendering(form, parties, **timeline):
    form["title"] = "城东污水处理厂扩建工程施工"
    form["description"] = "新建日处理能力5万吨的污水处理设施。"
    form["owner_org_id"] = parties.owner.id
    form["agent_org_id"] = parties.agent.id
    times = {"docs_from": "2026-12-01T09:00", "docs_until": "2026-12-08T17:00", "bid_deadline": "2026-12-21T09:30"}
    times.update(timeline)
    for name, value in times.items():
        form[f"timeline.{name}"] = value
    form["lots[0].title"] = "一标段"
    form["lots[0].budget"] = "1,000,000.00"
    form["lots[0].deposit"] = "20000"
    form["params.evaluation"] = "lowest_price"


# --- who may come in ---------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/officer", "/officer/projects/new", "/admin/calendar"])
def test_anonymous_visitors_are_sent_to_the_login(api, url):
    response = api.app.get(url, status=302)
    assert "/login?next=" in response.location


def test_a_bidder_is_refused_the_officer_pages(api, parties):
    project = create_and_publish(api, tendering_body(parties))
    login_page(api, "bidder1")
    for url in ("/officer", "/officer/projects/new", "/officer/projects/new?method=tendering.open",
                f"/officer/projects/{project['id']}", f"/officer/projects/{project['id']}/edit",
                f"/officer/projects/{project['id']}/opening", "/admin/calendar"):
        page = api.app.get(url, status=403)
        assert page.content_type == "text/html"
    token = csrf_of(api.app.get("/"))
    api.app.post(f"/officer/projects/{project['id']}", {"csrf_token": token, "action": "terminate", "reason": "x"},
                 status=403)
    assert api.get(f"projects/{project['id']}").json["status"] == "announced"


def test_an_officer_is_refused_the_calendar_and_an_admin_the_officer_pages(api, parties):
    login_page(api, "officer1")
    api.app.get("/admin/calendar", status=403)
    login_page(api, "admin1")
    api.app.get("/officer", status=403)


# --- home ------------------------------------------------------------------------------------------------


def test_officer_home_lists_drafts_and_running_projects_newest_first(api, parties, clock):
    draft = api.post("projects", tendering_body(parties, title="草稿项目"), as_user="officer1", status=201).json
    clock.set(at(1, 9, 1))
    later_draft = api.post("projects", tendering_body(parties, title="较新的草稿", timeline={
        "docs_from": "2026-12-02T09:00:00+08:00", "docs_until": "2026-12-09T17:00:00+08:00",
        "bid_deadline": "2026-12-23T09:30:00+08:00"}), as_user="officer1", status=201).json
    running = create_and_publish(api, tendering_body(parties, title="进行中的项目", timeline={
        "docs_from": "2026-12-02T09:00:00+08:00", "docs_until": "2026-12-09T17:00:00+08:00",
        "bid_deadline": "2026-12-23T09:30:00+08:00"}))
    login_page(api, "officer1")
    page = api.app.get("/officer")
    drafts_part, running_part = page.text.split('id="h-running"')
    assert drafts_part.index("较新的草稿") < drafts_part.index("草稿项目")
    assert "进行中的项目" in running_part and "草稿项目" not in running_part
    for project in (draft, later_draft, running):
        assert f'href="/officer/projects/{project["id"]}"' in page.text
    assert 'href="/officer/projects/new"' in page.text


# --- the project form ------------------------------------------------------------------------------------


def test_every_parameter_of_every_method_has_a_translated_label_and_hint(registry):
    """The form falls back to the JSON Schema's English description: no parameter may reach that fallback."""
    from trading.pages.officer import PARAM_HINTS, PARAM_LABELS, param_properties

    methods = [registry["methods"][code] if isinstance(code, str) else code for code in registry["methods"]]
    untranslated = {(method.code, name) for method in methods for name, schema in param_properties(method).items()
                    if name not in PARAM_LABELS or (schema.get("description") and name not in PARAM_HINTS)}
    assert not untranslated


def test_new_project_starts_by_choosing_the_method(api, parties):
    login_page(api, "officer1")
    chooser = api.app.get("/officer/projects/new")
    for code in ("tendering.open", "procurement.single_source", "land.auction", "equity.transfer"):
        assert f'value="{code}"' in chooser.text
    page = api.app.get("/officer/projects/new?method=no.such", status=400)
    assert "Choose one of the trading methods." in page.text


def test_the_form_is_generated_from_the_method_spec(api, parties):
    login_page(api, "officer1")
    page, form = new_form(api, "tendering.invited")
    assert form["timeline.bid_deadline"].attrs["type"] == "datetime-local"
    assert "timeline.questions_until" in form.fields and "timeline.auction_at" not in form.fields
    assert "lots[0].budget" in form.fields and "lots[0].reserve_price" not in form.fields
    assert [option[0] for option in form["params.evaluation"].options] == ["lowest_price", "scoring"]
    decrypt = form["params.decrypt_minutes"]
    assert (decrypt.attrs["type"], decrypt.attrs["min"], decrypt.attrs["max"], decrypt.value) == ("number", "5", "240", "30")
    invitees = form["params.invitees"]
    assert invitees.attrs.get("multiple") is not None
    assert {option[0] for option in invitees.options} == {org_id for _, org_id in parties.bidders}
    assert 'data-repeat="params.criteria"' in page.text and 'name="params.criteria[__i__].max"' in page.text
    assert [option[0] for option in form["owner_org_id"].options] == ["", parties.owner.id]

    _page, land = new_form(api, "land.auction")
    for name in ("timeline.registration_until", "timeline.auction_at", "lots[0].start_price", "lots[0].increment",
                 "lots[0].reserve_price", "lots[0].deposit", "params.countdown_seconds"):
        assert name in land.fields, name
    _page, single = new_form(api, "procurement.single_source")
    assert {option[0] for option in single["params.supplier_org_id"].options} == {"", *(org for _, org in parties.bidders)}
    assert [option[0] for option in single["params.category"].options] == ["", "goods", "services", "works"]


def test_officer_creates_a_tendering_project_meets_errors_then_publishes(api, parties, library):
    login_page(api, "officer1")
    _page, form = new_form(api)
    fill_tendering(form, parties, bid_deadline="")
    refused = form.submit(status=400)
    assert field_error(refused, "f-timeline-bid_deadline") == "This field is required."
    assert 'href="#f-timeline-bid_deadline"' in refused.text  # the summary links to the field
    form = refused.forms["project-form"]
    assert form["title"].value == "城东污水处理厂扩建工程施工" and form["lots[0].budget"].value == "1,000,000.00"
    assert form["owner_org_id"].value == parties.owner.id

    form["timeline.bid_deadline"] = "2026-12-11T09:30"  # only 10 days after docs_from
    saved = form.submit(status=303).follow()
    assert "Draft LY-GC-2026-0001 saved" in saved.text
    project_id = re.search(r"/officer/projects/([^/\"]+)/edit", saved.text).group(1)
    stored = api.get(f"projects/{project_id}", as_user="officer1").json
    assert stored["status"] == "draft" and stored["lots"][0]["budget"] == "1000000.00"
    assert stored["lots"][0]["deposit"] == "20000.00"
    assert stored["timeline"]["bid_deadline"] == "2026-12-11T09:30:00+08:00"
    assert stored["params"] == {"evaluation": "lowest_price", "decrypt_minutes": 30, "price_formula": "lowest",
                                "benchmark_discount": 0}

    violated = saved.forms["publish-form"].submit(status=422)  # the publish form
    assert "timeline.bid_period_short" in violated.text
    assert "The bid deadline must be at least 20 days after the documents are first offered" in violated.text
    assert 'href="/policies/TBL">TBL Art 24</a>' in violated.text
    assert api.app.get("/policies/TBL").status_int == 200
    assert api.get(f"projects/{project_id}", as_user="officer1").json["status"] == "draft"

    edit = api.app.get(f"/officer/projects/{project_id}/edit")
    form = edit.forms["project-form"]
    assert form["timeline.bid_deadline"].value == "2026-12-11T09:30"
    form["timeline.bid_deadline"] = "2026-12-21T09:30"
    form.submit(status=303)
    managed = api.app.get(f"/officer/projects/{project_id}")
    published = managed.forms["publish-form"].submit(status=303).follow()
    assert "Project LY-GC-2026-0001 is published." in published.text
    assert api.get(f"projects/{project_id}").json["status"] == "announced"
    # a published project is no longer editable: the edit page sends the officer back with a note
    back = api.app.get(f"/officer/projects/{project_id}/edit", status=303).follow()
    assert "Only a draft can be edited" in back.text


@pytest.fixture
def library(script):
    from trading.services.policies import load_policies

    with script() as request:
        return load_policies(request)


def test_publish_warnings_come_as_flash_messages(api, parties):
    login_page(api, "officer1")
    _page, form = new_form(api)
    fill_tendering(form, parties, bid_deadline="2026-12-26T09:30")  # a Saturday
    saved = form.submit(status=303).follow()
    published = saved.forms["publish-form"].submit(status=303).follow()
    assert "Warning:" in published.text and "non-working day" in published.text


def test_lot_rows_are_added_and_removed_without_javascript(api, parties):
    login_page(api, "officer1")
    _page, form = new_form(api)
    fill_tendering(form, parties)
    added = form.submit("_add", value="lots", status=200)
    form = added.forms["project-form"]
    assert form["lots[0].title"].value == "一标段" and form["lots[1].title"].value == ""
    form["lots[1].title"] = "二标段"
    form["lots[1].budget"] = "500000"
    removed = form.submit("_remove", index=0, status=200)  # the first row's remove button
    form = removed.forms["project-form"]
    assert form["lots[0].title"].value == "二标段" and "lots[1].title" not in form.fields
    saved = form.submit(status=303).follow()
    assert "二标段" in saved.text and "一标段" not in saved.text


def test_errors_in_repeated_rows_name_the_row(api, parties):
    login_page(api, "officer1")
    _page, form = new_form(api)
    fill_tendering(form, parties)
    form["params.evaluation"] = "scoring"
    form = form.submit("_add", value="params.criteria").forms["project-form"]
    form = form.submit("_add", value="params.criteria").forms["project-form"]
    form["params.criteria[0].code"] = "technical"
    form["params.criteria[0].name"] = "技术方案"
    form["params.criteria[0].max"] = "60"
    form["params.criteria[0].kind"] = "technical"
    form["params.criteria[1].code"] = "price"
    form["params.criteria[1].name"] = "报价"
    form["params.criteria[1].max"] = "lots"
    form["params.criteria[1].kind"] = "price"
    form["lots[0].budget"] = ""
    refused = form.submit(status=400)
    assert field_error(refused, "f-params-criteria-1-max") == "Must be of type number."
    assert field_error(refused, "f-lots-0-budget") == "This field is required."
    assert field_error(refused, "f-params-criteria-0-max") is None
    form = refused.forms["project-form"]
    form["params.criteria[1].max"] = "40"
    form["lots[0].budget"] = "800000"
    saved = form.submit(status=303).follow()
    project_id = re.search(r"/officer/projects/([^/\"]+)/edit", saved.text).group(1)
    criteria = api.get(f"projects/{project_id}", as_user="officer1").json["params"]["criteria"]
    assert criteria == [{"code": "technical", "name": "技术方案", "max": 60, "kind": "technical"},
                        {"code": "price", "name": "报价", "max": 40, "kind": "price"}]


def test_invited_tendering_picks_its_invitees_from_the_bidder_organisations(api, parties):
    login_page(api, "officer1")
    _page, form = new_form(api, "tendering.invited")
    fill_tendering(form, parties)
    form["params.invitees"] = [org_id for _, org_id in parties.bidders[:2]]
    saved = form.submit(status=303).follow()
    violated = saved.forms["publish-form"].submit(status=422)
    assert "invited.too_few" in violated.text
    project_id = re.search(r"/officer/projects/([^/\"]+)/edit", saved.text).group(1)
    form = api.app.get(f"/officer/projects/{project_id}/edit").forms["project-form"]
    assert set(form["params.invitees"].value) == {org_id for _, org_id in parties.bidders[:2]}
    form["params.invitees"] = [org_id for _, org_id in parties.bidders]
    form.submit(status=303)
    api.app.get(f"/officer/projects/{project_id}").forms["publish-form"].submit(status=303)
    assert api.get(f"projects/{project_id}").json["status"] == "announced"


def test_a_land_auction_keeps_its_reserve_price_for_officers_only(api, parties):
    login_page(api, "officer1")
    _page, form = new_form(api, "land.auction")
    form["title"] = "城北地块国有建设用地使用权拍卖"
    form["owner_org_id"] = parties.owner.id
    form["timeline.registration_until"] = "2026-12-28T17:00"
    form["timeline.auction_at"] = "2026-12-29T10:00"
    for name, value in (("title", "A-01 地块"), ("start_price", "5000000"), ("increment", "100000"),
                        ("reserve_price", "7654321.00"), ("deposit", "1000000")):
        form[f"lots[0].{name}"] = value
    managed = form.submit(status=303).follow()
    assert "7654321.00" in managed.text
    managed.forms["publish-form"].submit(status=303)
    project_id = re.search(r'href="/officer/projects/([^/"]+)/edit"', managed.text).group(1)
    assert "7654321" not in api.app.get(f"/projects/{project_id}").text
    api.app.get(f"/officer/projects/{project_id}/opening", status=404)


# --- running a published project ---------------------------------------------------------------------------


def test_officer_amends_an_announced_project(api, parties, clock):
    project = create_and_publish(api, tendering_body(parties))
    login_page(api, "officer1")
    page = api.app.get(f"/officer/projects/{project['id']}")
    form = page.forms["amend-form"]
    refused = form.submit(status=400)
    assert field_error(refused, "amend-text") == "Enter the text of the amendment."

    clock.set(at(10))  # 11 days before the deadline: an amendment must move it
    form = api.app.get(f"/officer/projects/{project['id']}").forms["amend-form"]
    form["text"] = "工期调整为300日历天。"
    violated = form.submit(status=422)
    assert "timeline.amendment_too_late" in violated.text
    form = violated.forms["amend-form"]
    assert form["text"].value == "工期调整为300日历天。"
    form["timeline.bid_deadline"] = "2026-12-28T09:30"
    done = form.submit(status=303).follow()
    assert "The amendment is published." in done.text
    public = api.app.get(f"/projects/{project['id']}")
    assert "工期调整为300日历天。" in public.text and "2026-12-28 09:30" in public.text


def test_officer_uploads_a_document(api, parties):
    project = create_and_publish(api, tendering_body(parties))
    login_page(api, "officer1")
    form = api.app.get(f"/officer/projects/{project['id']}").forms["upload-form"]
    refused = form.submit(status=400)
    assert field_error(refused, "upload-file") == "Choose a file to upload."
    form = refused.forms["upload-form"]
    form["file"] = Upload("招标文件.pdf", b"%PDF-1.4 the tender documents", "application/pdf")
    form["kind"] = "tender"
    done = form.submit(status=303).follow()
    assert "招标文件.pdf is uploaded." in done.text
    listed = api.get(f"projects/{project['id']}/documents").json["items"]
    assert [d["name"] for d in listed] == ["招标文件.pdf"]
    assert f'href="/api/v1/documents/{listed[0]["id"]}/content"' in api.app.get(f"/projects/{project['id']}").text
    assert api.app.get(f"/api/v1/documents/{listed[0]['id']}/content").body == b"%PDF-1.4 the tender documents"


def test_officer_answers_a_question_publicly(api, parties):
    project = create_and_publish(api, tendering_body(parties))
    register_and_pay(api, project, "bidder1")
    question = api.post(f"projects/{project['id']}/questions", {"text": "是否接受联合体投标？"}, as_user="bidder1",
                        status=201).json
    login_page(api, "officer1")
    page = api.app.get(f"/officer/projects/{project['id']}")
    assert "是否接受联合体投标？" in page.text and "投标公司1" not in page.text
    form = page.forms[f"answer-form-{question['id']}"]
    refused = form.submit(status=400)
    assert field_error(refused, f"answer-{question['id']}") == "Enter the answer."
    form = refused.forms[f"answer-form-{question['id']}"]
    form["text"] = "不接受联合体投标。"
    assert "The answer is published." in form.submit(status=303).follow().text
    assert "不接受联合体投标。" in api.app.get(f"/projects/{project['id']}").text


def test_officer_terminates_a_project_with_a_reason(api, parties):
    project = create_and_publish(api, tendering_body(parties))
    login_page(api, "officer1")
    form = api.app.get(f"/officer/projects/{project['id']}").forms["terminate-form"]
    refused = form.submit(status=400)
    assert field_error(refused, "terminate-reason") == "Give the reason for terminating the project."
    form = refused.forms["terminate-form"]
    form["reason"] = "项目资金未落实。"
    done = form.submit(status=303).follow()
    assert "is terminated" in done.text and "项目资金未落实。" in done.text
    assert 'name="action" value="terminate"' not in done.text
    assert api.get(f"projects/{project['id']}").json["status"] == "terminated"


def test_an_unknown_action_is_refused_without_a_server_error(api, parties):
    project = create_and_publish(api, tendering_body(parties))
    login_page(api, "officer1")
    token = csrf_of(api.app.get(f"/officer/projects/{project['id']}"))
    page = api.app.post(f"/officer/projects/{project['id']}", {"csrf_token": token, "action": "explode"}, status=400)
    assert "Unknown action." in page.text
    api.app.post(f"/officer/projects/{project['id']}", {"csrf_token": token, "action": "answer",
                                                        "question_id": "nope", "text": "x"}, status=404)
    api.app.post(f"/officer/projects/{project['id']}/opening", {"csrf_token": token, "action": "explode"},
                 status=400)
    api.app.post(f"/officer/projects/{project['id']}", {"action": "terminate", "reason": "x"}, status=403)  # no CSRF


# --- the opening hall --------------------------------------------------------------------------------------


def test_officer_runs_the_opening_hall(api, parties, clock):
    project = create_and_publish(api, tendering_body(parties))
    pid = project["id"]
    bids = {}
    for index, (username, _org) in enumerate(parties.bidders):
        register_and_pay(api, project, username)
        bids[username] = submit_bid(api, project, username, price=f"9{index}0000.00").json["id"]
    login_page(api, "officer1")
    hall = api.app.get(f"/officer/projects/{pid}/opening")
    assert "The opening has not started." in hall.text
    too_early = hall.forms["start-form"].submit(status=409)
    assert "The opening cannot start" in too_early.text and "opening.too_early" in too_early.text
    assert "before the bid deadline (2026-12-21 09:30)" in too_early.text

    clock.set(at(21, 9, 30))
    started = too_early.forms["start-form"].submit(status=303).follow()
    assert "The opening has started" in started.text
    assert 'data-poll-interval="2000"' in started.text and f'data-poll-url="/api/v1/projects/{pid}/opening"' in started.text
    assert re.search(r'<script src="/static/officer.js[^"]*" defer>', started.text)

    api.post(f"bids/{bids['bidder1']}/decrypt", {"unlock_secret": "open sesame"}, as_user="bidder1")
    refused = started.forms["close-form"].submit(status=409)
    assert "opening.window_open" in refused.text and "2 bid(s) are not decrypted yet" in refused.text
    assert "1</span> / <span data-field=\"bids_total\">3" in refused.text
    for username in ("bidder2", "bidder3"):
        api.post(f"bids/{bids[username]}/decrypt", {"unlock_secret": "open sesame"}, as_user=username)
    closed = refused.forms["close-form"].submit(status=303).follow()
    assert "The opening is closed" in closed.text
    for text in ("投标公司1", "投标公司2", "投标公司3", "900000.00", "910000.00", "920000.00"):
        assert text in closed.text
    assert f'href="/api/v1/projects/{pid}/opening/record.pdf"' in closed.text
    assert "data-poll-url" not in closed.text and "close-form" not in closed.text


def test_opening_with_too_few_bids_fails_every_lot(api, parties, clock):
    project = create_and_publish(api, tendering_body(parties))
    login_page(api, "officer1")
    hall = api.app.get(f"/officer/projects/{project['id']}/opening")
    clock.set(at(21, 10))
    done = hall.forms["start-form"].submit(status=303).follow()
    assert "failed" in done.text


# --- the working-day calendar ------------------------------------------------------------------------------


def test_admin_sets_removes_and_confirms_calendar_days(api, parties):
    login_page(api, "admin1")
    page = api.app.get("/admin/calendar", {"year": "2031"})
    assert "Not confirmed" in page.text and "2031" in page.text
    form = page.forms["override-form"]
    refused = form.submit(status=400)
    assert field_error(refused, "override-day") == "Enter a date (YYYY-MM-DD)."
    form = refused.forms["override-form"]
    form["day"] = "2031-01-04"  # a Saturday made a working day
    form["workday"] = "yes"
    form["note"] = "调休上班"
    done = form.submit(status=303).follow()
    assert "2031-01-04 is now a working day." in done.text
    assert "调休上班" in done.text
    calendar = api.get("calendar?year=2031").json
    assert calendar["items"] == [{"day": "2031-01-04", "workday": True, "note": "调休上班"}]
    assert "2031-01-04" not in calendar["non_working_days"]

    removed = done.forms["delete-2031-01-04"].submit(status=303).follow()
    assert "The override of 2031-01-04 is removed" in removed.text
    assert api.get("calendar?year=2031").json["items"] == []

    confirmed = removed.forms["confirm-form"].submit(status=303).follow()
    assert "The calendar of 2031 is confirmed." in confirmed.text and "Not confirmed" not in confirmed.text
    assert api.get("calendar?year=2031").json["confirmed"] is True


def test_calendar_refuses_a_bad_year_or_day_without_failing(api, parties):
    login_page(api, "admin1")
    page = api.app.get("/admin/calendar", {"year": "1999"}, status=400)
    assert "Enter a year from 2000 to 2100." in page.text
    token = csrf_of(page)
    bad = api.app.post("/admin/calendar", {"csrf_token": token, "action": "set", "day": "2031-02-30",
                                          "workday": "yes"}, status=400)
    assert field_error(bad, "override-day") == "Enter a date (YYYY-MM-DD)."
    missing = api.app.post("/admin/calendar", {"csrf_token": token, "action": "delete", "day": "2031-03-03"},
                           status=404)
    assert "2031-03-03 has no override." in missing.text


def test_officer_and_admin_pages_load_no_external_resources_and_no_inline_scripts(api, parties):
    project = create_and_publish(api, tendering_body(parties))
    login_page(api, "officer1")
    pages = [api.app.get(url) for url in ("/officer", "/officer/projects/new", "/officer/projects/new?method=tendering.open",
                                          f"/officer/projects/{project['id']}", f"/officer/projects/{project['id']}/opening")]
    login_page(api, "admin1")
    pages.append(api.app.get("/admin/calendar"))
    for page in pages:
        assert not re.search(r'(src|href)="(https?:)?//', page.text), page.request.url
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page.text), page.request.url
        assert not re.search(r"\son[a-z]+=", page.text), page.request.url


def test_every_form_field_has_a_label(api, parties):
    project = create_and_publish(api, tendering_body(parties))
    register_and_pay(api, project, "bidder1")
    api.post(f"projects/{project['id']}/questions", {"text": "问题"}, as_user="bidder1", status=201)
    login_page(api, "officer1")
    urls = ["/officer/projects/new?method=tendering.invited", "/officer/projects/new?method=equity.transfer",
            f"/officer/projects/{project['id']}"]
    login_pages = [api.app.get(url) for url in urls]
    login_page(api, "admin1")
    login_pages.append(api.app.get("/admin/calendar"))
    for page in login_pages:
        html = re.sub(r"<template.*?</template>", "", page.text, flags=re.DOTALL)
        ids = re.findall(r'<(?:input|select|textarea)\b(?![^>]*type="(?:hidden|submit)")[^>]*\bid="([^"]+)"', html)
        inputs = re.findall(r'<(?:input|select|textarea)\b(?![^>]*type="(?:hidden|submit)")[^>]*>', html)
        assert len(ids) == len(inputs), page.request.url  # every visible field has an id ...
        for field_id in ids:  # ... and a label for it
            assert f'for="{field_id}"' in html, (page.request.url, field_id)


def test_the_amendment_hint_states_the_centres_notice_period(api, parties, registry, monkeypatch):
    from .test_inspector_pages import stricter

    project = create_and_publish(api, tendering_body(parties))
    login_page(api, "officer1")
    stricter(registry, monkeypatch, **{"tendering.amendment_notice_days": 18})
    page = api.app.get(f"/officer/projects/{project['id']}")
    assert "An amendment less than 18 days before the bid deadline must move the deadline." in page.text


def test_admin_lists_creates_links_an_expert_and_deactivates_users(api, parties):
    from .experts.helpers import add_experts

    expert = add_experts(api, 1, start=801)[0]
    api.app.get("/admin/users", status=302)  # anonymous: to the login
    api.app.get("/admin", status=302)
    login_page(api, "admin1")
    assert api.app.get("/admin", status=303).location.endswith("/admin/users")  # as /officer is the officer's
    page = api.app.get("/admin/users")
    assert '<a href="/admin/users">Users</a>' in page.text
    assert "officer1" in page.text and ">Officer<" in page.text and parties.bidders[0][0] in page.text
    only = api.app.get("/admin/users", {"role": "inspector"})
    assert "inspector1" in only.text and "officer1" not in only.text

    # the expert's page leads to the form with the expert filled in
    detail = api.app.get(f"/admin/experts/{expert['id']}")
    link = re.search(r'href="(/admin/users\?expert_id=[^"#]+)#new-user"', detail.text).group(1)
    form = api.app.get(link).forms["new-user-form"]
    assert form["expert_id"].value == expert["id"] and form["role"].value == "expert"

    token = csrf_of(page)
    empty = api.app.post("/admin/users", {"csrf_token": token, "action": "create"}, status=400)
    for field_id in ("user-username", "user-password", "user-role"):
        assert field_error(empty, field_id), field_id
    wrong = api.app.post("/admin/users", {"csrf_token": token, "action": "create", "username": "x1",
                                          "password": "a long password", "role": "officer", "expert_id": expert["id"]},
                         status=400)
    assert field_error(wrong, "user-expert") == "Only a user of the role expert is linked to an expert of the pool."
    unknown = api.app.post("/admin/users", {"csrf_token": token, "action": "create", "username": "x1",
                                            "password": "a long password", "role": "expert", "expert_id": "nobody"},
                           status=400)
    assert field_error(unknown, "user-expert") == "No expert of the pool has this ID."
    weak = api.app.post("/admin/users", {"csrf_token": token, "action": "create", "username": "x1",
                                         "password": "short", "role": "expert", "expert_id": expert["id"]}, status=422)
    assert field_error(weak, "user-password") == "The password needs at least 10 characters."
    assert 'value="x1"' in weak.text  # what was typed stays, but the password

    done = api.app.post("/admin/users", {"csrf_token": token, "action": "create", "username": "expert801",
                                         "password": "a long password", "role": "expert", "expert_id": expert["id"]},
                        status=303).follow()
    assert "The user expert801 is created." in done.text
    created = next(u for u in api.get("users?role=expert", as_user="admin1").json["items"]
                   if u["username"] == "expert801")
    assert created["expert_id"] == expert["id"]
    taken = api.app.post("/admin/users", {"csrf_token": token, "action": "create", "username": "expert801",
                                          "password": "a long password", "role": "officer"}, status=409)
    assert "The username expert801 is taken." in taken.text

    # deactivating: the user can no longer log in, the event is audited; the admin cannot lock itself out
    officer = next(u for u in api.get("users?role=officer", as_user="admin1").json["items"])
    gone = api.app.post("/admin/users", {"csrf_token": token, "action": "deactivate", "user_id": officer["id"]},
                        status=303).follow()
    assert f"The user {officer['username']} is deactivated" in gone.text
    row = re.search(rf'<tr id="user-{officer["id"]}">.*?</tr>', gone.text, re.DOTALL).group(0)
    assert ">no<" in row and "Deactivate" not in row
    from webtest import TestApp

    TestApp(api.app.app, extra_environ=api.app.extra_environ).post_json(
        "/api/v1/auth/login", {"username": officer["username"], "password": PASSWORD}, status=401)
    events = api.get("audit?action=user.deactivate", as_user="inspector1").json["items"]
    assert [e["object_id"] for e in events] == [officer["id"]]
    me = next(u for u in api.get("users?role=admin", as_user="admin1").json["items"] if u["username"] == "admin1")
    self_refused = api.app.post("/admin/users", {"csrf_token": token, "action": "deactivate", "user_id": me["id"]},
                                status=409)
    assert "You cannot deactivate your own account." in self_refused.text
