"""The legal numbers as ggzy.rules.* settings: legal value by default, a floor (or ceiling) no setting can pass."""
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from plugins import land, procurement, tendering
from trading.hookspecs import hookimpl
from trading.legal_limits import CEILING, Limit, legal, table
from trading.plugins import make_plugin_manager
from trading.rules import AmendmentView, LotView, ProjectView
from trading.services.award import contract_late_from
from trading.settings import SettingsError, read_limits
from tests.unit.trading.test_timeline_rules import WeekendCalendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI)
PM = make_plugin_manager()
TABLE = table(PM)

# every number of RULES.md the platform enforces, by setting (ggzy.rules.<name>), with its legal value
INVENTORY = {
    "core.contract_days": 30, "core.max_candidates": 3,
    "tendering.bid_period_days": 20, "tendering.docs_period_days": 5, "tendering.amendment_notice_days": 15,
    "tendering.deposit_share": Decimal("0.02"), "tendering.min_invitees": 3, "tendering.min_bids": 3,
    "tendering.committee_min": 5, "tendering.publicity_days": 3,
    "procurement.bid_period_days": 20, "procurement.docs_period_working_days": 5,
    "procurement.amendment_notice_days": 15, "procurement.deposit_share": Decimal("0.02"), "procurement.min_bids": 3,
    "procurement.committee_min": 5, "procurement.large_committee_min": 7,
    "procurement.large_budget": Decimal("10000000.00"), "procurement.panel_min": 3,
    "procurement.response_period_working_days": 3, "procurement.consultation_response_days": 10,
    "procurement.consultation_docs_period_working_days": 5, "procurement.single_source_publicity_working_days": 5,
    "procurement.open_price_weight_goods": 30, "procurement.open_price_weight_services": 10,
    "procurement.consultation_price_weight_goods_min": 30, "procurement.consultation_price_weight_goods_max": 60,
    "procurement.consultation_price_weight_services_min": 10, "procurement.consultation_price_weight_services_max": 30,
    "procurement.publicity_working_days": 1,
    "land.announcement_days": 20, "land.listing_working_days": 10,
    "equity.disclosure_working_days": 20, "equity.approval_share": Decimal("0.9"), "equity.publicity_working_days": 5,
    "experts.age_limit": 70, "experts.record_working_days": 5,
}
CEILINGS = {"core.contract_days", "core.max_candidates", "tendering.deposit_share", "procurement.deposit_share",
            "procurement.large_budget", "procurement.consultation_price_weight_goods_max",
            "procurement.consultation_price_weight_services_max", "experts.age_limit", "experts.record_working_days"}


def limits(**raised):
    """The effective limits of a centre with ``raised`` settings (names with __ for dots)."""
    return read_limits({"ggzy.rules." + name.replace("__", "."): value for name, value in raised.items()}, TABLE)


def test_every_legal_number_is_a_setting_with_its_source():
    assert {limit.name: limit.value for limit in TABLE} == INVENTORY
    assert {limit.name for limit in TABLE if limit.bound == CEILING} == CEILINGS
    for limit in TABLE:
        assert limit.setting == "ggzy.rules." + limit.name and limit.source and limit.unit and limit.description


def test_without_settings_the_legal_values_apply_and_are_written_back():
    settings = {}
    effective = read_limits(settings, TABLE)
    assert dict(effective) == INVENTORY == dict(legal(PM))
    assert settings["ggzy.rules.tendering.bid_period_days"] == 20


def test_a_stricter_value_is_taken_each_way():
    effective = limits(tendering__bid_period_days="25", tendering__deposit_share="0.015", experts__age_limit="65",
                       procurement__large_budget="5000000.00")
    assert effective["tendering.bid_period_days"] == 25 and effective["experts.age_limit"] == 65
    assert effective["tendering.deposit_share"] == Decimal("0.015")
    assert effective["procurement.large_budget"] == Decimal("5000000.00")
    assert effective["tendering.docs_period_days"] == 5


