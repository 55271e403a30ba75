"""The demo's projects (`ggzy demo`): every trading method, each at its own stage, walked through the services.

Each project is a story: a generator that yields the instant of its next step and then takes that step
through the same services the API calls, as the officer, a bidder, an expert, the bank or the inspector.
The stories run merged in time order on the demo's own manual clock, and the clock's transitions
(openings, auctions going live, alerts falling overdue, late contracts) are applied when their instant
comes, so the audit chain reads in order and ends at the caller's now. Stories that end in the past
are finished projects; the others end at stages that are current at now: an evaluation waiting for the
demo expert, a publicity with an open objection, bids opening minutes after `make run`, a live land
auction, a land listing taking quotes.

The demo tells one story across the core and the built-in plugins, so it calls the experts' and the
monitoring's services too, imported where they are used, as the command line does.
"""
import heapq
import io
import json
import random
from datetime import datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select

from .clock import ManualClock
from .demo import DEMO_PASSWORD, ORGANIZATIONS, USERS, full_uscc
from .i18n import LOCAL_TZ, instant, money
from .models import Deadline, Organization, Project, User
from .rules import local_date
from .scheduler import SystemRequest, apply_deadline
from .services import accounts, auction, award, bids, documents, evaluation, opening, projects, registrations
from .workdays import WorkCalendar

HISTORY_DAYS = 90  # the demo's organisations, users and experts appear this long before now
UNLOCK_SECRET = "demo-unlock-2026"  # every demo bid's unlock secret, printed for the bidders

# where each party works from: the collusion indicators compare these (bidder7 and bidder8 share one)
BIDDER_ADDRESSES = {
    "bidder1": "115.236.90.18", "bidder2": "60.191.38.77", "bidder3": "183.129.172.45",
    "bidder4": "122.224.96.130", "bidder5": "218.108.52.9", "bidder6": "36.27.211.64",
    "bidder7": "112.17.243.28", "bidder8": "112.17.243.28",
}
# the accounts each bidder pays its deposits from: one each (collusion.same_deposit_account compares them)
PAYER_ACCOUNTS = {key: f"62220212{index:03d}0{5170 + index * 113:07d}" for index, key in enumerate(BIDDER_ADDRESSES, 1)}
OFFICER_ADDRESS = "10.20.1.15"
INSPECTOR_ADDRESS = "10.20.3.8"
ADMIN_ADDRESS = "10.20.0.5"
BANK_ADDRESS = "10.8.0.21"
EVALUATION_ROOM = "10.20.9."  # the evaluation room's terminals, one a seat
EXPERT_MOBILE = "223.104.6."  # experts answer their invitations on the phone

DECLINE_REASON = "时间冲突，无法按时参加评审"
TENDER_CHAPTERS = ("第一章 招标公告\n第二章 投标人须知\n第三章 评标办法\n第四章 合同条款及格式\n"
                   "第五章 工程量清单\n第六章 技术标准和要求\n第七章 投标文件格式")
PROCUREMENT_CHAPTERS = ("第一章 采购公告\n第二章 供应商须知\n第三章 评审办法\n第四章 采购需求\n"
                        "第五章 政府采购合同文本\n第六章 响应文件格式")


class DemoRequest:
    """A request for the demo's scripted actions: the caller's session and transaction, the demo's clock, one actor."""

    path = None
    client_device = None

    def __init__(self, base, clock, user=None, client_addr=None):
        self.registry = base.registry
        self.dbsession = base.dbsession
        self.tm = getattr(base, "tm", None)
        self.localizer = base.localizer
        self.locale_name = getattr(base, "locale_name", None) or base.registry.settings["ggzy.default_locale"]
        self.clock = clock
        self.user = user
        self.client_addr = client_addr
        self.headers = {}
        self.cookies = {}
        self.environ = {}

    identity = SystemRequest.identity  # the principal of ``user``


class History:
    """The demo's own clock: it starts HISTORY_DAYS before the caller's now and only moves forward, up to it."""

    def __init__(self, request, days=HISTORY_DAYS):
        self.base = request
        self.now = request.clock.now()
        self.clock = ManualClock(self.now - timedelta(days=days))

    def request(self, user=None, client_addr=None):
        return DemoRequest(self.base, self.clock, user, client_addr)


class Upload:
    """A file as the services take uploads (a name, a type and a readable file)."""

    def __init__(self, filename, data, type="text/plain"):
        self.filename, self.type, self.file = filename, type, io.BytesIO(data)


