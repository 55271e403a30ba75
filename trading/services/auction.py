"""The one auction engine (拍卖/挂牌/网络竞价) used by land and equity: phases, quotes, live bids, the result."""
import functools
import secrets
from datetime import timedelta

from sqlalchemy import bindparam, exists, func, select, update

from .. import audit, bid_memo
from ..errors import Conflict, Forbidden, NotFound
from ..hookspecs import hookimpl
from ..i18n import _, instant, local_text, money
from ..models import (AuctionBid, AuctionState, Deadline, Lot, Organization, Paddle, Project, Registration,
                      RegistrationLot)
from .projects import timeline_of

PREFIX = "auction."
END = "auction.end"


def policy_for(request, lot):
    policy = request.registry["plugin_manager"].hook.ggzy_auction_policy(lot=lot)
    if policy is None:
        raise NotFound(message=_("This lot is not auctioned."))
    # a policy belongs to a method (hookspecs.ggzy_auction_policy): remembered for the bid's quick look
    request.registry.setdefault("auction_policy_by_method", {})[lot.project.method] = policy
    return policy


def on_publish(request, project):
    """Create each lot's state; the project service schedules the policy's deadlines."""
    timeline = timeline_of(project)
    now = request.clock.now()
    for lot in project.lots:
        policy = policy_for(request, lot)
        request.dbsession.add(AuctionState(lot_id=lot.id, project_id=project.id,
                                           phase=policy.phase_before_live(timeline, now), seq=0))


def fresh_state(request, lot_id, lock=False):
    """The lot's state as committed now (read committed), not as this session first saw it; locked if asked."""
    query = select(AuctionState).where(AuctionState.lot_id == lot_id).execution_options(populate_existing=True)
    return request.dbsession.execute(query.with_for_update() if lock else query).scalar_one()


def lock_state(request, lot_id):
    return fresh_state(request, lot_id, lock=True)


def phase_of(request, project, lot, state, policy=None):
    if state.phase in ("live", "ended"):
        return state.phase
    policy = policy or policy_for(request, lot)
    return policy.phase_before_live(timeline_of(project), request.clock.now())


def qualified_orgs(request, lot):
    return request.dbsession.execute(
        select(Registration.org_id).join(RegistrationLot).where(
            RegistrationLot.lot_id == lot.id, Registration.status == "qualified")
    ).scalars().all()


def is_qualified(request, lot, org_id):
    """Whether ``org_id`` has a qualified registration for the lot: at most one row read, not the whole list."""
    if org_id is None:
        return False
    return request.dbsession.execute(
        select(Registration.id).join(RegistrationLot).where(
            RegistrationLot.lot_id == lot.id, Registration.status == "qualified", Registration.org_id == org_id)
        .limit(1)
    ).first() is not None


def paddle_for(request, lot_id, org_id):
    """The bidder's number on the lot (given when its registration qualifies): random, so it tells nothing of counts."""
    from sqlalchemy.exc import IntegrityError

    for _attempt in range(5):
        paddle = request.dbsession.get(Paddle, (lot_id, org_id))
        if paddle is not None:
            return paddle.number
        taken = set(request.dbsession.execute(select(Paddle.number).where(Paddle.lot_id == lot_id)).scalars())
        number = next(n for n in (str(100 + secrets.randbelow(900)) for _ in iter(int, 1)) if n not in taken)
        try:
            with request.dbsession.begin_nested():
                request.dbsession.add(Paddle(lot_id=lot_id, org_id=org_id, number=number,
                                             assigned_at=request.clock.now()))
        except IntegrityError:
            continue  # another transaction took this number or gave this bidder its paddle first: look again
        return number
    raise RuntimeError("no paddle number could be given")


def existing_paddle(request, lot_id, org_id):
    paddle = request.dbsession.get(Paddle, (lot_id, org_id))
    return paddle.number if paddle else None


def _check_qualified(request, lot):
    user = request.identity
    if not is_qualified(request, lot, user.org_id):
        raise Forbidden("bid.not_qualified", _("Your organisation has no qualified registration for this lot "
                                               "(registration and a paid deposit are needed)."))


