"""Remote bid opening (开标): started by the officer or the clock, the decryption window, the close."""
from datetime import timedelta

from sqlalchemy import select

from .. import audit
from ..errors import Conflict
from ..hookspecs import hookimpl
from ..i18n import _, instant, local_text, money
from ..models import Bid, Deadline, Project
from .projects import method_of, timeline_of

OPENED = ("opened", "above_ceiling")
COUNTED = ("sealed", "opened", "above_ceiling", "decrypt_failed")
DEFAULT_DECRYPT_MINUTES = 30


def _lock(request, project_id):
    return request.dbsession.execute(
        select(Project).where(Project.id == project_id).with_for_update().execution_options(populate_existing=True)
    ).scalar_one()


def _bids_by_lot(request, project):
    bids = request.dbsession.execute(
        select(Bid).where(Bid.project_id == project.id, Bid.status.in_(COUNTED)).order_by(Bid.submitted_at, Bid.id)
    ).scalars().all()
    grouped = {lot.id: [] for lot in project.lots}
    for bid in bids:
        grouped.setdefault(bid.lot_id, []).append(bid)
    return grouped


def _finish_deadline(request, project, name, outcome):
    for row in request.dbsession.execute(
        select(Deadline).where(Deadline.project_id == project.id, Deadline.name == name, Deadline.done_at.is_(None))
    ).scalars():
        row.done_at = request.clock.now()
        row.outcome = outcome


def start(request, project_id, by_clock=False):
    """Open the bids at or after the deadline; lots under the method's minimum fail unopened (流标)."""
    project = _lock(request, project_id)
    if project.kind != "sealed":
        raise Conflict("opening.not_sealed", _("Only sealed-bid projects have an opening."))
    if project.status != "announced":
        if project.opening_started_at is not None:
            return project  # a second start returns the running (or closed) opening
        raise Conflict("opening.not_announced", _("Only an announced project can be opened; this one is ${status}.",
                                                  mapping={"status": project.status}))
    deadline = timeline_of(project)["bid_deadline"]
    now = request.clock.now()
    if now < deadline:
        raise Conflict("opening.too_early", _("The opening cannot start before the bid deadline (${at}).",
                                              mapping={"at": local_text(deadline)}))
    method = method_of(request, project)
    grouped = _bids_by_lot(request, project)
    summary = []
    for lot in project.lots:
        count = len(grouped.get(lot.id, []))
        lot.status = "open" if count >= method.min_bids else "failed"
        summary.append({"lot_id": lot.id, "bids": count, "status": lot.status, "minimum": method.min_bids})
    project.opening_started_at = now
    if all(lot.status == "failed" for lot in project.lots):
        project.status = "failed"
        project.opening_closed_at = now
    else:
        minutes = int((project.params or {}).get("decrypt_minutes") or DEFAULT_DECRYPT_MINUTES)
        project.status = "opening"
        project.window_until = now + timedelta(minutes=minutes)
        request.dbsession.add(Deadline(name="sealed.opening_close", project_id=project.id, at=project.window_until))
    if not by_clock:
        _finish_deadline(request, project, "sealed.opening", "started by the officer")
    request.dbsession.flush()
    audit.record(request, "opening.start", project,
                 {"by": "clock" if by_clock else "officer", "lots": summary,
                  "window_until": project.window_until, "status": project.status}, system=by_clock)
    return project


def close(request, project_id, by_clock=False):
    """Close the window: undecrypted bids fail decryption, prices above the budget fail qualification."""
    project = _lock(request, project_id)
    if project.kind != "sealed":
        raise Conflict("opening.not_sealed", _("Only sealed-bid projects have an opening."))
    if project.status != "opening":
        if project.opening_closed_at is not None:
            return project
        raise Conflict("opening.not_open", _("No opening is running for this project."))
    now = request.clock.now()
    grouped = _bids_by_lot(request, project)
    open_lots = [lot for lot in project.lots if lot.status == "open"]
    if not by_clock and now < project.window_until:
        waiting = sum(1 for lot in open_lots for bid in grouped.get(lot.id, []) if bid.status == "sealed")
        if waiting:
            raise Conflict("opening.window_open", _("${count} bid(s) are not decrypted yet; the window closes at ${at}.",
                                                    mapping={"count": waiting, "at": local_text(project.window_until)}))
    summary = []
    for lot in open_lots:
        for bid in grouped.get(lot.id, []):
            if bid.status == "sealed":
                bid.status = "decrypt_failed"
            elif bid.status == "opened" and lot.budget is not None and bid.price is not None and bid.price > lot.budget:
                bid.status = "above_ceiling"
        lot.status = "evaluating"
        summary.append({"lot_id": lot.id, "bids": [{"bid_id": b.id, "status": b.status, "price": b.price}
                                                   for b in grouped.get(lot.id, [])]})
    project.status = "evaluating"
    project.opening_closed_at = now
    if not by_clock:
        _finish_deadline(request, project, "sealed.opening_close", "closed by the officer")
    request.dbsession.flush()
    audit.record(request, "opening.close", project, {"by": "clock" if by_clock else "officer", "lots": summary},
                 system=by_clock)
    return project


def record_json(request, project):
    """The opening as anyone may see it: progress during the window, the record (开标记录) once closed."""
    if project.opening_started_at is None:
        return {"status": "not_started", "opens_at": instant(timeline_of(project).get("bid_deadline"))}
    grouped = _bids_by_lot(request, project)
    if project.opening_closed_at is None:
        return {
            "status": "opening",
            "started_at": instant(project.opening_started_at),
            "window_until": instant(project.window_until),
            "lots": [{"lot_id": lot.id, "number": lot.number, "title": lot.title, "status": lot.status,
                      "bids_total": len(grouped.get(lot.id, [])),
                      "bids_opened": sum(1 for b in grouped.get(lot.id, []) if b.status in OPENED)}
                     for lot in project.lots],
        }
    lots = []
    for lot in project.lots:
        bids = grouped.get(lot.id, [])
        entry = {"lot_id": lot.id, "number": lot.number, "title": lot.title, "status": lot.status,
                 "budget": money(lot.budget) if lot.budget is not None else None, "bids_total": len(bids), "bids": []}
        if lot.status != "failed":
            entry["bids"] = [
                {"bid_id": b.id, "bidder_name": b.organization.name, "price": money(b.price) if b.price is not None else None,
                 "status": b.status, "submitted_at": instant(b.submitted_at), "receipt_hash": b.receipt_hash,
                 "sme": bool((b.offer or {}).get("sme"))}
                for b in bids
            ]
        lots.append(entry)
    return {"status": "closed", "started_at": instant(project.opening_started_at),
            "closed_at": instant(project.opening_closed_at), "window_until": instant(project.window_until),
            "lots": lots}


# --- the clock's transitions ------------------------------------------------------------------


def _open_at_deadline(deadline, request):
    project = start(request, deadline.project_id, by_clock=True)
    return f"opening started: {project.status}"


def _close_at_window_end(deadline, request):
    project = close(request, deadline.project_id, by_clock=True)
    return f"opening closed: {project.status}"


@hookimpl
def ggzy_deadline_handlers():
    return {"sealed.opening": _open_at_deadline, "sealed.opening_close": _close_at_window_end}