class Demo:
    """The parties and the steps the stories are made of, each through a service, on the demo's clock."""

    def __init__(self, history):
        self.history = history
        self.clock = history.clock
        self.now = history.now
        self.today = local_date(history.now)
        dbsession = self.dbsession = history.base.dbsession
        self.calendar = WorkCalendar(dbsession)
        self.orgs = {}
        for key, _name, body, *_rest in ORGANIZATIONS:
            self.orgs[key] = dbsession.execute(
                select(Organization).where(Organization.uscc == full_uscc(body))).scalar_one()
        users = {u.username: u for u in dbsession.execute(select(User)).scalars()}
        self.officer = history.request(users["officer"], OFFICER_ADDRESS)
        self.inspector = history.request(users["inspector"], INSPECTOR_ADDRESS)
        self.admin = history.request(users["admin"], ADMIN_ADDRESS)
        self.bank = history.request(None, BANK_ADDRESS)
        self.system = history.request()
        login_of = {org_key: username for _role, username, _display, org_key in USERS if org_key}
        self.bidders = {key: history.request(users[login_of[key]], address)
                        for key, address in BIDDER_ADDRESSES.items()}
        demo_expert = users.get("expert")
        self.demo_expert_id = demo_expert.expert_id if demo_expert is not None else None
        self.project_ids = set()

    # --- time ----------------------------------------------------------------------------------------

    def local(self, day, hour, minute=0):
        """An instant at a local (Asia/Shanghai) time of day; ``day`` is a date or a number of days from today."""
        if isinstance(day, int):
            day = self.today + timedelta(days=day)
        return datetime.combine(day, time(hour, minute), tzinfo=LOCAL_TZ)

    def workday_back(self, day):
        """The working day on or before ``day`` (a date or days from today): deadlines fall on working days."""
        day = self.today + timedelta(days=day) if isinstance(day, int) else day
        while not self.calendar.is_workday(day):
            day -= timedelta(days=1)
        return day

    def workday_forward(self, day):
        """The working day on or after ``day`` (a date or days from today)."""
        day = self.today + timedelta(days=day) if isinstance(day, int) else day
        while not self.calendar.is_workday(day):
            day += timedelta(days=1)
        return day

    def working_day(self, moment, count):
        """The date of the ``count``-th working day after ``moment``'s date."""
        return local_date(self.calendar.add_working_days(moment, count))

    def recent(self, **delta):
        """An instant shortly before now, on the minute."""
        return (self.now - timedelta(**delta)).replace(second=0, microsecond=0)

    def advance(self, until):
        """Apply the clock's transitions of the demo projects due by ``until``, each at its instant, then stop there."""
        while True:
            due = self.dbsession.execute(
                select(Deadline).where(Deadline.done_at.is_(None), Deadline.at <= until,
                                       Deadline.project_id.in_(sorted(self.project_ids)))
                .order_by(Deadline.at, Deadline.id).limit(1)
            ).scalar_one_or_none() if self.project_ids else None
            if due is None:
                break
            self.clock.set(max(self.clock.now(), due.at))
            apply_deadline(self.system, due)
        self.clock.set(max(self.clock.now(), until))

    def walk(self, stories):
        """Run the stories merged in time order: each step at its instant, the clock's transitions in between."""
        queue = []
        for order, story in enumerate(stories):
            first = next(story, None)
            if first is not None:
                heapq.heappush(queue, (first, order, story))
        while queue:
            when, order, story = heapq.heappop(queue)
            if when > self.now:
                raise ValueError(f"a demo story acts after now ({when.isoformat()})")
            self.advance(when)
            following = next(story, None)
            if following is not None:
                if following < when:
                    raise ValueError(f"a demo story goes back in time ({following.isoformat()} < {when.isoformat()})")
                heapq.heappush(queue, (following, order, story))
        self.advance(self.now)

    # --- projects ------------------------------------------------------------------------------------

    def create(self, method, title, owner, lots, timeline, params, agent=None, description=None):
        data = {"method": method, "title": title, "description": description, "owner_org_id": self.orgs[owner].id,
                "agent_org_id": self.orgs[agent].id if agent else None, "lots": lots,
                "timeline": {name: instant(moment) for name, moment in timeline.items()}, "params": params}
        project = projects.create(self.officer, data)
        self.project_ids.add(project.id)
        return project

    def publish(self, project):
        projects.publish(self.officer, project)

    def document(self, project, name, text, kind="tender"):
        body = f"{project.title}\n{project.code}\n\n{text}\n".encode("utf-8")
        documents.add_document(self.officer, project, Upload(name, body), kind)

    def announce(self, project, published, document=("招标文件.txt", TENDER_CHAPTERS)):
        """Publish the draft, then put its documents on offer (a sub-story: yields its instants)."""
        yield published
        self.publish(project)
        if document:
            yield published + timedelta(minutes=25)
            self.document(project, *document)

    def register(self, project, key, lots=None):
        lot_ids = [project.lots[index].id for index in lots] if lots else [lot.id for lot in project.lots]
        return registrations.register(self.bidders[key], project, lot_ids)

    def pay(self, registration, key):
        """The bank's deposit notice for the registration's virtual account (the signature is the view's check)."""
        registrations.notify(self.bank, {
            "deposit_account": registration.deposit_account, "amount": money(registration.amount_due),
            "paid_at": instant(self.clock.now()), "reference": f"DEMO-{registration.deposit_account}",
            "payer_account": PAYER_ACCOUNTS[key]})

    def registrations(self, project, keys, start, every=timedelta(days=1, hours=3), lots=None, unpaid=()):
        """Each bidder registers and pays its deposit about an hour later (a sub-story)."""
        for index, key in enumerate(keys):
            yield start + index * every
            registration = self.register(project, key, (lots or {}).get(key))
            if registration.status == "pending_deposit" and key not in unpaid:
                yield start + index * every + timedelta(minutes=70)
                self.pay(registration, key)

    def bid(self, project, key, price, lot=0, sme=False):
        offer = {"price": price, **({"sme": True} if sme else {})}
        org = self.orgs[key]
        text = (f"投标文件\n项目：{project.title}（{project.code}）\n标段：{project.lots[lot].title}\n"
                f"投标人：{org.name}\n统一社会信用代码：{org.uscc}\n投标报价：{price} 元\n").encode("utf-8")
        return bids.submit(self.bidders[key], project, project.lots[lot], json.dumps(offer), UNLOCK_SECRET,
                           [Upload("投标文件.txt", text)])

    def sealed_bids(self, project, offers, start, every=timedelta(hours=5), sme=(), lot=0):
        """The bidders seal their offers, in the order given (a sub-story); returns {bidder key: bid}."""
        sealed = {}
        for index, (key, price) in enumerate(offers.items()):
            yield start + index * every
            sealed[key] = self.bid(project, key, price, lot=lot, sme=key in sme)
        return sealed

    def opening(self, project, sealed, deadline):
        """The clock opens the bids at the deadline; each bidder decrypts its own, the officer closes (a sub-story)."""
        for index, (key, bid) in enumerate(sealed.items()):
            yield deadline + timedelta(minutes=3 + 4 * index)
            if project.status != "opening":
                return  # too few bids: the lot failed unopened (流标)
            bids.decrypt(self.bidders[key], bid, UNLOCK_SECRET)
        yield deadline + timedelta(minutes=4 + 4 * len(sealed))
        opening.close(self.officer, project.id)

    # --- experts ---------------------------------------------------------------------------------------

    def expert_request(self, expert, address):
        """The expert's own login (their mobile number), made by the administrator when first needed."""
        user = self.dbsession.execute(select(User).where(User.expert_id == expert.id)).scalars().first()
        if user is None:
            user = accounts.create_user(self.admin, username=expert.phone, password=DEMO_PASSWORD, role="expert",
                                        expert_id=expert.id, display_name=f"评标专家 {expert.name}")
        return self.history.request(user, address)

    def committee(self, project, specialty, count, evaluation_at, at, alternates=2, lot=0):
        """Draw the lot's committee and let the invited answer within minutes (a sub-story); returns the draw.

        Members accept. When the demo expert is only an alternate, members ahead of them decline until
        their turn comes, so that the demo login has an evaluation to work on.
        """
        from experts import draws, invitations

        yield at
        draw = draws.create(self.officer, project, {
            "lot_id": project.lots[lot].id, "requirements": [{"specialty": specialty, "count": count}],
            "owner_representatives": 0, "alternates": alternates, "evaluation_at": instant(evaluation_at)})
        yield at + timedelta(minutes=2)
        draws.run(self.officer, draw)
        minute = 2
        while True:
            pending = sorted((i for i in draw.invitations if i.status == "pending"), key=lambda i: i.position)
            if not pending:
                break
            waiting = {i.expert_id for i in draw.invitations if i.status == "waiting"}
            must_make_room = self.demo_expert_id in waiting
            for invitation in pending if not must_make_room else pending[-1:]:
                minute += 2
                yield at + timedelta(minutes=minute)
                request = self.expert_request(invitation.expert, f"{EXPERT_MOBILE}{31 + invitation.position}")
                if must_make_room and invitation.expert_id != self.demo_expert_id:
                    invitations.decline(request, invitation, DECLINE_REASON)
                else:
                    invitations.accept(request, invitation)
        return draw

    def evaluate(self, project, draw, start, scores=None, lot=0, leave=()):
        """Start the evaluation and have each member vote, score and sign, except those in ``leave`` (a sub-story).

        ``scores(seat, bid)`` gives a member's {criterion: score} for a bid when the method scores.
        """
        lot = project.lots[lot]
        yield start
        sheet = evaluation.start(self.officer, project, lot)
        people = {i.expert_id: i.expert for i in draw.invitations}
        opened = evaluation.opened_bids(self.officer, lot)
        minute = 0
        for seat, member in enumerate(sheet.members):
            if member.expert_id in leave:
                continue
            request = self.expert_request(people[member.expert_id], f"{EVALUATION_ROOM}{11 + seat}")
            for bid in opened:
                minute += 3
                yield start + timedelta(minutes=minute)
                evaluation.vote(request, lot, sheet, member, bid.id, True, "资格审查合格")
                for criterion, value in (scores(seat, bid) if scores else {}).items():
                    evaluation.score(request, lot, sheet, member, bid.id, criterion, value)
            minute += 4
            yield start + timedelta(minutes=minute)
            evaluation.sign(request, lot, sheet, member)
        return sheet

    def rate(self, project, sheet, lot=0):
        """The officer's conduct record of each member (X198 Art 21)."""
        from experts import conduct

        for member in sheet.members:
            conduct.rate(self.officer, project, project.lots[lot], member.expert_id, 5, "按时到场，评审认真")

    def first_candidate(self, sheet):
        return next(entry["bid_id"] for entry in sheet.ranking if entry.get("rank") == 1)