def _accept(request, project, lot, state, phase, amount):
    user = request.identity
    paddle = paddle_for(request, lot.id, user.org_id)
    now = request.clock.now()
    state.seq += 1
    bid = _new_bid(request, project.id, lot.id, state.seq, paddle, amount, now, phase)
    state.current = amount
    state.leader_org_id = user.org_id
    state.leader_paddle = paddle
    return bid


def _check_running(project):
    if project.status in ("terminated", "failed"):
        raise Conflict("auction.ended", _("The project is ${status}; it takes no more bids.",
                                          mapping={"status": project.status}))


def submit_quote(request, project, lot, amount):
    """A listing quote (挂牌报价) during the listing window."""
    _check_running(project)
    policy = policy_for(request, lot)
    _check_qualified(request, lot)
    state = lock_state(request, lot.id)
    if phase_of(request, project, lot, state, policy) != "listing":
        raise Conflict("quote.closed", _("Quotes are taken only while the lot is listed."))
    policy.check_quote(lot, state, amount)
    bid = _accept(request, project, lot, state, "listing", amount)
    request.dbsession.flush()
    audit.record(request, "quote.submit", bid, {"lot_id": lot.id, "seq": bid.seq, "amount": amount,
                                                "paddle": bid.paddle, "org_id": bid.org_id, "device": bid.device},
                 project_id=project.id)
    return bid


def _end_deadline(request, lot):
    return request.dbsession.execute(
        select(Deadline).where(Deadline.name == END, Deadline.lot_id == lot.id, Deadline.done_at.is_(None))
        .with_for_update()
    ).scalar_one_or_none()


def _check_live_bid(request, policy, lot, state, amount):
    if state.phase == "ended":
        raise Conflict("auction.ended", _("The auction of this lot has ended."))
    if state.phase != "live":
        raise Conflict("auction.not_live", _("The live auction of this lot has not started."))
    if state.leader_org_id == request.identity.org_id:
        raise Conflict("auction.already_leading", _("You are already the highest bidder."))
    policy.check_live_bid(lot, state, amount)


def _round_over(state, now):
    return state.phase == "live" and state.ends_at is not None and now >= state.ends_at


@functools.cache
def _look_query():
    """A lot's prices, its project's facts, its state, and the caller's standing, in one statement built once.

    Under a storm building the statement cost as much CPU as running it. ``org_id`` is the caller's organisation
    (None for anonymous callers and staff). ``next_due`` is the project's earliest pending deadline: something is
    due when it has passed.
    """
    qualified = exists(select(Registration.id).join(RegistrationLot).where(
        RegistrationLot.lot_id == Lot.id, Registration.status == "qualified",
        Registration.org_id == bindparam("org_id")))
    next_due = select(func.min(Deadline.at)).where(Deadline.project_id == Project.id, Deadline.done_at.is_(None))
    paddle = select(Paddle.number).where(Paddle.lot_id == Lot.id, Paddle.org_id == bindparam("org_id"))
    return (select(Project.method, Project.kind, Project.status, Project.params, Lot.start_price, Lot.increment,
                   Lot.reserve_price, AuctionState.phase, AuctionState.current, AuctionState.leader_org_id,
                   AuctionState.leader_paddle, AuctionState.seq, AuctionState.ends_at, AuctionState.result,
                   AuctionState.result_reason, qualified.label("qualified"),
                   next_due.scalar_subquery().label("next_due"),
                   paddle.scalar_subquery().label("paddle"))
            .select_from(Lot).join(Project, Project.id == Lot.project_id)
            .join(AuctionState, AuctionState.lot_id == Lot.id)
            .where(Lot.id == bindparam("lot_id"), Lot.project_id == bindparam("project_id")))


