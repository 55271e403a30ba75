"""The expert pool's demo data: about 300 plausible experts, loaded once, and the demo expert login linked to one."""
import time

from sqlalchemy import func, select

from experts import demo
from experts.catalogue import CATALOGUE
from experts.models import Expert, ExpertSpecialty
from experts.pool import check_id_number
from trading.models import AuditEvent
from trading.models.accounts import User
from trading.services.accounts import check_uscc

from ...conftest import PASSWORD

LEAVES = {code for code, _name, _en in CATALOGUE if not any(c != code and c.startswith(code) for c, _n, _e in CATALOGUE)}


def _count(dbsession, column, *where):
    return dbsession.execute(select(func.count(column)).where(*where)).scalar_one()


def _age(birth, on):
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def test_demo_loads_about_300_valid_experts(script, dbsession):
    with script() as request:
        started = time.perf_counter()
        assert demo.load(request) == demo.COUNT
        elapsed = time.perf_counter() - started
    assert elapsed < 3, f"loading the demo experts took {elapsed:.2f} s"
    experts = dbsession.execute(select(Expert)).scalars().all()
    assert len(experts) == demo.COUNT
    assert len({e.name for e in experts}) == len(experts)
    for expert in experts:
        number, birth = check_id_number(expert.id_number)
        assert number == expert.id_number and birth == expert.birth_date
        assert 35 <= _age(birth, demo.REFERENCE_DAY) <= 68
        assert check_uscc(expert.employer_uscc) == expert.employer_uscc
        assert len(expert.phone) == 11 and expert.phone.startswith("13")
        assert 1 <= len(expert.specialty_codes) <= 3 and set(expert.specialty_codes) <= LEAVES
        assert expert.status == "active" and expert.title
    assert 30 <= len({e.employer_uscc for e in experts}) <= 50
    # one summary event, not one per expert
    assert _count(dbsession, AuditEvent.seq, AuditEvent.action == "expert.demo_load") == 1
    assert _count(dbsession, AuditEvent.seq, AuditEvent.action.like("expert.%")) == 1


def test_demo_experts_are_the_same_on_every_run():
    first, second = demo.experts(), demo.experts()
    assert first == second and len({e["id_number"] for e in first}) == demo.COUNT


def test_loading_the_demo_twice_adds_nothing(script, dbsession):
    with script() as request:
        demo.load(request)
    experts = _count(dbsession, Expert.id)
    specialties = _count(dbsession, ExpertSpecialty.code)
    events = _count(dbsession, AuditEvent.seq)
    with script() as request:
        assert demo.load(request) == 0
    assert (_count(dbsession, Expert.id), _count(dbsession, ExpertSpecialty.code),
            _count(dbsession, AuditEvent.seq)) == (experts, specialties, events)


def test_demo_links_the_expert_login_to_an_expert_of_works_and_goods(api, users, script, dbsession):
    assert users["expert"].expert_id is None
    with script() as request:
        demo.load(request)
    user = dbsession.execute(select(User).where(User.username == "expert")).scalar_one()
    expert = dbsession.get(Expert, user.expert_id)
    assert {"A0101", "B0101"} <= set(expert.specialty_codes)
    event = dbsession.execute(select(AuditEvent).where(AuditEvent.action == "user.link_expert")).scalar_one()
    assert event.object_id == user.id and expert.id in event.data
    api.login("expert", PASSWORD)
    assert api.get("me/invitations", as_user="expert").json == {"items": [], "next_cursor": None}
    with script() as request:
        demo.load(request)
    assert _count(dbsession, AuditEvent.seq, AuditEvent.action == "user.link_expert") == 1


def test_an_expert_login_already_linked_is_left_alone(users, script, dbsession):
    with script() as request:
        request.dbsession.get(User, users["expert"].id).expert_id = "elsewhere"
    with script() as request:
        demo.load(request)
    assert dbsession.get(User, users["expert"].id).expert_id == "elsewhere"


def test_ggzy_demo_loads_the_experts_through_the_hook(api, script, dbsession):
    from trading import demo as core_demo

    with script() as request:
        logins = core_demo.load(request)
    assert [username for _role, username, _password in logins].count("expert") == 1
    assert _count(dbsession, Expert.id) == demo.COUNT
    api.login("expert", core_demo.DEMO_PASSWORD)
    # the living demo seats the expert login on a committee whose evaluation waits for its scores
    invitations = api.get("me/invitations", as_user="expert").json["items"]
    assert any(i["status"] == "accepted" for i in invitations)
