"""The last second's too-low refusals of live bids, given again without the database.

Under a storm almost every live bid is outbid before it arrives, and each refusal cost a transaction: the token's
look-up and the lot's quick look (``services.auction.quick_bid``). A bidder's next bid usually comes within a
second and is outbid again. Each app process therefore remembers, for at most ``ggzy.bid_refusal_memo_ms``
(1,000 ms by default; 0 turns the memo off):

- for a bearer token and a lot: that the token was valid and named a bidder qualified on the lot, and until when
  the token is valid;
- for a lot: the committed state its last refusal in this process was judged on, and the earliest instant at
  which anything of its project falls due (the round's end among them).

A bid with that token on that lot, below the minimum that state names, is answered from memory with the same
409 ``auction.too_low`` the full path would give, if it comes before either instant and within the memo's time.
It rests on what the auction engine guarantees: while a lot is live its minimum only rises, so an amount below
a minimum seen earlier is below the minimum now. A bid it cannot answer while a bid of this process is being
taken on the lot waits for that one to end (at most 50 ms, before any transaction), and is looked at again.

What the memo never does: accept a bid, write anything, or tell anything that ``GET .../auction`` does not tell
anyone (the current price and the increment). Anything else goes the full path: another phase, the leader's own
bids, an amount at or above the remembered minimum, a page's session, an unusual request.

In this process the memo is exact. Every state change writes an audit event (``audit.record``) and the memo
hears of it (``ggzy_after_event``): an accepted bid forgets its bidder on that lot (who now leads), every other
event except a short list of unrelated ones forgets everything; each forgets again once its transaction commits,
and a refusal judged before a forget is not remembered after it. Another process's change reaches this one's
memo only when the memo's time runs out: for up to that time, a bid below the remembered minimum with a token
revoked there, or on a lot ended or a bidder disqualified there, is refused as too low rather than 401, 403 or
``auction.ended``. Never accepted.
"""
import json
import re
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from types import SimpleNamespace

from pyramid.response import Response
from sqlalchemy import event
from sqlalchemy.orm import Session

from .auction import AMOUNT_PATTERN
from .errors import Conflict
from .hookspecs import hookimpl

MEMO = "bid_refusal_memo"  # the registry's key
SINCE = "ggzy.bid_memo.since"  # environ: when the tween saw the bid, before anything was read
TOKEN = "ggzy.bid_memo.token"  # environ: (digest, expires_at) of the request's valid bearer token
PENDING = "ggzy.bid_memo.pending"  # session.info: what to forget again once the transaction commits
TAKING = "ggzy.bid_memo.taking"  # session.info: the lots on which this transaction took a bid
TOO_LOW = "auction.too_low"
MAX_BODY = 256  # bytes: a bid's body is {"amount": "..."}
MAX_BIDDERS = 50_000  # entries kept at most: past it the stale ones go, then all
MAX_ANSWERS = 1_000  # responses kept at most (a few per lot and language are in use at any time)
TAKING_WAIT = 0.05  # seconds a bid waits at most for a bid of this process being taken on its lot
TAKING_STALE = 1.0  # seconds after which a bid being taken is not waited for (it would have ended by then)

BID_ROUTE = "api.lot.auction.bids"
AMOUNT = re.compile(AMOUNT_PATTERN)  # the bid view's schema (api/auctions.AMOUNT)

# audit actions that change nothing a remembered refusal rests on (tokens, users, registrations, projects, lots'
# states, deadlines): every other action, a plugin's included, makes the memo forget everything
UNRELATED = frozenset({
    "alert.acknowledge", "alert.evidence", "alert.overdue", "alert.raise", "alert.resolve", "auth.login",
    "auth.login_failed", "bid.unlock_failed", "document.download", "sealed.access_denied",
    "user.password_change_refused",
})
ACCEPTED = "auction.bid"


@dataclass(slots=True)
class _Bidder:
    project_id: str
    org_id: str
    expires_at: datetime
    seen: float  # time.monotonic()


@dataclass(slots=True)
class _Lot:
    project_id: str
    state: SimpleNamespace  # the quick look's row: the lot's prices and its committed state
    policy: object
    horizon: datetime  # the earliest pending deadline of the project (the round's end is one)
    seen: float