# --- the stories -----------------------------------------------------------------------------------------
#
# Each takes the Demo and its title, yields the instant of each next step, and acts there. Amounts are
# decimal strings, as the API takes them.

def scorer(title, quality, deviant=None):
    """Members' scores around each bidder's quality {org_id: {criterion: score}}, a little apart, the same each run.

    ``deviant`` = (seat, org_id, factor): that member scores that bidder far below the others, which the
    monitoring reports as expert.score_deviation when the evaluation is finalised.
    """
    def scores(seat, bid):
        rng = random.Random(f"{title}:{seat}:{bid.org_id}")
        out = {}
        for criterion, value in quality[bid.org_id].items():
            value = Decimal(str(value)) + Decimal(rng.randint(-3, 2)) / 2
            if deviant and deviant[0] == seat and deviant[1] == bid.org_id:
                value = (value * Decimal(str(deviant[2]))).quantize(Decimal("0.5"))
            out[criterion] = max(value, Decimal(0))
        return out

    return scores


def contracted_tender(demo, title):
    """Open tendering walked to its end: opened, evaluated, candidates published, awarded, contracted."""
    deadline_day = demo.workday_back(-57)
    deadline = demo.local(deadline_day, 9, 30)
    published = demo.local(demo.workday_back(deadline_day - timedelta(days=23)), 9, 0)
    yield published - timedelta(hours=18)
    project = demo.create(
        "tendering.open", title, "owner_town", agent="agent",
        lots=[{"title": "施工", "budget": "4680000.00", "deposit": "90000.00"}],
        timeline={"docs_from": published, "docs_until": demo.local(demo.working_day(published, 6), 17),
                  "bid_deadline": deadline},
        params={"evaluation": "lowest_price", "decrypt_minutes": 30},
        description="城东街道辖区内12条背街小巷的路面、排水、立面和照明整治。")
    yield from demo.announce(project, published)
    yield from demo.registrations(project, ("bidder1", "bidder2", "bidder7"), published + timedelta(days=2, hours=1))
    sealed = yield from demo.sealed_bids(
        project, {"bidder2": "4398500.00", "bidder7": "4455000.00", "bidder1": "4312800.00"},
        deadline - timedelta(days=3) + timedelta(hours=1))
    yield from demo.opening(project, sealed, deadline)
    evaluation_at = demo.local(deadline_day, 14)
    draw = yield from demo.committee(project, "A01", 5, evaluation_at, deadline + timedelta(minutes=40))
    sheet = yield from demo.evaluate(project, draw, evaluation_at)
    yield evaluation_at + timedelta(hours=2)
    evaluation.finalize(demo.officer, project, project.lots[0])
    yield evaluation_at + timedelta(hours=2, minutes=30)
    demo.rate(project, sheet)
    yield demo.local(deadline_day + timedelta(days=1), 10)
    publicity = award.publish(demo.officer, project, project.lots[0])
    yield publicity.ends_at + timedelta(hours=24)
    awarded = award.award(demo.officer, project, project.lots[0], demo.first_candidate(sheet))
    signed = demo.local(local_date(awarded.awarded_at) + timedelta(days=8), 10)
    yield signed + timedelta(hours=5)
    award.record_contract(demo.officer, project, project.lots[0], signed, awarded.amount)


