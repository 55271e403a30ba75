"""The auction room (竞价大厅): one lot's price, countdown, history and bid controls, live for everyone who may watch."""
import re
from decimal import Decimal

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.view import view_config

from ..errors import DomainError, NotFound, RequestInvalid, field_error
from ..i18n import LOCAL_TZ, _, money
from ..methods import MONEY_PATTERN
from ..security import Permission
from ..services import auction, projects, registrations
from ..services import award as awards
from . import flash, form_errors

# the newest entries the page renders; the script adds the later ones as they come
ROOM_HISTORY = 200
# the largest multiple of the increment one bid may add: a typo guard, not a rule of the engine
MAX_STEPS = 100

# TRANSLATORS: the phases of an auction lot as the auction room shows them
PHASES = {
    "registration": _("Registration open"),
    "listing": _("Listing: quotes accepted"),
    "waiting": _("Waiting for the live auction"),
    "live": _("Live auction"),
    "ended": _("Ended"),
    # not an engine phase: what the room shows for a lot of a terminated project (终止)
    "terminated": _("Terminated"),
}
PHASE_NOTES = {
    "registration": _("Registration is open; bidding has not started."),
    "listing": _("Qualified bidders may quote until the listing closes. If two or more bidders quote, a live "
                 "auction follows from the highest quote."),
    "waiting": _("Registration is closed. The live auction starts at the time shown."),
    "live": _("Each accepted bid starts a new countdown round. When a round ends with no bid, the highest bid wins "
              "if it reaches the reserve price; otherwise the lot fails (流拍)."),
    "ended": _("Bidding is over."),
    "terminated": _("The project was terminated; no quotes or bids are taken."),
}
# what the countdown counts down to in each phase before the live auction: the first timeline field the lot has
NEXT_EVENTS = {
    "registration": ("listing_from", "disclosure_until", "auction_at"),
    "listing": ("listing_until",),
    "waiting": ("auction_at",),
}
NEXT_LABELS = {
    "listing_from": _("Listing opens in"),
    "listing_until": _("Listing closes in"),
    "disclosure_until": _("Disclosure ends in"),
    "auction_at": _("Live auction starts in"),
}
HISTORY_PHASES = {
    # TRANSLATORS: a history entry made during the listing (挂牌报价)
    "listing": _("Quote"),
    # TRANSLATORS: a history entry made during the live auction (竞价)
    "live": _("Bid"),
}
RESULT_REASONS = {
    "highest_bid": _("The highest bid when the last round ended reached the reserve price."),
    "single_quote": _("Only one bidder quoted during the listing, and the quote reached the reserve price."),
    "agreement_transfer": _("Only one transferee qualified: the transfer is agreed at the listing price (协议转让)."),
    "below_reserve": _("The highest amount did not reach the reserve price."),
    "no_bid": _("Nobody bid in the live auction."),
    "no_quote": _("Nobody quoted during the listing."),
    "no_transferee": _("No transferee qualified."),
    "no_bidder": _("No bidder qualified."),
}
# the room's own words for each refusal; ${minimum} and the like come from the error's details
MESSAGES = {
    "auction.too_low": _("Your bid is too low: the lowest acceptable bid now is ${minimum} CNY."),
    "quote.too_low": _("Your quote is too low: the lowest acceptable quote now is ${minimum} CNY."),
    "auction.already_leading": _("You are already the highest bidder; you may bid again once someone outbids you."),
    "auction.not_live": _("The live auction has not started; bids are taken only while it is live."),
    "auction.ended": _("The auction has ended; no more bids are taken."),
    "quote.closed": _("Quotes are taken only while the lot is listed; the listing is not open now."),
    "bid.not_qualified": _("Your organisation is not qualified for this lot. Register for the lot and pay the deposit "
                           "in full before the registration closes."),
    "auth.forbidden": _("The page's security token has expired: reload the page, then bid again."),
    "auth.required": _("Your session has ended: log in again to bid."),
    "request.invalid": _("The amount is not valid."),
    "server.error": _("The server could not take the bid; try again."),
    "network": _("The connection to the server failed: your bid may not have arrived. Check the history before "
                 "bidding again."),
    "outbid": _("You have been outbid: paddle ${paddle} leads at ${amount} CNY."),
    "leading": _("You lead at ${amount} CNY."),
    "price": _("Current price ${amount} CNY, paddle ${paddle} leads."),
    "accepted.bid": _("Your bid of ${amount} CNY is accepted (no. ${seq})."),
    "accepted.quote": _("Your quote of ${amount} CNY is accepted (no. ${seq})."),
    "went_live": _("The live auction has started."),
    "ended": _("The auction has ended."),
    "closing": _("The round is over; the result follows in a moment."),
    "awarded": _("Awarded to ${who} at ${amount} CNY."),
    "paddle": _("paddle ${paddle}"),
    "failed": _("The lot failed (流拍): no result."),
    "won": _("Your organisation won this lot. The transaction confirmation (成交确认书) is issued in its name."),
    "stale": _("The connection to the server is interrupted; the figures may be out of date. Retrying…"),
}
# the placeholders each message leaves for the script to fill
SCRIPT_FIELDS = ("minimum", "paddle", "amount", "seq", "who")
STEPS_PATTERN = re.compile(r"^[0-9]{1,3}$")