class BidRefusalMemo:
    """One process's memory of its last refusals; thread-safe, bounded, forgetting on every change it hears of."""

    def __init__(self, seconds):
        self.seconds = seconds
        self._lock = threading.Lock()
        self._bidders = {}  # (token digest, lot id) -> _Bidder
        self._lots = {}  # lot id -> _Lot
        self._cleared = 0.0  # when everything was last forgotten
        self._forgotten = {}  # (lot id, org id) -> when that bidder was last forgotten on that lot
        self._answers = {}  # a refusal's content and language -> (status, headers, body) of its response
        self._taking = {}  # lot id -> (bids of this process being taken on it, when the last one began)
        self._taken = threading.Condition(self._lock)

    def refusal(self, digest, project_id, lot_id, amount, now):
        """The too-low refusal the full path would give this bid now, or None when the full path must judge it."""
        bidder = self._bidders.get((digest, lot_id))
        lot = self._lots.get(lot_id)
        if bidder is None or lot is None or bidder.project_id != project_id or lot.project_id != project_id:
            return None
        oldest = time.monotonic() - self.seconds
        if (bidder.seen < oldest or lot.seen < oldest or now >= bidder.expires_at or now >= lot.horizon
                or bidder.seen <= self._forgotten.get((lot_id, bidder.org_id), 0.0)):
            return None
        state = lot.state  # read once: an accepted bid of this process may replace it meanwhile
        if state.leader_org_id == bidder.org_id:
            return None  # the leader's own bid: auction.already_leading, from the full path
        try:
            lot.policy.check_live_bid(state, state, amount)
        except Conflict as refusal:
            # below the minimum named then, below the minimum now; a policy's other refusals may not hold now
            if refusal.code == TOO_LOW and refusal.details and amount < Decimal(refusal.details[0]["minimum"]):
                return refusal
        return None

    def remember(self, since, digest, expires_at, org_id, project_id, lot_id, state, policy, horizon):
        """A refusal the full path gave, judged on what it read after ``since`` (the tween's time.monotonic())."""
        with self._lock:
            if since <= self._cleared:
                return  # judged on what a change since then may have made untrue
            seen = time.monotonic()
            known = self._lots.get(lot_id)
            if known is None or known.seen < seen - self.seconds or state.seq >= known.state.seq:
                # a copy: an accepted bid of this process raises it (accepted())
                self._lots[lot_id] = _Lot(project_id, SimpleNamespace(**state._mapping), policy, horizon, seen)
            if since <= self._forgotten.get((lot_id, org_id), 0.0):
                return  # this bidder's bid was accepted since: it may lead now (the lot's minimum held)
            if len(self._bidders) >= MAX_BIDDERS:
                self._prune(seen)
            self._bidders[(digest, lot_id)] = _Bidder(project_id, org_id, expires_at, seen)

    def answer(self, request, refusal):
        """The response to ``refusal``: built by ``error_response`` once per wording and language, then copied.

        Every bidder below one minimum is refused in the same words; translating and encoding them again for
        each was a third of the cost of a refusal from memory.
        """
        mapping = getattr(refusal.message, "mapping", None) or {}
        key = (request.locale_name, refusal.code, str(refusal.message), tuple(sorted(mapping.items())),
               repr(refusal.details))
        kept = self._answers.get(key)
        if kept is None:
            from .api.errors import error_response

            response = error_response(request, refusal)
            kept = (response.status, list(response.headerlist), response.body)
            with self._lock:
                if len(self._answers) >= MAX_ANSWERS:
                    self._answers.clear()
                self._answers[key] = kept
        status, headers, body = kept
        return Response(body=body, status=status, headerlist=list(headers))

    def taking(self, lot_id):
        """A bid of this process took the lot's ``seq``; ``taken`` when its transaction ends, however it ends."""
        with self._lock:
            count, _began = self._taking.get(lot_id, (0, 0.0))
            self._taking[lot_id] = (count + 1, time.monotonic())

    def taken(self, lot_id):
        with self._lock:
            count, began = self._taking.pop(lot_id, (1, 0.0))
            if count > 1:
                self._taking[lot_id] = (count - 1, began)
            self._taken.notify_all()

    def wait_taken(self, lot_id):
        """While a bid of this process is being taken on the lot, wait (at most TAKING_WAIT) for its end.

        Most bids the memory cannot refuse arrive while another is being taken: they would pass the quick look,
        lose the compare-and-swap to it on the lot's row, and be refused after a second look. Waiting here
        instead, before any transaction, lets the memory refuse them once the bid commits and raises the
        minimum. True if it waited. A bid taken longer ago than TAKING_STALE is not waited for.
        """
        taking = self._taking.get(lot_id)
        if taking is None or time.monotonic() - taking[1] > TAKING_STALE:
            return False
        with self._lock:
            self._taken.wait_for(lambda: lot_id not in self._taking, TAKING_WAIT)
        return True

    def forget_all(self):
        with self._lock:
            self._bidders.clear()
            self._lots.clear()
            self._forgotten.clear()
            self._cleared = time.monotonic()

    def forget_bidder(self, lot_id, org_id):
        """The bidder's bid on the lot is being accepted: it may lead, whose bids the full path answers."""
        with self._lock:
            self._forgotten[(lot_id, org_id)] = time.monotonic()

    def accepted(self, lot_id, org_id, seq, amount):
        """A bid of this process committed: its bidder is forgotten on the lot, whose minimum rises with it."""
        with self._lock:
            self._forgotten[(lot_id, org_id)] = time.monotonic()
            known = self._lots.get(lot_id)
            if known is not None and seq > known.state.seq:
                # the rest of the row (phase, deadlines) is no fresher for it: ``seen`` stays
                known.state = SimpleNamespace(**{**vars(known.state), "seq": seq, "current": amount,
                                                 "leader_org_id": org_id})

    def _prune(self, seen):
        oldest = seen - self.seconds
        self._bidders = {key: bidder for key, bidder in self._bidders.items() if bidder.seen >= oldest}
        if len(self._bidders) >= MAX_BIDDERS:
            self._bidders.clear()
        # a request older than this is long answered: its forgets no longer matter
        self._forgotten = {key: at for key, at in self._forgotten.items() if at >= seen - 600}


