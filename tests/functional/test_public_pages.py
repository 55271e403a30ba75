"""Public pages: the announcements list, a project, its opening and the policies library."""
import re

import pytest

from trading.services.policies import load_policies

from ..conftest import PASSWORD
from .sealed import (
    Parties,
    at,
    create_and_publish,
    iso,
    register_and_pay,
    set_clock,
    submit_bid,
    tendering_body,
)
from .test_pages import csrf_of

RESERVE = "7654321.00"


@pytest.fixture
def parties(api, script):
    return Parties(api, script)


@pytest.fixture
def library(script):
    with script() as request:
        return load_policies(request)


def login_page(api, username):
    form = api.app.get("/login")
    api.app.post("/login", {"username": username, "password": PASSWORD, "csrf_token": csrf_of(form)}, status=303)


def land_body(parties, **over):
    body = {
        "method": "land.auction",
        "title": "城北地块国有建设用地使用权拍卖",
        "owner_org_id": parties.owner.id,
        "lots": [{"title": "A-01 地块", "start_price": "5000000.00", "increment": "100000.00",
                  "reserve_price": RESERVE, "deposit": "1000000.00"}],
        "timeline": {"registration_until": iso(at(28, 17)), "auction_at": iso(at(29, 10))},
        "params": {"countdown_seconds": 300},
    }
    body.update(over)
    return body


def procurement_project(api, parties):
    body = tendering_body(parties, method="procurement.open", title="市政务云服务器采购", agent_org_id=None,
                          params={"category": "goods", "evaluation": "lowest_price"})
    return create_and_publish(api, body)


def test_announcements_list_shows_each_published_project_in_beijing_time(api, parties):
    project = create_and_publish(api, tendering_body(parties))
    page = api.app.get("/projects")
    assert project["code"] in page.text and "城东污水处理厂扩建工程施工" in page.text
    assert "Open tendering" in page.text and "announced" in page.text
    assert "2026-12-21 09:30" in page.text  # 09:30 Beijing time, stored as 01:30 UTC
    assert f'href="/projects/{project["id"]}"' in page.text


def test_every_status_code_a_page_shows_has_an_english_and_a_chinese_label(api, parties):
    from pyramid.i18n import make_localizer

    from experts.models import EXPERT_STATUSES, INVITATION_STATUSES
    from trading.catalogs import LOCALE_DIR
    from trading.i18n import _
    from trading.models.bids import BID_STATUSES
    from trading.models.projects import LOT_STATUSES, PROJECT_STATUSES

    codes = (set(PROJECT_STATUSES) | set(LOT_STATUSES) | set(BID_STATUSES) | set(EXPERT_STATUSES)
             | set(INVITATION_STATUSES) | {"committed", "drawn", "complete", "insufficient"}  # draws
             | {"scoring", "finalized"} | {"pending_deposit", "qualified"})  # evaluations, registrations
    locale_dir = str(LOCALE_DIR)
    english, chinese = make_localizer("en", [locale_dir]), make_localizer("zh_CN", [locale_dir])
    unlabelled = sorted(code for code in codes if english.translate(_(code)) == code)
    untranslated = sorted(code for code in codes if not re.search(r"[\u4e00-\u9fff]", chinese.translate(_(code))))
    assert not unlabelled and not untranslated, (unlabelled, untranslated)
    # and the announcements list reads the label, not the code
    create_and_publish(api, tendering_body(parties))
    page = api.app.get("/projects", headers={"Accept-Language": "en"})
    assert '<span class="status status-announced">Announced</span>' in page.text


def test_announcements_hide_drafts_from_the_public(api, parties):
    draft = api.post("projects", tendering_body(parties, title="尚未发布的草稿"), as_user="officer1", status=201).json
    assert "尚未发布的草稿" not in api.app.get("/projects").text
    assert draft["code"] not in api.app.get("/projects?status=draft").text
    api.app.get(f"/projects/{draft['id']}", status=404)


def test_announcements_search_and_filters_narrow_the_list(api, parties):
    create_and_publish(api, tendering_body(parties))
    procurement_project(api, parties)
    assert "市政务云服务器采购" not in api.app.get("/projects", {"q": "污水"}).text
    assert "城东污水处理厂" in api.app.get("/projects", {"q": "污水"}).text
    by_sector = api.app.get("/projects", {"sector": "procurement"})
    assert "市政务云服务器采购" in by_sector.text and "城东污水处理厂" not in by_sector.text
    by_method = api.app.get("/projects", {"method": "tendering.open"})
    assert "城东污水处理厂" in by_method.text and "市政务云服务器采购" not in by_method.text
    assert "No projects match." in api.app.get("/projects", {"status": "awarded"}).text
    # the form keeps what was chosen
    assert '<option value="procurement" selected>' in by_sector.text