# --- formatting --------------------------------------------------------------------------------


def grouped(value):
    """An amount for reading at a glance: two places with thousands separators (12,500,000.00); never a float."""
    if value is None:
        return "—"
    return format(Decimal(money(value)), ",.2f")


def clock_text(moment):
    """An instant in Beijing time to the second: bids in a live round are seconds apart."""
    if moment is None:
        return ""
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S")


def _ms(moment):
    return int(moment.timestamp() * 1000) if moment is not None else None


def _script_message(request, msgid):
    """A message for the script: translated, its placeholders left as {name}."""
    return request.localizer.translate(msgid, mapping={name: "{" + name + "}" for name in SCRIPT_FIELDS})


# --- the room ----------------------------------------------------------------------------------


def _lot(request):
    """The project and lot after their due transitions (DESIGN.md); 404 for a lot that is not auctioned."""
    project = projects.get_project(request, request.matchdict["project_id"])
    if project.kind != "auction":
        raise NotFound(message=_("This lot is not auctioned."))
    if projects.apply_due(request, project.id):
        request.dbsession.refresh(project)
    return project, projects.get_lot(request, project, request.matchdict["lot_id"])


def _own_registration(request, project, lot):
    """(the bidder's registration covering this lot or None, whether registration is still open)."""
    user = request.identity
    if user is None or user.role != "bidder" or user.org_id is None:
        return None, False
    own = [r for r in registrations.list_for(request, project) if lot.id in r.lot_ids]
    closes = registrations.registration_closes_at(request, project)
    still_open = (project.status in ("announced", "auction") and closes is not None
                  and request.clock.now() < closes)
    return (own[0] if own else None), still_open


def _next_event(phase, timeline):
    for name in NEXT_EVENTS.get(phase, ()):
        if name in timeline:
            return name, timeline[name]
    return None, None


def _history(request, lot, state):
    rows = auction.history(request, lot, after=max(state.seq - ROOM_HISTORY, 0), limit=ROOM_HISTORY)
    return list(reversed(rows))


def room_values(request, project, lot, refusal=None, values=None):
    """Everything the room shows; the figures are the API's own (auction_json), so page and polls agree."""
    state = auction.get_state(request, lot)
    room = auction.auction_json(request, project, lot, state)
    now = request.clock.now()
    timeline = projects.timeline_of(project)
    phase = room["phase"]
    current = state.current
    base = current if current is not None else lot.start_price
    min_steps = 1 if current is not None else 0
    my_paddle = room.get("my_paddle")
    terminated = project.status == "terminated"
    biddable = {"listing": "quote", "live": "bid"}
    registration, registration_open = _own_registration(request, project, lot)
    award = awards.get_award(request, lot) if room["result"] == "awarded" else None
    next_name, next_at = _next_event(phase, timeline)
    history = _history(request, lot, state)
    return {
        "project": project,
        "lot": lot,
        "method": projects.method_of(request, project),
        "room": room,
        "phase": phase,
        "shown_phase": "terminated" if terminated and phase != "ended" else phase,
        "phases": PHASES,
        "phase_notes": PHASE_NOTES,
        "current": current,
        "base": money(base) if base is not None else "",
        "min_steps": min_steps,
        "max_steps": MAX_STEPS,
        "quick_amount": base + min_steps * lot.increment if base is not None and lot.increment else None,
        "my_paddle": my_paddle,
        "leading": room.get("leading", False),
        "reserve_price": room.get("reserve_price"),
        # qualified bidders get the controls in every phase but the end; the script shows them when bids are taken
        "bidder_controls": my_paddle is not None and phase != "ended" and not terminated,
        "mode": biddable.get(phase),
        "terminated": terminated,
        "registration": registration,
        "registration_open": registration_open,
        "is_bidder": request.identity is not None and request.identity.role == "bidder",
        "history": history,
        "history_total": state.seq,
        "history_phases": HISTORY_PHASES,
        "result_reason": RESULT_REASONS.get(state.result_reason) if state.result else None,
        "award": award,
        "won": (award is not None and request.identity is not None and request.identity.org_id is not None
                and award.winner_org_id == request.identity.org_id),
        "now": now,
        "now_ms": _ms(now),
        "ends_at": state.ends_at,
        "next_label": NEXT_LABELS.get(next_name),
        "next_at": next_at,
        "targets": {name: _ms(timeline[name]) for name in NEXT_LABELS if name in timeline},
        "target_labels": {name: request.localizer.translate(NEXT_LABELS[name]) for name in NEXT_LABELS},
        "next_events": NEXT_EVENTS,
        "script_messages": {code: _script_message(request, msgid) for code, msgid in MESSAGES.items()},
        "phase_texts": {code: request.localizer.translate(text) for code, text in PHASES.items()},
        "phase_note_texts": {code: request.localizer.translate(text) for code, text in PHASE_NOTES.items()},
        "history_phase_texts": {code: request.localizer.translate(text) for code, text in HISTORY_PHASES.items()},
        "refusal": refusal,
        "values": values or {},
        "grouped": grouped,
        "clock_text": clock_text,
    }


