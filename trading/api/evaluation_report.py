"""What the evaluation report and the award notice PDFs show."""
import base64
import functools
import io

from sqlalchemy import select

from ..models import QualificationVote, Score
from ..services import evaluation as evaluations


def report_values(request, project, lot, evaluation):
    votes = request.dbsession.execute(select(QualificationVote).where(
        QualificationVote.evaluation_id == evaluation.id)).scalars().all()
    scores = request.dbsession.execute(select(Score).where(Score.evaluation_id == evaluation.id)).scalars().all()
    bids = evaluations.opened_bids(request, lot)
    by_member = {}
    for s in scores:
        by_member.setdefault(s.expert_id, {}).setdefault(s.bid_id, {})[s.criterion] = s.score
    vote_of = {(v.expert_id, v.bid_id): v for v in votes}
    return {"project": project, "lot": lot, "evaluation": evaluation, "bids": bids, "scores": by_member,
            "votes": vote_of, "criteria": evaluations.criteria_of(evaluation),
            "ranking": evaluation.ranking or []}


@functools.lru_cache(maxsize=256)
def qr_data_uri(text):
    """The QR code of ``text`` as a PNG data URI; cached, since a kept PDF's HTML is rendered on every request."""
    import segno

    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="png", scale=4, border=2)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def notice_values(request, project, lot, award):
    url = request.route_url("verify", code=award.notice_code)
    return {"project": project, "lot": lot, "award": award, "verify_url": url, "qr": qr_data_uri(url),
            "awarded_at_text": award.awarded_at}
