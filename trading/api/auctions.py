"""Quotes and live auctions (API.md "Quotes and live auctions")."""
from decimal import Decimal

from ..auction import AMOUNT_PATTERN
from ..errors import Conflict
from ..security import Permission
from ..services import auction, projects
from . import api_view, page_limit
from .errors import error_response

AMOUNT = {"type": "object", "properties": {"amount": {"type": "string", "pattern": AMOUNT_PATTERN}},
          "required": ["amount"]}
HISTORY = {"after": "integer", "limit": "integer", "cursor": "string"}


def _lot(request):
    project = projects.get_project(request, request.matchdict["project_id"])
    if project.kind != "auction":
        from ..errors import NotFound

        raise NotFound()
    if projects.apply_due(request, project.id):
        request.dbsession.refresh(project)
    return project, projects.get_lot(request, project, request.matchdict["lot_id"])


@api_view("api.lot.quotes", "POST", Permission.BIDS_SUBMIT, body=AMOUNT, status=201,
          summary="A listing quote (land.listing)", responses={409: "quote.too_low, quote.closed",
                                                               403: "bid.not_qualified"})
def quote(request):
    project, lot = _lot(request)
    bid = auction.submit_quote(request, project, lot, Decimal(request.json_input["amount"]))
    return {"seq": bid.seq, "amount": auction.money(bid.amount), "paddle": bid.paddle, "at": auction.instant(bid.at)}


@api_view("api.lot.quotes", "GET", Permission.PUBLIC, query=HISTORY,
          summary="The lot's history: every accepted quote and live bid in seq order (paddles, never names)")
def quotes(request):
    from ..api.pagination import decode_cursor, encode_cursor

    _project, lot = _lot(request)
    q = request.query_input
    after = max(int(q.get("after", 0)), 0)
    if q.get("cursor"):
        (after,) = decode_cursor(q["cursor"], 1)
        after = int(after) if isinstance(after, int) else 0
    limit = page_limit(request) if "limit" in q else 500
    rows = auction.history(request, lot, after=after, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": [auction.bid_json(b) for b in rows],
            "next_cursor": encode_cursor([rows[-1].seq]) if more and rows else None}


@api_view("api.lot.auction", "GET", Permission.PUBLIC, summary="The lot's auction: phase, current, leader, end")
def state(request):
    quick = auction.quick_state(request, request.matchdict["project_id"], request.matchdict["lot_id"])
    if quick is not None:
        return quick
    project, lot = _lot(request)
    return auction.auction_json(request, project, lot, auction.get_state(request, lot))


@api_view("api.lot.auction.bids", "POST", Permission.BIDS_SUBMIT, body=AMOUNT, status=201,
          summary="A live bid", responses={409: "auction.too_low, auction.already_leading, auction.not_live, auction.ended",
                                           403: "bid.not_qualified"})
def bid(request):
    amount = Decimal(request.json_input["amount"])
    try:
        done = auction.quick_bid(request, request.matchdict["project_id"], request.matchdict["lot_id"], amount)
        if done is None:
            project, lot = _lot(request)
            done = auction.submit_bid(request, project, lot, amount)
    except Conflict as error:
        # answered, not raised: a refusal wrote nothing but, at most, the bidder's paddle or the end this bid
        # discovered, which are kept; and the transaction ends in COMMIT, which keeps the connection's prepared
        # statements (psycopg drops them at a ROLLBACK). Almost every bid of a storm ends here.
        return error_response(request, error)
    accepted, ends_at = done
    return {"seq": accepted.seq, "amount": auction.money(accepted.amount), "ends_at": auction.instant(ends_at),
            "paddle": accepted.paddle}
