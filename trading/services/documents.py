"""Project documents in the file store (each download audited) and anonymous questions with public answers."""
import re
import unicodedata

from sqlalchemy import select

from .. import audit
from ..errors import Conflict, Forbidden, NotFound, RequestInvalid, TooLarge, field_error
from ..i18n import _, instant, local_text
from ..models import Document, Question
from ..storage import get_store
from . import registrations
from .projects import timeline_of

DOCUMENT_KINDS = ("tender", "clarification", "other")


# bidirectional overrides and isolates: "合同\u202efdp.exe" would show as "合同exe.pdf"
_BIDI_CONTROLS = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_MEDIA_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,62}/[a-z0-9][a-z0-9!#$&^_.+-]{0,62}$")


def safe_name(name):
    """A file name for display and download: no path, no control characters, at most 200 characters."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = name.replace("\\", "/").split("/")[-1]
    name = re.sub(r"[\x00-\x1f\x7f" + _BIDI_CONTROLS + "]", "", name).strip().lstrip(".")
    return name[:200] or "file"


def declared_type(field):
    """The media type a client declared for a file, if it is one (API.md restricts no type), else octet-stream."""
    declared = str(getattr(field, "type", None) or "").strip().lower()
    return declared if _MEDIA_TYPE.match(declared) else "application/octet-stream"


def upload_limit(request):
    return request.registry.settings["ggzy.upload_max_bytes"]


def store_upload(request, field):
    """Store one uploaded file (a cgi FieldStorage); return (key, size, name, content_type).

    An empty file is refused before anything is written: the store keeps no file that nothing refers to.
    """
    limit = upload_limit(request)
    if not field.file.read(1):
        raise RequestInvalid(details=[field_error("file", _("The file is empty."))])
    field.file.seek(0)
    try:
        key, size = get_store(request.registry).put_stream(field.file, limit=limit)
    except ValueError:
        raise TooLarge(message=_("The file is larger than the limit of ${mb} MB.", mapping={"mb": limit // (1024 * 1024)})) from None
    return key, size, safe_name(field.filename), declared_type(field)


def add_document(request, project, field, kind):
    if kind not in DOCUMENT_KINDS:
        raise RequestInvalid(details=[field_error("kind", _("Must be one of: ${values}.",
                                                             mapping={"values": ", ".join(DOCUMENT_KINDS)}))])
    if project.status in ("terminated",):
        raise Conflict("project.terminated", _("The project is terminated."))
    key, size, name, content_type = store_upload(request, field)
    document = Document(project_id=project.id, kind=kind, name=name, content_type=content_type, sha256=key,
                        size=size, uploaded_by=request.identity.id, uploaded_at=request.clock.now())
    request.dbsession.add(document)
    request.dbsession.flush()
    audit.record(request, "document.upload", document, {"name": name, "sha256": key, "size": size, "kind": kind})
    return document


def document_json(document):
    return {"id": document.id, "project_id": document.project_id, "kind": document.kind, "name": document.name,
            "sha256": document.sha256, "size": document.size, "content_type": document.content_type,
            "uploaded_at": instant(document.uploaded_at)}


def list_documents(request, project):
    return request.dbsession.execute(
        select(Document).where(Document.project_id == project.id).order_by(Document.uploaded_at, Document.id)
    ).scalars().all()


def get_document(request, doc_id):
    document = request.dbsession.get(Document, doc_id)
    if document is None:
        raise NotFound()
    return document


def check_download(request, project):
    """Registered bidders while documents are on offer; officers and inspectors always."""
    user = request.identity
    if user.role in ("officer", "inspector"):
        return
    if user.role != "bidder":
        raise Forbidden()
    if not registrations.is_registered(request, project, user.org_id):
        raise Forbidden("document.not_registered", _("Register for the project to download its documents."))
    timeline = timeline_of(project)
    now = request.clock.now()
    start, end = timeline.get("docs_from"), timeline.get("docs_until")
    if start is not None and end is not None and not (start <= now <= end):
        raise Conflict("document.not_on_offer", _("The documents are on offer from ${start} to ${end}.",
                                                  mapping={"start": local_text(start), "end": local_text(end)}))


def record_download(request, project, document):
    audit.record(request, "document.download", document,
                 {"name": document.name, "sha256": document.sha256, "org_id": request.identity.org_id})


def content_path(request, document):
    return get_store(request.registry).path(document.sha256)


# --- questions -------------------------------------------------------------------------------


def ask(request, project, text):
    user = request.identity
    if not registrations.is_registered(request, project, user.org_id):
        raise Forbidden("question.not_registered", _("Only registered bidders may ask questions."))
    until = timeline_of(project).get("questions_until")
    now = request.clock.now()
    if project.status != "announced" or until is None or now >= until:
        raise Conflict("question.closed", _("Questions closed at ${at}.", mapping={"at": local_text(until)}))
    question = Question(project_id=project.id, text=text.strip(), asked_by=user.id, asked_org_id=user.org_id,
                        asked_at=now)
    request.dbsession.add(question)
    request.dbsession.flush()
    audit.record(request, "question.ask", question, {"text": question.text})
    return question


def answer(request, question_id, text, project=None):
    question = request.dbsession.get(Question, question_id)
    if question is None or (project is not None and question.project_id != project.id):
        raise NotFound()
    if question.answer is not None:
        raise Conflict("question.answered", _("The question is already answered."))
    question.answer = text.strip()
    question.answered_at = request.clock.now()
    question.answered_by = request.identity.id
    request.dbsession.flush()
    audit.record(request, "question.answer", question, {"text": question.answer})
    return question


def list_questions(request, project):
    return request.dbsession.execute(
        select(Question).where(Question.project_id == project.id).order_by(Question.asked_at, Question.id)
    ).scalars().all()


def question_json(request, question):
    body = {"id": question.id, "text": question.text, "asked_at": instant(question.asked_at),
            "answer": question.answer, "answered_at": instant(question.answered_at)}
    if request.identity is not None and request.identity.role == "inspector":
        body["asked_by"] = question.asked_by
        body["asked_org_id"] = question.asked_org_id
    return body