def awarded_purchase(demo, title):
    """Open tender for goods, awarded, with no contract (contract.late) and no conduct records (expert.record_late)."""
    deadline_day = demo.workday_back(-50)
    deadline = demo.local(deadline_day, 9, 30)
    published = demo.local(demo.workday_back(deadline_day - timedelta(days=24)), 9, 0)
    yield published - timedelta(hours=18)
    project = demo.create(
        "procurement.open", title, "owner_edu", agent="agent_gpc",
        lots=[{"title": "包1 交互式智能黑板及教学终端", "budget": "1960000.00", "deposit": "30000.00"}],
        timeline={"docs_from": published, "docs_until": demo.local(demo.working_day(published, 6), 17),
                  "bid_deadline": deadline},
        params={"category": "goods", "evaluation": "lowest_price", "sme_deduction": 0.1})
    yield from demo.announce(project, published, ("采购文件.txt", PROCUREMENT_CHAPTERS))
    yield from demo.registrations(project, ("bidder3", "bidder4", "bidder5"), published + timedelta(days=1, hours=2))
    sealed = yield from demo.sealed_bids(
        project, {"bidder3": "1788000.00", "bidder4": "1826400.00", "bidder5": "1769500.00"},
        deadline - timedelta(days=2) + timedelta(hours=2), sme=("bidder5",))
    yield from demo.opening(project, sealed, deadline)
    evaluation_at = demo.local(deadline_day, 14)
    draw = yield from demo.committee(project, "B01", 5, evaluation_at, deadline + timedelta(minutes=35))
    sheet = yield from demo.evaluate(project, draw, evaluation_at)
    yield evaluation_at + timedelta(hours=2, minutes=30)
    evaluation.finalize(demo.officer, project, project.lots[0])
    yield demo.local(deadline_day + timedelta(days=1), 9)
    publicity = award.publish(demo.officer, project, project.lots[0])
    yield publicity.ends_at + timedelta(hours=2)
    awarded = award.award(demo.officer, project, project.lots[0], demo.first_candidate(sheet))
    # the clock reports the missing contract 30 days on; the inspector takes the alert up the next morning
    days = demo.officer.registry["legal_limits"]["core.contract_days"]
    yield demo.local(local_date(award.contract_late_from(awarded.awarded_at, days)) + timedelta(days=1), 9, 40)
    from monitoring import engine
    from monitoring.models import Alert

    late = demo.dbsession.execute(select(Alert).where(Alert.rule == "contract.late",
                                                      Alert.project_id == project.id)).scalar_one_or_none()
    if late is not None:
        engine.acknowledge(demo.inspector, late, "已电话督促采购人市教育局尽快与中标人签订合同")


