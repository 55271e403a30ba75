"""Demo data for `ggzy demo`: organisations and one login per role, loaded once."""
from sqlalchemy import select
from stdnum.cn import uscc as uscc_number

from .models import Organization, User
from .services import accounts

DEMO_PASSWORD = "ggzy-demo-2026"

ORGANIZATIONS = [
    # (key, name, 17-character uscc body, kind, legal representative, phone, email)
    # owners: city departments, a sub-district office (街道), the land bureau and a state-owned company
    ("owner", "市住房和城乡建设局", "11330100002500061", "owner", "王建国", "0571-87000001", "zjj@example.gov.cn"),
    ("owner_edu", "市教育局", "11330100002500088", "owner", "陈志明", "0571-87000003", "jyj@example.gov.cn"),
    ("owner_town", "城东街道办事处", "11330102002500096", "owner", "周海峰", "0571-86000004", "cdjd@example.gov.cn"),
    ("owner_land", "市自然资源和规划局", "11330100002500107", "owner", "孙国平", "0571-87000005", "zrzy@example.gov.cn"),
    ("owner_affairs", "市机关事务管理局", "11330100002500115", "owner", "吴卫东", "0571-87000006", "jgsw@example.gov.cn"),
    ("owner_soe", "市城市建设投资集团有限公司", "91330100MA2H30101", "owner", "郑国栋", "0571-87000007", "ctjt@example.com"),
    # agents: a tendering agency, a project management firm and the centralised procurement agency (集中采购机构)
    ("agent", "城投招标代理有限公司", "91330100MA2H30012", "agent", "李明", "0571-87000002", "agent@example.com"),
    ("agent2", "浙诚项目管理咨询有限公司", "91330100MA2H30056", "agent", "林晓东", "0571-87000009", "zc@example.com"),
    ("agent_gpc", "市政府采购中心", "12330100470000123", "agent", "何丽华", "0571-87000008", "zfcg@example.gov.cn"),
    # bidders: builders, IT suppliers, a developer; bidder7 and bidder8 give one phone number, which the
    # collusion indicator collusion.shared_contact reports when they bid on one lot (RULES.md)
    ("bidder1", "华东建设工程有限公司", "91330100MA2H30021", "bidder", "张伟", "0571-87000011", "bid1@example.com"),
    ("bidder2", "江南路桥集团有限公司", "91330100MA2H30030", "bidder", "刘洋", "0571-87000012", "bid2@example.com"),
    ("bidder3", "西湖智能科技股份有限公司", "91330100MA2H30048", "bidder", "陈静", "0571-87000013", "bid3@example.com"),
    ("bidder4", "之江数码设备有限公司", "91330100MA2H30064", "bidder", "杨帆", "0571-87000014", "bid4@example.com"),
    ("bidder5", "钱塘信息技术有限公司", "91330100MA2H30072", "bidder", "黄磊", "0571-87000015", "bid5@example.com"),
    ("bidder6", "滨江置业有限公司", "91330100MA2H30080", "bidder", "徐振华", "0571-87000016", "bid6@example.com"),
    ("bidder7", "恒达建筑工程有限公司", "91330100MA2H30099", "bidder", "马永强", "0571-86912345", "hengda@example.com"),
    ("bidder8", "恒信建设工程有限公司", "91330100MA2H30110", "bidder", "马文斌", "0571-86912345", "hengxin@example.com"),
]

USERS = [
    # (role, username, display name, organisation key)
    ("admin", "admin", "系统管理员", None),
    ("officer", "officer", "交易中心 赵敏", None),
    ("bidder", "bidder", "华东建设 张伟", "bidder1"),
    ("bidder", "bidder2", "江南路桥 刘洋", "bidder2"),
    ("bidder", "bidder3", "西湖智能 陈静", "bidder3"),
    ("bidder", "bidder4", "之江数码 杨帆", "bidder4"),
    ("bidder", "bidder5", "钱塘信息 黄磊", "bidder5"),
    ("bidder", "bidder6", "滨江置业 徐振华", "bidder6"),
    ("bidder", "bidder7", "恒达建筑 马永强", "bidder7"),
    ("bidder", "bidder8", "恒信建设 马文斌", "bidder8"),
    ("expert", "expert", "评标专家 孙立", None),
    ("inspector", "inspector", "纪检监察 周正", None),
]


def full_uscc(body):
    return body + uscc_number.calc_check_digit(body)


def load(request):
    """Create what is missing; return (role, username, password) for every demo login.

    Everything goes through the services on the demo's own clock (trading.demo_projects.History): the
    organisations, users and plugins' data first, three months back, then the projects walked forward to now.
    """
    from . import demo_projects

    history = demo_projects.History(request)
    script = history.request()
    dbsession = script.dbsession
    orgs = {}
    for key, name, body, kind, legal, phone, email in ORGANIZATIONS:
        code = full_uscc(body)
        org = dbsession.execute(select(Organization).where(Organization.uscc == code)).scalar_one_or_none()
        if org is None:
            org = accounts.create_organization(script, name=name, uscc=code, kind=kind, legal_representative=legal,
                                               contact_name=legal, phone=phone, email=email, audit_action="demo.organization")
        orgs[key] = org
    logins = []
    for role, username, display, org_key in USERS:
        if dbsession.execute(select(User.id).where(User.username == username)).first() is None:
            accounts.create_user(script, username=username, password=DEMO_PASSWORD, role=role,
                                 org_id=orgs[org_key].id if org_key else None, display_name=display,
                                 audit_action="demo.user")
        logins.append((role, username, DEMO_PASSWORD))
    for extra in request.registry["plugin_manager"].hook.ggzy_demo_data(request=script):
        logins.extend(extra or [])
    demo_projects.load(history)
    return logins


# where each demo login starts: for `ggzy demo` to print under the logins
START_HERE = {
    "admin": "/admin/experts: the pool of 300 experts; /admin/calendar: the working-day calendar",
    "officer": "/officer: bids opening in a few minutes, an evaluation waiting for its last signature, "
               "an objection to answer",
    "bidder": "/bidder: bidder3 to bidder5 decrypt their bids at the opening (unlock secret {secret}); "
              "bidder, bidder2 and bidder6 are in the live land auction",
    "expert": "/expert/evaluations: a committee waiting for your scores and signature",
    "inspector": "/inspector: the alert board (collusion, single bidder, late contract); /inspector/chain",
}


def start_lines():
    """One line per role saying where to start."""
    from .demo_projects import UNLOCK_SECRET

    return [f"  {role:<10} {text.format(secret=UNLOCK_SECRET)}" for role, text in START_HERE.items()]
