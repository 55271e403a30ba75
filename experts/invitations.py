"""Invitations: sent through the notifier, answered by the expert, expired by the clock, refilled from the alternates."""
from datetime import timedelta

from sqlalchemy import select

from trading import audit
from trading.errors import Conflict, NotFound
from trading.i18n import _, instant, local_text
from trading.models import Deadline, Project
from trading.models.accounts import User
from trading.notifier import get_notifier

from .models import Draw, ExpertRecord, Invitation

EXPIRY = "experts.invitation_expiry"
STATUS_MESSAGES = {
    "accepted": _("This invitation is already accepted."),
    "declined": _("This invitation is already declined."),
    "expired": _("This invitation expired: the time to answer has passed and the next alternate was invited."),
}


def add_record(request, expert_id, kind, project_id, detail, lot_id=None, rating=None, note=None):
    request.dbsession.add(ExpertRecord(expert_id=expert_id, at=request.clock.now(), kind=kind, project_id=project_id,
                                       lot_id=lot_id, detail=detail, rating=rating, note=note))


def invite(request, invitation, draw=None, project=None):
    """Invite one drawn expert: a message through the notifier and an expiry deadline for the clock."""
    draw = draw or request.dbsession.get(Draw, invitation.draw_id)
    project = project or request.dbsession.get(Project, draw.project_id)
    now = request.clock.now()
    minutes = request.registry.settings["ggzy.invitation_minutes"]
    invitation.status = "pending"
    invitation.invited_at = now
    invitation.expires_at = now + timedelta(minutes=minutes)
    request.dbsession.add(Deadline(name=EXPIRY, project_id=project.id, lot_id=draw.lot_id, object_id=invitation.id,
                                   at=invitation.expires_at))
    expert = invitation.expert
    user = request.dbsession.execute(select(User).where(User.expert_id == expert.id)).scalars().first()
    text = request.localizer.translate(_(
        "You are invited to evaluate ${project} at ${at}. Please accept or decline on the platform before ${until}.",
        mapping={"project": project.title, "at": local_text(draw.evaluation_at), "until": local_text(invitation.expires_at)}))
    get_notifier(request.registry).send(request, channel="sms", recipient=expert.phone or "", body=text,
                                        user_id=user.id if user else None,
                                        data={"invitation_id": invitation.id, "draw_id": draw.id})
    add_record(request, expert.id, "invited", project.id, {"draw_id": draw.id, "specialty": invitation.specialty},
               lot_id=draw.lot_id)
    audit.record(request, "invitation.send", invitation, {"draw_id": draw.id, "specialty": invitation.specialty,
                                                          "expires_at": invitation.expires_at},
                 project_id=project.id, system=request.identity is None)


def _finish_expiry(request, invitation, outcome):
    for row in request.dbsession.execute(
        select(Deadline).where(Deadline.name == EXPIRY, Deadline.object_id == invitation.id, Deadline.done_at.is_(None))
    ).scalars():
        row.done_at = request.clock.now()
        row.outcome = outcome


def _invite_next(request, draw, invitation):
    """The next waiting alternate of the same requirement, or the draw reports too few experts."""
    waiting = [i for i in draw.invitations if i.requirement == invitation.requirement and i.status == "waiting"]
    if waiting:
        invite(request, sorted(waiting, key=lambda i: i.position)[0], draw=draw)
        return True
    draw.status = "insufficient"
    audit.record(request, "draw.insufficient", draw, {"specialty": invitation.specialty,
                                                      "rule": "draw.insufficient_experts"},
                 project_id=draw.project_id, system=request.identity is None)
    return False


def _complete(draw):
    needed = {index: r["count"] for index, r in enumerate(draw.requirements)}
    accepted = {}
    for i in draw.invitations:
        if i.status == "accepted":
            accepted[i.requirement] = accepted.get(i.requirement, 0) + 1
    return all(accepted.get(index, 0) >= count for index, count in needed.items())


def get_own(request, invitation_id):
    invitation = request.dbsession.execute(
        select(Invitation).where(Invitation.id == invitation_id).with_for_update()
    ).scalar_one_or_none()
    if invitation is None or invitation.expert_id != request.identity.expert_id:
        raise NotFound()
    return invitation


def _check_pending(request, invitation):
    if invitation.status == "pending" and invitation.expires_at is not None and request.clock.now() >= invitation.expires_at:
        expire(request, invitation)
    if invitation.status != "pending":
        raise Conflict("invitation.closed", STATUS_MESSAGES.get(invitation.status,
                                                                _("This invitation is no longer open.")))


def accept(request, invitation):
    _check_pending(request, invitation)
    draw = request.dbsession.get(Draw, invitation.draw_id)
    invitation.status = "accepted"
    invitation.answered_at = request.clock.now()
    _finish_expiry(request, invitation, "accepted")
    add_record(request, invitation.expert_id, "accepted", invitation.project_id, {"draw_id": draw.id}, lot_id=draw.lot_id)
    if draw.status == "drawn" and _complete(draw):
        draw.status = "complete"
    request.dbsession.flush()
    audit.record(request, "invitation.accept", invitation, {"draw_id": draw.id, "draw_status": draw.status},
                 project_id=invitation.project_id)
    return invitation


def decline(request, invitation, reason=None):
    _check_pending(request, invitation)
    draw = request.dbsession.get(Draw, invitation.draw_id)
    invitation.status = "declined"
    invitation.answered_at = request.clock.now()
    invitation.reason = reason
    _finish_expiry(request, invitation, "declined")
    add_record(request, invitation.expert_id, "declined", invitation.project_id,
               {"draw_id": draw.id, "reason": reason}, lot_id=draw.lot_id)
    audit.record(request, "invitation.decline", invitation, {"draw_id": draw.id, "reason": reason},
                 project_id=invitation.project_id)
    _invite_next(request, draw, invitation)
    request.dbsession.flush()
    return invitation


def expire(request, invitation):
    """No answer in time: the invitation expires and the next alternate is invited."""
    if invitation.status != "pending":
        return False
    draw = request.dbsession.get(Draw, invitation.draw_id)
    invitation.status = "expired"
    invitation.answered_at = request.clock.now()
    _finish_expiry(request, invitation, "expired")
    add_record(request, invitation.expert_id, "expired", invitation.project_id, {"draw_id": draw.id}, lot_id=draw.lot_id)
    audit.record(request, "invitation.expire", invitation, {"draw_id": draw.id}, project_id=invitation.project_id,
                 system=True)
    _invite_next(request, draw, invitation)
    request.dbsession.flush()
    return True


def expire_at_deadline(deadline, request):
    invitation = request.dbsession.execute(
        select(Invitation).where(Invitation.id == deadline.object_id).with_for_update()
    ).scalar_one_or_none()
    if invitation is None:
        return "no invitation"
    return "expired" if expire(request, invitation) else f"already {invitation.status}"


def invitation_json(request, invitation):
    draw = invitation.draw
    project = request.dbsession.get(Project, invitation.project_id)
    return {"id": invitation.id, "draw_id": draw.id, "project_id": project.id, "project_title": project.title,
            "project_code": project.code, "lot_id": draw.lot_id, "specialty": invitation.specialty,
            "evaluation_at": instant(draw.evaluation_at), "status": invitation.status,
            "expires_at": instant(invitation.expires_at), "invited_at": instant(invitation.invited_at)}


def mine(request):
    return request.dbsession.execute(
        select(Invitation).where(Invitation.expert_id == request.identity.expert_id, Invitation.status != "waiting")
        .order_by(Invitation.invited_at.desc())
    ).scalars().all()