def equity_agreement(demo, title):
    """A state-owned stake disclosed for 20 working days with one qualified transferee: agreement transfer (协议转让)."""
    published = demo.local(demo.workday_back(-60), 9)
    disclosure_until = demo.local(demo.working_day(published, 21), 17)
    yield published - timedelta(hours=20)
    project = demo.create(
        "equity.transfer", title, "owner_soe",
        lots=[{"title": "城投智慧停车运营有限公司35%股权", "start_price": "12600000.00", "increment": "100000.00",
               "deposit": "1000000.00"}],
        timeline={"disclosure_until": disclosure_until,
                  "auction_at": demo.local(local_date(disclosure_until) + timedelta(days=1), 10)},
        params={"appraisal": "12600000.00", "countdown_seconds": 300},
        description="转让方持有的标的企业35%股权，评估值以经备案的资产评估报告为准。")
    yield from demo.announce(project, published, ("产权转让公告.txt", "一、转让标的基本情况\n二、转让方基本情况\n"
                                                               "三、交易条件与受让方资格条件\n四、保证金及交易方式"))
    yield from demo.registrations(project, ("bidder3",), published + timedelta(days=9, hours=1))
    # the clock awards the lot at disclosure_until to the one qualified transferee: auction.single_bidder


def failed_tender(demo, title):
    """Open tendering with two bids at the deadline: the lot is not opened and fails (流标, TBL Art 28)."""
    deadline_day = demo.workday_back(-26)
    deadline = demo.local(deadline_day, 9, 30)
    published = demo.local(demo.workday_back(deadline_day - timedelta(days=22)), 9, 0)
    yield published - timedelta(hours=17)
    project = demo.create(
        "tendering.open", title, "owner_town", agent="agent2",
        lots=[{"title": "装修改造", "budget": "860000.00", "deposit": "15000.00"}],
        timeline={"docs_from": published, "docs_until": demo.local(demo.working_day(published, 6), 17),
                  "bid_deadline": deadline},
        params={"evaluation": "lowest_price"})
    yield from demo.announce(project, published)
    yield from demo.registrations(project, ("bidder1", "bidder8", "bidder2"), published + timedelta(days=3, hours=2))
    sealed = yield from demo.sealed_bids(project, {"bidder8": "812000.00", "bidder1": "798600.00"},
                                         deadline - timedelta(days=1) + timedelta(hours=1))
    yield from demo.opening(project, sealed, deadline)


def publicity_tender(demo, title):
    """Open tendering by scoring, in its candidates' publicity now, with an objection to answer.

    bidder7 and bidder8 bid from one address and share a phone (collusion.same_ip, collusion.shared_contact);
    one member scores the first candidate far below the others (expert.score_deviation).
    """
    deadline_day = demo.workday_back(-7)
    deadline = demo.local(deadline_day, 9, 30)
    published = demo.local(demo.workday_back(deadline_day - timedelta(days=26)), 9, 0)
    yield published - timedelta(hours=19)
    project = demo.create(
        "tendering.open", title, "owner", agent="agent",
        lots=[{"title": "施工总承包", "budget": "12800000.00", "deposit": "200000.00"}],
        timeline={"docs_from": published, "docs_until": demo.local(demo.working_day(published, 6), 17),
                  "bid_deadline": deadline},
        params={"evaluation": "scoring", "price_formula": "deviation", "benchmark_discount": 0.02,
                "points_above": 1, "points_below": 0.5,
                "criteria": [{"code": "technical", "name": "施工组织设计", "max": 30, "kind": "technical"},
                             {"code": "business", "name": "企业业绩与信誉", "max": 10, "kind": "business"},
                             {"code": "price", "name": "投标报价", "max": 60, "kind": "price"}]},
        description="新建应急物资储备库一座，建筑面积约1.2万平方米，含室外配套工程。")
    yield from demo.announce(project, published)
    yield from demo.registrations(project, ("bidder2", "bidder1", "bidder7", "bidder8"),
                                  published + timedelta(days=2, hours=2), every=timedelta(days=2, hours=1))
    sealed = yield from demo.sealed_bids(project, {"bidder2": "12398000.00", "bidder1": "12136000.00"},
                                         deadline - timedelta(days=3) + timedelta(hours=2))
    # the two builders who share a phone number bid minutes apart from one address
    sealed.update((yield from demo.sealed_bids(project, {"bidder7": "12455000.00", "bidder8": "12470000.00"},
                                               deadline - timedelta(days=1) + timedelta(hours=7),
                                               every=timedelta(minutes=6))))
    yield from demo.opening(project, sealed, deadline)
    evaluation_at = demo.local(deadline_day, 14)
    draw = yield from demo.committee(project, "A01", 5, evaluation_at, deadline + timedelta(minutes=45))
    orgs = demo.orgs
    scores = scorer(title, {orgs["bidder1"].id: {"technical": 27, "business": 9},
                            orgs["bidder2"].id: {"technical": 25.5, "business": 8},
                            orgs["bidder7"].id: {"technical": 22, "business": 7},
                            orgs["bidder8"].id: {"technical": 21.5, "business": 7}},
                    deviant=(4, orgs["bidder1"].id, 0.45))
    sheet = yield from demo.evaluate(project, draw, evaluation_at, scores)
    yield evaluation_at + timedelta(hours=3)
    evaluation.finalize(demo.officer, project, project.lots[0])
    yield demo.local(deadline_day + timedelta(days=1), 10)
    demo.rate(project, sheet)
    yield demo.local(-1, 10)  # three days of publicity from yesterday morning
    award.publish(demo.officer, project, project.lots[0])
    yield demo.local(-1, 15, 40)
    award.object_to(demo.bidders["bidder2"], project, project.lots[0],
                    "第一中标候选人投标文件所列类似工程业绩中，“城西体育中心工程”竣工时间与公开信息不符，请予核查。")


