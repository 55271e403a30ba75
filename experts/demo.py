"""Demo data of the expert pool for `ggzy demo`: about 300 plausible experts and the demo expert's link to one of them."""
import random
from collections import Counter
from datetime import date, timedelta

from sqlalchemy import insert, select
from stdnum.cn import ric

from trading import audit
from trading.demo import ORGANIZATIONS, full_uscc
from trading.models.accounts import User
from trading.models.meta import new_id

from .catalogue import CATALOGUE, load_specialties
from .models import Expert, ExpertSpecialty

SEED = 20261201
COUNT = 300
# ages 35 to 68 on this day: a fixed day, so that the same seed gives the same identity numbers every year
REFERENCE_DAY = date(2026, 7, 1)
DEMO_USERNAME = "expert"

SURNAMES = (  # the commonest surnames first, so that random.choices with these weights looks like a real roll
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢"
    "钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛段雷龙黎史陶贺毛郝顾龚邵万钱严洪楼应"
)
MALE_NAMES = ("建国", "建华", "建平", "建军", "志强", "志明", "志刚", "国强", "国平", "海涛", "海峰", "明", "伟", "勇",
              "军", "斌", "杰", "涛", "磊", "强", "平", "刚", "辉", "鹏", "峰", "晓东", "文斌", "立新", "卫东", "振华",
              "永强", "学军", "宏伟", "俊", "浩", "宇", "健", "晨", "坚", "毅", "德明", "继红", "良", "荣", "忠",
              "一鸣", "子豪", "昊", "旭东", "文杰", "剑锋", "国栋", "明华", "少华", "其林")
FEMALE_NAMES = ("丽", "芳", "娟", "敏", "静", "霞", "燕", "艳", "玲", "红", "萍", "慧", "婷", "琳", "晓燕", "秀英",
                "丽华", "春梅", "雪梅", "海燕", "晓红", "晓丽", "美玲", "佳", "颖", "倩", "蕾", "洁", "文静", "亚萍",
                "素珍", "卫红", "丹", "瑾", "雯")

# county codes of the identity numbers (where the expert's number was first issued), weighted: mostly Zhejiang
COUNTIES = (
    ("330106", 12), ("330105", 8), ("330102", 8), ("330108", 5), ("330109", 6), ("330110", 6), ("330203", 5),
    ("330302", 4), ("330402", 3), ("330502", 3), ("330602", 4), ("330702", 3), ("331002", 2),
    ("110105", 2), ("110108", 2), ("310104", 2), ("310115", 2), ("320102", 2), ("320506", 1), ("340104", 2),
    ("360102", 1), ("420106", 1), ("430104", 1), ("440305", 2), ("440106", 1), ("510107", 1), ("370102", 1),
    ("410105", 1), ("350102", 1),
)

TITLES = {  # professional titles (职称) by specialty family, the first the commonest
    "A": ("高级工程师", "高级工程师", "正高级工程师", "教授级高级工程师"),
    "A0104": ("高级工程师", "高级经济师"), "A0205": ("高级工程师", "高级经济师"),
    "B01": ("高级工程师", "正高级工程师", "副教授", "教授"),
    "B02": ("副主任医师", "主任医师", "高级工程师"),
    "B03": ("高级工程师", "正高级工程师"),
    "B04": ("高级经济师", "高级工程师"),
    "B05": ("副教授", "教授", "副研究员", "研究员"),
    "C01": ("高级工程师", "正高级工程师"),
    "C02": ("高级经济师",), "C03": ("高级工程师", "高级经济师"),
    "C04": ("高级会计师", "高级审计师", "正高级会计师"),
    "C05": ("二级律师", "一级律师"), "D03": ("二级律师", "一级律师"), "E03": ("二级律师", "一级律师"),
    "D01": ("高级经济师", "高级工程师"), "D02": ("高级工程师", "正高级工程师"),
    "E01": ("高级经济师", "高级会计师"), "E02": ("高级会计师", "正高级会计师"),
}

