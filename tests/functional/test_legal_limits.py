"""A stricter centre raises the legal numbers (ggzy.rules.*): publish refuses below its value, with the same rule code."""
import pytest

from trading import testing
from trading.config import configure
from trading.settings import SettingsError

from .auction_helpers import equity_body, land_listing_body
from .experts.helpers import draw_body
from .sealed import Parties, at, iso, procurement_body, register_and_pay, set_clock, submit_bid, tendering_body

STRICT = {
    "ggzy.rules.tendering.bid_period_days": "25",
    "ggzy.rules.tendering.deposit_share": "0.01",
    "ggzy.rules.tendering.publicity_days": "5",
    "ggzy.rules.tendering.committee_min": "7",
    "ggzy.rules.procurement.docs_period_working_days": "6",
    "ggzy.rules.procurement.min_bids": "4",
    "ggzy.rules.land.announcement_days": "25",
    "ggzy.rules.equity.disclosure_working_days": "21",
    "ggzy.rules.equity.approval_share": "0.95",
}


@pytest.fixture(scope="module")
def strict_app(app_settings):
    config = configure({**app_settings, **STRICT})
    return config.registry, config.make_wsgi_app()


@pytest.fixture
def strict(strict_app, session_factory):
    """The API of a centre with stricter numbers, on the test's own transaction."""
    registry, app = strict_app
    registry["clock"].reset(testing.TEST_START)
    return testing.Api(app, {"app.session_factory": session_factory, "REMOTE_ADDR": "127.0.0.1"})


@pytest.fixture
def parties(strict, script):
    return Parties(strict, script)


def publish(api, body, status):
    project = api.post("projects", body, as_user="officer1", status=201).json
    return api.post(f"projects/{project['id']}/publish", as_user="officer1", status=status).json


def refused(api, body, rule):
    details = publish(api, body, 422)["error"]["details"]
    found = [d for d in details if d["rule"] == rule]
    assert found, details
    return found[0]


def test_tendering_bid_period_raised_to_25_days(strict, parties):
    lots = [{"title": "一标段", "budget": "1000000.00", "deposit": "10000.00"}]
    timeline = {"docs_from": iso(at(1)), "docs_until": iso(at(8, 17))}
    short = refused(strict, tendering_body(parties, lots=lots, timeline={**timeline, "bid_deadline": iso(at(25, 9, 30))}),
                    "timeline.bid_period_short")
    assert short["minimum"] == 25 and short["actual"] == 24
    assert "at least 25 days" in short["message"]
    published = publish(strict, tendering_body(parties, lots=lots, timeline={**timeline, "bid_deadline": iso(at(26, 9, 30))}),
                        200)
    assert published["status"] == "announced"


def test_tendering_deposit_cap_lowered_to_1_percent(strict, parties):
    timeline = {"docs_from": iso(at(1)), "docs_until": iso(at(8, 17)), "bid_deadline": iso(at(28, 9, 30))}
    over = refused(strict, tendering_body(parties, timeline=timeline,
                                          lots=[{"title": "一标段", "budget": "1000000.00", "deposit": "10000.01"}]),
                   "deposit.too_high")
    assert "more than 1% of the budget" in over["message"] and over["maximum"] == "10000.00"
    publish(strict, tendering_body(parties, timeline=timeline,
                                   lots=[{"title": "一标段", "budget": "1000000.00", "deposit": "10000.00"}]), 200)


def test_procurement_documents_raised_to_6_working_days(strict, parties):
    short = refused(strict, procurement_body(parties), "timeline.docs_period_short")
    assert short["minimum"] == 6 and short["actual"] == 5 and "at least 6 working days" in short["message"]
    timeline = {"docs_from": iso(at(1)), "docs_until": iso(at(9, 17)), "bid_deadline": iso(at(21, 9, 30))}
    publish(strict, procurement_body(parties, timeline=timeline), 200)


