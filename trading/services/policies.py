"""The policies library (政策法规): search, add, look up, and the initial content `ggzy initdb` loads."""
from sqlalchemy import or_, select

from .. import audit
from ..errors import NotFound
from ..i18n import instant
from ..models import Policy
from ..policies import LIBRARY, SECTORS
from ..reference import loader

SUMMARY_CHARS = 200
LIKE_ESCAPE = "\\"


def _like_pattern(text):
    """A LIKE pattern matching ``text`` anywhere, the user's own % and _ taken literally."""
    escaped = text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2).replace("%", LIKE_ESCAPE + "%").replace("_", LIKE_ESCAPE + "_")
    return f"%{escaped}%"


def search(dbsession, q=None, sector=None):
    """A Select of the policies whose title, number, issuer or body contains ``q`` (any case), in ``sector``.

    The caller orders and pages it; ``dbsession`` is unused today and kept so the
    search may consult the database (a full-text index, say) without its callers changing.
    """
    query = select(Policy)
    if q:
        pattern = _like_pattern(q.strip())
        query = query.where(or_(*(
            column.ilike(pattern, escape=LIKE_ESCAPE)
            for column in (Policy.title, Policy.number, Policy.issuer, Policy.body)
        )))
    if sector:
        query = query.where(Policy.sector == sector)
    return query


def get_by_code_or_id(dbsession, value):
    """The policy with this id or, failing that, this code (as rule violations cite it); NotFound otherwise."""
    policy = dbsession.get(Policy, value)
    if policy is None:
        policy = dbsession.execute(select(Policy).where(Policy.code == value)).scalar_one_or_none()
    if policy is None:
        raise NotFound()
    return policy


def _insert(request, data):
    if data["sector"] not in SECTORS:
        raise ValueError(f"unknown sector {data['sector']!r}")
    if data.get("issued_on") is None:
        # the list is ordered by issue date; a policy without one would fall out of the paging
        raise ValueError("a policy needs its date of issue")
    policy = Policy(
        code=data.get("code"),
        title=data["title"].strip(),
        issuer=data["issuer"].strip(),
        number=(data.get("number") or "").strip() or None,
        issued_on=data["issued_on"],
        sector=data["sector"],
        body=data.get("body"),
        file_sha256=data.get("file_sha256"),
        file_name=data.get("file_name"),
        created_at=request.clock.now(),
    )
    request.dbsession.add(policy)
    request.dbsession.flush()
    return policy


def _audit_data(policy):
    return {"code": policy.code, "title": policy.title, "number": policy.number,
            "issued_on": policy.issued_on, "sector": policy.sector}


def create(request, data):
    """Add a policy an administrator publishes: ``data`` has title, issuer, number?, issued_on (a date), sector, body."""
    policy = _insert(request, {key: data.get(key) for key in ("title", "issuer", "number", "issued_on", "sector", "body")})
    audit.record(request, "policy.create", policy, _audit_data(policy))
    return policy


@loader
def load_policies(request):
    """The laws RULES.md cites, each added once by its code; returns the codes added."""
    known = set(request.dbsession.execute(select(Policy.code).where(Policy.code.is_not(None))).scalars())
    added = []
    for entry in LIBRARY:
        if entry["code"] in known:
            continue
        policy = _insert(request, entry)
        audit.record(request, "policy.load", policy, _audit_data(policy), system=True)
        added.append(policy.code)
    return added


def summary(policy):
    return (policy.body or "")[:SUMMARY_CHARS]


def policy_list_json(policy):
    return {
        "id": policy.id, "code": policy.code, "title": policy.title, "issuer": policy.issuer,
        "number": policy.number, "issued_on": policy.issued_on.isoformat() if policy.issued_on else None,
        "sector": policy.sector, "summary": summary(policy),
    }


def policy_json(policy):
    body = policy_list_json(policy)
    del body["summary"]
    body.update({
        "body": policy.body, "file_name": policy.file_name, "file_sha256": policy.file_sha256,
        "created_at": instant(policy.created_at),
    })
    return body