# (name, uscc prefix: 91 company, 12 public institution, 31 law firm, registration region, specialty prefixes)
EMPLOYERS = (
    ("之江建筑设计研究院有限公司", "91", "330106", ("A01", "A06")),
    ("省建筑科学设计研究院", "12", "330000", ("A01", "A0602")),
    ("钱塘城建设计研究总院有限公司", "91", "330102", ("A02", "A03")),
    ("运河市政工程设计院有限公司", "91", "330105", ("A02",)),
    ("东海交通规划设计研究院有限公司", "91", "330100", ("A03",)),
    ("富春水利水电勘测设计院有限公司", "91", "330100", ("A04",)),
    ("天目电力设计院有限公司", "91", "330108", ("A05",)),
    ("湖滨通信规划设计院有限公司", "91", "330106", ("A0502", "C01")),
    ("省建工集团有限责任公司", "91", "330000", ("A01", "B0302")),
    ("市建设工程质量安全监督站", "12", "330100", ("A01", "A02")),
    ("明信工程造价咨询有限公司", "91", "330103", ("A0104", "A0205", "C0301")),
    ("正衡工程项目管理有限公司", "91", "330106", ("A0105", "A0104", "C0301")),
    ("浙勘岩土工程勘察研究院有限公司", "91", "330100", ("A0601",)),
    ("浙东理工大学", "12", "330000", ("A0101", "A0602", "B01", "B05", "C01")),
    ("钱江工业大学", "12", "330000", ("A0103", "A0501", "B03", "B05")),
    ("之江财经学院", "12", "330000", ("C04", "C0302", "E02")),
    ("市第一人民医院", "12", "330100", ("B02",)),
    ("省中医院", "12", "330000", ("B02",)),
    ("医学院附属第二医院", "12", "330000", ("B02",)),
    ("市信息中心", "12", "330100", ("B01", "C01")),
    ("湖畔数智科技股份有限公司", "91", "330108", ("B01", "C01")),
    ("云栖网络安全技术有限公司", "91", "330108", ("B0102", "C0102")),
    ("钱江工程机械研究院有限公司", "91", "330110", ("B03",)),
    ("市机动车检测中心", "12", "330100", ("B0301",)),
    ("省教学仪器设备研究所", "12", "330000", ("B04", "B05")),
    ("湖山物业服务集团有限公司", "91", "330106", ("C02",)),
    ("信达会计师事务所（特殊普通合伙）", "91", "330100", ("C04", "E02")),
    ("正信会计师事务所有限公司", "91", "330105", ("C04",)),
    ("明理律师事务所", "31", "330000", ("C05", "D03", "E03")),
    ("正言律师事务所", "31", "330000", ("C05", "E03")),
    ("之江国土空间规划研究院有限公司", "91", "330106", ("D02",)),
    ("天恒土地房地产估价有限公司", "91", "330103", ("D01", "E01")),
    ("坤信资产评估有限公司", "91", "330102", ("E01",)),
    ("富春管理咨询有限公司", "91", "330106", ("C0302", "C03")),
    ("市国有资本投资运营有限公司", "91", "330100", ("E02",)),
)
# a few experts work for the core demo's owner and first bidder, so that demo draws show avoidance (回避)
DEMO_PARTY_EMPLOYERS = {"owner": ("A01", "A02"), "bidder1": ("A01", "A0201")}

# the expert behind the demo login "expert" (评标专家 孙立): drawable for works (A0101) and goods (B0101)
LINKED = {"name": "孙立", "employer": "浙东理工大学", "specialties": ("A0101", "B0101"), "title": "教授",
          "male": True, "birth": date(1968, 5, 17), "county": "330106"}

LEAVES = [code for code, _name, _en in CATALOGUE if not any(c != code and c.startswith(code) for c, _n, _e in CATALOGUE)]
ORG_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # the unified code's alphabet: no I, O, S, V, Z


def org_code(rng, company):
    """A 9-character organisation code (组织机构代码, GB 11714) with its check character."""
    body = ("MA2" + "".join(rng.choice(ORG_CODE_CHARS) for _ in range(5)) if company
            else "".join(rng.choice("0123456789") for _ in range(8)))
    total = sum(int(c, 36) * w for c, w in zip(body, (3, 7, 9, 10, 5, 8, 4, 2)))
    check = 11 - total % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


def employers():
    """[(name, uscc, region_code, leaf specialties)], the same on every run."""
    out = []
    for name, prefix, region, prefixes in EMPLOYERS:
        rng = random.Random(name)  # a code of its own per name: reordering the list changes nothing
        out.append((name, full_uscc(prefix + region + org_code(rng, prefix == "91")), region[:4] + "00", prefixes))
    for key, prefixes in DEMO_PARTY_EMPLOYERS.items():
        _key, name, body, *_rest = next(org for org in ORGANIZATIONS if org[0] == key)
        out.append((name, full_uscc(body), body[2:6] + "00", prefixes))
    return [(name, uscc, region, [c for c in LEAVES if c.startswith(prefixes)])
            for name, uscc, region, prefixes in out]


