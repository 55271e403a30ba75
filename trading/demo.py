"""Demo data for `ggzy demo`: organisations and one login per role, loaded once."""
from sqlalchemy import select
from stdnum.cn import uscc as uscc_number

from .models import Organization, User
from .services import accounts

DEMO_PASSWORD = "ggzy-demo-2026"

ORGANIZATIONS = [
    # (key, name, 17-character uscc body, kind, legal representative, phone, email)
    ("owner", "市住房和城乡建设局", "11330100002500061", "owner", "王建国", "0571-87000001", "zjj@example.gov.cn"),
    ("agent", "城投招标代理有限公司", "91330100MA2H30012", "agent", "李明", "0571-87000002", "agent@example.com"),
    ("bidder1", "华东建设工程有限公司", "91330100MA2H30021", "bidder", "张伟", "0571-87000011", "bid1@example.com"),
    ("bidder2", "江南路桥集团有限公司", "91330100MA2H30030", "bidder", "刘洋", "0571-87000012", "bid2@example.com"),
    ("bidder3", "西湖智能科技股份有限公司", "91330100MA2H30048", "bidder", "陈静", "0571-87000013", "bid3@example.com"),
]

USERS = [
    # (role, username, display name, organisation key)
    ("admin", "admin", "系统管理员", None),
    ("officer", "officer", "交易中心 赵敏", None),
    ("bidder", "bidder", "华东建设 张伟", "bidder1"),
    ("bidder", "bidder2", "江南路桥 刘洋", "bidder2"),
    ("bidder", "bidder3", "西湖智能 陈静", "bidder3"),
    ("expert", "expert", "评标专家 孙立", None),
    ("inspector", "inspector", "纪检监察 周正", None),
]


def full_uscc(body):
    return body + uscc_number.calc_check_digit(body)


def load(request):
    """Create what is missing; return (role, username, password) for every demo login."""
    dbsession = request.dbsession
    orgs = {}
    for key, name, body, kind, legal, phone, email in ORGANIZATIONS:
        code = full_uscc(body)
        org = dbsession.execute(select(Organization).where(Organization.uscc == code)).scalar_one_or_none()
        if org is None:
            org = accounts.create_organization(request, name=name, uscc=code, kind=kind, legal_representative=legal,
                                               contact_name=legal, phone=phone, email=email, audit_action="demo.organization")
        orgs[key] = org
    logins = []
    for role, username, display, org_key in USERS:
        if dbsession.execute(select(User.id).where(User.username == username)).first() is None:
            accounts.create_user(request, username=username, password=DEMO_PASSWORD, role=role,
                                 org_id=orgs[org_key].id if org_key else None, display_name=display,
                                 audit_action="demo.user")
        logins.append((role, username, DEMO_PASSWORD))
    for extra in request.registry["plugin_manager"].hook.ggzy_demo_data(request=request):
        logins.extend(extra or [])
    return logins