def _look(request, project_id, lot_id, now):
    """The row of _look_query with the policy of its method, or (None, None) when the full path must answer."""
    user = request.identity
    org_id = user.org_id if user is not None and user.role == "bidder" else None
    # plain columns, on the session's connection: the ORM's per-statement work would cost as much as the statement
    row = request.dbsession.connection().execute(
        _look_query(), {"lot_id": lot_id, "project_id": project_id, "org_id": org_id}).first()
    policy = request.registry.get("auction_policy_by_method", {}).get(row.method) if row is not None else None
    if policy is None or row.kind != "auction" or row.status == "draft" or (
            row.next_due is not None and row.next_due <= now):
        return None, None
    return row, policy


def quick_state(request, project_id, lot_id):
    """GET .../auction for a live or ended lot from one statement (the room polls it every second); None otherwise."""
    now = request.clock.now()
    row, policy = _look(request, project_id, lot_id, now)
    if row is None or row.phase not in ("live", "ended") or _round_over(row, now):
        return None
    body = {"lot_id": lot_id, "phase": row.phase,
            "current": money(row.current) if row.current is not None else None,
            "leader_paddle": row.leader_paddle, "ends_at": instant(row.ends_at),
            "increment": money(row.increment) if row.increment is not None else None,
            "start_price": money(row.start_price) if row.start_price is not None else None,
            "bids": row.seq, "result": row.result, "result_reason": row.result_reason,
            "server_time": instant(now), "countdown_seconds": policy.countdown(row.params)}
    user = request.identity
    if row.qualified:
        body["my_paddle"] = row.paddle
        body["leading"] = row.leader_org_id == user.org_id
    if user is not None and user.role in ("officer", "inspector") and row.reserve_price is not None:
        body["reserve_price"] = money(row.reserve_price)
    return body


def _quick_look(request, project_id, lot_id, amount):
    """A live bid judged on the committed state in one statement: (row, policy, refusal or None when clear).

    (None, None, None) when anything needs the full path: 404s, phases, due deadlines, a bidder not qualified.
    A refusal writes nothing, so it needs no lock: judged on the committed state as read now, it is the answer
    the bid would have had at this instant (the price only rises, an ended lot stays ended).
    """
    user = request.identity
    if user is None or user.org_id is None:
        return None, None, None
    now = request.clock.now()
    row, policy = _look(request, project_id, lot_id, now)
    if row is None or row.status in ("terminated", "failed") or not row.qualified or row.phase != "live" \
            or _round_over(row, now):
        return None, None, None
    try:
        _check_live_bid(request, policy, row, row, amount)  # the row carries the lot's prices and the state
    except Conflict as refusal:
        # nothing of the project falls due before next_due (the round's end among its deadlines)
        bid_memo.remember_refusal(request, refusal, project_id, lot_id, user.org_id, row, policy, row.next_due)
        return row, policy, refusal
    return row, policy, None


CAS_ATTEMPTS = 3


def quick_bid(request, project_id, lot_id, amount):
    """A live bid judged and taken from one statement's row, before anything is loaded: the storm's path.

    Under contention almost every bid is outbid before it arrives: the quick look refuses those from one row, and
    they never queue for the lot's row that every accepted bid locks. A clear bid is taken at once by the
    compare-and-swap of ``submit_bid`` on the ``seq`` the look read; one that loses the race (another bid took
    that ``seq``) is looked at again, and is almost always refused then, without having loaded the project,
    the lot or the state. Returns the accepted ``(bid, ends_at)``; raises the refusal; None when the full path
    must judge the bid (``submit_bid``): anything the look cannot settle, a bidder without a paddle yet, or a
    state that kept changing.
    """
    for _attempt in range(CAS_ATTEMPTS):
        row, policy, refusal = _quick_look(request, project_id, lot_id, amount)
        if refusal is not None:
            raise refusal
        if row is None or row.paddle is None:
            return None
        now = request.clock.now()
        ends_at = max(row.ends_at, now + timedelta(seconds=policy.countdown(row.params)))
        taken = _take(request, lot_id, row.seq, now, amount, row.paddle, ends_at)
        if taken is not None:
            bid_memo.taking(request, lot_id)
            return _accepted(request, project_id, lot_id, taken, row.paddle, amount, now, ends_at), ends_at
    return None