def test_land_announcement_raised_to_25_days(strict, parties):
    until = iso(at(8, 16, month=1, year=2027))
    short = refused(strict, land_listing_body(parties, timeline={"listing_from": iso(at(25, 9)), "listing_until": until}),
                    "timeline.announcement_short")
    assert short["minimum"] == 25 and short["actual"] == 24 and "at least 25 days" in short["message"]
    publish(strict, land_listing_body(parties, timeline={"listing_from": iso(at(26, 9)), "listing_until": until}), 200)


def test_equity_disclosure_and_appraisal_share_raised(strict, parties):
    short = refused(strict, equity_body(parties, timeline={"disclosure_until": iso(at(29, 10)), "auction_at": iso(at(31, 10))}),
                    "timeline.disclosure_short")
    assert short["minimum"] == 21 and short["actual"] == 20 and "at least 21 working days" in short["message"]
    # 5,000,000.00 is 94% of the appraisal: above the legal 90%, below the centre's 95%
    below = refused(strict, equity_body(parties, params={"appraisal": "5300000.00", "countdown_seconds": 120},
                                        timeline={"disclosure_until": iso(at(30, 10)), "auction_at": iso(at(31, 10))}),
                    "equity.price_below_appraisal")
    assert "below 95% of the appraisal" in below["message"] and below["minimum"] == "5035000.00"
    publish(strict, equity_body(parties, timeline={"disclosure_until": iso(at(30, 10)), "auction_at": iso(at(31, 10))}),
            200)


def test_tendering_committee_raised_to_7(strict, parties):
    lots = [{"title": "一标段", "budget": "1000000.00", "deposit": "10000.00"}]
    timeline = {"docs_from": iso(at(1)), "docs_until": iso(at(8, 17)), "bid_deadline": iso(at(26, 9, 30))}
    project = publish(strict, tendering_body(parties, lots=lots, timeline=timeline), 200)
    for index, (username, _org) in enumerate(parties.bidders):
        register_and_pay(strict, project, username)
        submit_bid(strict, project, username, f"90{index}000.00")
    set_clock(strict, at(26, 10))
    path = f"projects/{project['id']}/expert-draws"
    details = strict.post(path, draw_body((("A0101", 5),), evaluation_day=28), as_user="officer1",
                          status=422).json["error"]["details"]
    assert [(d["rule"], d["minimum"]) for d in details] == [("draw.composition", 7)]
    assert "at least 7 members" in details[0]["message"]
    strict.post(path, draw_body((("A0101", 7),), evaluation_day=28), as_user="officer1", status=201)


def test_methods_show_the_effective_numbers(strict, api):
    methods = {m["code"]: m for m in strict.get("methods").json["items"]}
    assert methods["tendering.open"]["publicity"] == {"count": 5, "unit": "days"}
    assert methods["procurement.open"]["min_bids"] == 4 and methods["procurement.inquiry"]["min_bids"] == 4
    assert methods["procurement.single_source"]["min_bids"] == 1
    legal = {m["code"]: m for m in api.get("methods").json["items"]}
    assert legal["tendering.open"]["publicity"] == {"count": 3, "unit": "days"}
    assert legal["procurement.open"]["min_bids"] == 3


@pytest.mark.parametrize("name, value, law", [
    ("ggzy.rules.tendering.bid_period_days", "19", "at least 20 days, the legal minimum (TBL Art 24)"),
    ("ggzy.rules.tendering.deposit_share", "0.03", "at most 0.02 of the budget, the legal maximum (Reg Art 26)"),
    ("ggzy.rules.land.listing_working_days", "9", "at least 10 working days, the legal minimum (L39 Art 17)"),
    ("ggzy.rules.experts.record_working_days", "6", "at most 5 working days, the legal maximum (X198 Art 21)"),
    ("ggzy.rules.tendering.bid_period_dayz", "25", "is not a legal limit"),
])
def test_a_value_the_law_does_not_allow_stops_the_start(app_settings, name, value, law):
    with pytest.raises(SettingsError) as raised:
        configure({**app_settings, name: value})
    assert raised.value.name == name and f"setting {name}:" in str(raised.value) and law in str(raised.value)
