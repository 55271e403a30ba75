"""Expert conduct after an evaluation: "evaluated" and "score_deviation" records, and the officer's rating."""
import json
from decimal import Decimal

from sqlalchemy import select

from trading import audit
from trading.errors import Conflict, NotFound, RequestInvalid, field_error
from trading.i18n import _
from trading.models import Evaluation
from trading.services.evaluation import score_deviations

from .invitations import add_record
from .models import ExpertRecord

def on_finalize(event, request):
    """Each member gets an "evaluated" record; a deviating total also a "score_deviation" record."""
    data = json.loads(event.data)
    for expert_id in data.get("members", []):
        add_record(request, expert_id, "evaluated", event.project_id,
                   {"evaluation_id": event.object_id, "lot_id": data.get("lot_id")}, lot_id=data.get("lot_id"))
    for expert_id, bid_id, total, mean in score_deviations(data.get("member_totals") or {}):
        add_record(request, expert_id, "score_deviation", event.project_id,
                   {"evaluation_id": event.object_id, "bid_id": bid_id, "total": str(total),
                    "others_mean": str(mean.quantize(Decimal("0.01")))}, lot_id=data.get("lot_id"))


def rate(request, project, lot, expert_id, rating, note):
    """The officer's conduct record of a member (X198 Art 21), once the evaluation is finalised."""
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise RequestInvalid(details=[field_error("rating", _("Must be a whole number from 1 to 5."))])
    evaluation = request.dbsession.execute(select(Evaluation).where(Evaluation.lot_id == lot.id)).scalar_one_or_none()
    if evaluation is None or evaluation.status != "finalized":
        raise Conflict("evaluation.not_finalized", _("Members are rated after the evaluation is finalised."))
    if expert_id not in {m.expert_id for m in evaluation.members}:
        raise NotFound(message=_("This expert is not a member of the lot's committee."))
    existing = request.dbsession.execute(select(ExpertRecord).where(
        ExpertRecord.expert_id == expert_id, ExpertRecord.lot_id == lot.id, ExpertRecord.kind == "rating")).scalars().first()
    if existing is not None:
        raise Conflict("expert_record.exists", _("This member's conduct is already recorded for the lot."))
    add_record(request, expert_id, "rating", project.id, {"evaluation_id": evaluation.id, "lot_id": lot.id},
               lot_id=lot.id, rating=rating, note=(note or "").strip() or None)
    request.dbsession.flush()
    audit.record(request, "expert.rating", object_type="expert", object_id=expert_id, project_id=project.id,
                 data={"lot_id": lot.id, "rating": rating, "note": note})
    return {"expert_id": expert_id, "lot_id": lot.id, "rating": rating, "note": note}