def _take(request, lot_id, seq, now, amount, paddle, ends_at):
    """The compare-and-swap: the state moves to ``seq + 1`` only if no bid took ``seq`` and the round is live.

    On PostgreSQL two such updates of one row queue on its lock; the second, once the first commits, no longer
    matches and holds nothing. Returns the new ``seq``, or None when the state had moved.
    """
    # the table's statement on the session's connection: the ORM's bulk update machinery cost more than running it
    return request.dbsession.connection().execute(_take_statement(), {
        "the_lot": lot_id, "seen_seq": seq, "now": now, "next_seq": seq + 1, "amount": amount,
        "leader": request.identity.org_id, "paddle": paddle, "new_end": ends_at,
    }).scalar_one_or_none()


@functools.cache
def _take_statement():
    state = AuctionState.__table__
    return (update(state)
            .where(state.c.lot_id == bindparam("the_lot"), state.c.seq == bindparam("seen_seq"),
                   state.c.phase == "live", state.c.ends_at > bindparam("now"))
            .values(seq=bindparam("next_seq"), current=bindparam("amount"), leader_org_id=bindparam("leader"),
                    leader_paddle=bindparam("paddle"), ends_at=bindparam("new_end"))
            .returning(state.c.seq))


def _accepted(request, project_id, lot_id, seq, paddle, amount, now, ends_at):
    """The bid that took ``seq``: its row, the end deadline moved with the round, its audit event."""
    bid = _new_bid(request, project_id, lot_id, seq, paddle, amount, now, "live")
    request.dbsession.flush()
    _follow_end(request, lot_id, ends_at)
    _audit_bid(request, project_id, lot_id, bid, ends_at)
    return bid


def submit_bid(request, project, lot, amount):
    """A live bid on the full path; its own transaction decides, by the clock, whether the auction is running.

    The bid is judged on the committed state and then taken by the compare-and-swap on the state's ``seq``
    (``_take``); one that lost the race reads the state again and is judged again (almost always refused as
    too low now). Accepted amounts therefore rise strictly with ``seq``, and of two equal bids exactly one is
    accepted. A bid that finds the round over ends it under the locks, as the sweep does.
    """
    _check_running(project)
    policy = policy_for(request, lot)
    _check_qualified(request, lot)
    paddle = paddle_for(request, lot.id, request.identity.org_id)
    countdown = timedelta(seconds=policy.countdown(project.params))
    for _attempt in range(CAS_ATTEMPTS):
        seen = fresh_state(request, lot.id)
        now = request.clock.now()
        if _round_over(seen, now):
            break
        _check_live_bid(request, policy, lot, seen, amount)
        ends_at = max(seen.ends_at, now + countdown)
        taken = _take(request, lot.id, seen.seq, now, amount, paddle, ends_at)
        if taken is not None:
            request.dbsession.expire(seen)
            return _accepted(request, project.id, lot.id, taken, paddle, amount, now, ends_at), ends_at
    return _bid_under_locks(request, project, lot, policy, amount)


def _new_bid(request, project_id, lot_id, seq, paddle, amount, now, phase):
    bid = AuctionBid(lot_id=lot_id, project_id=project_id, seq=seq, phase=phase, org_id=request.identity.org_id,
                     paddle=paddle, amount=amount, at=now, ip=request.client_addr, device=request.client_device)
    request.dbsession.add(bid)
    return bid


def _follow_end(request, lot_id, ends_at):
    """Move the end deadline with the round, unless the sweep holds it: then the sweep finds the end moved."""
    connection = request.dbsession.connection()
    connection.execute(_follow_end_statement(connection.dialect.name == "postgresql"),
                       {"the_lot": lot_id, "new_end": ends_at})


@functools.cache
def _follow_end_statement(skip_locked):
    deadlines = Deadline.__table__
    pending = select(deadlines.c.id).where(deadlines.c.name == END, deadlines.c.lot_id == bindparam("the_lot"),
                                           deadlines.c.done_at.is_(None))
    if skip_locked:
        pending = pending.with_for_update(skip_locked=True)  # never wait for the sweep: it locks this row first
    return update(deadlines).where(deadlines.c.id.in_(pending.scalar_subquery())).values(at=bindparam("new_end"))


