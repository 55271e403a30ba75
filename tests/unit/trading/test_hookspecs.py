"""The plugin contract: every hook is documented and tested, and the manager is built as DESIGN.md says."""
import inspect
import pathlib

import pluggy
import pytest

from trading import hookspecs
from trading.hookspecs import hookimpl
from trading.legal_limits import legal
from trading.plugins import CORE_PLUGINS, DEFAULT_PLUGINS, make_plugin_manager

TESTS = pathlib.Path(__file__).resolve().parents[2]
HOOKS = sorted(name for name in dir(hookspecs) if name.startswith("ggzy_"))


@pytest.mark.parametrize("name", HOOKS)
def test_every_hook_is_documented(name):
    doc = inspect.getdoc(getattr(hookspecs, name))
    assert doc and len(doc) > 60, f"hook {name} needs a docstring saying who calls it, when, and what it returns"


@pytest.mark.parametrize("name", HOOKS)
def test_every_hook_has_a_test(name):
    sources = "\n".join(p.read_text(encoding="utf-8") for p in TESTS.rglob("test_*.py"))
    assert f"def {name}(" in sources, f"no test implements the hook {name}"


def test_built_in_plugins_come_first_then_sectors():
    pm = make_plugin_manager()
    names = [name for name, _ in pm.list_name_plugin()]
    core = len(CORE_PLUGINS + DEFAULT_PLUGINS)
    assert names[:core] == list(CORE_PLUGINS + DEFAULT_PLUGINS)
    assert set(names[core:]) >= {"tendering", "procurement", "land", "equity"}


def test_unknown_hook_is_refused_at_start():
    class Typo:
        @hookimpl
        def ggzy_method(self):
            return []

    with pytest.raises(pluggy.PluginValidationError):
        make_plugin_manager(extra=[Typo()])


def test_firstresult_hooks_return_one_answer():
    class Ranker:
        @hookimpl
        def ggzy_rank(self, lot, bids, scores):
            return ["first"] if lot == "mine" else None

        @hookimpl
        def ggzy_auction_policy(self, lot):
            return "policy" if lot == "mine" else None

        @hookimpl
        def ggzy_committee(self, lot):
            return ["member"] if lot == "mine" else None

    pm = make_plugin_manager(extra=[Ranker()])
    assert pm.hook.ggzy_rank(lot="mine", bids=[], scores={}) == ["first"]
    assert pm.hook.ggzy_rank(lot="other", bids=[], scores={}) is None
    assert pm.hook.ggzy_auction_policy(lot="mine") == "policy"
    assert pm.hook.ggzy_committee(lot="mine") == ["member"]


def test_rules_and_alert_rules_are_collected_from_every_plugin():
    class One:
        @hookimpl
        def ggzy_check_rules(self, project, now, calendar, amendment):
            return ["a"]

        @hookimpl
        def ggzy_alert_rules(self):
            return ["rule.one"]

    class Two:
        @hookimpl
        def ggzy_check_rules(self, project, now, calendar, amendment):
            return ["b"]

        @hookimpl
        def ggzy_alert_rules(self):
            return ["rule.two"]

    from trading.rules import ProjectView

    pm = make_plugin_manager(extra=[One(), Two()])
    view = ProjectView(id=None, method="test.method", sector="test", timeline={}, params={})
    found = pm.hook.ggzy_check_rules(project=view, now=None, calendar=None, amendment=None, limits=legal(pm))
    assert sorted(x for xs in found for x in xs) == ["a", "b"]
    contributed = [x for xs in pm.hook.ggzy_alert_rules() for x in xs]
    assert "rule.one" in contributed and "rule.two" in contributed


def test_a_method_code_provided_twice_stops_the_start():
    from trading.methods import MethodSpec, build_registry

    class Copycat:
        @hookimpl
        def ggzy_methods(self):
            return [MethodSpec(code="tendering.open", sector="tendering", name="x", kind="sealed",
                               timeline=(), params={})]

    with pytest.raises(ValueError, match="tendering.open"):
        build_registry(make_plugin_manager(extra=[Copycat()]))


def test_committee_minimum_comes_from_the_method_plugin():
    from trading.rules import LotView, ProjectView

    class Custom:
        @hookimpl
        def ggzy_committee_minimum(self, project, lot):
            return 9 if project.method == "custom.method" else None

    pm = make_plugin_manager(extra=[Custom()])
    limits = legal(pm)
    custom = ProjectView(id=None, method="custom.method", sector="custom", timeline={}, params={})
    assert pm.hook.ggzy_committee_minimum(project=custom, lot=None, limits=limits) == 9
    big = ProjectView(id=None, method="procurement.open", sector="procurement", timeline={}, params={},
                      lots=[LotView(id="l", number=1, title="t", budget=__import__("decimal").Decimal("10000000.00"))])
    assert pm.hook.ggzy_committee_minimum(project=big, lot=None, limits=limits) == 7
    small = ProjectView(id=None, method="procurement.competitive_negotiation", sector="procurement", timeline={},
                        params={})
    assert pm.hook.ggzy_committee_minimum(project=small, lot=None, limits=limits) == 3


def test_reference_data_of_every_plugin_is_loaded_by_initdb_in_one_call():
    from trading import reference

    calls = []

    class Catalogue:
        @hookimpl
        def ggzy_reference_data(self, request):
            calls.append(request)
            return {"things": 3}

    class FakeRequest:
        pass

    request = FakeRequest()
    request.registry = {"plugin_manager": make_plugin_manager(extra=[Catalogue()])}
    saved = list(reference.LOADERS)
    reference.LOADERS.clear()
    # the built-in experts plugin loads specialties through a session: give it one that records
    added = []

    class Session:
        def execute(self, *_a, **_k):
            class R:
                def scalars(self):
                    return []
            return R()

        def add(self, row):
            added.append(row)

        def flush(self):
            pass

    request.dbsession = Session()
    try:
        loaded = reference.load_all(request)
    finally:
        reference.LOADERS[:] = saved
    assert calls == [request] and loaded["things"] == 3 and loaded["specialties"] == len(added) > 50