@pytest.mark.parametrize("name, value, expected", [
    ("tendering.bid_period_days", "19", "must be at least 20 days, the legal minimum (TBL Art 24)"),
    ("equity.approval_share", "0.8", "must be at least 0.9 of the appraisal, the legal minimum"),
    ("procurement.deposit_share", "0.021", "must be at most 0.02 of the budget, the legal maximum (GPL Reg Art 33)"),
    ("experts.age_limit", "71", "must be at most 70 years, the legal maximum (X198 Art 6)"),
    ("core.contract_days", "0", "must be more than 0 days"),
    ("tendering.min_bids", "three", "must be a whole number of bids"),
    ("tendering.min_bids", "3.5", "must be a whole number of bids"),
    ("tendering.deposit_share", "NaN", "must be a decimal number"),
    ("land.announcement_day", "25", "is not a legal limit"),
])
def test_a_value_the_law_does_not_allow_names_the_setting(name, value, expected):
    with pytest.raises(SettingsError) as raised:
        read_limits({"ggzy.rules." + name: value}, TABLE)
    assert raised.value.name == "ggzy.rules." + name
    assert expected in str(raised.value)


def test_a_value_may_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("BID_DAYS", "30")
    assert read_limits({"ggzy.rules.tendering.bid_period_days": "env:BID_DAYS"}, TABLE)["tendering.bid_period_days"] == 30


class Levy:
    @hookimpl
    def ggzy_legal_limits(self):
        return [Limit("levy.notice_days", 7, "days", "Local Reg Art 1", description="A plugin's own rule.")]


def test_a_plugin_contributes_its_own_settings_and_a_name_twice_stops_the_start():
    own = table(make_plugin_manager(extra=[Levy()]))
    assert read_limits({"ggzy.rules.levy.notice_days": "9"}, own)["levy.notice_days"] == 9
    with pytest.raises(SettingsError, match="ggzy.rules.levy.notice_days: must be at least 7 days"):
        read_limits({"ggzy.rules.levy.notice_days": "6"}, own)
    with pytest.raises(ValueError, match="levy.notice_days is declared twice"):
        table(make_plugin_manager(extra=[Levy(), Levy()]))


# the rules at raised values: the same rule code, the effective number in the message and details

def tender(method="tendering.open", **timeline):
    instants = {"docs_from": NOW, "docs_until": datetime(2026, 12, 6, 17, tzinfo=SHANGHAI),
                "bid_deadline": datetime(2026, 12, 26, 9, 30, tzinfo=SHANGHAI), **timeline}
    params = {"invitees": ["a", "b", "c"]} if method == "tendering.invited" else {}
    return ProjectView(id="p", method=method, sector=method.split(".")[0], timeline=instants, params=params,
                       lots=[LotView(id="l", number=1, title="Lot", budget=Decimal("1000000.00"))])


def blocking(results):
    return [r for r in results if r.blocking]


def test_amendment_notice_raised_to_18_days():
    strict = limits(tendering__amendment_notice_days="18")
    old = tender().timeline
    issued = datetime(2026, 12, 9, 9, tzinfo=SHANGHAI)  # 17 days before the old deadline
    amendment = AmendmentView(old_timeline=old, issued_at=issued)
    moved = tender(bid_deadline=datetime(2026, 12, 26, 9, 30, tzinfo=SHANGHAI))
    [violation] = blocking(tendering.ggzy_check_rules(project=moved, now=issued, calendar=WeekendCalendar(),
                                                      amendment=amendment, limits=strict))
    assert violation.rule == "timeline.amendment_too_late" and violation.extra["minimum"] == 18
    assert "less than 18 days" in violation.message.interpolate()
    assert tendering.ggzy_check_rules(project=moved, now=issued, calendar=WeekendCalendar(), amendment=amendment,
                                      limits=legal(PM)) == []
    far = tender(bid_deadline=datetime(2026, 12, 27, 9, 30, tzinfo=SHANGHAI))
    assert blocking(tendering.ggzy_check_rules(project=far, now=issued, calendar=WeekendCalendar(),
                                               amendment=amendment, limits=strict)) == []


def test_invitees_raised_to_4():
    strict = limits(tendering__min_invitees="4")
    [violation] = blocking(tendering.ggzy_check_rules(project=tender("tendering.invited"), now=NOW,
                                                      calendar=WeekendCalendar(), amendment=None, limits=strict))
    assert violation.rule == "invited.too_few" and violation.extra["minimum"] == 4
    assert "at least 4 organisations" in violation.message.interpolate()