def evaluating_purchase(demo, title):
    """Open tender for computers in evaluation now: four members have signed, the demo expert has not."""
    deadline_day = demo.workday_back(-4)
    deadline = demo.local(deadline_day, 9, 30)
    published = demo.local(demo.workday_back(deadline_day - timedelta(days=24)), 9, 0)
    yield published - timedelta(hours=18)
    project = demo.create(
        "procurement.open", title, "owner_edu", agent="agent_gpc",
        lots=[{"title": "包1 学生计算机及教师机", "budget": "3860000.00", "deposit": "50000.00"}],
        timeline={"docs_from": published, "docs_until": demo.local(demo.working_day(published, 6), 17),
                  "bid_deadline": deadline},
        params={"category": "goods", "evaluation": "scoring", "sme_deduction": 0.1,
                "criteria": [{"code": "technical", "name": "技术参数响应", "max": 40, "kind": "technical"},
                             {"code": "business", "name": "售后服务与培训", "max": 15, "kind": "business"},
                             {"code": "price", "name": "价格", "max": 45, "kind": "price"}]},
        description="全市32所中小学计算机教室设备更新，共1,450台学生机及教师机。")
    yield from demo.announce(project, published, ("采购文件.txt", PROCUREMENT_CHAPTERS))
    yield from demo.registrations(project, ("bidder4", "bidder5", "bidder3"), published + timedelta(days=2, hours=1))
    sealed = yield from demo.sealed_bids(
        project, {"bidder3": "3566000.00", "bidder5": "3498000.00", "bidder4": "3612800.00"},
        deadline - timedelta(days=2) + timedelta(hours=3), sme=("bidder5",))
    yield from demo.opening(project, sealed, deadline)
    # this morning's evaluation, or yesterday afternoon's when the demo is loaded early in the day
    evaluation_at = demo.local(0, 9) if demo.now - demo.local(0, 9) >= timedelta(minutes=90) else demo.local(-1, 14)
    # the seven experts of computers and servers (B0101) are all placed: the demo expert is among them
    draw = yield from demo.committee(project, "B0101", 5, evaluation_at, deadline + timedelta(minutes=30),
                                     alternates=3)
    orgs = demo.orgs
    scores = scorer(title, {orgs["bidder3"].id: {"technical": 35, "business": 13},
                            orgs["bidder4"].id: {"technical": 33, "business": 12.5},
                            orgs["bidder5"].id: {"technical": 31.5, "business": 12}})
    yield from demo.evaluate(project, draw, evaluation_at, scores, leave={demo.demo_expert_id})


def announced_tender(demo, title):
    """Open tendering of two lots, its bid deadline ten days away: registrations, a question, a clarification, a bid."""
    published = demo.local(demo.workday_back(-12), 9)
    deadline = demo.local(demo.workday_forward(10), 9, 30)
    yield published - timedelta(hours=20)
    project = demo.create(
        "tendering.open", title, "owner_soe", agent="agent2",
        lots=[{"title": "一标段 雨污管网", "budget": "9850000.00", "deposit": "190000.00"},
              {"title": "二标段 提升泵站", "budget": "3200000.00", "deposit": "60000.00"}],
        timeline={"docs_from": published, "docs_until": demo.local(demo.working_day(published, 6), 17),
                  "bid_deadline": deadline},
        params={"evaluation": "lowest_price"},
        description="城东片区约18公里雨污分流管网改造及两座提升泵站，分两个标段。")
    yield from demo.announce(project, published)
    yield from demo.registrations(project, ("bidder1", "bidder2", "bidder7"), published + timedelta(days=1, hours=1),
                                  lots={"bidder2": [0], "bidder7": [0]}, unpaid=("bidder7",))
    yield published + timedelta(days=4, hours=1, minutes=20)
    question = documents.ask(demo.bidders["bidder2"], project,
                             "一标段工程量清单第12项“DN800钢筋混凝土管”未注明管材等级，请明确。")
    yield published + timedelta(days=5, hours=6)
    documents.answer(demo.officer, question.id, "按Ⅱ级钢筋混凝土管计价，详见澄清文件第1号。", project=project)
    yield published + timedelta(days=5, hours=6, minutes=20)
    projects.amend(demo.officer, project, "澄清文件第1号：一标段工程量清单第12项管材等级为Ⅱ级，其余内容不变。", {})
    yield from demo.sealed_bids(project, {"bidder1": "9412600.00"}, demo.local(-2, 10, 20))