def _audit_bid(request, project_id, lot_id, bid, ends_at):
    audit.record(request, "auction.bid", bid, {"lot_id": lot_id, "seq": bid.seq, "amount": bid.amount,
                                               "paddle": bid.paddle, "org_id": bid.org_id, "ends_at": ends_at,
                                               "device": bid.device}, project_id=project_id)
    scheduler = request.registry.get("scheduler")
    if scheduler is not None:
        scheduler.poke()


def _bid_under_locks(request, project, lot, policy, amount):
    """The round looked over (or the state kept changing): judge the bid under the lot's locks, ending it if due."""
    # lock order: the end deadline, then the state (as the sweep does), so the two never deadlock
    deadline = _end_deadline(request, lot)
    state = lock_state(request, lot.id)
    now = request.clock.now()
    if project.status == "terminated":
        raise Conflict("auction.ended", _("The project is terminated; it takes no more bids."))
    if _round_over(state, now):
        end_live(request, project, lot, state, deadline)
    _check_live_bid(request, policy, lot, state, amount)
    bid = _accept(request, project, lot, state, "live", amount)
    state.ends_at = max(state.ends_at, now + timedelta(seconds=policy.countdown(project.params)))
    if deadline is not None:
        deadline.at = state.ends_at
    request.dbsession.flush()
    _audit_bid(request, project.id, lot.id, bid, state.ends_at)
    return bid, state.ends_at


# --- the engine's operations for the policies ----------------------------------------------------


class Engine:
    """What a policy may do to a lot when one of its deadlines falls due."""

    def __init__(self, request, project, lot, state, at):
        self.request, self.project, self.lot, self.state, self.at = request, project, lot, state, at

    @property
    def params(self):
        return self.project.params or {}

    def qualified(self):
        return qualified_orgs(self.request, self.lot)

    def quoters(self):
        return self.request.dbsession.execute(
            select(AuctionBid.org_id).where(AuctionBid.lot_id == self.lot.id, AuctionBid.phase == "listing").distinct()
        ).scalars().all()

    def set_phase(self, phase):
        self.state.phase = phase
        if self.project.status == "announced" and phase in ("listing", "live"):
            self.project.status = "auction"
        return phase

    def go_live(self, countdown):
        state = self.state
        state.phase, state.live_at = "live", self.at
        state.ends_at = self.at + timedelta(seconds=countdown)
        self.project.status = "auction"
        self.request.dbsession.add(Deadline(name=END, project_id=self.project.id, lot_id=self.lot.id, at=state.ends_at))
        audit.record(self.request, "auction.live", state, {"lot_id": self.lot.id, "ends_at": state.ends_at,
                                                           "current": state.current}, project_id=self.project.id,
                     system=True)
        return "live"

    def award(self, org_id, amount, reason):
        from .award import record_award

        state = self.state
        state.phase, state.ended_at, state.result, state.result_reason = "ended", self.at, "awarded", reason
        org = self.request.dbsession.get(Organization, org_id)
        bidders = self.request.dbsession.execute(
            select(func.count(func.distinct(AuctionBid.org_id))).where(AuctionBid.lot_id == self.lot.id)).scalar()
        record_award(self.request, self.project, self.lot, winner_org=org, amount=amount, awarded_at=self.at,
                     system=True)
        audit.record(self.request, "auction.result", state, {"lot_id": self.lot.id, "result": "awarded",
                                                             "reason": reason, "amount": amount,
                                                             "paddle": state.leader_paddle, "bidders": max(bidders, 1)},
                     project_id=self.project.id, system=True)
        return "awarded"

    def fail(self, reason):
        state = self.state
        state.phase, state.ended_at, state.result, state.result_reason = "ended", self.at, "failed", reason
        self.lot.status = "failed"
        if all(lot.status == "failed" for lot in self.project.lots):
            self.project.status = "failed"
        elif {lot.status for lot in self.project.lots} <= {"awarded", "contracted", "failed"}:
            self.project.status = "awarded"
        audit.record(self.request, "auction.result", state, {"lot_id": self.lot.id, "result": "failed",
                                                             "reason": reason, "current": state.current},
                     project_id=self.project.id, system=True)
        return "failed"

    def reaches_reserve(self, amount):
        return self.lot.reserve_price is None or (amount is not None and amount >= self.lot.reserve_price)