def test_announcements_ignore_unknown_filters_instead_of_failing(api, parties):
    create_and_publish(api, tendering_body(parties))
    page = api.app.get("/projects", {"sector": "nonsense", "status": "<script>"})
    assert "城东污水处理厂" in page.text and "not recognised" in page.text
    assert "<script>" not in page.text


def test_announcements_next_page_link_keeps_the_query(api, parties, clock, monkeypatch):
    from trading.pages import public

    monkeypatch.setattr(public, "PAGE_SIZE", 1)
    timeline = {"docs_from": iso(at(2)), "docs_until": iso(at(9, 17)), "bid_deadline": iso(at(23, 9, 30))}
    first = create_and_publish(api, tendering_body(parties, title="第一个污水项目", timeline=timeline))
    clock.set(at(1, 9, 5))
    second = create_and_publish(api, tendering_body(parties, title="第二个污水项目", timeline=timeline))
    clock.set(at(1, 9, 10))
    create_and_publish(api, tendering_body(parties, title="无关项目", timeline=timeline))
    page = api.app.get("/projects", {"q": "污水"})
    assert second["code"] in page.text and first["code"] not in page.text  # newest first
    next_url = re.search(r'href="([^"]+)" rel="next"', page.text).group(1).replace("&amp;", "&")
    assert "q=" in next_url and "cursor=" in next_url
    page2 = api.app.get(next_url)
    assert first["code"] in page2.text and second["code"] not in page2.text and "无关项目" not in page2.text
    assert 'rel="next"' not in page2.text


def test_announcements_with_a_damaged_cursor_show_the_first_page(api, parties):
    create_and_publish(api, tendering_body(parties))
    for cursor in ("nonsense", "WyJub3QgYSBkYXRlIiwgIngiXQ", "WzEsMl0"):  # not base64 JSON; a bad date; numbers
        page = api.app.get("/projects", {"cursor": cursor})
        assert "城东污水处理厂" in page.text and "not valid" in page.text


def test_project_page_shows_details_timeline_lots_amendments_documents_and_answers(api, parties):
    project = create_and_publish(api, tendering_body(parties, description="新建日处理能力5万吨的污水处理设施。"))
    pid = project["id"]
    api.post(f"projects/{pid}/amendments", {"text": "补充说明：工期调整为300日历天。"}, as_user="officer1", status=201)
    document = api.app.post(f"/api/v1/projects/{pid}/documents", params=[("kind", "tender")],
                            upload_files=[("file", "招标文件.pdf", b"%PDF-1.4 tender")],
                            headers=api.headers("officer1"), status=201).json
    register_and_pay(api, project, "bidder1")
    question = api.post(f"projects/{pid}/questions", {"text": "是否接受联合体投标？"}, as_user="bidder1", status=201).json
    api.post(f"questions/{question['id']}/answer", {"text": "不接受联合体投标。"}, as_user="officer1")

    page = api.app.get(f"/projects/{pid}")
    text = page.text
    for expected in (project["code"], "城东污水处理厂扩建工程施工", "市水务局", "诚信招标代理有限公司", "新建日处理能力5万吨",
                     "2026-12-01 09:00", "2026-12-08 17:00", "2026-12-21 09:30", "一标段", "1000000.00", "20000.00",
                     "补充说明：工期调整为300日历天。", "招标文件.pdf", document["sha256"], "是否接受联合体投标？",
                     "不接受联合体投标。"):
        assert expected in text, expected
    assert f'href="/api/v1/documents/{document["id"]}/content"' in text
    assert f'href="/projects/{pid}/opening"' in text
    assert "bidder1" not in text and "投标公司1" not in text  # who asked or registered stays hidden


def test_project_page_never_shows_a_reserve_price(api, parties):
    project = create_and_publish(api, land_body(parties))
    for page in (api.app.get(f"/projects/{project['id']}"), api.app.get("/projects")):
        assert RESERVE not in page.text and "7654321" not in page.text
    assert "5000000.00" in api.app.get(f"/projects/{project['id']}").text
    login_page(api, "bidder1")
    assert RESERVE not in api.app.get(f"/projects/{project['id']}").text


