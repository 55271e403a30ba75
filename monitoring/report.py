"""What the supervision report of a project shows: timeline, alerts, draws, the opening, the ranking, the award."""
import json

from sqlalchemy import select

from trading.models import AuditEvent, Award, Evaluation, User
from trading.services import opening

from .models import Alert


def report_values(request, project):
    db = request.dbsession
    events = db.execute(select(AuditEvent, User).outerjoin(User, User.id == AuditEvent.actor_id)
                        .where(AuditEvent.project_id == project.id).order_by(AuditEvent.seq)).all()
    alerts = db.execute(select(Alert).where(Alert.project_id == project.id).order_by(Alert.first_seen_at)).scalars().all()
    evaluations = {e.lot_id: e for e in db.execute(select(Evaluation).where(Evaluation.project_id == project.id)).scalars()}
    awards = {a.lot_id: a for a in db.execute(select(Award).where(Award.project_id == project.id)).scalars()}
    draws = [json.loads(e.data) | {"at": e.at, "action": e.action} for e, _u in events
             if e.action in ("draw.create", "draw.run", "draw.insufficient")]
    record = opening.record_json(request, project) if project.kind == "sealed" else None
    from .pages import SEVERITY_LABELS, STATUS_LABELS

    return {"project": project, "events": events, "alerts": alerts, "evaluations": evaluations, "awards": awards,
            "draws": draws, "opening": record, "generated_at": request.clock.now(),
            # an alert's "open" is not a lot's "open" (已开标): the alert labels, as the board shows them
            "severity_labels": SEVERITY_LABELS, "status_labels": STATUS_LABELS}