def id_number(county, birth, serial):
    body = f"{county}{birth:%Y%m%d}{serial:03d}"
    return body + ric.calc_check_digit(body + "0")


def title_for(rng, code):
    for key in (code, code[:3], code[:1]):
        if key in TITLES:
            return rng.choice(TITLES[key])
    return "高级工程师"


def experts():
    """The demo experts as plain dicts (the linked one first), the same on every run."""
    rng = random.Random(SEED)
    places = employers()
    counties, weights = zip(*COUNTIES)
    youngest = REFERENCE_DAY.replace(year=REFERENCE_DAY.year - 35)
    oldest = REFERENCE_DAY.replace(year=REFERENCE_DAY.year - 69) + timedelta(days=1)
    numbers, names, phones = set(), set(), set()
    out = []
    while len(out) < COUNT:
        linked = not out
        if linked:
            employer = next(place for place in places if place[0] == LINKED["employer"])
            male, birth, county = LINKED["male"], LINKED["birth"], LINKED["county"]
            name, codes, title = LINKED["name"], list(LINKED["specialties"]), LINKED["title"]
        else:
            employer = rng.choice(places)
            male = rng.random() < 0.7
            birth = oldest + timedelta(days=rng.randrange((youngest - oldest).days + 1))
            county = rng.choices(counties, weights)[0]
            name = rng.choice(SURNAMES) + rng.choice(MALE_NAMES if male else FEMALE_NAMES)
            leaves = employer[3]
            codes = sorted(rng.sample(leaves, min(len(leaves), rng.choices((1, 2, 3), (3, 5, 2))[0])))
            title = title_for(rng, codes[0])
        # the 17th digit is odd for a man, even for a woman
        serial = rng.randrange(0, 500) * 2 + (1 if male else 0)
        number = id_number(county, birth, serial)
        phone = f"13{rng.randrange(10)}{rng.randrange(10 ** 8):08d}"
        if number in numbers or name in names or phone in phones:
            continue
        numbers.add(number)
        names.add(name)
        phones.add(phone)
        out.append({"name": name, "id_number": number, "birth_date": birth, "phone": phone,
                    "employer_name": employer[0], "employer_uscc": employer[1], "region_code": employer[2],
                    "title": title, "specialties": codes})
    return out


def load(request):
    """Add the demo experts that are missing and link the demo login "expert"; return how many experts were added."""
    dbsession = request.dbsession
    load_specialties(request)  # the catalogue the specialties point to; initdb has usually loaded it already
    wanted = experts()
    known = set(dbsession.execute(
        select(Expert.id_number).where(Expert.id_number.in_([e["id_number"] for e in wanted]))
    ).scalars())
    missing = [e for e in wanted if e["id_number"] not in known]
    if missing:
        now = request.clock.now()
        rows, links = [], []
        for expert in missing:
            row = {key: value for key, value in expert.items() if key != "specialties"}
            row.update(id=new_id(), status="active", created_at=now, updated_at=now)
            rows.append(row)
            links += [{"expert_id": row["id"], "code": code} for code in expert["specialties"]]
        # two multi-row inserts rather than 300 service calls: one summary event stands for them all
        dbsession.execute(insert(Expert), rows)
        dbsession.execute(insert(ExpertSpecialty), links)
        audit.record(request, "expert.demo_load", object_type="expert", object_id=None,
                     data={"created": len(missing), "employers": len({e["employer_uscc"] for e in missing}),
                           "specialties": dict(sorted(Counter(link["code"] for link in links).items()))})
    _link_demo_login(request, wanted[0]["id_number"])
    return len(missing)


def _link_demo_login(request, number):
    dbsession = request.dbsession
    user = dbsession.execute(select(User).where(User.username == DEMO_USERNAME)).scalar_one_or_none()
    if user is None or user.role != "expert" or user.expert_id is not None:
        return
    expert = dbsession.execute(select(Expert).where(Expert.id_number == number)).scalar_one()
    user.expert_id = expert.id
    dbsession.flush()
    audit.record(request, "user.link_expert", user, {"username": user.username, "expert_id": expert.id,
                                                     "expert_name": expert.name})
