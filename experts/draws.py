"""The verifiable random draw (随机抽取) of evaluation experts, exactly as API.md "Expert pool and draw" states it."""
import hashlib
import json
import secrets
from datetime import timedelta

from sqlalchemy import and_, func, select

from trading import audit
from trading.errors import Conflict, NotFound, RequestInvalid, RulesViolated, RuleViolation, field_error
from trading.i18n import _, instant, local_text
from trading.models import Bid, Organization, Project
from trading.rules import local_date
from trading.services.projects import get_lot, timeline_of

from .models import Draw, Expert, ExpertConflict, ExpertSpecialty, Invitation

SAME_OWNER_DAYS = 180
MEMBER_STATUSES = ("pending", "accepted")


def sha256(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def canonical(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


# --- the published algorithm ----------------------------------------------------------------


def commitment_of(nonce):
    return sha256(nonce)


def eligible_hash_of(eligible):
    return sha256(canonical(eligible))


def seed_of(nonce, eligible_hash, head):
    return sha256(nonce + eligible_hash + head)


def select_experts(seed, eligible, requirements, alternates):
    """For each requirement in order: its eligible experts less those already placed, by sha256(seed ‖ id).

    Returns [(specialty, members, alternates)], or raises RulesViolated when a
    requirement has fewer eligible experts than its count.
    """
    placed = set()
    chosen = []
    short = []
    for requirement in requirements:
        specialty, count = requirement["specialty"], requirement["count"]
        pool = [expert_id for expert_id in eligible.get(specialty, []) if expert_id not in placed]
        if len(pool) < count:
            short.append(RuleViolation(
                "draw.insufficient_experts",
                _("Specialty ${specialty} needs ${needed} experts; only ${eligible} are eligible.",
                  mapping={"specialty": specialty, "needed": count, "eligible": len(pool)}),
                specialty=specialty, needed=count, eligible=len(pool)))
            continue
        ordered = sorted(pool, key=lambda expert_id: sha256(seed + expert_id))
        members, spare = ordered[:count], ordered[count:count + alternates]
        placed.update(members)
        placed.update(spare)
        chosen.append((specialty, members, spare))
    if short:
        raise RulesViolated(short)
    return chosen


# --- creation --------------------------------------------------------------------------------


def create(request, project, data):
    """A committed draw: the nonce stays secret until the run, its hash is published now."""
    lot = get_lot(request, project, data["lot_id"]) if data.get("lot_id") else None
    requirements = [{"specialty": r["specialty"].strip().upper(), "count": int(r["count"])} for r in data["requirements"]]
    codes = [r["specialty"] for r in requirements]
    if len(set(codes)) != len(codes):
        raise RequestInvalid(details=[field_error("requirements", _("A specialty may appear only once in a draw."))])
    from .pool import known_specialties

    unknown = known_specialties(request.dbsession, codes)
    if unknown:
        raise RequestInvalid(details=[field_error("requirements", _("Unknown specialty codes: ${codes}.",
                                                                    mapping={"codes": ", ".join(unknown)}))])
    from trading.timeutil import parse_instant

    try:
        evaluation_at = parse_instant(data["evaluation_at"])
    except ValueError:
        raise RequestInvalid(details=[field_error("evaluation_at", _("Must be an RFC 3339 instant with an offset."))]) from None
    deadline = timeline_of(project).get("bid_deadline")
    now = request.clock.now()
    if project.kind != "sealed" or deadline is None:
        raise Conflict("draw.not_sealed", _("Only sealed-bid projects have evaluation committees."))
    if now < deadline:
        raise Conflict("draw.too_early", _("Experts are drawn after the bid deadline (${at}).", mapping={"at": local_text(deadline)}))
    if project.status in ("terminated", "failed"):
        raise Conflict("draw.project_closed", _("The project is ${status}.", mapping={"status": project.status}))
    if evaluation_at < max(now, deadline):
        raise RulesViolated([RuleViolation("draw.evaluation_time",
                                           _("The evaluation time must be after the bid deadline and in the future."),
                                           field="evaluation_at")])
    owners = int(data.get("owner_representatives") or 0)
    alternates = int(data.get("alternates") if data.get("alternates") is not None else 3)
    _check_composition(request, project, lot, requirements, owners)
    nonce = secrets.token_hex(32)
    draw = Draw(project_id=project.id, lot_id=lot.id if lot else None, owner_org_id=project.owner_org_id,
                requirements=requirements, owner_representatives=owners, alternates=alternates,
                evaluation_at=evaluation_at, status="committed", nonce=nonce, commitment=commitment_of(nonce),
                created_at=now, created_by=request.identity.id if request.identity else None)
    request.dbsession.add(draw)
    request.dbsession.flush()
    audit.record(request, "draw.create", draw, {"lot_id": draw.lot_id, "requirements": requirements,
                                                "owner_representatives": owners, "alternates": alternates,
                                                "evaluation_at": evaluation_at, "commitment": draw.commitment},
                 project_id=project.id)
    return draw


def _check_composition(request, project, lot, requirements, owners):
    """At least the method's minimum and odd; drawn experts at least two thirds (TBL Art 37, O87 Art 47, O74 Art 7)."""
    drawn = sum(r["count"] for r in requirements)
    total = drawn + owners
    minimum = request.registry["plugin_manager"].hook.ggzy_committee_minimum(
        project=project, lot=lot, limits=request.registry["legal_limits"]) or 5
    problems = []
    if total < minimum:
        problems.append(_("The committee needs at least ${minimum} members; this one has ${total}.",
                          mapping={"minimum": minimum, "total": total}))
    if total % 2 == 0:
        problems.append(_("The committee needs an odd number of members; this one has ${total}.", mapping={"total": total}))
    if drawn * 3 < total * 2:
        problems.append(_("Drawn experts must be at least two thirds of the committee (${drawn} of ${total}).",
                          mapping={"drawn": drawn, "total": total}))
    if problems:
        raise RulesViolated([RuleViolation("draw.composition", message, minimum=minimum, total=total, drawn=drawn)
                             for message in problems])


# --- eligibility -----------------------------------------------------------------------------


def _prefix_filter(column, prefix):
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return and_(column >= prefix, column < upper, column.like(escaped + "%", escape="\\"))


def parties(request, project):
    """The usccs an expert must not work for: the owner, the agent, every organisation that bid."""
    owner = request.dbsession.get(Organization, project.owner_org_id)
    agent = request.dbsession.get(Organization, project.agent_org_id) if project.agent_org_id else None
    bidders = set(request.dbsession.execute(
        select(Organization.uscc).join(Bid, Bid.org_id == Organization.id).where(Bid.project_id == project.id)
    ).scalars())
    return (owner.uscc if owner else None), (agent.uscc if agent else None), bidders


def eligibility(request, draw, project):
    """({specialty: sorted eligible ids}, [{"expert_id", "reason"}]) at the draw's evaluation time."""
    dbsession = request.dbsession
    owner_uscc, agent_uscc, bidder_usccs = parties(request, project)
    party_usccs = {u for u in (owner_uscc, agent_uscc, *bidder_usccs) if u}
    candidates = {}
    facts = {}
    for requirement in draw.requirements:
        specialty = requirement["specialty"]
        found = candidates[specialty] = set()
        # the facts come with the holders in one join: sending ~20,000 ids back in IN lists
        # cost more than all the rest of the draw (binding, sending and parsing the parameters)
        for row in dbsession.execute(
            select(Expert.id, Expert.status, Expert.suspended_until, Expert.employer_uscc, Expert.birth_date)
            .join(ExpertSpecialty, ExpertSpecialty.expert_id == Expert.id)
            .where(_prefix_filter(ExpertSpecialty.code, specialty))
        ):
            facts[row[0]] = tuple(row)
            found.add(row[0])
    if not facts:
        return {r["specialty"]: [] for r in draw.requirements}, []
    conflicted = set(dbsession.execute(
        select(ExpertConflict.expert_id).where(ExpertConflict.org_uscc.in_(list(party_usccs)))
    ).scalars()) if party_usccs else set()
    members = set(dbsession.execute(
        select(Invitation.expert_id).where(Invitation.project_id == project.id, Invitation.draw_id != draw.id,
                                           Invitation.status.in_(MEMBER_STATUSES))
    ).scalars())
    limit = request.registry.settings["ggzy.expert_max_same_owner"]
    since = draw.evaluation_at - timedelta(days=SAME_OWNER_DAYS)
    busy = {expert_id for expert_id, count in dbsession.execute(
        select(Invitation.expert_id, func.count(func.distinct(Draw.project_id)))
        .join(Draw, Draw.id == Invitation.draw_id)
        .where(Draw.owner_org_id == draw.owner_org_id, Draw.id != draw.id, Invitation.status == "accepted",
               Draw.evaluation_at >= since)
        .group_by(Invitation.expert_id)
    ) if count > limit}
    evaluation_day = local_date(draw.evaluation_at)
    age_applies = project.sector == "procurement"
    age_limit = request.registry["legal_limits"]["experts.age_limit"]  # X198 Art 6, or a stricter centre's

    evaluation_at = draw.evaluation_at

    # positional fields: attribute access on 20,000 rows costs ~50 ms, unpacking them ~2 ms
    def reason_for(expert_id, status, suspended_until, employer_uscc, birth_date):
        if status != "active" and (suspended_until is None or suspended_until > evaluation_at):
            return "suspended"
        if employer_uscc and employer_uscc == owner_uscc:
            return "employer_owner"
        if employer_uscc and employer_uscc == agent_uscc:
            return "employer_agent"
        if employer_uscc and employer_uscc in bidder_usccs:
            return "employer_bidder"
        if expert_id in conflicted:
            return "conflict"
        if expert_id in members:
            return "already_member"
        if expert_id in busy:
            return "same_owner_limit"
        if age_applies and _age(birth_date, evaluation_day) >= age_limit:
            return "age"
        return None

    reasons = {expert_id: reason_for(*fact) for expert_id, fact in facts.items()}
    eligible = {specialty: sorted(e for e in found if reasons[e] is None) for specialty, found in candidates.items()}
    exclusions = [{"expert_id": e, "reason": r} for e, r in sorted((e, r) for e, r in reasons.items() if r is not None)]
    return eligible, exclusions


def _age(birth, on):
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


# --- the run ---------------------------------------------------------------------------------


def get(request, draw_id, for_update=False):
    query = select(Draw).where(Draw.id == draw_id)
    if for_update:
        query = query.with_for_update()
    draw = request.dbsession.execute(query).scalar_one_or_none()
    if draw is None:
        raise NotFound()
    return draw


def run(request, draw):
    if draw.status != "committed":
        raise Conflict("draw.already_run", _("This draw has already been run."))
    project = request.dbsession.get(Project, draw.project_id)
    if project.status in ("terminated", "failed"):
        raise Conflict("draw.project_closed", _("The project is ${status}.", mapping={"status": project.status}))
    eligible, exclusions = eligibility(request, draw, project)
    eligible_hash = eligible_hash_of(eligible)
    head = audit.head_hash(request.dbsession)  # locks the chain: no event can slip in before ours
    seed = seed_of(draw.nonce, eligible_hash, head)
    chosen = select_experts(seed, eligible, draw.requirements, draw.alternates)
    now = request.clock.now()
    draw.status, draw.run_at, draw.head, draw.eligible_hash, draw.seed = "drawn", now, head, eligible_hash, seed
    draw.eligible, draw.exclusions = eligible, exclusions
    created = []
    for index, (specialty, members, spare) in enumerate(chosen):
        for position, expert_id in enumerate(members + spare):
            created.append(Invitation(draw_id=draw.id, project_id=draw.project_id, expert_id=expert_id,
                                      specialty=specialty, requirement=index, position=position,
                                      role="member" if position < len(members) else "alternate", status="waiting"))
    request.dbsession.add_all(created)
    request.dbsession.flush()
    audit.record(request, "draw.run", draw, {"seed": seed, "head": head, "eligible_hash": eligible_hash,
                                             "nonce": draw.nonce, "excluded": len(exclusions),
                                             "eligible": {k: len(v) for k, v in eligible.items()}},
                 project_id=draw.project_id)
    from .invitations import invite

    invited = 0
    for invitation in created:
        if invitation.role == "member":
            invite(request, invitation, draw=draw, project=project)
            invited += 1
    return invited


def verify(draw):
    """Recompute commitment, eligible hash, seed and selection from the stored record."""
    if draw.status == "committed" or draw.eligible is None:
        return False
    if commitment_of(draw.nonce) != draw.commitment or eligible_hash_of(draw.eligible) != draw.eligible_hash:
        return False
    if seed_of(draw.nonce, draw.eligible_hash, draw.head) != draw.seed:
        return False
    try:
        chosen = select_experts(draw.seed, draw.eligible, draw.requirements, draw.alternates)
    except RulesViolated:
        return False
    stored = {}
    for invitation in draw.invitations:
        stored.setdefault(invitation.requirement, []).append((invitation.position, invitation.expert_id))
    for index, (_specialty, members, spare) in enumerate(chosen):
        if [e for _p, e in sorted(stored.get(index, []))] != members + spare:
            return False
    return True


# --- reading ---------------------------------------------------------------------------------


def counts(draw):
    required = sum(r["count"] for r in draw.requirements)
    by_status = {}
    for invitation in draw.invitations:
        by_status[invitation.status] = by_status.get(invitation.status, 0) + 1
    return {"required": required,
            "invited": sum(v for k, v in by_status.items() if k != "waiting"),
            "accepted": by_status.get("accepted", 0),
            "declined": by_status.get("declined", 0),
            "expired": by_status.get("expired", 0),
            "pending": by_status.get("pending", 0)}


def evaluation_started(request, draw):
    project = request.dbsession.get(Project, draw.project_id)
    lots = [lot for lot in project.lots if draw.lot_id in (None, lot.id)]
    return any(lot.evaluation_started_at is not None for lot in lots)


def draw_json(request, draw):
    role = request.identity.role if request.identity else None
    body = {"id": draw.id, "project_id": draw.project_id, "lot_id": draw.lot_id, "status": draw.status,
            "requirements": draw.requirements, "owner_representatives": draw.owner_representatives,
            # the per-requirement number given at creation; "alternates" is the list of people (API.md)
            "alternates_per_requirement": draw.alternates, "evaluation_at": instant(draw.evaluation_at),
            "counts": counts(draw),
            "commitment": draw.commitment, "created_at": instant(draw.created_at)}
    if draw.status != "committed":
        body.update({"nonce": draw.nonce, "head": draw.head, "eligible_hash": draw.eligible_hash, "seed": draw.seed,
                     "run_at": instant(draw.run_at)})
    full = role in ("inspector", "admin")
    if full and draw.status != "committed":
        body["eligible"] = draw.eligible
        body["exclusions"] = draw.exclusions
    if full or (role == "officer" and evaluation_started(request, draw)):
        people = [{"expert_id": i.expert_id, "name": i.expert.name, "specialty": i.specialty, "status": i.status,
                   "invitation_id": i.id} for i in draw.invitations]
        body["members"] = [p for p, i in zip(people, draw.invitations) if i.role == "member"]
        body["alternates"] = [p for p, i in zip(people, draw.invitations) if i.role == "alternate"]
    return body