def test_project_page_offers_bidders_the_register_link_and_others_a_login(api, parties):
    project = create_and_publish(api, tendering_body(parties))
    anonymous = api.app.get(f"/projects/{project['id']}")
    assert f'/bidder/projects/{project["id"]}' not in anonymous.text and "Log in to register or bid" in anonymous.text
    login_page(api, "bidder1")
    page = api.app.get(f"/projects/{project['id']}")
    assert f'href="/bidder/projects/{project["id"]}"' in page.text and "Register / bid" in page.text


def test_project_page_applies_due_transitions_first(api, parties, clock):
    project = create_and_publish(api, tendering_body(parties))
    clock.set(at(21, 9, 31))  # past the deadline, no sweep has run: the page read applies it
    page = api.app.get(f"/projects/{project['id']}")
    assert "failed" in page.text  # no bids: the lot fails unopened (流标)


def test_opening_page_follows_the_opening_from_waiting_to_the_record(api, parties, clock):
    project = create_and_publish(api, tendering_body(parties))
    pid = project["id"]
    waiting = api.app.get(f"/projects/{pid}/opening")
    assert "The opening has not started." in waiting.text and "2026-12-21 09:30" in waiting.text
    assert "data-poll-url" not in waiting.text

    bids = {}
    for username, _org in parties.bidders:
        register_and_pay(api, project, username)
        bids[username] = submit_bid(api, project, username, price=f"9{len(bids)}0000.00").json["id"]
    set_clock(api, at(21, 9, 30))  # the clock starts the opening
    during = api.app.get(f"/projects/{pid}/opening")
    assert f'data-poll-url="/api/v1/projects/{pid}/opening"' in during.text
    assert 'data-poll-interval="3000"' in during.text
    assert re.search(r'<script src="/static/officer.js[^"]*" defer>', during.text)
    assert "0</span> / <span data-field=\"bids_total\">3" in during.text
    for username, bid_id in bids.items():
        api.post(f"bids/{bid_id}/decrypt", {"unlock_secret": "open sesame"}, as_user=username, status=200)
    api.post(f"projects/{pid}/opening/close", as_user="officer1", status=200)

    closed = api.app.get(f"/projects/{pid}/opening")
    assert "data-poll-url" not in closed.text
    for name in ("投标公司1", "投标公司2", "投标公司3", "900000.00", "910000.00", "920000.00"):
        assert name in closed.text
    assert f'href="/api/v1/projects/{pid}/opening/record.pdf"' in closed.text


def test_auction_projects_have_no_opening_page(api, parties):
    project = create_and_publish(api, land_body(parties))
    page = api.app.get(f"/projects/{project['id']}/opening", status=404)
    assert "auction" in page.text


def test_unknown_project_is_a_404_page(api):
    page = api.app.get("/projects/no-such-project", status=404)
    assert page.content_type == "text/html"


def test_policies_library_searches_and_filters(api, library):
    everything = api.app.get("/policies")
    assert "中华人民共和国招标投标法" in everything.text
    found = api.app.get("/policies", {"q": "政府采购法"})
    assert "中华人民共和国政府采购法" in found.text and "中华人民共和国招标投标法实施条例" not in found.text
    land = api.app.get("/policies", {"sector": "land"})
    assert "中华人民共和国招标投标法" not in land.text
    assert "No policies match." in api.app.get("/policies", {"q": "no such words at all"}).text
    assert 'href="/policies/TBL"' in everything.text


def test_policy_page_shows_the_whole_text_and_a_way_back(api, library):
    page = api.app.get("/policies/TBL")
    assert "中华人民共和国招标投标法" in page.text and "中华人民共和国主席令第21号" in page.text
    assert "第二十四条" in page.text and 'href="/policies"' in page.text
    api.app.get("/policies/NOPE", status=404)


def test_public_pages_in_chinese_translate_their_frame(api, parties, library):
    project = create_and_publish(api, tendering_body(parties))
    for url in ("/projects", f"/projects/{project['id']}", f"/projects/{project['id']}/opening", "/policies",
                "/policies/TBL"):
        page = api.app.get(url, headers={"Accept-Language": "zh-CN"})
        assert '<html lang="zh-CN">' in page.text


def test_public_pages_load_no_external_resources_and_no_inline_scripts(api, parties, library):
    project = create_and_publish(api, tendering_body(parties))
    for url in ("/projects", f"/projects/{project['id']}", f"/projects/{project['id']}/opening", "/policies",
                "/policies/TBL"):
        text = api.app.get(url).text
        assert not re.search(r'(src|href)="(https?:)?//', text), url
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), url
        assert not re.search(r"\son[a-z]+=", text), url