def test_committee_minimums_raised():
    strict = limits(tendering__committee_min="7", procurement__panel_min="5", procurement__large_budget="5000000.00",
                    procurement__large_committee_min="9")
    assert PM.hook.ggzy_committee_minimum(project=tender(), lot=None, limits=strict) == 7
    negotiation = ProjectView(id="p", method="procurement.competitive_negotiation", sector="procurement",
                              timeline={}, params={})
    assert PM.hook.ggzy_committee_minimum(project=negotiation, lot=None, limits=strict) == 5
    lot = LotView(id="l", number=1, title="Lot", budget=Decimal("5000000.00"))
    open_tender = ProjectView(id="p", method="procurement.open", sector="procurement", timeline={}, params={}, lots=[lot])
    assert PM.hook.ggzy_committee_minimum(project=open_tender, lot=lot, limits=strict) == 9
    assert PM.hook.ggzy_committee_minimum(project=open_tender, lot=lot, limits=legal(PM)) == 5


def test_negotiation_response_raised_to_4_working_days():
    strict = limits(procurement__response_period_working_days="4")
    project = ProjectView(id="p", method="procurement.competitive_negotiation", sector="procurement",
                          params={"category": "goods"}, lots=[],
                          timeline={"docs_from": NOW, "docs_until": datetime(2026, 12, 3, 17, tzinfo=SHANGHAI),
                                    "bid_deadline": datetime(2026, 12, 4, 9, 30, tzinfo=SHANGHAI)})
    check = dict(project=project, now=NOW, calendar=WeekendCalendar(), amendment=None)
    [violation] = blocking(procurement.ggzy_check_rules(**check, limits=strict))
    assert violation.rule == "timeline.response_period_short" and violation.extra["minimum"] == 4
    assert "at least 4 working days" in violation.message.interpolate()
    assert blocking(procurement.ggzy_check_rules(**check, limits=legal(PM))) == []


def test_consultation_price_weight_ceiling_lowered_to_50():
    strict = limits(procurement__consultation_price_weight_goods_max="50")
    criteria = [{"code": "tech", "name": "T", "max": 45, "kind": "technical"},
                {"code": "price", "name": "P", "max": 55, "kind": "price"}]
    project = ProjectView(id="p", method="procurement.competitive_consultation", sector="procurement", lots=[],
                          params={"category": "goods", "criteria": criteria},
                          timeline={"docs_from": NOW, "docs_until": datetime(2026, 12, 8, 17, tzinfo=SHANGHAI),
                                    "bid_deadline": datetime(2026, 12, 11, 9, 30, tzinfo=SHANGHAI)})
    check = dict(project=project, now=NOW, calendar=WeekendCalendar(), amendment=None)
    [violation] = blocking(procurement.ggzy_check_rules(**check, limits=strict))
    assert violation.rule == "evaluation.price_weight" and violation.extra["maximum"] == 50
    assert "30 to 50 points" in violation.message.interpolate()
    assert blocking(procurement.ggzy_check_rules(**check, limits=legal(PM))) == []


def test_land_listing_raised_to_12_working_days():
    strict = limits(land__listing_working_days="12")
    lot = LotView(id="l", number=1, title="Lot", start_price=Decimal("1.00"), increment=Decimal("1.00"),
                  reserve_price=Decimal("1.00"), deposit=Decimal("1.00"))
    # 2026-12-21 (Mon) to 2027-01-04 (Mon): 10 weekdays on the weekend-only calendar
    project = ProjectView(id="p", method="land.listing", sector="land", params={}, lots=[lot],
                          timeline={"listing_from": datetime(2026, 12, 21, 9, tzinfo=SHANGHAI),
                                    "listing_until": datetime(2027, 1, 4, 16, tzinfo=SHANGHAI)})
    check = dict(project=project, now=NOW, calendar=WeekendCalendar(), amendment=None)
    [violation] = blocking(land.ggzy_check_rules(**check, limits=strict))
    assert violation.rule == "timeline.listing_period_short" and violation.extra["minimum"] == 12
    assert blocking(land.ggzy_check_rules(**check, limits=legal(PM))) == []


def test_contract_late_counts_the_effective_days():
    awarded = datetime(2026, 12, 1, 15, tzinfo=SHANGHAI)
    assert contract_late_from(awarded, 30) == datetime(2027, 1, 1, 0, tzinfo=SHANGHAI)
    assert contract_late_from(awarded, 20) == datetime(2026, 12, 22, 0, tzinfo=SHANGHAI)


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_the_operators_guide_lists_every_legal_limit(language):
    from pathlib import Path

    guide = (Path(__file__).resolve().parents[3] / "docs" / language / "operator.md").read_text(encoding="utf-8")
    missing = [limit.setting for limit in TABLE if f"| `{limit.setting}` | {limit.value} |" not in guide]
    assert not missing