def end_live(request, project, lot, state, deadline=None):
    """The round passed with no bid: the leader wins if at or above the reserve, else the lot fails (流拍)."""
    at = state.ends_at
    engine = Engine(request, project, lot, state, at)
    if state.leader_org_id is not None and engine.reaches_reserve(state.current):
        outcome = engine.award(state.leader_org_id, state.current, "highest_bid")
    else:
        outcome = engine.fail("below_reserve" if state.leader_org_id else "no_bid")
    if deadline is not None:
        deadline.done_at, deadline.outcome = request.clock.now(), f"ended: {outcome}"
    request.dbsession.flush()
    return outcome


def _project_deadline(deadline, request):
    project = request.dbsession.get(Project, deadline.project_id)
    if project.status in ("terminated", "failed"):
        return "project closed"
    outcomes = []
    for lot in project.lots:
        state = lock_state(request, lot.id)
        if state.phase == "ended":
            continue
        engine = Engine(request, project, lot, state, deadline.at)
        outcomes.append(policy_for(request, lot).on_deadline(deadline.name, engine))
    request.dbsession.flush()
    return ", ".join(outcomes) or "nothing to do"


def _end_at_deadline(deadline, request):
    project = request.dbsession.get(Project, deadline.project_id)
    if project.status in ("terminated", "failed"):
        return "project closed"
    lot = next(lot for lot in project.lots if lot.id == deadline.lot_id)
    state = lock_state(request, lot.id)
    if state.phase != "live":
        return f"already {state.phase}"
    if request.clock.now() < state.ends_at:
        deadline.at = state.ends_at  # a bid moved the end: wait for it
        return "moved"
    outcome = end_live(request, project, lot, state)
    return f"ended: {outcome}"


@hookimpl
def ggzy_deadline_handlers():
    handlers = {name: _project_deadline for name in ("auction.listing_open", "auction.listing_close",
                                                     "auction.disclosure_close", "auction.start")}
    handlers[END] = _end_at_deadline
    return handlers


# --- reading ---------------------------------------------------------------------------------------


def get_state(request, lot):
    state = request.dbsession.get(AuctionState, lot.id)
    if state is None:
        raise NotFound(message=_("This lot is not auctioned."))
    return state


def auction_json(request, project, lot, state):
    policy = policy_for(request, lot)
    body = {"lot_id": lot.id, "phase": phase_of(request, project, lot, state, policy),
            "current": money(state.current) if state.current is not None else None,
            "leader_paddle": state.leader_paddle, "ends_at": instant(state.ends_at),
            "increment": money(lot.increment) if lot.increment is not None else None,
            "start_price": money(lot.start_price) if lot.start_price is not None else None,
            "bids": state.seq, "result": state.result, "result_reason": state.result_reason,
            "server_time": instant(request.clock.now()),
            "countdown_seconds": policy.countdown(project.params)}
    user = request.identity
    if user is not None and user.role == "bidder" and is_qualified(request, lot, user.org_id):
        body["my_paddle"] = existing_paddle(request, lot.id, user.org_id)
        body["leading"] = state.leader_org_id == user.org_id
    if user is not None and user.role in ("officer", "inspector") and lot.reserve_price is not None:
        body["reserve_price"] = money(lot.reserve_price)
    return body


def history(request, lot, after=0, limit=500):
    return request.dbsession.execute(
        select(AuctionBid).where(AuctionBid.lot_id == lot.id, AuctionBid.seq > after).order_by(AuctionBid.seq).limit(limit)
    ).scalars().all()


def bid_json(bid):
    return {"seq": bid.seq, "phase": bid.phase, "paddle": bid.paddle, "amount": money(bid.amount), "at": instant(bid.at)}


def deadline_text(state):
    return local_text(state.ends_at)