def get_memo(registry):
    return registry.get(MEMO)


# --- hearing of changes ----------------------------------------------------------------------------------


@hookimpl
def ggzy_after_event(event, request):
    """An accepted bid forgets its bidder on the lot; any related change forgets everything. Again at commit."""
    memo = get_memo(request.registry)
    if memo is None or event.action in UNRELATED:
        return
    if event.action == ACCEPTED:
        data = json.loads(event.data)
        memo.forget_bidder(data["lot_id"], data["org_id"])
        # once committed, and only then, the bid's amount is the lot's
        again = (memo.accepted, (data["lot_id"], data["org_id"], data["seq"], Decimal(data["amount"])))
    else:
        memo.forget_all()
        again = (memo.forget_all, ())
    # a refusal read before this commits could be remembered after the forget: the commit forgets once more
    request.dbsession.info.setdefault(PENDING, []).append(again)


@event.listens_for(Session, "after_commit")
def _forget_at_commit(session):
    """The transaction's own commit, not a savepoint's (what a rolled-back one leaves costs one more forget)."""
    if PENDING in session.info and not session.in_nested_transaction():
        for forget, args in session.info.pop(PENDING):
            forget(*args)


@event.listens_for(Session, "after_transaction_end")
def _taken_at_end(session, transaction):
    """Committed (after the commit's forgets above), rolled back or closed by an abort: the bid is no longer taken."""
    if transaction.parent is None and TAKING in session.info:
        for memo, lot_id in session.info.pop(TAKING):
            memo.taken(lot_id)


def taking(request, lot_id):
    """The request's transaction took a bid on the lot (``BidRefusalMemo.wait_taken``)."""
    memo = get_memo(request.registry)
    if memo is not None:
        memo.taking(lot_id)
        request.dbsession.info.setdefault(TAKING, []).append((memo, lot_id))


# --- answering from memory -----------------------------------------------------------------------------


def _bid_in_memory(memo, request, match):
    """The remembered refusal of this bid, or None: any doubt about the request is the full path's to answer."""
    from .security import bearer_token, token_digest  # (security imports this module)

    token = bearer_token(request)
    if not token:
        return None
    if request.content_type != "application/json" or not 0 < (request.content_length or 0) <= MAX_BODY:
        return None
    try:
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return None
    if type(data) is not dict or len(data) != 1 or type(data.get("amount")) is not str:
        return None
    if AMOUNT.match(data["amount"]) is None:
        return None
    project_id, lot_id = match["project_id"], match["lot_id"]
    digest, amount = token_digest(token), Decimal(data["amount"])
    refusal = memo.refusal(digest, project_id, lot_id, amount, request.clock.now())
    if refusal is None and memo.wait_taken(lot_id):
        refusal = memo.refusal(digest, project_id, lot_id, amount, request.clock.now())
    return refusal


def bid_memo_tween_factory(handler, registry):
    """Above the transaction: a remembered refusal costs no transaction, no session and no statement."""
    from pyramid.interfaces import IRoutesMapper

    memo = get_memo(registry)
    if memo is None:
        return handler
    route = registry.getUtility(IRoutesMapper).get_route(BID_ROUTE)  # its own matcher: the ids its view gets

    def bid_memo_tween(request):
        environ = request.environ
        if environ["REQUEST_METHOD"] == "POST" and not environ.get("QUERY_STRING"):
            try:
                match = route.match(request.path_info)
            except UnicodeDecodeError:  # the router answers it
                match = None
            if match is not None:
                environ[SINCE] = time.monotonic()
                refusal = _bid_in_memory(memo, request, match)
                if refusal is not None:
                    return memo.answer(request, refusal)
        return handler(request)

    return bid_memo_tween


def remember_refusal(request, refusal, project_id, lot_id, org_id, state, policy, next_due):
    """After the full path refused a live bid on ``state``: remember a too-low refusal if a bearer token named the
    bidder. ``next_due`` is the project's earliest pending deadline."""
    memo = get_memo(request.registry)
    since = request.environ.get(SINCE)
    token = request.environ.get(TOKEN)
    horizons = [at for at in (next_due, state.ends_at) if at is not None]
    if memo is None or since is None or token is None or refusal.code != TOO_LOW or not horizons:
        return
    digest, expires_at = token
    memo.remember(since, digest, expires_at, org_id, project_id, lot_id, state, policy, min(horizons))


def includeme(config):
    milliseconds = config.get_settings()["ggzy.bid_refusal_memo_ms"]
    if milliseconds:
        config.registry[MEMO] = BidRefusalMemo(milliseconds / 1000)
    # above the transaction, and under the security headers, which a remembered refusal carries as any other
    config.add_tween("trading.bid_memo.bid_memo_tween_factory", under="trading.headers.security_headers_tween_factory",
                     over="trading.tweens.database_down_factory")
