"""The specialty catalogue (评标专家专业分类) loaded by `ggzy initdb`: works, goods, services, land, equity."""
from sqlalchemy import select

from .models import Specialty

# (code, Chinese name, English name); the parent is the code without its last two characters
CATALOGUE = [
    ("A", "工程类", "Engineering works"),
    ("A01", "房屋建筑工程", "Building works"),
    ("A0101", "建筑工程施工", "Building construction"),
    ("A0102", "建筑装饰装修", "Decoration and fit-out"),
    ("A0103", "建筑安装（给排水、暖通、电气）", "Building services installation"),
    ("A0104", "建筑工程造价", "Building cost engineering"),
    ("A0105", "建筑工程监理", "Building works supervision"),
    ("A02", "市政公用工程", "Municipal works"),
    ("A0201", "道路与桥梁", "Roads and bridges"),
    ("A0202", "给水排水与污水处理", "Water supply, drainage and wastewater"),
    ("A0203", "燃气与热力", "Gas and heating networks"),
    ("A0204", "园林绿化", "Landscaping"),
    ("A0205", "市政工程造价", "Municipal cost engineering"),
    ("A03", "交通运输工程", "Transport works"),
    ("A0301", "公路工程", "Highways"),
    ("A0302", "港口与航道", "Ports and waterways"),
    ("A0303", "轨道交通", "Rail transit"),
    ("A04", "水利水电工程", "Water conservancy and hydropower"),
    ("A0401", "水利工程施工", "Water conservancy construction"),
    ("A0402", "水电站与泵站", "Hydropower and pumping stations"),
    ("A05", "电力与通信工程", "Power and telecommunications works"),
    ("A0501", "输变电工程", "Transmission and substations"),
    ("A0502", "通信与信息网络工程", "Telecommunications and network works"),
    ("A06", "勘察设计", "Survey and design"),
    ("A0601", "岩土工程勘察", "Geotechnical survey"),
    ("A0602", "建筑设计", "Architectural design"),
    ("B", "货物类", "Goods"),
    ("B01", "信息技术设备", "IT equipment"),
    ("B0101", "计算机与服务器", "Computers and servers"),
    ("B0102", "网络与安全设备", "Network and security equipment"),
    ("B0103", "软件产品", "Software products"),
    ("B02", "医疗设备", "Medical equipment"),
    ("B0201", "医学影像设备", "Medical imaging"),
    ("B0202", "检验与实验室设备", "Laboratory equipment"),
    ("B0203", "医用耗材", "Medical consumables"),
    ("B03", "车辆与机械", "Vehicles and machinery"),
    ("B0301", "公务与专用车辆", "Official and special vehicles"),
    ("B0302", "工程机械", "Construction machinery"),
    ("B04", "办公与家具", "Office supplies and furniture"),
    ("B0401", "办公家具", "Office furniture"),
    ("B0402", "办公设备与耗材", "Office equipment and consumables"),
    ("B05", "教学与科研仪器", "Teaching and research instruments"),
    ("C", "服务类", "Services"),
    ("C01", "信息技术服务", "IT services"),
    ("C0101", "软件开发与系统集成", "Software development and integration"),
    ("C0102", "运维与云服务", "Operations and cloud services"),
    ("C02", "物业与后勤服务", "Property and facility services"),
    ("C0201", "物业管理", "Property management"),
    ("C0202", "保洁与餐饮", "Cleaning and catering"),
    ("C03", "咨询服务", "Consulting"),
    ("C0301", "工程咨询", "Engineering consulting"),
    ("C0302", "管理咨询", "Management consulting"),
    ("C04", "财务与审计服务", "Finance and audit services"),
    ("C0401", "审计", "Auditing"),
    ("C0402", "会计与税务", "Accounting and tax"),
    ("C05", "法律服务", "Legal services"),
    ("D", "土地类", "Land"),
    ("D01", "土地估价", "Land valuation"),
    ("D02", "城乡规划", "Urban and rural planning"),
    ("D03", "土地与不动产法律", "Land and real estate law"),
    ("E", "产权类", "Equity"),
    ("E01", "资产评估", "Asset appraisal"),
    ("E02", "企业财务", "Corporate finance"),
    ("E03", "产权交易法律", "Property rights law"),
]


def parent_of(code):
    return code[:-2] if len(code) > 1 else None


def load_specialties(request):
    """Insert the missing specialties; return how many were added."""
    known = set(request.dbsession.execute(select(Specialty.code)).scalars())
    added = 0
    for code, name, name_en in CATALOGUE:
        if code not in known:
            request.dbsession.add(Specialty(code=code, name=name, name_en=name_en, parent=parent_of(code)))
            added += 1
    request.dbsession.flush()
    return added