@view_config(route_name="auction.room", renderer="auction/room.jinja2", request_method="GET",
             permission=Permission.PUBLIC)
def room(request):
    project, lot = _lot(request)
    return room_values(request, project, lot)


# --- a bid or quote without JavaScript ---------------------------------------------------------


def refusal_of(request, error):
    """A refusal as the room shows it: the room's own words for the code (with the minimum), then the service's."""
    shown = form_errors(request, error)
    msgid = MESSAGES.get(error.code)
    minimum = next((d.get("minimum") for d in error.details if isinstance(d, dict) and d.get("minimum")), None)
    if msgid is not None and ("${minimum}" not in msgid or minimum is not None):
        shown["headline"] = request.localizer.translate(
            msgid, mapping={"minimum": grouped(minimum) if minimum is not None else ""})
    else:
        shown["headline"] = shown["message"]
    shown["minimum"] = minimum
    return shown


def _parse(request, lot):
    """(mode, amount) from the form: the amount is the base the page showed plus a whole number of increments."""
    mode = request.POST.get("mode", "")
    base = request.POST.get("base", "").strip()[:32]
    steps = request.POST.get("steps", "").strip()[:8]
    details = []
    if mode not in ("quote", "bid"):
        details.append(field_error("mode", _("Unknown action.")))
    if not re.fullmatch(MONEY_PATTERN, base):
        details.append(field_error("base", _("The page's current price is missing; reload the page.")))
    if not STEPS_PATTERN.match(steps) or not 0 <= int(steps) <= MAX_STEPS:
        details.append(field_error("steps", _("Enter a whole number of increments from 0 to ${max}.",
                                              mapping={"max": MAX_STEPS})))
    if details:
        raise RequestInvalid(details=details)
    return mode, Decimal(base) + int(steps) * lot.increment


@view_config(route_name="auction.room", renderer="auction/room.jinja2", request_method="POST",
             permission=Permission.BIDS_SUBMIT)
def room_bid(request):
    """The room's form without JavaScript: the same services as the API, then back to the room (303)."""
    project, lot = _lot(request)
    values = {"steps": request.POST.get("steps", "")[:8]}
    try:
        mode, amount = _parse(request, lot)
        if mode == "quote":
            accepted = auction.submit_quote(request, project, lot, amount)
        else:
            accepted, _state = auction.submit_bid(request, project, lot, amount)
    except DomainError as error:
        # auction.ended is kept, not rolled back: the bid discovered the end and applied it (as the API does)
        if error.code != "auction.ended":
            request.tm.doom()
        request.response.status_int = error.status
        return room_values(request, project, lot, refusal=refusal_of(request, error), values=values)
    message = MESSAGES["accepted.quote" if mode == "quote" else "accepted.bid"]
    flash(request, request.localizer.translate(message, mapping={"amount": grouped(accepted.amount),
                                                                 "seq": accepted.seq}))
    return HTTPSeeOther(location=request.route_url("auction.room", project_id=project.id, lot_id=lot.id,
                                                   _anchor="bid"))
