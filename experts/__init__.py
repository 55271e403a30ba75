"""Expert pool, specialties, import, the verifiable draw and invitations (a built-in plugin)."""
from sqlalchemy import select

from trading.hookspecs import hookimpl
from trading.legal_limits import CEILING, Limit

from . import models  # noqa: F401  (the tables)

API = "/api/v1"

# the legal numbers of the expert rules: each is the setting ggzy.rules.<name>
LIMITS = (
    Limit("experts.age_limit", 70, "years", "X198 Art 6", CEILING,
          description="Procurement draws exclude experts of this age or more on evaluation_at."),
)


@hookimpl
def ggzy_legal_limits():
    return list(LIMITS)


@hookimpl
def ggzy_includeme(config):
    add = config.add_route
    add("api.specialties", API + "/specialties")
    add("api.experts", API + "/experts")
    add("api.experts.import", API + "/experts/import")
    add("api.expert", API + "/experts/{expert_id}")
    add("api.expert.conflicts", API + "/experts/{expert_id}/conflicts")
    add("api.expert.records", API + "/experts/{expert_id}/records")
    add("api.project.draws", API + "/projects/{project_id}/expert-draws")
    add("api.draw", API + "/expert-draws/{draw_id}")
    add("api.draw.run", API + "/expert-draws/{draw_id}/run")
    add("api.draw.verify", API + "/expert-draws/{draw_id}/verify")
    add("api.draw.record", API + "/expert-draws/{draw_id}/record.pdf")
    add("api.me.invitations", API + "/me/invitations")
    add("api.invitation.accept", API + "/invitations/{invitation_id}/accept")
    add("api.invitation.decline", API + "/invitations/{invitation_id}/decline")
    add("api.lot.committee", API + "/projects/{project_id}/lots/{lot_id}/committee")
    add("api.lot.expert_records", API + "/projects/{project_id}/lots/{lot_id}/expert-records")
    # pages
    add("experts.pool", "/admin/experts")
    add("experts.new", "/admin/experts/new")
    add("experts.import", "/admin/experts/import")
    add("experts.detail", "/admin/experts/{expert_id}")
    add("experts.records", "/experts/{expert_id}/records")
    add("experts.invitations", "/expert")
    add("experts.invitation", "/expert/invitations/{invitation_id}")
    add("experts.draws", "/officer/projects/{project_id}/draws")
    add("experts.draw", "/draws/{draw_id}")
    add("experts.conduct", "/officer/projects/{project_id}/lots/{lot_id}/conduct")
    config.scan("experts.views")
    config.scan("experts.pages")


@hookimpl
def ggzy_reference_data(request):
    from .catalogue import load_specialties

    return {"specialties": load_specialties(request)}


@hookimpl
def ggzy_after_event(event, request):
    """Expert records follow the evaluation: "evaluated" and "score_deviation" when a lot is finalised."""
    if event.action == "evaluation.finalize":
        from .conduct import on_finalize

        on_finalize(event, request)


@hookimpl
def ggzy_deadline_handlers():
    from .invitations import EXPIRY, expire_at_deadline

    return {EXPIRY: expire_at_deadline}


def committee_of(dbsession, lot):
    """The accepted members of a lot's draws (or of project-wide draws), with the owner representatives."""
    from .models import Draw

    draws = dbsession.execute(
        select(Draw).where(Draw.project_id == lot.project_id, (Draw.lot_id == lot.id) | (Draw.lot_id.is_(None)),
                           Draw.status != "committed")
    ).scalars().all()
    members = []
    required = owners = 0
    for draw in draws:
        required += sum(r["count"] for r in draw.requirements)
        owners += draw.owner_representatives
        members += [(i.expert, i.specialty) for i in draw.invitations if i.status == "accepted"]
    return {"members": members, "required": required, "owner_representatives": owners,
            "complete": bool(draws) and len(members) >= required}


@hookimpl
def ggzy_committee(lot):
    """The confirmed committee of a sealed lot: {"members": [(expert, specialty)], "required", "owner_representatives", "complete"}."""
    from sqlalchemy.orm import object_session

    return committee_of(object_session(lot), lot)


@hookimpl
def ggzy_demo_data(request):
    """About 300 demo experts, and the demo login "expert" linked to one of them; no new logins."""
    from .demo import load

    load(request)
    return []