def opening_due_purchase(demo, title):
    """Open tender for goods whose bids open a few minutes after now: the scheduler opens them while the demo runs."""
    deadline = (demo.now + timedelta(minutes=10)).replace(second=0, microsecond=0)
    deadline -= timedelta(minutes=deadline.minute % 5)  # on a five-minute mark, five to ten minutes away
    published = demo.local(-24, 9)
    yield published - timedelta(hours=18)
    project = demo.create(
        "procurement.open", title, "owner_affairs", agent="agent_gpc",
        lots=[{"title": "包1 自助服务终端（含身份证读卡、扫码模块）", "budget": "1280000.00", "deposit": "20000.00"}],
        timeline={"docs_from": published, "docs_until": demo.local(demo.working_day(published, 6), 17),
                  "bid_deadline": deadline},
        params={"category": "goods", "evaluation": "lowest_price", "decrypt_minutes": 30})
    yield from demo.announce(project, published, ("采购文件.txt", PROCUREMENT_CHAPTERS))
    yield from demo.registrations(project, ("bidder3", "bidder4", "bidder5"), published + timedelta(days=4, hours=2))
    yield from demo.sealed_bids(project, {"bidder4": "1195000.00", "bidder3": "1226800.00"}, demo.local(-3, 15, 20),
                                every=timedelta(days=2, hours=1))
    yield from demo.sealed_bids(project, {"bidder5": "1168500.00"}, demo.recent(minutes=25))


def invited_tender(demo, title):
    """Invited tendering of three organisations, announced: one invitee has registered."""
    published = demo.local(demo.workday_back(-3), 9)
    deadline = demo.local(demo.workday_forward(local_date(published) + timedelta(days=22)), 9, 30)
    yield published - timedelta(hours=19)
    project = demo.create(
        "tendering.invited", title, "owner", agent="agent",
        lots=[{"title": "智能化改造", "budget": "2450000.00", "deposit": "40000.00"}],
        timeline={"docs_from": published, "docs_until": demo.local(demo.working_day(published, 6), 17),
                  "bid_deadline": deadline},
        params={"evaluation": "lowest_price",
                "invitees": [demo.orgs[key].id for key in ("bidder1", "bidder2", "bidder3")]})
    yield from demo.announce(project, published, ("投标邀请书及招标文件.txt", "投标邀请书\n" + TENDER_CHAPTERS))
    yield from demo.registrations(project, ("bidder3",), published + timedelta(days=1, hours=2))


def negotiation(demo, title):
    """Competitive negotiation for a small repair, announced yesterday."""
    published = demo.local(demo.workday_back(-1), 9)
    yield published - timedelta(hours=18)
    project = demo.create(
        "procurement.competitive_negotiation", title, "owner_town",
        lots=[{"title": "屋面防水维修", "budget": "380000.00"}],
        timeline={"docs_from": published, "docs_until": demo.local(demo.working_day(published, 3), 17),
                  "bid_deadline": demo.local(demo.working_day(published, 4), 9, 30)},
        params={"category": "works"})
    yield from demo.announce(project, published, ("竞争性谈判文件.txt", PROCUREMENT_CHAPTERS))


def consultation(demo, title):
    """Competitive consultation for three years of property services, announced."""
    published = demo.local(demo.workday_back(-4), 9)
    docs_until = demo.local(demo.working_day(published, 6), 17)
    deadline_day = max(local_date(published) + timedelta(days=12), local_date(docs_until) + timedelta(days=1))
    yield published - timedelta(hours=18)
    project = demo.create(
        "procurement.competitive_consultation", title, "owner_affairs", agent="agent_gpc",
        lots=[{"title": "物业管理服务（三年）", "budget": "2160000.00", "deposit": "40000.00"}],
        timeline={"docs_from": published, "docs_until": docs_until,
                  "bid_deadline": demo.local(demo.workday_forward(deadline_day), 9, 30)},
        params={"category": "services", "evaluation": "scoring",
                "criteria": [{"code": "technical", "name": "服务方案", "max": 50, "kind": "technical"},
                             {"code": "business", "name": "企业资信与项目团队", "max": 20, "kind": "business"},
                             {"code": "price", "name": "价格", "max": 30, "kind": "price"}]})
    yield from demo.announce(project, published, ("竞争性磋商文件.txt", PROCUREMENT_CHAPTERS))


def inquiry_draft(demo, title):
    """A request for quotations the officer has drafted and not published yet."""
    docs_from = demo.local(demo.workday_forward(3), 9)
    yield demo.local(-1, 16, 20)
    demo.create(
        "procurement.inquiry", title, "owner_edu", agent="agent_gpc",
        lots=[{"title": "打印纸及办公耗材", "budget": "320000.00"}],
        timeline={"docs_from": docs_from, "docs_until": demo.local(demo.working_day(docs_from, 3), 17),
                  "bid_deadline": demo.local(demo.working_day(docs_from, 4), 9, 30)},
        params={"category": "goods"})


def single_source(demo, title):
    """Single-source procurement from the original maker, in its five working days of publicity."""
    published = demo.local(demo.workday_back(-2), 9)
    docs_from = demo.local(demo.working_day(published, 5), 9)
    yield published - timedelta(hours=20)
    project = demo.create(
        "procurement.single_source", title, "owner_affairs", agent="agent_gpc",
        lots=[{"title": "安全设备原厂维保（一年）", "budget": "560000.00"}],
        timeline={"docs_from": docs_from, "docs_until": demo.local(demo.working_day(docs_from, 3), 17),
                  "bid_deadline": demo.local(demo.working_day(docs_from, 5), 9, 30)},
        params={"category": "services", "supplier_org_id": demo.orgs["bidder3"].id},
        description="原设备厂商对在用安全设备提供原厂维保服务，拟采用单一来源方式采购，现予公示。")
    yield from demo.announce(project, published, ("单一来源采购公示.txt", "一、采购项目名称和预算\n二、拟定供应商\n"
                                                                "三、采用单一来源的理由\n四、专业人员论证意见"))


def live_land_auction(demo, title):
    """A land auction live now: three developers have bid; the round lasts an hour from the last bid."""
    published = demo.local(demo.workday_back(-30), 9)
    auction_at = demo.recent(minutes=30)
    yield published - timedelta(hours=22)
    project = demo.create(
        "land.auction", title, "owner_land",
        lots=[{"title": "DC-07地块（商住用地，出让面积32,150平方米）", "start_price": "86000000.00",
               "increment": "500000.00", "reserve_price": "88000000.00", "deposit": "17200000.00"}],
        timeline={"registration_until": demo.local(-2, 17), "auction_at": auction_at},
        params={"countdown_seconds": 3600},
        description="容积率不大于2.5，建筑密度不大于30%，出让年限住宅70年、商业40年。")
    yield from demo.announce(project, published, ("拍卖出让公告及须知.txt", "一、出让地块基本情况和规划指标\n二、竞买人资格\n"
                                                                     "三、竞买保证金\n四、网上拍卖规则"))
    yield from demo.registrations(project, ("bidder6", "bidder2", "bidder1"), demo.local(-25, 10),
                                  every=timedelta(days=7, hours=3))
    lot = project.lots[0]
    # the clock takes the lot live at auction_at; each bid restarts the hour-long round
    for minutes, key, amount in ((2, "bidder6", "86000000.00"), (6, "bidder2", "86500000.00"),
                                 (11, "bidder6", "87000000.00"), (15, "bidder1", "87500000.00"),
                                 (20, "bidder6", "88000000.00"), (26, "bidder2", "88500000.00")):
        yield auction_at + timedelta(minutes=minutes)
        auction.submit_bid(demo.bidders[key], project, lot, Decimal(amount))
    yield demo.now
    auction.submit_bid(demo.bidders["bidder6"], project, lot, Decimal("89000000.00"))


def land_listing(demo, title):
    """A land listing taking quotes now (挂牌), until its close in about two weeks."""
    published = demo.local(demo.workday_back(-27), 9)
    listing_from = demo.local(-5, 9)
    yield published - timedelta(hours=21)
    project = demo.create(
        "land.listing", title, "owner_land",
        lots=[{"title": "XC-12地块（工业用地，出让面积46,800平方米）", "start_price": "42000000.00",
               "increment": "200000.00", "reserve_price": "43000000.00", "deposit": "8400000.00"}],
        timeline={"listing_from": listing_from, "listing_until": demo.local(demo.working_day(listing_from, 12), 16)},
        params={"countdown_seconds": 300})
    yield from demo.announce(project, published, ("挂牌出让公告及须知.txt", "一、出让地块基本情况和规划指标\n二、竞买人资格\n"
                                                                     "三、挂牌时间及报价规则\n四、挂牌截止时的现场竞价"))
    yield from demo.registrations(project, ("bidder6", "bidder2"), demo.local(-20, 10), every=timedelta(days=6))
    lot = project.lots[0]
    for moment, key, amount in ((demo.local(-4, 10), "bidder6", "42000000.00"),
                                (demo.local(-2, 14, 30), "bidder2", "42200000.00"),
                                (demo.local(-1, 9, 45), "bidder6", "42600000.00")):
        yield moment
        auction.submit_quote(demo.bidders[key], project, lot, Decimal(amount))


STORIES = (
    ("城东街道背街小巷综合整治工程施工", contracted_tender),
    ("市第一中学智慧教室设备采购", awarded_purchase),
    ("市城投集团所持城投智慧停车运营有限公司35%股权转让", equity_agreement),
    ("城东街道社区卫生服务站装修改造工程", failed_tender),
    ("市应急物资储备库新建工程施工", publicity_tender),
    ("市教育局中小学计算机教室设备更新采购", evaluating_purchase),
    ("城东片区雨污分流改造工程（二期）施工", announced_tender),
    ("市民服务中心自助服务终端采购", opening_due_purchase),
    ("市城建档案馆智能化改造工程", invited_tender),
    ("城东街道办事处办公楼屋面防水维修", negotiation),
    ("市机关事务管理局机关大院物业管理服务", consultation),
    ("市教育局办公用品询价采购", inquiry_draft),
    ("市政务外网安全设备原厂维保服务", single_source),
    ("城东单元DC-07地块国有建设用地使用权拍卖出让", live_land_auction),
    ("城西单元XC-12地块国有建设用地使用权挂牌出让", land_listing),
)


def load(history):
    """Walk every demo project not loaded yet (known by its title); return how many were added."""
    dbsession = history.base.dbsession
    known = set(dbsession.execute(
        select(Project.title).where(Project.title.in_([title for title, _story in STORIES]))).scalars())
    missing = [(title, story) for title, story in STORIES if title not in known]
    if not missing:
        return 0
    demo = Demo(history)
    demo.walk([story(demo, title) for title, story in missing])
    return len(missing)
